"""A merge says which rows it took and what the view held for them before (for causal records)."""

import numpy as np
from hypothesis import given, settings
from test_merge_properties import batch, fresh_view, make_batch

from emergent_lab.protocol.messages import version_key


def test_the_result_names_the_rows_taken_and_what_they_replaced():
    view = fresh_view()
    view.key[1], view.heartbeat[1], view.known[1] = version_key(1, 5), 4, True
    view.key[2], view.heartbeat[2], view.known[2] = version_key(1, 9), 8, True
    deltas = make_batch(
        [
            (1, version_key(1, 7)),  # newer: taken
            (2, version_key(1, 3)),  # older: refused
            (0, version_key(1, 50)),  # the owner's own state: never taken from others
            (4, version_key(2, 1)),  # a peer never heard of: taken over nothing
        ]
    )
    result = view.merge(deltas, now=1.0)
    assert result.rows.tolist() == [0, 3]
    assert result.accepted.tolist() == [1, 4]
    assert result.previous_key.tolist() == [version_key(1, 5), 0]
    assert result.previous_heartbeat.tolist() == [4, 0]


@settings(max_examples=50, deadline=None)
@given(first=batch, second=batch)
def test_previous_is_what_the_view_held_before_the_merge(first, second):
    view = fresh_view()
    view.merge(first, now=1.0)
    key, heartbeat = view.key.copy(), view.heartbeat.copy()
    result = view.merge(second, now=2.0)
    assert np.array_equal(second.idx[result.rows], result.accepted)
    assert np.array_equal(result.previous_key, key[result.accepted])
    assert np.array_equal(result.previous_heartbeat, heartbeat[result.accepted])
    assert np.all(second.key[result.rows] > result.previous_key)
