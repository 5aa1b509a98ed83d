"""``emergent-lab explain``: run a scenario with causality on and say why, in words.

    emergent-lab explain leader-crash --node n7 --at 42 [--seed N]
    emergent-lab explain leader-crash --suspicion n3
    emergent-lab explain leader-crash --node n7 --jsonl run.jsonl --shiviz run.shiviz
    emergent-lab explain leader-crash --node n12 --at 36 --html sequence.html

Every option is checked against the scenario before the run starts.
"""

from __future__ import annotations

import argparse
import dataclasses
from typing import Any

from emergent_lab.cli.paths import writable_file
from emergent_lab.core.checks import check_number
from emergent_lab.core.ids import node_sort_key
from emergent_lab.exact.exports import write_jsonl, write_shiviz
from emergent_lab.scenario import load_scenario
from emergent_lab.scenario.runner import build_cluster


def _known(option: str, node: str, ids: tuple[str, ...]) -> None:
    if node not in ids:
        first = ", ".join(sorted(ids, key=node_sort_key)[:10])
        raise ValueError(f"{option}: no node {node!r} in this scenario (ids: {first}, …)")


def _explain(args: argparse.Namespace) -> int:
    scenario = load_scenario(args.scenario, seed=args.seed)
    if scenario.engine.engine != "exact":
        raise ValueError("scenario: only the exact engine records causality (cluster.engine)")
    if args.node is None and args.suspicion is None and not (args.jsonl or args.shiviz):
        raise ValueError("--node: say which node to explain (or --suspicion, --jsonl, --shiviz)")
    ids = scenario.config.ids
    if args.node is not None:
        _known("--node", args.node, ids)
    if args.suspicion is not None:
        _known("--suspicion", args.suspicion, ids)
    until = scenario.until
    at = until if args.at is None else check_number("--at", args.at, low=0, high=until)
    jsonl = writable_file("--jsonl", args.jsonl) if args.jsonl else None
    shiviz = writable_file("--shiviz", args.shiviz) if args.shiviz else None
    html = writable_file("--html", args.html) if args.html else None
    config = dataclasses.replace(scenario.config, causality=True)
    cluster = build_cluster(dataclasses.replace(scenario, config=config))
    cluster.run(until)
    if args.node is not None:
        print(cluster.explain(args.node, at=at))
    if args.suspicion is not None:
        print(cluster.explain_suspicion(args.suspicion))
    if jsonl is not None:
        write_jsonl(cluster, str(jsonl))
        print(f"event log (JSON lines) written to {args.jsonl}")
    if shiviz is not None:
        write_shiviz(cluster, str(shiviz))
        print(f"ShiViz log written to {args.shiviz}")
    if html is not None:
        # Lazy: the engine and the plain CLI never import Bokeh.
        from emergent_lab.jupyter.sequence import save_sequence_html

        save_sequence_html(cluster, html, node=args.node, at=at, title=scenario.name)
        print(f"message-sequence view (HTML) written to {args.html}")
    return 0


def register(sub: Any) -> None:
    """Add ``explain`` to the command's subparsers."""
    explain = sub.add_parser(
        "explain",
        help="run a scenario recording causes; explain why a node follows whom, in words",
    )
    explain.add_argument("scenario", help="path to a scenario TOML file, or a built-in name")
    explain.add_argument("--node", help="the node to explain (e.g. n7)")
    explain.add_argument(
        "--at", type=float, default=None, help="virtual time in seconds (default: the run's end)"
    )
    explain.add_argument("--seed", type=int, default=None, help="override the scenario's seed")
    explain.add_argument("--suspicion", metavar="NODE", help="who suspected NODE first, and when")
    explain.add_argument("--jsonl", metavar="PATH", help="also write the causal log as JSON lines")
    explain.add_argument(
        "--shiviz", metavar="PATH", help="also write a ShiViz log (vector clocks) here"
    )
    explain.add_argument(
        "--html",
        metavar="PATH",
        help="also write the message-sequence view around --at as standalone HTML",
    )
    explain.set_defaults(handler=_explain)
