"""``emergent-lab tune-detector TRACE``: replay a heartbeat trace, recommend a detector setting.

Thin: reading the trace, the replay and the recommendation are
``lessons.traces`` and ``lessons.advisor``; this module parses options,
prints the table and writes the optional plot.
"""

from __future__ import annotations

import argparse
from typing import Any

from emergent_lab.cli.paths import writable_file

DATASETS = ("seattle", "planetlab")


def _tune(args: argparse.Namespace) -> int:
    from emergent_lab.analysis.advisor import ASSUMPTIONS, parse_target, recommend, replay
    from emergent_lab.analysis.traces import dataset_trace, read_trace
    from emergent_lab.core.checks import check_number

    target = parse_target(args.target)
    check_number("--interval", args.interval, low=0, low_open=True)
    check_number("--hours", args.hours, low=0, low_open=True)
    check_number("--pause", args.pause, low=0)
    check_number("--nodes", args.nodes, low=3, integer=True)
    plot = None
    if args.plot is not None:
        if not args.plot.endswith(".html"):
            raise ValueError(f"--plot: must be an .html file (got {args.plot!r})")
        plot = writable_file("--plot", args.plot)
    if args.trace in DATASETS:
        trace = dataset_trace(args.trace, hours=args.hours, interval=args.interval, seed=args.seed)
    else:
        trace = read_trace(args.trace, interval=args.interval)
    rows = replay(trace, pause=args.pause, nodes=args.nodes, seed=args.seed)
    advice = recommend(rows, target, hours=trace.hours)
    print(f"trace      {trace.source}: {trace.arrivals.size} heartbeats over {trace.hours:.3g} h")
    print(f"target     {args.target} = {target:.3g} false suspicions per hour per watched peer")
    print(f"{'detector':<15} {'setting':<22} {'false/hour':>10} {'detection s':>12}")
    for row in rows:
        detection = "never" if row.detection_s is None else f"{row.detection_s:.2f}"
        mark = "  <- recommended" if row is advice.row else ""
        print(
            f"{row.detector:<15} {row.setting:<22} {row.false_per_hour:>10.3g} "
            f"{detection:>12}{mark}"
        )
    if advice.row is None:
        print(f"recommend  nothing: {advice.note}")
    else:
        print(f"recommend  {advice.row.detector} {advice.row.setting} ({advice.note})")
        for detector, row in advice.per_detector.items():
            print(f"  best {detector:<15} {row.setting:<22} detects in {row.detection_s:.2f} s")
    if trace.rtts is None:
        print("note       no RTTs in the trace (arrival_s only): SWIM was not replayed")
    print(f"assumes    {ASSUMPTIONS}")
    if plot is not None:
        from emergent_lab.jupyter.advisor_plot import save_tradeoff

        save_tradeoff(rows, advice, plot, title=f"Detector trade-off on {trace.source}")
        print(f"plot       {plot}")
    return 0


def register(sub: Any) -> None:
    """Add ``tune-detector`` to the command's subparsers."""
    command = sub.add_parser(
        "tune-detector",
        help="recommend a failure-detector setting from a heartbeat trace",
        description=(
            "Replay heartbeat arrivals (CSV column arrival_s) or RTT samples (rtt_s, "
            "optional sent_s) through Akka's and Cassandra's phi, a fixed timeout and "
            "SWIM/Lifeguard, print false suspicions per hour against detection time, and "
            "recommend the fastest setting within the target. TRACE may also be 'seattle' "
            "or 'planetlab' (RTTs drawn from the shipped data)."
        ),
    )
    command.add_argument("trace", help="CSV file, or 'seattle' / 'planetlab'")
    command.add_argument("--target", default="1 per node-day", help="false suspicions allowed")
    command.add_argument("--interval", type=float, default=1.0, help="heartbeat interval, s")
    command.add_argument("--hours", type=float, default=6.0, help="hours drawn from a dataset")
    command.add_argument("--pause", type=float, default=0.0, help="Akka acceptable pause, s")
    command.add_argument("--nodes", type=int, default=10, help="cluster size (SWIM timeouts)")
    command.add_argument("--seed", type=int, default=0, help="seed for drawn delays")
    command.add_argument("--plot", default=None, help="write the trade-off to this .html file")
    command.set_defaults(handler=_tune)
