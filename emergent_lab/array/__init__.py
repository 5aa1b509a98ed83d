"""The array engine: the protocol in rounds on arrays, to ten million nodes.

Layer 5, a sibling of :mod:`emergent_lab.exact`: ``ArrayCluster`` implements
the engine contract of :mod:`emergent_lab.run.engine` at slot granularity,
its loops compiled (:mod:`.kernels`, which call the protocol's decisions in
:mod:`emergent_lab.protocol.rules`), with a full-membership view (n×n, a few
thousand nodes) or a top-k candidate view (n×k, millions of nodes).

May import: core, score, detector, sim, datasets, protocol, run.
Never ``exact`` or anything above.
"""

from emergent_lab.array.cluster import ARRAY_ACTIONS, EXCHANGES, ArrayCluster
from emergent_lab.protocol.topk_view import VIEWS

__all__ = ["ARRAY_ACTIONS", "EXCHANGES", "VIEWS", "ArrayCluster"]
