"""``emergent-lab sweep``: a scenario over a grid of parameters and seeds, to CSV."""

from __future__ import annotations

import argparse
from concurrent.futures import ProcessPoolExecutor
from typing import Any

from emergent_lab.cli.paths import writable_file
from emergent_lab.run.config import PROTOCOLS

TRUE_WORDS = ("true", "yes")
FALSE_WORDS = ("false", "no")


def parse_value(text: str) -> Any:
    """Read one grid value as the TOML scenario would hold it: int, float, bool or string."""
    for kind in (int, float):
        try:
            return kind(text)
        except ValueError:
            pass
    if text.lower() in TRUE_WORDS + FALSE_WORDS:
        return text.lower() in TRUE_WORDS
    return text


def parse_param(text: str) -> tuple[str, list[Any]]:
    """Split ``name=v1,v2,…`` into the name and its values."""
    name, sep, values = text.partition("=")
    if not sep or not name or not values:
        raise ValueError(f"--param: expected NAME=VALUE[,VALUE…] (got {text!r})")
    return name.strip(), [parse_value(v.strip()) for v in values.split(",")]


def _sweep(args: argparse.Namespace) -> int:
    from emergent_lab.dask_sweep import dask_executor
    from emergent_lab.sweep import plan, sweep

    grid: dict[str, list[Any]] = {}
    for text in args.param:
        name, values = parse_param(text)
        if name in grid:
            raise ValueError(f"--param: {name!r} given twice")
        grid[name] = values
    for option, value in (("--seeds", args.seeds), ("--workers", args.workers)):
        if value < 1:
            raise ValueError(f"{option}: must be an integer >= 1 (got {value})")
    csv_path = writable_file("--csv", args.csv)
    runs = plan(args.scenario, grid, args.seeds, protocol=args.protocol)
    where = args.scheduler or f"{args.workers} worker(s)"
    print(f"{len(runs)} runs of {args.scenario} on {where}")
    with (
        dask_executor(args.scheduler)
        if args.scheduler
        else ProcessPoolExecutor(max_workers=args.workers)
    ) as pool:
        table = sweep(
            args.scenario,
            grid,
            args.seeds,
            protocol=args.protocol,
            executor=pool,
            progress=not args.quiet,
        )
    table.to_csv(csv_path, index=False)
    print(f"{len(table)} rows written to {args.csv}")
    return 0


def register(sub: Any) -> None:
    """Add ``sweep`` to the command's subparsers."""
    command = sub.add_parser(
        "sweep", help="run a scenario over a grid of parameters and seeds, one CSV row per run"
    )
    command.add_argument("scenario", help="path to a scenario TOML file, or a built-in name")
    command.add_argument(
        "--param",
        action="append",
        default=[],
        metavar="NAME=V1,V2",
        help="a dotted scenario parameter and its values, e.g. cluster.fanout=1,2,3 (repeatable)",
    )
    command.add_argument("--seeds", type=int, default=1, help="number of seeds (0 … N-1)")
    command.add_argument("--csv", required=True, metavar="PATH", help="where to write the table")
    command.add_argument(
        "--protocol", choices=list(PROTOCOLS), default=None, help="node class (default emergent)"
    )
    command.add_argument(
        "--workers", type=int, default=2, help="local worker processes (default 2)"
    )
    command.add_argument(
        "--scheduler",
        metavar="ADDRESS",
        default=None,
        help="run on a Dask cluster instead, e.g. tcp://host:8786 (needs emergent-lab[dask])",
    )
    command.add_argument("--quiet", action="store_true", help="no progress bar")
    command.set_defaults(handler=_sweep)
