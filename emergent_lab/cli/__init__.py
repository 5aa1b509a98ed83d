"""The ``emergent-lab`` command.

Each subcommand lives in its own module with a ``register(subparsers)``
function; this module only assembles them, so adding a command touches one
line here. Every handler returns an exit status; bad input raises
``ScenarioError`` (or ``ValueError``) and exits with status 2 and one line.

Layer 12, the top: may import anything; Jupyter only inside the handlers
that write HTML.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from emergent_lab.cli import mqtt, run, sweep, tune
from emergent_lab.scenario import ScenarioError

EXIT_BAD_INPUT = 2
COMMAND_MODULES = [run, mqtt, sweep, tune]


def parser() -> argparse.ArgumentParser:
    """The argument parser with every subcommand registered."""
    top = argparse.ArgumentParser(
        prog="emergent-lab",
        description="Emergent leadership on a deterministic simulated cluster, or over MQTT.",
    )
    sub = top.add_subparsers(dest="command", required=True)
    for module in COMMAND_MODULES:
        module.register(sub)
    return top


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point; bad input exits with status 2 and one line naming the field."""
    args = parser().parse_args(argv)
    try:
        code: int = args.handler(args)
    except (ScenarioError, ValueError) as error:
        print(f"error: {error}", file=sys.stderr)
        return EXIT_BAD_INPUT
    return code
