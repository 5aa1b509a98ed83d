"""Score functions: how a node turns its own metrics into one comparable number.

Layer 1 (with the detectors and datasets): imports nothing of emergent_lab
but the ground floor. :mod:`.metrics` holds metric specs and input checks,
:mod:`.function` the immutable ``ScoreFunction``, :mod:`.presets` the named
ready-made ones.
"""

from emergent_lab.score.function import ScoreFunction
from emergent_lab.score.metrics import MetricSpec
from emergent_lab.score.presets import PRESETS

__all__ = ["PRESETS", "MetricSpec", "ScoreFunction"]
