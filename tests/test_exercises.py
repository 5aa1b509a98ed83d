"""The learners' answer checker: right, wrong, tolerance, not yet answered, bad input named."""

import pytest

from emergent_lab.analysis.exercises import NOT_YET, RIGHT, check, is_right


def test_a_right_number_says_right(capsys):
    assert check(6.3, 6.3, hint="read the table") is True
    assert capsys.readouterr().out.strip() == RIGHT


def test_a_wrong_number_says_not_yet_and_gives_the_hint(capsys):
    assert check(7.0, 6.3, hint="read the table") is False
    out = capsys.readouterr().out
    assert out.startswith(NOT_YET) and "7.0" in out and "read the table" in out


def test_tolerance_is_absolute_and_inclusive():
    assert is_right(6.25, 6.3, tolerance=0.05)
    assert not is_right(6.24, 6.3, tolerance=0.05)
    assert not is_right(6.31, 6.3)


def test_an_unanswered_exercise_prints_the_hint(capsys):
    assert check(None, "n13", hint="look at leader_after") is False
    out = capsys.readouterr().out
    assert "replace None" in out and "look at leader_after" in out


def test_text_answers_compare_exactly_after_stripping_spaces():
    assert is_right(" n13 ", "n13")
    assert not is_right("N13", "n13")


@pytest.mark.parametrize(
    ("answer", "expected", "named"),
    [("6.3", 6.3, "'6.3'"), (True, 1, "True"), (13, "n13", "13")],
)
def test_an_answer_of_the_wrong_kind_is_an_error_naming_it(answer, expected, named):
    with pytest.raises(TypeError, match=named):
        is_right(answer, expected)


@pytest.mark.parametrize("tolerance", [-0.1, float("nan"), float("inf")])
def test_a_bad_tolerance_is_an_error_naming_it(tolerance):
    with pytest.raises(ValueError, match="tolerance"):
        is_right(1.0, 1.0, tolerance=tolerance)


def test_an_expected_value_of_no_known_kind_is_an_error():
    with pytest.raises(TypeError, match="expected"):
        is_right("a", ["a"])  # type: ignore[arg-type]
