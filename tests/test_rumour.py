"""The ideal rumour process, checked on cases worked out by hand and on the known asymptotics."""

import ast
import itertools
import math
from pathlib import Path

import numpy as np
import pytest

from emergent_lab.analysis import rumour
from emergent_lab.analysis.rumour import async_rounds, draw_partners, sync_rounds, sync_spread


def test_it_shares_no_code_with_the_engines() -> None:
    tree = ast.parse(Path(rumour.__file__).read_text())
    imported = {
        name
        for node in ast.walk(tree)
        if isinstance(node, ast.Import | ast.ImportFrom)
        for name in (
            [node.module] if isinstance(node, ast.ImportFrom) else [a.name for a in node.names]
        )
    }
    assert imported == {"__future__", "typing", "numba", "numpy", "numpy.typing"}


def test_partners_are_distinct_others() -> None:
    partners = draw_partners(20, 5, np.random.default_rng(1))
    assert partners.shape == (20, 5)
    for caller, row in enumerate(partners.tolist()):
        assert caller not in row and len(set(row)) == 5 and all(0 <= p < 20 for p in row)


@pytest.mark.parametrize("exchange", ["push", "pull", "push-pull"])
def test_two_nodes_take_one_synchronous_round(exchange: str) -> None:
    # Each node's only partner is the other: the first round always informs it.
    for seed in range(5):
        assert sync_rounds(2, exchange=exchange, rng=np.random.default_rng(seed)) == 1  # type: ignore[arg-type]


def test_push_to_everyone_takes_one_round() -> None:
    assert sync_spread(7, fanout=6, exchange="push", rng=np.random.default_rng(0)) == [1, 7]


def test_push_at_most_multiplies_the_informed_by_one_plus_fanout() -> None:
    for fanout in (1, 2):
        counts = sync_spread(500, fanout=fanout, exchange="push", rng=np.random.default_rng(fanout))
        assert counts[0] == 1 and counts[-1] == 500
        assert all(a <= b <= (1 + fanout) * a for a, b in itertools.pairwise(counts))


@pytest.mark.parametrize(
    ("exchange", "mean"),
    # Node 0 knows. Push: done when node 0 calls, at its phase U0 (mean 1/2). Pull: when
    # node 1 calls, U1 (1/2). Push-pull: at whichever calls first, min(U0, U1) (mean 1/3).
    [("push", 1 / 2), ("pull", 1 / 2), ("push-pull", 1 / 3)],
)
def test_two_nodes_asynchronous_finish_at_the_expected_phase(exchange: str, mean: float) -> None:
    runs = [
        async_rounds(2, exchange=exchange, rng=np.random.default_rng(s))  # type: ignore[arg-type]
        for s in range(3000)
    ]
    assert max(runs) < 1.0  # always within the first round
    # Standard deviation of one run is at most 0.29, so of the mean 0.0053: 4 of them.
    assert np.mean(runs) == pytest.approx(mean, abs=0.021)


def test_three_nodes_calling_everyone_asynchronously() -> None:
    # Fanout 2 of 3: the first caller talks to both others. If it is node 0 (probability
    # 1/3) it informs both at the smallest phase (mean 1/4). Otherwise it only pulls (its
    # pushes carry what it knew before the call), and the next caller finishes, at the
    # second smallest phase (mean 1/2). Mean: 1/3 * 1/4 + 2/3 * 1/2 = 5/12.
    runs = [async_rounds(3, fanout=2, rng=np.random.default_rng(s)) for s in range(3000)]
    assert max(runs) < 1.0
    assert np.mean(runs) == pytest.approx(5 / 12, abs=0.02)
    assert sync_rounds(3, fanout=2, rng=np.random.default_rng(0)) == 1


def test_slots_report_the_middle_of_the_quarter_round() -> None:
    for seed in range(20):
        exact = async_rounds(50, rng=np.random.default_rng(seed))
        slotted = async_rounds(50, rng=np.random.default_rng(seed), slots=4)
        assert slotted == (math.floor(exact * 4) + 0.5) / 4


def test_the_compiled_round_is_the_interpreted_one() -> None:
    for exchange, fanout, seed in itertools.product(("push", "pull", "push-pull"), (1, 3), (1, 2)):
        args = {"fanout": fanout, "exchange": exchange}
        assert async_rounds(60, **args, rng=np.random.default_rng(seed)) == async_rounds(  # type: ignore[arg-type]
            60,
            **args,
            rng=np.random.default_rng(seed),
            compiled=False,  # type: ignore[arg-type]
        )


def test_large_n_follows_the_known_asymptotics() -> None:
    n = 20_000
    push = [sync_rounds(n, exchange="push", rng=np.random.default_rng(s)) for s in range(8)]
    both = [sync_rounds(n, rng=np.random.default_rng(s)) for s in range(8)]
    # Pittel 1987: log2 n + ln n + O(1) rounds; Karp et al. 2000: log3 n + O(ln ln n),
    # whose end phase s -> s^2 / e takes log2 ln n rounds.
    assert abs(np.mean(push) - (math.log2(n) + math.log(n))) < 3
    assert abs(np.mean(both) - (math.log(n, 3) + math.log2(math.log(n)))) < 2
    # Asynchronous timing passes news on within a round: faster than synchronous.
    slow = np.mean([async_rounds(n, rng=np.random.default_rng(s)) for s in range(8)])
    assert slow < np.mean(both) - 1


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        ({"n": 1}, "n: expected an integer >= 2"),
        ({"n": 5, "fanout": 5}, r"fanout: expected an integer in \[1, n - 1\]"),
        ({"n": 5, "exchange": "gossip"}, "exchange: unknown exchange 'gossip'"),
        ({"n": 5, "slots": 0}, "slots: expected an integer >= 1"),
    ],
)
def test_bad_arguments_are_refused_naming_the_field(arguments: dict, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        async_rounds(rng=np.random.default_rng(0), **arguments)
