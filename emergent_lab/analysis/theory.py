"""Reference curves from epidemic theory, for the benchmarks and the lessons.

Asymptotics, not bounds: the leading terms of the rounds that rumour
spreading takes in the synchronous random phone-call model (Pittel 1987;
Karp, Schindelhauer, Shenker and Vöcking 2000), where each round every node
calls ``fanout`` = f random others. The ideal process itself lands a
constant above or below them (:mod:`emergent_lab.analysis.rumour` simulates
it), and with asynchronous timing it is faster still.

With push, a node that knows tells f random nodes per round; the informed
set grows by a factor ``1 + f`` until a constant share of the nodes know,
then each remaining node is missed with probability ``e^-f`` per round, so
``log_{1+f} n + ln n / f`` rounds (``log2 n + ln n`` for f = 1).

With push-pull every call also pulls: the informed set grows by ``1 + 2f``
per round. In the end phase an uninformed node stays so only if its own f
calls reach uninformed nodes (probability s^f when a share s is
uninformed) and no informed node calls it (about ``e^-f``), so
``s -> s^(1+f) e^-f``: ``ln(1/s)`` grows by the factor ``1 + f`` per round,
and it takes ``ln ln n / ln(1 + f)`` rounds to go from a constant to
``1/n``. In all ``log_{1+2f} n + ln ln n / ln(1 + f)`` rounds
(``log3 n + log2 ln n`` for f = 1).
"""

from __future__ import annotations

import math

from emergent_lab.core.checks import check_number


def push_pull_rounds(n: int, fanout: int = 1) -> float:
    """Asymptotic rounds for push-pull to reach ``n`` nodes: log_{1+2f} n + ln ln n / ln(1+f)."""
    check_number("n", n, low=2, integer=True)
    check_number("fanout", fanout, low=1, integer=True)
    return math.log(n, 1 + 2 * fanout) + math.log(math.log(n)) / math.log(1 + fanout)


def push_rounds(n: int, fanout: int = 1) -> float:
    """Asymptotic rounds for push to reach all ``n`` nodes: log_{1+f} n + ln n / f."""
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
