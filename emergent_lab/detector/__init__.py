"""Phi-accrual failure detection: Akka's and Cassandra's detectors, singly or as a bank.

A node keeps one detector per peer and treats the peer as alive while its phi
stays under the threshold. ``make_detector`` builds a single-peer detector from
``DetectorParams``; ``DetectorBank`` runs the same detector for many peers at
once, for the simulator's hot path, each heartbeat arrival a compiled kernel
(:mod:`.arrivals`). :mod:`.rule` writes the phi deadline once, for the bank
and the array engine's kernels; :mod:`.sums` the running-sum detector of one
entry, for the views that keep no window (the array engine's and the top-k
view's).

Layer 1. May import: core only.
"""

from __future__ import annotations

from emergent_lab.detector.akka import PhiAccrualDetector
from emergent_lab.detector.bank import DetectorBank
from emergent_lab.detector.cassandra import ExponentialPhiDetector
from emergent_lab.detector.params import DetectorParams, make_detector

__all__ = [
    "DetectorBank",
    "DetectorParams",
    "ExponentialPhiDetector",
    "PhiAccrualDetector",
    "make_detector",
]
