"""Node ids: the natural order that breaks ties in the leader rule."""

from __future__ import annotations

import re

from hypothesis import given
from hypothesis import strategies as st

from emergent_lab.core.ids import IdTable, node_sort_key

ID_ALPHABET = "abcz_.-0123456789"


def natural_key(node_id: str) -> tuple[tuple[int, int | str], ...]:
    """The order written out from its definition: runs of digits compare as numbers."""
    runs = re.findall(r"\d+|\D+", node_id)
    return tuple((0, int(run)) if run.isdigit() else (1, run) for run in runs)


def test_numbers_inside_ids_sort_as_numbers() -> None:
    ids = ["n10", "n2", "n1", "edge-10", "edge-9", "7", "10", "a1b10", "a1b9"]
    assert sorted(ids, key=node_sort_key) == [
        "7",
        "10",
        "a1b9",
        "a1b10",
        "edge-9",
        "edge-10",
        "n1",
        "n2",
        "n10",
    ]


@given(st.text(alphabet=ID_ALPHABET, min_size=1, max_size=12))
def test_the_fast_path_for_name_number_ids_keeps_the_natural_order(node_id: str) -> None:
    assert node_sort_key(node_id) == natural_key(node_id)


def test_ranks_follow_the_natural_order_not_the_order_of_arrival() -> None:
    table = IdTable(["n10", "n9", "n100", "n1"])
    assert [table.ids[i] for i in table.rank.argsort()] == ["n1", "n9", "n10", "n100"]
