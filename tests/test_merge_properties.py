"""Merging views is commutative, associative and idempotent (hypothesis)."""

import itertools

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from emergent_lab.detector import DetectorParams
from emergent_lab.protocol.messages import StateBatch, version_key
from emergent_lab.protocol.view import View

N = 6
OWNER = 0


def content(node: int, key: int):
    """Only a node's owner makes its versions, so a (node, key) has one content."""
    rng = np.random.default_rng([node, key])
    return (
        int(rng.integers(0, 100)),
        float(rng.random()),
        int(rng.integers(-1, N)),
        int(rng.integers(0, 2)),
    )


def make_batch(entries):
    idx = np.array([n for n, _ in entries], dtype=np.int64)
    keys = np.array([k for _, k in entries], dtype=np.int64)
    parts = [content(n, k) for n, k in entries]
    metrics = np.empty(len(entries), dtype=object)
    for i, (_, k) in enumerate(entries):
        metrics[i] = {"m": float(k % 7)}
    return StateBatch(
        idx=idx,
        key=keys,
        heartbeat=np.array([p[0] for p in parts], dtype=np.int64),
        score=np.array([p[1] for p in parts]),
        opinion=np.array([p[2] for p in parts], dtype=np.int64),
        status=np.array([p[3] for p in parts], dtype=np.int8),
        metrics=metrics,
        state_bytes=np.full(len(entries), 40, dtype=np.int64),
    )


entry = st.tuples(
    st.integers(1, N - 1),
    st.builds(version_key, st.integers(1, 3), st.integers(1, 20)),
)
batch = st.lists(entry, min_size=0, max_size=8, unique_by=lambda e: e[0]).map(make_batch)


def fresh_view():
    return View(OWNER, DetectorParams(), capacity=N)


def state(view):
    known = view.known.copy()
    return (
        tuple(known),
        tuple(np.where(known, view.key, 0)),
        tuple(np.where(known, view.heartbeat, 0)),
        tuple(np.where(known, view.score, 0.0)),
        tuple(np.where(known, view.opinion, -2)),
        tuple(np.where(known, view.status, -1)),
    )


def merged(*batches):
    view = fresh_view()
    for b in batches:
        view.merge(b, now=1.0)
    return view


def union(a, b):
    """Merge two batches into one (the state of a view that merged both)."""
    view = merged(a, b)
    return view.batch(np.flatnonzero(view.known))


@given(batch, batch)
def test_merge_is_commutative(a, b):
    assert state(merged(a, b)) == state(merged(b, a))


@given(batch, batch, batch)
def test_merge_is_associative(a, b, c):
    assert state(merged(union(a, b), c)) == state(merged(a, union(b, c)))


@given(batch, batch)
def test_merge_is_idempotent(a, b):
    once = merged(a, b)
    assert state(merged(a, b, a, b)) == state(once)
    again = merged(a, b)
    again.merge(once.batch(np.flatnonzero(once.known)), now=2.0)
    assert state(again) == state(once)


@given(st.lists(batch, min_size=1, max_size=5), st.randoms(use_true_random=False))
def test_any_delivery_order_gives_the_same_view(batches, random):
    reference = state(merged(*batches))
    for order in itertools.islice(itertools.permutations(batches), 6):
        assert state(merged(*order)) == reference
    shuffled = list(batches)
    random.shuffle(shuffled)
    assert state(merged(*shuffled)) == reference


@given(batch)
def test_a_node_never_takes_its_own_state_from_others(b):
    own = make_batch([(OWNER, version_key(9, 9))])
    view = merged(b, own)
    assert not view.known[OWNER]


@given(batch)
def test_merged_view_holds_the_newest_key_of_every_node(b):
    view = merged(b)
    for n, k in zip(b.idx.tolist(), b.key.tolist(), strict=True):
        assert view.key[n] == k
