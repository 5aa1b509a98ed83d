"""The compiled exchange scans agree with the plain numpy formulas they replaced (hypothesis).

The oracle here is written independently of ``protocol/exchange.py``, as
the view computed it before: digest comparison by array comparisons and
``nonzero``, a batch by fancy indexing of the held rows, sizes by sums.
"""

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from emergent_lab.core.ids import IdTable
from emergent_lab.detector import DetectorParams
from emergent_lab.protocol.messages import (
    DIGEST_ENTRY_BYTES,
    HEADER_BYTES,
    GossipAck,
    GossipAck2,
    GossipSyn,
    StateBatch,
)
from emergent_lab.protocol.view import View

N = 9
OWNER = 2
IDS = IdTable([f"node-{'x' * i}{i}" for i in range(N)])  # ids of different lengths


def view_from(known, keys, heartbeats, suspected) -> View:
    """A view holding ``keys`` where ``known``; a key but not known is a tombstone."""
    view = View(OWNER, DetectorParams(), capacity=N)
    rows = np.arange(N)
    known = np.array(known) | (rows == OWNER)
    keys = np.where(known, np.maximum(keys, 1), keys)
    view.key[:] = keys
    view.heartbeat[:] = heartbeats
    view.score[:] = rows / 10
    view.opinion[:] = (rows + 1) % N
    view.status[:] = rows % 2
    view.state_bytes[:] = 30 + rows
    view.metrics[:] = [{"m": float(i)} for i in rows]
    view.known[:] = known
    view.suspected[:] = np.array(suspected) & known & (rows != OWNER)
    view._buried = int(np.count_nonzero(~known & (keys != 0)))
    view._suspecting = int(np.count_nonzero(view.suspected))
    view.invalidate()
    return view


keys = st.lists(st.integers(0, 6), min_size=N, max_size=N)
flags = st.lists(st.booleans(), min_size=N, max_size=N)
views = st.builds(view_from, flags, keys, keys, flags)


@settings(max_examples=60, deadline=None)
@given(views, st.lists(st.integers(0, 6), min_size=0, max_size=N))
def test_compare_is_the_numpy_comparison(view: View, theirs_list: list[int]) -> None:
    theirs = np.array(theirs_list, dtype=np.int64)
    padded = np.concatenate([theirs, np.zeros(N - theirs.size, dtype=np.int64)])
    offered = np.where(view.known & ~view.suspected, view.key, 0)
    expected_here = (offered > padded).nonzero()[0]
    expected_there = (padded > view.key).nonzero()[0]
    expected_there = expected_there[expected_there != OWNER]

    here, there = view.compare(theirs)

    assert here.tolist() == expected_here.tolist()
    assert there.tolist() == expected_there.tolist()


@settings(max_examples=60, deadline=None)
@given(views, st.lists(st.integers(0, N - 1), min_size=0, max_size=N, unique=True))
def test_batch_holds_the_held_rows_in_order(view: View, asked: list[int]) -> None:
    idx = np.array(asked, dtype=np.int64)
    held = idx[view.known[idx]]

    batch = view.batch(idx)

    assert batch.idx.tolist() == held.tolist()
    assert batch.key.tolist() == view.key[held].tolist()
    assert batch.heartbeat.tolist() == view.heartbeat[held].tolist()
    assert batch.score.tolist() == view.score[held].tolist()
    assert batch.opinion.tolist() == view.opinion[held].tolist()
    assert batch.status.tolist() == view.status[held].tolist()
    assert batch.state_bytes.tolist() == view.state_bytes[held].tolist()
    assert list(batch.metrics) == [view.metrics[i] for i in held]


@settings(max_examples=60, deadline=None)
@given(views, st.lists(st.integers(0, N - 1), min_size=0, max_size=N, unique=True))
def test_sizes_are_the_sums_of_their_parts(view: View, asked: list[int]) -> None:
    request = np.array(asked, dtype=np.int64)
    batch: StateBatch = view.batch(np.arange(N))
    digest = view.digest()
    id_bytes = [len(i.encode()) for i in IDS.ids]
    states = sum(int(b) for b in batch.state_bytes)

    held = [i for i in range(N) if digest[i] != 0]
    syn = HEADER_BYTES + sum(id_bytes[i] + DIGEST_ENTRY_BYTES for i in held)
    ack = HEADER_BYTES + states + sum(id_bytes[i] + DIGEST_ENTRY_BYTES for i in asked)

    assert GossipSyn(0, digest).wire_bytes(IDS) == syn
    assert GossipAck(0, batch, request).wire_bytes(IDS) == ack
    assert GossipAck2(0, batch).wire_bytes(IDS) == HEADER_BYTES + states
