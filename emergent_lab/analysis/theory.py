"""Reference curves from epidemic theory, for the benchmarks and the lesson.

Rumour spreading in rounds (Pittel 1987; Karp, Schindelhauer, Shenker and
Vöcking 2000): with push, a node that knows tells ``fanout`` random nodes per
round; the informed set grows by a factor ``1 + fanout`` until half the nodes
know, then each remaining node is missed with probability ``e^-fanout`` per
round, so ``log_{1+f} n + ln n / f`` rounds (``log2 n + ln n`` for f = 1).
With push-pull every exchange also pulls: the informed set grows by
``1 + 2f`` per round and the uninformed fraction squares (to the power
``1 + f``) in the end phase, so ``log_{1+2f} n + ln ln n / log2(1 + f)``
rounds (``log3 n + ln ln n`` for f = 1, the curve of the issue).
"""

from __future__ import annotations

import math

from emergent_lab.core.checks import check_number


def push_pull_rounds(n: int, fanout: int = 1) -> float:
    """Rounds for push-pull gossip to reach all ``n`` nodes: log_{1+2f} n + ln ln n / log2(1+f)."""
    check_number("n", n, low=2, integer=True)
    check_number("fanout", fanout, low=1, integer=True)
    return math.log(n, 1 + 2 * fanout) + math.log(math.log(n)) / math.log2(1 + fanout)


def push_rounds(n: int, fanout: int = 1) -> float:
    """Rounds for push gossip to reach all ``n`` nodes: log_{1+f} n + ln n / f."""
    check_number("n", n, low=2, integer=True)
    check_number("fanout", fanout, low=1, integer=True)
    return math.log(n, 1 + fanout) + math.log(n) / fanout


def failover_bound(detection_s: float, n: int, gossip_interval: float) -> float:
    """Seconds from a leader crash to one recognised leader: detection + log3 n rounds.

    Every node must first suspect the dead leader (the detector's silence at
    its threshold), then the new leader's followers must be counted, which
    takes one dissemination of the new opinions: log3 n push-pull rounds.
    """
    check_number("n", n, low=2, integer=True)
    return detection_s + math.log(n, 3) * gossip_interval
