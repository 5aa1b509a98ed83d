"""Real datasets shipped with emergent-lab, loaded as simulator-ready objects.

Three families, each with its licence and provenance in ``datasets/``:

- topologies (Internet Topology Zoo) become network graphs for the simulator:
  :func:`list_topologies`, :func:`load_topology`;
- measured RTT matrices (Seattle, PlanetLab) become latency models:
  :func:`load_latency`, :class:`LatencyMatrix`;
- CPU traces (NAB AWS CloudWatch) become node metrics that move like real
  load: :func:`list_cpu_traces`, :func:`load_cpu_traces`, :class:`CpuTrace`.

The data folder is ``<repo>/datasets``, or ``$EMERGENT_LAB_DATASETS`` if set.

Layer 1. May import: core only.
"""

from __future__ import annotations

from ._paths import DEFAULT_ROOT, ENV_VAR, DatasetNotFoundError, data_root
from .cpu import CpuTrace, list_cpu_traces, load_cpu_traces
from .latency import LATENCY_DATASETS, SEATTLE_SLICES, LatencyMatrix, LatencyName, load_latency
from .topology import list_topologies, load_topology

__all__ = [
    "DEFAULT_ROOT",
    "ENV_VAR",
    "LATENCY_DATASETS",
    "SEATTLE_SLICES",
    "CpuTrace",
    "DatasetNotFoundError",
    "LatencyMatrix",
    "LatencyName",
    "data_root",
    "list_cpu_traces",
    "list_topologies",
    "load_cpu_traces",
    "load_latency",
    "load_topology",
]
