from emergent_lab.analysis import format_table


def test_columns_follow_the_first_row_and_align_right():
    text = format_table([{"node": "n1", "score": 0.5}, {"node": "n10", "score": 0.25}])
    assert text.splitlines() == [
        "node  score",
        "----  -----",
        "  n1   0.50",
        " n10   0.25",
    ]


def test_digits_none_bools_and_missing_cells():
    text = format_table([{"a": 1.23456, "b": None, "c": True}, {"a": 2.0}], digits=3)
    lines = text.splitlines()
    assert lines[2].split() == ["1.235", "-", "yes"]
    assert lines[3].split() == ["2.000", "-", "-"]


def test_chosen_columns_and_no_rows():
    assert format_table([{"a": 1, "b": 2}], columns=["b"]).splitlines()[2].strip() == "2"
    assert format_table([]) == "(no rows)"
