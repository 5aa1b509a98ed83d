"""Sweeps on Dask's distributed scheduler give the serial sweep's table."""

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from emergent_lab.cli import main
from emergent_lab.dask_sweep import dask_executor
from emergent_lab.sweep import InProcessExecutor, sweep

distributed = pytest.importorskip("dask.distributed")

GRID: dict[str, list[Any]] = {
    "protocol": ["emergent", "bully"],
    "cluster.nodes": [6],
    "run.until": [35],
}


@pytest.fixture(scope="module")
def scheduler() -> Iterator[str]:
    """A local Dask cluster in this process: two workers, one thread each."""
    with distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=False, dashboard_address=None
    ) as cluster:
        yield cluster.scheduler_address


def test_a_client_executor_gives_the_serial_table(scheduler: str) -> None:
    serial = sweep("leader-crash", GRID, seeds=2, executor=InProcessExecutor(), progress=False)
    with distributed.Client(scheduler) as client:
        on_dask = sweep(
            "leader-crash", GRID, seeds=2, executor=client.get_executor(), progress=False
        )
    pd.testing.assert_frame_equal(serial, on_dask)
    assert on_dask["event_log_sha256"].nunique() == 4


def test_cli_sweep_on_a_scheduler_writes_the_serial_table(
    scheduler: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "sweep.csv"
    arguments = ["sweep", "leader-crash", "--param", "cluster.nodes=5,7", "--param", "run.until=35"]
    code = main(
        [*arguments, "--seeds", "2", "--csv", str(out), "--quiet", "--scheduler", scheduler]
    )
    assert code == 0
    assert f"4 runs of leader-crash on {scheduler}" in capsys.readouterr().out
    serial = sweep(
        "leader-crash",
        {"cluster.nodes": [5, 7], "run.until": [35]},
        seeds=2,
        executor=InProcessExecutor(),
        progress=False,
    )
    on_dask = pd.read_csv(out)
    assert list(on_dask["event_log_sha256"]) == list(serial["event_log_sha256"])
    assert list(on_dask["nodes"]) == [5, 5, 7, 7]


def test_a_malformed_scheduler_address_is_refused_naming_the_option(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "sweep.csv"
    code = main(["sweep", "leader-crash", "--csv", str(out), "--scheduler", "localhost:8786"])
    assert code == 2
    assert (
        "--scheduler: expected a scheduler address like tcp://host:8786" in capsys.readouterr().err
    )
    assert not out.exists()


def test_a_scheduler_that_does_not_answer_is_one_clear_error() -> None:
    with pytest.raises(ValueError, match="--scheduler: no Dask scheduler answers at"):
        with dask_executor("tcp://127.0.0.1:9", timeout=0.5):
            pass
