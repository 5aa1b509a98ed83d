from __future__ import annotations

import copy
import json
import math
import pickle
from collections.abc import Mapping
from typing import Any

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import emergent_lab.score.presets as score_presets
from emergent_lab.score import PRESETS, MetricSpec, ScoreFunction

# --- normalisation and direction ---------------------------------------------------------


def test_normalise_maps_range_linearly_and_clips() -> None:
    uptime = MetricSpec("uptime", 0.0, 720.0)
    assert uptime.normalise(360.0) == 0.5
    assert uptime.normalise(180.0) == 0.25
    assert uptime.normalise(900.0) == 1.0
    assert uptime.normalise(-5.0) == 0.0
    assert uptime.normalise(math.inf) == 1.0


def test_normalise_flips_when_lower_is_better() -> None:
    rtt = MetricSpec("rtt", 0.0, 0.5, higher_is_better=False)
    assert rtt.normalise(0.0) == 1.0
    assert rtt.normalise(0.1) == pytest.approx(0.8)  # 1 - 0.1 / 0.5
    assert rtt.normalise(0.5) == 0.0
    assert rtt.normalise(0.6) == 0.0
    assert rtt.normalise(-1.0) == 1.0


@pytest.mark.parametrize("higher_is_better", [True, False])
def test_missing_or_nan_normalises_to_worst_in_both_directions(higher_is_better: bool) -> None:
    spec = MetricSpec("load", higher_is_better=higher_is_better)
    assert spec.normalise(None) == 0.0
    assert spec.normalise(math.nan) == 0.0


def test_metric_spec_coerces_ints_to_floats() -> None:
    spec = MetricSpec("cpu", 0, 100)
    assert isinstance(spec.low, float) and isinstance(spec.high, float)
    assert spec == MetricSpec("cpu", 0.0, 100.0)


# --- weighted scores, presets by hand ----------------------------------------------------


def test_capacity_preset_by_hand() -> None:
    capacity = ScoreFunction.preset("capacity")
    # 0.5 * 0.8 + 0.3 * 0.5 + 0.2 * (360 / 720)
    assert capacity.score({"cpu_free": 0.8, "mem_free": 0.5, "uptime": 360.0}) == pytest.approx(
        0.65
    )


def test_battery_aware_preset_by_hand() -> None:
    battery = ScoreFunction.preset("battery-aware")
    # 0.6 * 0.5 + 0.3 * 1.0 + 0.1 * (1 - 0.2)
    assert battery.score({"battery": 0.5, "link_quality": 1.0, "load": 0.2}) == pytest.approx(0.68)


def test_latency_aware_preset_by_hand() -> None:
    latency = ScoreFunction.preset("latency-aware")
    # 0.7 * (1 - 0.1 / 0.5) + 0.3 * 0.5
    assert latency.score({"rtt": 0.1, "capacity": 0.5}) == pytest.approx(0.71)


def test_cpu_preset_by_hand() -> None:
    cpu = ScoreFunction.preset("cpu")
    assert cpu.score({"cpu": 25.0}) == pytest.approx(0.75)
    assert cpu.score({"cpu": 0.0}) == 1.0
    assert cpu.score({"cpu": 100.0}) == 0.0


def test_score_divides_by_the_weight_sum() -> None:
    doubled = ScoreFunction({"a": 2.0, "b": 2.0})
    single = ScoreFunction({"a": 1.0, "b": 1.0})
    node = {"a": 0.2, "b": 0.6}
    assert doubled.score(node) == pytest.approx(0.4)
    assert single.score(node) == pytest.approx(0.4)


def test_unweighted_reported_metrics_are_ignored() -> None:
    cpu = ScoreFunction.preset("cpu")
    assert cpu.score({"cpu": 25.0, "battery": 1.0}) == cpu.score({"cpu": 25.0})


def test_zero_weight_metric_does_not_count() -> None:
    function = ScoreFunction({"a": 1.0, "b": 0.0})
    assert function.score({"a": 0.3, "b": 1.0}) == pytest.approx(0.3)


