"""Phi against SWIM, with and without Lifeguard, on the cluster with slow members (lesson 03).

The ``slow-nodes`` scenario is the case Lifeguard was built for: a few
members stall now and then, as CPU-starved processes do, and the leader
crashes. The same cluster, timeline and seed run with each detector, so the
difference in false suspicions, detection and traffic is the detector's.
"""

from __future__ import annotations

import copy
from typing import Any

from emergent_lab.run.report import build_report
from emergent_lab.scenario import load_scenario, parse_scenario
from emergent_lab.scenario.runner import build_cluster

DETECTORS: dict[str, dict[str, Any]] = {
    "Akka phi": {"kind": "akka"},
    "SWIM": {"kind": "swim", "lifeguard": False},
    "SWIM + Lifeguard": {"kind": "swim", "lifeguard": True},
}
"""The ``[detector]`` section of each variant (SWIM's other settings: memberlist's LAN defaults)."""


def slow_node_rows(
    *, scenario: str = "slow-nodes", seed: int | None = None
) -> list[dict[str, Any]]:
    """One row per detector: false suspicions, the crash's detection and failover, traffic."""
    base = load_scenario(scenario, seed=seed)
    rows = []
    for label, detector in DETECTORS.items():
        source = copy.deepcopy(dict(base.source))
        source["detector"] = dict(detector)
        variant = parse_scenario(source, name=base.name)
        cluster = build_cluster(variant)
        cluster.run(variant.until)
        report = build_report(cluster, scenario=variant.name, warmup=variant.warmup)
        crash = next(e for e in report.events if e.action == "crash")
        rows.append(
            {
                "detector": label,
                "false susp.": report.false_suspicions,
                "detect s": crash.detection_mean_s,
                "failover s": crash.reconverged_after_s,
                "msg/node/s": report.messages_per_node_per_s,
            }
        )
    return rows
