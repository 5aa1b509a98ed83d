"""Drivers of an exact run over time: replayed metric series, score noise, phi sampling.

Each schedules itself on the cluster's scheduler as a ``functools.partial``
of a module function and the cluster (never a closure), so a forked copy of
the cluster, deep-copied with its pending events, drives the copy.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import partial

from emergent_lab.core.checks import check_number
from emergent_lab.core.ids import node_sort_key
from emergent_lab.exact.cluster import SimCluster


def follow_series(
    cluster: SimCluster, node: str, metric: str, times: Sequence[float], values: Sequence[float]
) -> None:
    """Make a metric of a node follow a time series (e.g. a replayed CPU trace).

    Each sample becomes a metric change at its time (times relative to now).
    """
    if len(times) != len(values):
        raise ValueError("series: times and values must have the same length")
    for t, v in zip(times, values, strict=True):
        value = check_number(f"series.{metric}", v)
        cluster.scheduler.schedule(float(t), partial(_series_step, cluster, node, metric, value))


def _series_step(cluster: SimCluster, node: str, metric: str, value: float) -> None:
    cluster.apply_series(cluster.resolve(node), {metric: value})


def watch_phi(
    cluster: SimCluster, observer: str, subject: str, *, every: float = 0.25
) -> list[tuple[float, float]]:
    """Sample, every ``every`` seconds from now on, the phi ``observer`` has for ``subject``.

    Returns the list the samples ``(time, phi)`` are appended to (also kept
    in the observer's ``phi_series``); a down observer records nothing.
    """
    check_number("every", every, low=0, low_open=True)
    cluster.node(observer)
    cluster.node(subject)
    samples = cluster.observer.phi_series.setdefault((observer, subject), [])
    sample = partial(_sample_phi, cluster, observer, subject, every, samples)
    cluster.scheduler.schedule(0.0, sample)
    return samples


def _sample_phi(
    cluster: SimCluster,
    observer: str,
    subject: str,
    every: float,
    samples: list[tuple[float, float]],
) -> None:
    node = cluster.nodes[observer]
    if node.running:
        samples.append((cluster.time, node.phi_of(subject)))
    cluster.scheduler.schedule(
        every, partial(_sample_phi, cluster, observer, subject, every, samples)
    )


def add_score_noise(cluster: SimCluster, amplitude: float, interval: float) -> None:
    """Jitter every node's metrics by up to ±amplitude of their range, every interval.

    Scores are weighted means of normalised metrics, so each node's score
    then wanders within ±amplitude of its base: the noisy load that the
    emergence threshold exists to ignore.
    """
    check_number("score.noise", amplitude, low=0, high=1)
    check_number("score.noise_interval", interval, low=0, low_open=True)
    base = {k: dict(v) for k, v in cluster.metrics.items()}
    cluster.scheduler.schedule(interval, partial(_jitter, cluster, base, amplitude, interval))


def _jitter(
    cluster: SimCluster, base: dict[str, dict[str, float]], amplitude: float, interval: float
) -> None:
    specs = cluster.score_function.metrics
    for node_id in sorted(cluster.nodes, key=node_sort_key):
        if not cluster.nodes[node_id].running:
            continue
        noisy = {}
        for name, value in base.get(node_id, cluster.metrics[node_id]).items():
            spec = specs.get(name)
            span = (spec.high - spec.low) if spec else 1.0
            noisy[name] = value + float(cluster.rng.uniform(-amplitude, amplitude)) * span
        cluster.apply_series(node_id, noisy)
    cluster.scheduler.schedule(interval, partial(_jitter, cluster, base, amplitude, interval))