def test_ranking_follows_the_weights() -> None:
    node_a = {"cpu_free": 0.9, "mem_free": 0.1}
    node_b = {"cpu_free": 0.1, "mem_free": 0.9}
    cpu_heavy = ScoreFunction({"cpu_free": 0.8, "mem_free": 0.2})
    memory_heavy = cpu_heavy.with_weights({"cpu_free": 0.2, "mem_free": 0.8})
    # A: 0.8 * 0.9 + 0.2 * 0.1 = 0.74; B: 0.8 * 0.1 + 0.2 * 0.9 = 0.26
    assert cpu_heavy.score(node_a) == pytest.approx(0.74)
    assert cpu_heavy.score(node_b) == pytest.approx(0.26)
    # Swapped weights swap the scores, and so the winner.
    assert memory_heavy.score(node_a) == pytest.approx(0.26)
    assert memory_heavy.score(node_b) == pytest.approx(0.74)


def test_missing_metric_counts_as_worst() -> None:
    capacity = ScoreFunction.preset("capacity")
    # uptime missing: 0.5 * 1 + 0.3 * 1 + 0.2 * 0
    assert capacity.score({"cpu_free": 1.0, "mem_free": 1.0}) == pytest.approx(0.8)
    cpu = ScoreFunction.preset("cpu")
    # Lower is better, but a silent node must still lose: missing is 0, not 1.
    assert cpu.score({}) == 0.0
    assert cpu.score({"cpu": math.nan}) == 0.0
    assert cpu.score({"cpu": 99.0}) > cpu.score({})


def test_numpy_scalar_metrics_are_accepted() -> None:
    cpu = ScoreFunction.preset("cpu")
    assert cpu.score({"cpu": np.float32(25.0)}) == 0.75
    assert cpu.score({"cpu": np.int64(50)}) == 0.5


def test_non_numeric_metric_value_is_rejected_with_its_name() -> None:
    with pytest.raises(ValueError, match=r"metrics\.cpu: must be a number \(got '25'\)"):
        ScoreFunction.preset("cpu").score({"cpu": "25"})  # type: ignore[dict-item]


def test_metrics_may_be_given_as_a_mapping() -> None:
    specs = {"cpu": MetricSpec("cpu", 0.0, 100.0, higher_is_better=False)}
    by_mapping = ScoreFunction({"cpu": 1.0}, metrics=specs)
    by_list = ScoreFunction({"cpu": 1.0}, metrics=list(specs.values()))
    assert by_mapping == by_list
    assert by_mapping.score({"cpu": 40.0}) == pytest.approx(0.6)


def test_declared_metric_without_weight_is_listed_but_not_scored() -> None:
    function = ScoreFunction({"cpu": 1.0}, metrics=[MetricSpec("cpu"), MetricSpec("memory")])
    assert function.metric_names == ("cpu", "memory")
    assert dict(function.weights) == {"cpu": 1.0}
    assert function.score({"cpu": 0.5, "memory": 1.0}) == 0.5


def test_accessors() -> None:
    capacity = ScoreFunction.preset("capacity")
    assert capacity.name == "capacity"
    assert capacity.metric_names == ("cpu_free", "mem_free", "uptime")
    assert dict(capacity.weights) == {"cpu_free": 0.5, "mem_free": 0.3, "uptime": 0.2}
    assert dict(capacity.normalised_weights) == pytest.approx(
        {"cpu_free": 0.5, "mem_free": 0.3, "uptime": 0.2}
    )
    assert capacity.metrics["uptime"] == MetricSpec("uptime", 0.0, 720.0)
    unnormalised = ScoreFunction({"a": 3.0, "b": 1.0})
    assert dict(unnormalised.normalised_weights) == {"a": 0.75, "b": 0.25}


