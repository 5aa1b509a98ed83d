"""``emergent-lab run`` and ``emergent-lab scenarios``: headless runs of scenarios."""

from __future__ import annotations

import argparse
import json
from typing import Any

from emergent_lab.cli.paths import writable_file
from emergent_lab.exact import SimCluster
from emergent_lab.scenario import builtin_names, load_scenario, run_scenario


def _run(args: argparse.Namespace) -> int:
    scenario = load_scenario(args.scenario, seed=args.seed)
    # Every output is checked before the run, which may take minutes.
    json_path = writable_file("--json", args.json) if args.json else None
    html_path = writable_file("--html", args.html) if args.html else None
    if html_path is not None and scenario.engine.engine == "array":
        raise ValueError("--html: only the simulated engine records the per-node history to replay")
    cluster, report = run_scenario(scenario)
    print(report.summary())
    if json_path is not None:
        json_path.write_text(json.dumps(report.to_dict(), indent=2) + "\n")
        print(f"report written to {args.json}")
    if html_path is not None:
        assert isinstance(cluster, SimCluster)  # array runs were refused before the run
        # Lazy: the engine and the plain CLI never import Bokeh.
        from emergent_lab.jupyter.export import save_cluster_html

        save_cluster_html(cluster, html_path, title=scenario.name)
        print(f"replayable HTML written to {args.html}")
    return 0


def _scenarios(args: argparse.Namespace) -> int:
    for name in builtin_names():
        print(f"{name:18} {load_scenario(name).description}")
    return 0


def register(sub: Any) -> None:
    """Add ``run`` and ``scenarios`` to the command's subparsers."""
    run = sub.add_parser("run", help="run a scenario (a TOML file or a built-in name) and report")
    run.add_argument("scenario", help="path to a scenario TOML file, or a built-in name")
    run.add_argument("--seed", type=int, default=None, help="override the scenario's seed")
    run.add_argument("--json", metavar="PATH", help="also write the report as JSON here")
    run.add_argument(
        "--html",
        metavar="PATH",
        help="also write the run as a standalone HTML page with a time slider (needs [jupyter])",
    )
    run.set_defaults(handler=_run)
    scenarios = sub.add_parser("scenarios", help="list the built-in scenarios")
    scenarios.set_defaults(handler=_scenarios)
