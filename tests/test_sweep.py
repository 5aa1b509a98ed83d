import math
from collections.abc import Callable
from concurrent.futures import Executor, Future, ProcessPoolExecutor
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from emergent_lab.cli import main
from emergent_lab.scenario import ScenarioError, load_scenario
from emergent_lab.sweep import InProcessExecutor, plan, sweep

GRID: dict[str, list[Any]] = {
    "protocol": ["emergent", "bully"],
    "cluster.nodes": [6, 10],
    "run.until": [40],
}


class CountingExecutor(Executor):
    """Counts submissions, to prove that nothing ran."""

    def __init__(self) -> None:
        self.submitted = 0

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Future[Any]:
        self.submitted += 1
        return InProcessExecutor().submit(fn, *args, **kwargs)


def test_one_row_per_run_with_parameters_and_report_fields() -> None:
    table = sweep("leader-crash", GRID, seeds=2, executor=InProcessExecutor(), progress=False)
    assert len(table) == 2 * 2 * 2
    assert list(table["protocol"]) == ["emergent"] * 4 + ["bully"] * 4
    assert list(table["cluster.nodes"]) == [6, 6, 10, 10] * 2
    assert list(table["seed"]) == [0, 1] * 4
    assert (table["nodes"] == table["cluster.nodes"]).all()
    assert (table["duration_s"] == 40).all()
    assert table["event0.reconverged_after_s"].notna().all()
    # Elections cost election messages; emergent leadership none.
    bully = table["protocol"] == "bully"
    assert (table.loc[bully, "failover_election_messages"] > 0).all()
    assert (table.loc[~bully, "failover_election_messages"] == 0).all()
    # Different seeds are different runs.
    assert table["event_log_sha256"].nunique() == len(table)


def test_results_are_identical_in_a_process_pool_and_in_process() -> None:
    inline = sweep("leader-crash", GRID, seeds=2, executor=InProcessExecutor(), progress=False)
    with ProcessPoolExecutor(max_workers=2) as pool:
        pooled = sweep("leader-crash", GRID, seeds=2, executor=pool, progress=False)
    pd.testing.assert_frame_equal(inline, pooled)


def test_a_bad_parameter_name_fails_before_anything_runs() -> None:
    executor = CountingExecutor()
    with pytest.raises(ValueError, match=r"'cluster.fanot': unknown .*cluster.fanout"):
        sweep("leader-crash", {"cluster.fanot": [1, 2]}, executor=executor, progress=False)
    assert executor.submitted == 0


def test_a_bad_value_in_any_combination_fails_before_anything_runs() -> None:
    executor = CountingExecutor()
    with pytest.raises(ScenarioError, match=r"network.loss: must be .*<= 1 \(got 2\)"):
        sweep(
            "leader-crash",
            {"cluster.nodes": [5, 6], "network.loss": [0.1, 2]},
            executor=executor,
            progress=False,
        )
    assert executor.submitted == 0


def test_an_unknown_protocol_is_rejected_naming_the_allowed_ones() -> None:
    with pytest.raises(ValueError, match=r"unknown protocol 'paxos' .*emergent, bully, raft"):
        plan("leader-crash", {"protocol": ["paxos"]})


def test_a_sweep_changes_only_what_it_varies() -> None:
    base = load_scenario("leader-crash")
    (run,) = plan(base, {"cluster.fanout": [1]}, seeds=[7])
    scenario = run.scenario()
    assert scenario.config.params.fanout == 1
    assert scenario.config.seed == 7
    assert scenario.config.params.gossip_interval == base.config.params.gossip_interval
    assert base.config.params.fanout == 3


def test_cli_sweep_writes_a_csv(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "sweep.csv"
    code = main(
        [
            "sweep",
            "leader-crash",
            "--param",
            "cluster.nodes=5,7",
            "--param",
            "run.until=35",
            "--seeds",
            "2",
            "--protocol",
            "bully",
            "--csv",
            str(out),
            "--quiet",
        ]
    )
    assert code == 0
    table = pd.read_csv(out)
    assert len(table) == 4
    assert set(table["protocol"]) == {"bully"}
    assert list(table["nodes"]) == [5, 5, 7, 7]
    assert "4 rows written" in capsys.readouterr().out


def test_cli_sweep_rejects_a_bad_parameter(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "sweep.csv"
    code = main(["sweep", "leader-crash", "--param", "network.los=0.1", "--csv", str(out)])
    assert code == 2
    assert "'network.los': unknown" in capsys.readouterr().err
    assert not out.exists()


def test_the_bully_is_rejected_on_the_array_engine() -> None:
    with pytest.raises(ValueError, match=r"protocol: 'bully' runs on the exact engine only"):
        plan("leader-crash", {"protocol": ["bully"], "cluster.engine": ["array"]})


ARRAY_GRID: dict[str, list[Any]] = {
    "cluster.engine": ["array"],
    "cluster.view": ["topk"],
    "cluster.nodes": [2000],
}


def test_a_sweep_runs_array_engine_scenarios_deterministically() -> None:
    from emergent_lab.analysis import failover_bound

    table = sweep("leader-crash", ARRAY_GRID, seeds=2, executor=InProcessExecutor(), progress=False)
    with ProcessPoolExecutor(max_workers=2) as pool:
        again = sweep("leader-crash", ARRAY_GRID, seeds=2, executor=pool, progress=False)
    pd.testing.assert_frame_equal(table, again)
    assert list(table["seed"]) == [0, 1]
    assert (table["nodes"] == 2000).all()
    assert table["event_log_sha256"].nunique() == 2
    # The leader emerges before the crash at 30 s, and the best node leads again after it.
    assert table["converged"].all() and table["final_leader_is_best"].all()
    assert (table["initial_convergence_s"] < 30).all()
    assert (table["event0.action"] == "crash").all()
    assert table["event0.leader_is_best"].all()
    assert (table["event0.leader_after"] == table["final_leader"]).all()
    assert (table["max_simultaneous_leaders"] == 1).all()
    # Failover is finite: no faster than the average detection, no slower than
    # detection plus one push-pull dissemination (log3 n rounds).
    for row in table.to_dict("records"):
        after = row["event0.reconverged_after_s"]
        assert math.isfinite(after)
        assert row["event0.detection_mean_s"] <= after
        assert after <= failover_bound(row["event0.detection_max_s"], 2000, 1.0)
        assert row["event0.reconverged_rounds"] == after  # one round per second


@pytest.mark.parametrize("seeds", [2.5, True, 10**12, [2.7], ["a"], [True], "ab", []])
def test_plan_refuses_seeds_that_are_not_integers_in_range(seeds: Any) -> None:
    """They raised TypeError (2.5), ran a sweep of one seed (True), were truncated (2.7)
    or ran out of memory (10**12)."""
    with pytest.raises(ValueError, match=r"seeds: must be a count in \[1, 100000\]"):
        plan("leader-crash", {"cluster.fanout": [2]}, seeds)


def test_plan_takes_numpy_seeds() -> None:
    import numpy as np

    runs = plan("leader-crash", {"cluster.fanout": [2]}, np.arange(3))  # type: ignore[arg-type]
    assert [run.seed for run in runs] == [0, 1, 2]


def test_plan_refuses_a_grid_that_is_not_a_mapping() -> None:
    with pytest.raises(ValueError, match=r"grid: must be a mapping of parameter"):
        plan("leader-crash", [("cluster.fanout", [2])])  # type: ignore[arg-type]