def test_weights_and_object_are_read_only() -> None:
    capacity = ScoreFunction.preset("capacity")
    with pytest.raises(TypeError):
        capacity.weights["cpu_free"] = 1.0  # type: ignore[index]
    with pytest.raises(TypeError):
        capacity.metrics["cpu_free"] = MetricSpec("cpu_free")  # type: ignore[index]
    with pytest.raises(AttributeError, match="immutable"):
        capacity._name = "other"
    with pytest.raises(AttributeError, match="immutable"):
        del capacity._weights


def test_later_changes_to_the_input_mapping_do_not_leak_in() -> None:
    weights = {"a": 1.0}
    function = ScoreFunction(weights)
    weights["a"] = 0.0
    assert dict(function.weights) == {"a": 1.0}


# --- custom functions and lowest-id ------------------------------------------------------


def test_custom_function_result_is_clipped() -> None:
    assert ScoreFunction({}, custom=lambda m: 3.0).score({}) == 1.0
    assert ScoreFunction({}, custom=lambda m: -2.0).score({}) == 0.0
    assert ScoreFunction({}, custom=lambda m: m["x"] / 2).score({"x": 0.5}) == 0.25


def my_broken_score(metrics: Mapping[str, float]) -> float:
    return math.nan


@pytest.mark.parametrize("result", [math.nan, math.inf, -math.inf, "0.5", None])
def test_custom_function_non_finite_result_names_the_function(result: object) -> None:
    function = ScoreFunction({}, custom=lambda m: result, name="experiment")  # type: ignore[arg-type,return-value]
    with pytest.raises(ValueError, match=r"'experiment'.*must return a finite number"):
        function.score({})
    named = ScoreFunction({}, custom=my_broken_score)
    with pytest.raises(
        ValueError, match=r"my_broken_score.*must return a finite number \(got nan\)"
    ):
        named.score({})


def test_lowest_id_gives_every_node_the_same_score() -> None:
    lowest_id = ScoreFunction.preset("lowest-id")
    nodes = [{}, {"cpu": 99.0}, {"battery": 0.0, "load": 1.0}, {"cpu_free": 1.0}]
    scores = {lowest_id.score(node) for node in nodes}
    assert scores == {0.5}
    array = lowest_id.score_array({"cpu": np.array([1.0, 50.0, np.nan])})
    assert array.tolist() == [0.5, 0.5, 0.5]
    assert lowest_id.score_array({}, n=4).tolist() == [0.5] * 4
    assert lowest_id.weights == {}
    assert lowest_id.normalised_weights == {}


def test_lowest_id_documents_the_akka_rule() -> None:
    assert "Akka" in PRESETS["lowest-id"]
    assert "Akka" in (score_presets.__doc__ or "")


# --- validation --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("weight", "shown"),
    [
        (math.nan, "nan"),
        (math.inf, "inf"),
        (-math.inf, "-inf"),
        (-1.0, "-1.0"),
        (-1, "-1"),
        ("0.5", "'0.5'"),
        (None, "None"),
        (True, "True"),
        (np.float64(np.nan), "nan"),
    ],
)
def test_bad_weight_names_the_weight_and_the_range(weight: object, shown: str) -> None:
    with pytest.raises(ValueError) as error:
        ScoreFunction({"memory": 0.5, "cpu": weight})  # type: ignore[dict-item]
    assert str(error.value) == f"weights.cpu: must be a finite number >= 0 (got {shown})"


def test_all_zero_weights_are_rejected() -> None:
    with pytest.raises(ValueError, match=r"^weights: at least one weight must be > 0"):
        ScoreFunction({"cpu": 0.0, "memory": 0})


def test_weights_whose_sum_overflows_are_rejected() -> None:
    with pytest.raises(ValueError, match=r"^weights: the sum of the weights must be finite"):
        ScoreFunction({"cpu": 1e308, "memory": 1e308})


def test_no_weights_and_no_custom_is_rejected() -> None:
    with pytest.raises(ValueError, match=r"^weights: at least one weight must be > 0.*custom="):
        ScoreFunction({})


