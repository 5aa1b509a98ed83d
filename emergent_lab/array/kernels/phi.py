"""The running-sum detector of many view entries at once, compiled.

One entry's update (:func:`~emergent_lab.detector.sums.heartbeat_arrived`)
and deadline (:func:`~emergent_lab.detector.rule.suspect_time`) are written
once in the detector package, for this engine and the exact engine's top-k
view; here is the deadline's loop over arrays of entries.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from emergent_lab.core.arrays import FloatArray
from emergent_lab.core.compiled import compiled
from emergent_lab.detector.rule import suspect_time


@compiled
def refresh(
    rule: FloatArray,
    last: FloatArray,
    count: npt.NDArray[np.int32],
    total: FloatArray,
    total_sq: FloatArray,
    out: FloatArray,
) -> None:
    """``out[i] = suspect_time(...)`` for arrays of entries."""
    for i in range(last.size):
        out[i] = suspect_time(rule, last[i], count[i], total[i], total_sq[i])
