"""The ``emergent-lab`` command: run scenarios headless and list the built-in ones."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path

from emergent_lab.scenario import ScenarioError, builtin_names, load_scenario, run_scenario

EXIT_BAD_INPUT = 2


def _run(args: argparse.Namespace) -> int:
    scenario = load_scenario(args.scenario, seed=args.seed)
    _, report = run_scenario(scenario)
    print(report.summary())
    if args.json:
        Path(args.json).write_text(json.dumps(report.to_dict(), indent=2) + "\n")
        print(f"report written to {args.json}")
    return 0


def _scenarios(args: argparse.Namespace) -> int:
    for name in builtin_names():
        scenario = load_scenario(name)
        print(f"{name:18} {scenario.description}")
    return 0


def parser() -> argparse.ArgumentParser:
    """The argument parser (exposed for the docs and the tests)."""
    top = argparse.ArgumentParser(
        prog="emergent-lab",
        description="Emergent leadership on a deterministic simulated cluster.",
    )
    sub = top.add_subparsers(dest="command", required=True)
    run = sub.add_parser("run", help="run a scenario (a TOML file or a built-in name) and report")
    run.add_argument("scenario", help="path to a scenario TOML file, or a built-in name")
    run.add_argument("--seed", type=int, default=None, help="override the scenario's seed")
    run.add_argument("--json", metavar="PATH", help="also write the report as JSON here")
    run.set_defaults(handler=_run)
    scenarios = sub.add_parser("scenarios", help="list the built-in scenarios")
    scenarios.set_defaults(handler=_scenarios)
    return top


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point; bad input exits with status 2 and one line naming the field."""
    args = parser().parse_args(argv)
    try:
        code: int = args.handler(args)
    except ScenarioError as error:
        print(f"error: {error}", file=sys.stderr)
        return EXIT_BAD_INPUT
    return code


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