def test_weight_for_undeclared_metric_lists_the_declared_ones() -> None:
    with pytest.raises(ValueError) as error:
        ScoreFunction({"cpu": 1.0, "foo": 1.0}, metrics=[MetricSpec("cpu"), MetricSpec("memory")])
    assert str(error.value) == "weights.foo: unknown metric (expected one of: cpu, memory)"


def test_weight_with_a_non_identifier_name_is_rejected() -> None:
    with pytest.raises(ValueError, match=r"^weights\.cpu-free: .*identifier-like"):
        ScoreFunction({"cpu-free": 1.0})


def test_weights_must_be_a_mapping() -> None:
    with pytest.raises(ValueError, match=r"^weights: must be a mapping"):
        ScoreFunction([("cpu", 1.0)])  # type: ignore[arg-type]


def test_custom_with_weights_is_rejected() -> None:
    with pytest.raises(ValueError, match=r"^weights: must be empty with a custom .*\(got cpu\)"):
        ScoreFunction({"cpu": 1.0}, custom=lambda m: 0.5)


def test_custom_must_be_callable() -> None:
    with pytest.raises(ValueError, match=r"^custom: must be callable \(got 0.5\)"):
        ScoreFunction({}, custom=0.5)  # type: ignore[arg-type]


def test_name_must_be_a_non_empty_string() -> None:
    with pytest.raises(ValueError, match=r"^name: must be a non-empty string \(got ''\)"):
        ScoreFunction({"cpu": 1.0}, name="")


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"name": "1cpu"}, r"^metrics\.name: must be an identifier-like string .*\(got '1cpu'\)"),
        ({"name": ""}, r"^metrics\.name: must be an identifier-like"),
        ({"name": 3}, r"^metrics\.name: must be an identifier-like .*\(got 3\)"),
        (
            {"name": "cpu", "low": math.nan},
            r"^metrics\.cpu\.low: must be a finite number \(got nan\)",
        ),
        (
            {"name": "cpu", "high": math.inf},
            r"^metrics\.cpu\.high: must be a finite number \(got inf\)",
        ),
        ({"name": "cpu", "low": "0"}, r"^metrics\.cpu\.low: must be a finite number \(got '0'\)"),
        (
            {"name": "cpu", "low": 1.0, "high": 1.0},
            r"^metrics\.cpu\.high: must be > low \(got high=1.0, low=1.0\)",
        ),
        ({"name": "cpu", "low": 2.0, "high": 1.0}, r"^metrics\.cpu\.high: must be > low"),
        (
            {"name": "cpu", "higher_is_better": "yes"},
            r"^metrics\.cpu\.higher_is_better: must be True or False \(got 'yes'\)",
        ),
    ],
)
def test_metric_spec_validation_names_the_field(kwargs: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        MetricSpec(**kwargs)


def test_duplicate_metric_specs_are_rejected() -> None:
    with pytest.raises(ValueError, match=r"^metrics\.cpu: declared twice"):
        ScoreFunction({"cpu": 1.0}, metrics=[MetricSpec("cpu"), MetricSpec("cpu", high=2.0)])


def test_metric_mapping_key_must_match_the_spec_name() -> None:
    with pytest.raises(ValueError, match=r"^metrics\.cpu: key does not match .*'memory'"):
        ScoreFunction({"cpu": 1.0}, metrics={"cpu": MetricSpec("memory")})


def test_metrics_must_be_metric_specs() -> None:
    with pytest.raises(ValueError, match=r"^metrics: must contain MetricSpec objects"):
        ScoreFunction({"cpu": 1.0}, metrics=["cpu"])  # type: ignore[list-item]


def test_unknown_preset_lists_the_presets() -> None:
    with pytest.raises(ValueError) as error:
        ScoreFunction.preset("fastest")
    message = str(error.value)
    assert message.startswith("preset: unknown preset 'fastest' (expected one of: ")
    for name in PRESETS:
        assert name in message


# --- with_weights ------------------------------------------------------------------------


def test_with_weights_is_a_partial_update_and_leaves_the_original_alone() -> None:
    capacity = ScoreFunction.preset("capacity")
    reweighted = capacity.with_weights({"uptime": 0.5})
    assert dict(reweighted.weights) == {"cpu_free": 0.5, "mem_free": 0.3, "uptime": 0.5}
    assert reweighted.normalised_weights["uptime"] == pytest.approx(0.5 / 1.3)
    assert reweighted.metrics == capacity.metrics
    assert reweighted.name == "capacity"
    assert dict(capacity.weights) == {"cpu_free": 0.5, "mem_free": 0.3, "uptime": 0.2}
    assert reweighted != capacity


def test_with_weights_bad_update_raises_and_changes_nothing() -> None:
    capacity = ScoreFunction.preset("capacity")
    node = {"cpu_free": 0.8, "mem_free": 0.5, "uptime": 360.0}
    before = capacity.score(node)
    with pytest.raises(ValueError, match=r"^weights\.uptime: must be a finite number >= 0"):
        capacity.with_weights({"cpu_free": 1.0, "uptime": math.nan})
    with pytest.raises(ValueError, match=r"^weights\.disk: unknown metric \(expected one of: "):
        capacity.with_weights({"cpu_free": 1.0, "disk": 1.0})
    with pytest.raises(ValueError, match=r"^weights: at least one weight must be > 0"):
        capacity.with_weights({"cpu_free": 0.0, "mem_free": 0.0, "uptime": 0.0})
    assert dict(capacity.weights) == {"cpu_free": 0.5, "mem_free": 0.3, "uptime": 0.2}
    assert capacity.score(node) == before
    assert capacity == ScoreFunction.preset("capacity")


def test_with_weights_on_custom_function_is_rejected() -> None:
    with pytest.raises(ValueError, match=r"^weights: .*'lowest-id' is custom and has no weights"):
        ScoreFunction.preset("lowest-id").with_weights({"cpu": 1.0})


# --- score_array -------------------------------------------------------------------------


def test_score_array_by_hand() -> None:
    capacity = ScoreFunction.preset("capacity")
    scores = capacity.score_array(
        {
            "cpu_free": np.array([0.8, np.nan, 1.0]),
            "mem_free": np.array([0.5, 2.0, 1.0]),
            "uptime": np.array([360.0, 1e309, -1.0]),
        }
    )
    # row 1: cpu_free missing (0), mem_free clipped (1), uptime inf clipped (1): 0.3 + 0.2
    assert scores.dtype == np.float64
    assert scores.tolist() == pytest.approx([0.65, 0.5, 0.8])


def test_score_array_missing_column_is_worst() -> None:
    capacity = ScoreFunction.preset("capacity")
    scores = capacity.score_array({"cpu_free": np.ones(3), "mem_free": np.ones(3)})
    assert scores.tolist() == pytest.approx([0.8, 0.8, 0.8])


def test_score_array_accepts_int_and_bool_columns() -> None:
    cpu = ScoreFunction.preset("cpu")
    assert cpu.score_array({"cpu": np.array([0, 50, 100])}).tolist() == [1.0, 0.5, 0.0]
    flag = ScoreFunction({"on_mains": 1.0})
    assert flag.score_array({"on_mains": np.array([True, False])}).tolist() == [1.0, 0.0]


def test_score_array_custom_function_is_applied_row_by_row() -> None:
    function = ScoreFunction({}, custom=lambda m: m.get("x", 0.0) * 2)
    assert function.score_array({"x": np.array([0.1, 0.3, 0.9])}).tolist() == pytest.approx(
        [0.2, 0.6, 1.0]
    )


def test_score_array_float32_column_matches_score() -> None:
    cpu = ScoreFunction.preset("cpu")
    values = np.array([0.1, 33.3, 77.7], dtype=np.float32)
    array = cpu.score_array({"cpu": values})
    assert array.tolist() == [cpu.score({"cpu": value}) for value in values]


@pytest.mark.parametrize(
    ("columns", "message"),
    [
        ({"cpu": np.zeros(3), "mem": np.zeros(2)}, r"^columns\.mem: must have length 3 \(got 2\)"),
        ({"cpu": np.zeros((2, 2))}, r"^columns\.cpu: must be 1-D \(got shape \(2, 2\)\)"),
        ({"cpu": np.array(["a", "b"])}, r"^columns\.cpu: must be a numeric array"),
        ({}, r"^n: required when columns is empty"),
    ],
)
def test_score_array_rejects_malformed_columns(columns: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        ScoreFunction.preset("cpu").score_array(columns)


def test_score_array_checks_columns_against_n() -> None:
    with pytest.raises(ValueError, match=r"^columns\.cpu: must have length 5 \(got 3\)"):
        ScoreFunction.preset("cpu").score_array({"cpu": np.zeros(3)}, n=5)
    assert ScoreFunction.preset("cpu").score_array({}, n=2).tolist() == [0.0, 0.0]


# --- property tests ----------------------------------------------------------------------

_raw_values = st.one_of(
    st.none(),
    st.floats(allow_nan=True, allow_infinity=True),
    st.floats(min_value=-10.0, max_value=10.0),
)


@st.composite
def _weighted_functions(draw: st.DrawFn) -> ScoreFunction:
    count = draw(st.integers(min_value=1, max_value=4))
    specs = []
    for index in range(count):
        low = draw(st.floats(min_value=-1e6, max_value=1e6))
        span = draw(st.floats(min_value=1e-3, max_value=1e6))
        specs.append(MetricSpec(f"m{index}", low, low + span, draw(st.booleans())))
    weights = {spec.name: draw(st.floats(min_value=0.0, max_value=1e3)) for spec in specs}
    weights["m0"] = draw(st.floats(min_value=1e-3, max_value=1e3))
    return ScoreFunction(weights, metrics=specs)


_any_functions = st.one_of(
    _weighted_functions(), st.sampled_from([ScoreFunction.preset(name) for name in PRESETS])
)


@given(
    function=_any_functions,
    rows=st.lists(
        st.dictionaries(
            st.sampled_from(["m0", "m1", "m2", "m3", "cpu", "cpu_free", "battery", "rtt"]),
            _raw_values,
        ),
        min_size=1,
        max_size=12,
    ),
)
def test_score_array_equals_score_row_by_row(
    function: ScoreFunction, rows: list[dict[str, float | None]]
) -> None:
    names = {name for row in rows for name in row}
    columns = {
        name: np.array([math.nan if row.get(name) is None else row[name] for row in rows])
        for name in names
    }
    dict_rows = [{k: v for k, v in row.items() if v is not None} for row in rows]
    expected = [function.score(row) for row in dict_rows]
    assert function.score_array(columns, n=len(rows)).tolist() == expected


@given(
    function=_any_functions,
    row=st.dictionaries(
        st.sampled_from(["m0", "m1", "m2", "m3", "cpu", "mem_free", "load", "capacity"]),
        st.floats(allow_nan=True, allow_infinity=True),
    ),
)
def test_scores_are_always_in_the_unit_interval(
    function: ScoreFunction, row: dict[str, float]
) -> None:
    assert 0.0 <= function.score(row) <= 1.0


@given(function=_weighted_functions(), value=st.floats(allow_nan=True, allow_infinity=True))
def test_a_silent_node_never_beats_a_reporting_one(function: ScoreFunction, value: float) -> None:
    assert function.score({}) == 0.0
    assert function.score({"m0": value}) >= function.score({})


# --- serialisation, equality, repr -------------------------------------------------------


@pytest.mark.parametrize("name", list(PRESETS))
def test_every_preset_round_trips_through_json(name: str) -> None:
    preset = ScoreFunction.preset(name)
    data = json.loads(json.dumps(preset.to_dict()))
    assert data["preset"] == name
    assert ScoreFunction.from_dict(data) == preset


def test_presets_serialise_by_name_plus_weights() -> None:
    assert ScoreFunction.preset("latency-aware").to_dict() == {
        "preset": "latency-aware",
        "weights": {"rtt": 0.7, "capacity": 0.3},
    }
    assert ScoreFunction.preset("lowest-id").to_dict() == {"preset": "lowest-id"}


def test_reweighted_preset_round_trips() -> None:
    reweighted = ScoreFunction.preset("battery-aware").with_weights({"load": 0.9})
    data = reweighted.to_dict()
    assert data == {
        "preset": "battery-aware",
        "weights": {"battery": 0.6, "link_quality": 0.3, "load": 0.9},
    }
    assert ScoreFunction.from_dict(data) == reweighted


def test_preset_from_dict_accepts_a_partial_weight_update() -> None:
    function = ScoreFunction.from_dict({"preset": "capacity", "weights": {"uptime": 0.0}})
    assert dict(function.weights) == {"cpu_free": 0.5, "mem_free": 0.3, "uptime": 0.0}


def test_weighted_function_round_trips_with_its_metrics() -> None:
    function = ScoreFunction(
        {"temp": 1.0, "rssi": 3.0},
        metrics=[MetricSpec("temp", -20.0, 80.0, False), MetricSpec("rssi", -100.0, -30.0)],
        name="greenhouse",
    )
    data = json.loads(json.dumps(function.to_dict()))
    assert data == {
        "name": "greenhouse",
        "weights": {"temp": 1.0, "rssi": 3.0},
        "metrics": {
            "temp": {"low": -20.0, "high": 80.0, "higher_is_better": False},
            "rssi": {"low": -100.0, "high": -30.0, "higher_is_better": True},
        },
    }
    assert ScoreFunction.from_dict(data) == function


def test_from_dict_fills_metric_defaults() -> None:
    function = ScoreFunction.from_dict({"weights": {"cpu": 1}, "metrics": {"cpu": {"high": 100}}})
    assert function == ScoreFunction({"cpu": 1.0}, metrics=[MetricSpec("cpu", 0.0, 100.0)])
    assert ScoreFunction.from_dict({"weights": {"a": 1.0}}) == ScoreFunction({"a": 1.0})


def test_custom_function_cannot_be_serialised() -> None:
    function = ScoreFunction({}, custom=lambda m: 0.5, name="experiment")
    with pytest.raises(ValueError, match=r"'experiment'.*cannot be serialised") as error:
        function.to_dict()
    assert "lowest-id" in str(error.value)


def test_custom_function_named_like_a_preset_is_not_mistaken_for_it() -> None:
    impostor = ScoreFunction({}, custom=lambda m: 0.9, name="lowest-id")
    assert impostor != ScoreFunction.preset("lowest-id")
    with pytest.raises(ValueError, match="cannot be serialised"):
        impostor.to_dict()


def test_function_named_like_a_preset_with_other_metrics_keeps_its_metrics() -> None:
    function = ScoreFunction({"cpu": 1.0}, name="cpu")  # [0, 1], higher better: not the preset
    data = function.to_dict()
    assert "preset" not in data
    assert ScoreFunction.from_dict(data) == function


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (
            {"weights": {"a": 1.0}, "weight": 1},
            r"^score\.weight: unknown key \(expected one of: metrics, name, preset, weights\)",
        ),
        ({"metrics": {}}, r"^score\.weights: required"),
        ({"weights": {"a": math.nan}}, r"^score\.weights\.a: must be a finite number >= 0"),
        ({"weights": {"a": 0.0}}, r"^score\.weights: at least one weight must be > 0"),
        (
            {"weights": {"b": 1.0}, "metrics": {"a": {}}},
            r"^score\.weights\.b: unknown metric \(expected one of: a\)",
        ),
        (
            {"weights": {"a": 1.0}, "metrics": {"a": {"min": 0}}},
            r"^score\.metrics\.a\.min: unknown key \(expected one of: high, higher_is_better, low",
        ),
        (
            {"weights": {"a": 1.0}, "metrics": {"a": {"low": 1.0}}},
            r"^score\.metrics\.a\.high: must be > low",
        ),
        ({"weights": {"a": 1.0}, "metrics": {"a": 1.0}}, r"^score\.metrics\.a: must be a mapping"),
        ({"weights": {"a": 1.0}, "metrics": ["a"]}, r"^score\.metrics: must be a mapping"),
        ({"weights": {"a": 1.0}, "name": ""}, r"^score\.name: must be a non-empty string"),
        ({"preset": "fastest"}, r"^score\.preset: unknown preset 'fastest' \(expected one of: "),
        (
            {"preset": "cpu", "weights": {"cpu": -1}},
            r"^score\.weights\.cpu: must be a finite number >= 0 \(got -1\)",
        ),
        (
            {"preset": "cpu", "weights": {"gpu": 1}},
            r"^score\.weights\.gpu: unknown metric \(expected one of: cpu\)",
        ),
        ({"preset": "cpu", "metrics": {}}, r"^score\.metrics: cannot be combined with preset"),
        ({"preset": "cpu", "name": "x"}, r"^score\.name: cannot be combined with preset"),
        ({"preset": "lowest-id", "weights": {"cpu": 1}}, r"^score\.weights: .*no weights"),
    ],
)
def test_from_dict_errors_name_the_field(data: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        ScoreFunction.from_dict(data)


def test_from_dict_rejects_a_non_mapping() -> None:
    with pytest.raises(ValueError, match=r"^score: must be a mapping"):
        ScoreFunction.from_dict(["capacity"])  # type: ignore[arg-type]


def test_equality_and_hash() -> None:
    assert ScoreFunction.preset("capacity") == ScoreFunction.preset("capacity")
    assert hash(ScoreFunction.preset("capacity")) == hash(ScoreFunction.preset("capacity"))
    assert ScoreFunction({"a": 1.0, "b": 2.0}) == ScoreFunction({"b": 2.0, "a": 1})
    assert ScoreFunction({"a": 1.0}) != ScoreFunction({"a": 2.0})
    assert ScoreFunction({"a": 1.0}) != ScoreFunction({"a": 1.0}, name="other")
    assert ScoreFunction({"a": 1.0}) != ScoreFunction({"a": 1.0}, metrics=[MetricSpec("a", 0, 2)])
    assert ScoreFunction.preset("capacity") != "capacity"
    assert len({ScoreFunction.preset(name) for name in PRESETS}) == len(PRESETS)


def test_repr_shows_name_weights_and_metrics() -> None:
    text = repr(ScoreFunction.preset("cpu"))
    assert text == (
        "ScoreFunction({'cpu': 1.0}, metrics=[MetricSpec(name='cpu', low=0.0, high=100.0, "
        "higher_is_better=False)], name='cpu')"
    )
    assert "name='lowest-id'" in repr(ScoreFunction.preset("lowest-id"))


@pytest.mark.parametrize("name", list(PRESETS))
def test_pickle_and_copy_preserve_the_function(name: str) -> None:
    preset = ScoreFunction.preset(name)
    assert pickle.loads(pickle.dumps(preset)) == preset
    assert copy.deepcopy(preset) == preset
    assert copy.copy(preset) == preset


def test_required_presets_exist_with_descriptions() -> None:
    assert {"capacity", "battery-aware", "latency-aware", "cpu", "lowest-id"} <= set(PRESETS)
    for name, description in PRESETS.items():
        assert description
        assert ScoreFunction.preset(name).name == name


@pytest.mark.parametrize("name", sorted(PRESETS))
def test_best_metrics_give_the_top_score_of_a_weighted_preset(name: str) -> None:
    score = ScoreFunction.preset(name)
    if not score.metrics:
        with pytest.raises(ValueError, match="declares no metrics"):
            score.best_metrics()
        return
    best = score.best_metrics()
    assert set(best) == set(score.metrics)
    assert score.score(best) == pytest.approx(1.0)


def test_a_custom_score_has_no_best_metrics_to_set() -> None:
    custom = ScoreFunction({}, custom=lambda metrics: 0.5, name="flat")
    with pytest.raises(ValueError, match=r"score: 'flat' declares no metrics"):
        custom.best_metrics()
