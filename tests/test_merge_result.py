"""A merge says which rows it took; with a journal it copies each, with what it replaced."""

import copy

import numpy as np
import pytest
from hypothesis import given, settings
from test_merge_properties import batch, fresh_view, make_batch

from emergent_lab.protocol.journal import MergeJournal
from emergent_lab.protocol.messages import version_key


def test_the_result_names_the_rows_taken_and_the_journal_what_they_replaced():
    view = fresh_view()
    view.journal = journal = MergeJournal()
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
    journal.keep(2)
    rows, scores = journal.rows(0, 2)
    beat, opinion = deltas.heartbeat.tolist(), deltas.opinion.tolist()
    # node, new key, heartbeat, opinion, previous key, previous heartbeat
    assert rows.tolist() == [
        [1, version_key(1, 7), beat[0], opinion[0], version_key(1, 5), 4],
        [4, version_key(2, 1), beat[3], opinion[3], 0, 0],
    ]
    assert scores.tolist() == deltas.score[[0, 3]].tolist()


def test_rows_not_kept_are_written_over_and_kept_rows_are_numbered_over_blocks():
    view = fresh_view()
    view.journal = journal = MergeJournal(block_rows=3)
    view.merge(make_batch([(1, version_key(1, 1)), (2, version_key(1, 1))]), now=1.0)
    assert journal.kept == 0  # not kept: the next merge writes over them
    view.merge(make_batch([(1, version_key(1, 2)), (2, version_key(1, 2))]), now=2.0)
    journal.keep(2)
    view.merge(make_batch([(1, version_key(1, 3)), (3, version_key(1, 1))]), now=3.0)
    journal.keep(2)  # two rows do not fit after the first two: a second block
    assert journal.kept == 4
    first, _ = journal.rows(0, 2)
    second, _ = journal.rows(2, 2)
    assert first[:, [0, 1, 4]].tolist() == [
        [1, version_key(1, 2), version_key(1, 1)],
        [2, version_key(1, 2), version_key(1, 1)],
    ]
    assert second[:, [0, 1, 4]].tolist() == [
        [1, version_key(1, 3), version_key(1, 2)],
        [3, version_key(1, 1), 0],
    ]
    with pytest.raises(IndexError, match=r"rows: 3\.\.5 not kept"):
        journal.rows(3, 2)


def test_a_copied_journal_shares_kept_rows_and_writes_its_own():
    view = fresh_view()
    view.journal = journal = MergeJournal(block_rows=4)
    view.merge(make_batch([(1, version_key(1, 1))]), now=1.0)
    journal.keep(1)
    twin_view = copy.deepcopy(view)
    twin = twin_view.journal
    assert twin is not journal and twin is not None
    view.merge(make_batch([(2, version_key(1, 1))]), now=2.0)
    journal.keep(1)
    twin_view.merge(make_batch([(3, version_key(1, 1))]), now=2.0)
    twin.keep(1)
    assert journal.rows(0, 2)[0][:, 0].tolist() == [1, 2]
    assert twin.rows(0, 2)[0][:, 0].tolist() == [1, 3]


@settings(max_examples=50, deadline=None)
@given(first=batch, second=batch)
def test_the_journal_holds_what_the_view_held_before_the_merge(first, second):
    view = fresh_view()
    view.merge(first, now=1.0)
    view.journal = journal = MergeJournal()
    key, heartbeat = view.key.copy(), view.heartbeat.copy()
    result = view.merge(second, now=2.0)
    taken = result.accepted.shape[0]
    journal.keep(taken)
    rows, scores = journal.rows(0, taken)
    at = result.rows
    assert np.array_equal(second.idx[at], result.accepted)
    assert np.array_equal(rows[:, 0], result.accepted)
    assert np.array_equal(rows[:, 1], second.key[at])
    assert np.array_equal(rows[:, 2], second.heartbeat[at])
    assert np.array_equal(rows[:, 3], second.opinion[at])
    assert np.array_equal(scores, second.score[at])
    assert np.array_equal(rows[:, 4], key[result.accepted])
    assert np.array_equal(rows[:, 5], heartbeat[result.accepted])
    assert np.all(rows[:, 1] > rows[:, 4])
