"""Node ids: the natural order that breaks ties in the leader rule."""

from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from emergent_lab.core.ids import (
    IdTable,
    all_valid_ids,
    natural_ranks,
    node_sort_key,
    validate_node_id,
)

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


@given(
    st.lists(
        st.one_of(
            st.from_regex(r"n[0-9]{1,20}", fullmatch=True),
            st.text(alphabet=ID_ALPHABET, min_size=1, max_size=12),
        ),
        max_size=30,
    )
)
def test_ranks_of_any_ids_are_their_places_in_the_natural_order(ids: list[str]) -> None:
    """Lists of one name and a number take the compiled path, others the key sort."""
    ranks = natural_ranks(ids)
    by_key = sorted(range(len(ids)), key=lambda i: (natural_key(ids[i]), i))
    assert [int(ranks[i]) for i in by_key] == list(range(len(ids)))


def test_default_ids_rank_by_their_number_and_leading_zeros_tie_in_list_order() -> None:
    assert natural_ranks(["n3", "n10", "n03", "n0", "n999999999999999999"]).tolist() == [
        1,
        3,
        2,
        0,
        4,
    ]


@given(st.lists(st.text(alphabet=ID_ALPHABET + "/é \n", max_size=70), max_size=8))
def test_the_bulk_check_agrees_with_the_check_of_one_id(ids: list[str]) -> None:
    def valid(node_id: str) -> bool:
        try:
            validate_node_id(node_id)
        except ValueError:
            return False
        return True

    assert all_valid_ids(ids) == all(valid(i) for i in ids)


def test_a_table_built_at_once_names_the_bad_id_and_keeps_the_first_of_duplicates() -> None:
    with pytest.raises(ValueError, match="invalid node id 'a/b'"):
        IdTable(["n1", "a/b"])
    table = IdTable(["n2", "n1", "n2"])
    assert table.ids == ["n2", "n1"] and table.index == {"n2": 0, "n1": 1}
    assert table.rank.tolist() == [1, 0] and table.rank_list == [1, 0]
