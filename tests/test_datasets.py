"""Tests of the shipped datasets and their loaders.

Expected numbers are re-derived from the raw files with independent code
(regex over the XML, numpy over the text matrices, csv over the CSV) rather
than through the loaders under test.
"""

from __future__ import annotations

import csv
import io
import lzma
import re
import tarfile
from pathlib import Path

import networkx as nx
import numpy as np
import pytest

from emergent_lab import datasets
from emergent_lab.datasets import (
    CpuTrace,
    DatasetNotFoundError,
    LatencyMatrix,
    list_cpu_traces,
    list_topologies,
    load_cpu_traces,
    load_latency,
    load_topology,
)

ROOT = Path(__file__).resolve().parents[1] / "datasets"
ZOO = ROOT / "topology_zoo" / "graphml.tar.gz"
SEATTLE = ROOT / "netlatency_seattle" / "seattle_rtt_688slices.tar.xz"
PLANETLAB = ROOT / "netlatency_planetlab" / "PlanetLabData_1.xz"
CPU = ROOT / "nab_aws_cloudwatch" / "realAWSCloudwatch"


@pytest.fixture(autouse=True)
def _default_root(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(datasets.ENV_VAR, raising=False)


def _raw_graphml(name: str) -> str:
    with tarfile.open(ZOO, "r:gz") as archive:
        member = archive.extractfile(f"graphml/{name}.graphml")
        assert member is not None
        return member.read().decode("utf-8")


# --- topologies ---------------------------------------------------------------


def test_abilene_matches_raw_graphml() -> None:
    raw = _raw_graphml("Abilene")
    raw_nodes = len(re.findall(r"<node ", raw))
    raw_edges = len(re.findall(r"<edge ", raw))
    assert (raw_nodes, raw_edges) == (11, 14)

    graph = load_topology("Abilene")
    assert isinstance(graph, nx.Graph)
    assert not graph.is_directed()
    assert not graph.is_multigraph()
    assert graph.number_of_nodes() == raw_nodes
    assert graph.number_of_edges() == raw_edges
    assert graph.graph["name"] == "Abilene"
    assert all(isinstance(n, str) for n in graph.nodes)


def test_abilene_coordinates_are_longitude_latitude() -> None:
    graph = load_topology("Abilene")
    by_label = {data["label"]: data for _, data in graph.nodes(data=True)}
    # Values as written in the GraphML (<data key="d32">-74.00597</data> etc.).
    assert "-74.00597" in _raw_graphml("Abilene")
    assert by_label["New York"]["x"] == pytest.approx(-74.00597)
    assert by_label["New York"]["y"] == pytest.approx(40.71427)
    assert by_label["Chicago"]["x"] == pytest.approx(-87.65005)
    for _, data in graph.nodes(data=True):
        assert isinstance(data["x"], float)
        assert -180 <= data["x"] <= 180
        assert -90 <= data["y"] <= 90


def test_list_topologies_is_complete_and_sorted() -> None:
    with tarfile.open(ZOO, "r:gz") as archive:
        raw = sorted(Path(m.name).stem for m in archive.getmembers() if m.name.endswith(".graphml"))
    names = list_topologies()
    assert names == sorted(names)
    assert names == raw
    assert len(names) == 276
    assert "Abilene" in names


def test_every_topology_loads_as_simple_graph() -> None:
    for name in list_topologies():
        graph = load_topology(name)
        assert graph.number_of_nodes() >= 1, name
        assert type(graph) is nx.Graph, name
        assert nx.number_of_selfloops(graph) == 0, name
        assert graph.graph["name"] == name
        for node, data in graph.nodes(data=True):
            assert isinstance(node, str)
            assert isinstance(data["label"], str)
            assert ("x" in data) == ("Longitude" in data), (name, node)


def test_multigraph_links_are_merged_and_counted() -> None:
    raw = nx.read_graphml(io.StringIO(_raw_graphml("AttMpls")))
    assert raw.is_multigraph()
    graph = load_topology("AttMpls")
    non_loops = sum(1 for u, v in raw.edges() if u != v)
    assert graph.number_of_edges() < non_loops
    assert sum(d["parallel_links"] for _, _, d in graph.edges(data=True)) == non_loops


def test_topology_name_is_case_insensitive() -> None:
    assert load_topology("abilene").graph["name"] == "Abilene"
    assert load_topology("GEANT2012").graph["name"] == "Geant2012"


def test_unknown_topology_suggests_close_names() -> None:
    with pytest.raises(ValueError, match=r"'Abilen'.*'Abilene'"):
        load_topology("Abilen")
    with pytest.raises(ValueError, match="no close names"):
        load_topology("qqqqqqqq")


def test_loaded_graphs_are_independent() -> None:
    graph = load_topology("Abilene")
    graph.remove_node("0")
    assert load_topology("Abilene").number_of_nodes() == 11


# --- latency ----------------------------------------------------------------------


def _raw_seattle(index: int) -> np.ndarray:
    with tarfile.open(SEATTLE, "r:xz") as archive:
        member = archive.extractfile(f"SeattleData_{index}")
        assert member is not None
        return np.loadtxt(member)


def test_seattle_slice_shape_and_seconds() -> None:
    matrix = load_latency("seattle")
    assert matrix.time_slice == 1
    assert matrix.rtt_s.shape == (99, 99)
    assert matrix.rtt_s.dtype == np.float64
    assert matrix.source_units == "s"
    assert matrix.hosts[:2] == ("h0", "h1")
    assert np.all(np.diagonal(matrix.rtt_s) == 0)
    off = matrix.rtt_s[~np.eye(99, dtype=bool)]
    # Seconds: a median RTT between 1 ms and 1 s (measured: 0.21 s).
    assert 0.001 < np.median(off) < 1.0
    assert np.median(off) == pytest.approx(0.21)
    raw = _raw_seattle(1)
    mask = ~np.eye(99, dtype=bool)
    np.testing.assert_array_equal(matrix.rtt_s[mask], raw[mask])


def test_seattle_other_slice_and_range() -> None:
    last = load_latency("seattle", slice=688)
    assert last.time_slice == 688
    mask = ~np.eye(99, dtype=bool)
    np.testing.assert_array_equal(last.rtt_s[mask], _raw_seattle(688)[mask])
    assert not np.array_equal(last.rtt_s, load_latency("seattle", slice=1).rtt_s)
    for bad in (0, 689, -1):
        with pytest.raises(ValueError, match=r"1\.\.688"):
            load_latency("seattle", slice=bad)


def test_seattle_raw_diagonal_is_zeroed() -> None:
    raw = _raw_seattle(1)
    assert np.any(np.diagonal(raw) != 0)  # upstream quirk the loader corrects
    assert np.all(np.diagonal(load_latency("seattle").rtt_s) == 0)


def test_planetlab_is_converted_from_milliseconds() -> None:
    matrix = load_latency("planetlab")
    assert matrix.rtt_s.shape == (490, 490)
    assert matrix.source_units == "ms"
    with lzma.open(PLANETLAB, "rt") as fh:
        raw = np.loadtxt(fh)
    np.testing.assert_allclose(matrix.rtt_s, raw / 1000.0)
    off = matrix.rtt_s[~np.eye(490, dtype=bool)]
    assert 0.001 < np.median(off) < 1.0  # measured: 0.135 s
    assert load_latency("planetlab", slice=1).rtt_s.shape == (490, 490)
    with pytest.raises(ValueError, match="only 1"):
        load_latency("planetlab", slice=2)


def test_unknown_latency_name_lists_names() -> None:
    with pytest.raises(ValueError, match=r"seattle.*planetlab"):
        load_latency("king")  # type: ignore[arg-type]


def test_latency_arrays_are_read_only() -> None:
    matrix = load_latency("seattle")
    with pytest.raises(ValueError):
        matrix.rtt_s[0, 1] = 1.0


def test_one_way_is_half_rtt() -> None:
    matrix = load_latency("planetlab")
    np.testing.assert_array_equal(matrix.one_way_s(), matrix.rtt_s / 2)


def test_subset_is_deterministic_and_complete() -> None:
    matrix = load_latency("seattle")
    first = matrix.subset(20, seed=7)
    again = matrix.subset(20, seed=7)
    assert first.hosts == again.hosts
    np.testing.assert_array_equal(first.rtt_s, again.rtt_s)
    assert matrix.subset(20, seed=8).hosts != first.hosts
    assert matrix.subset(20).hosts == matrix.subset(20, seed=0).hosts
    assert first.rtt_s.shape == (20, 20)
    assert first.is_complete
    index = [matrix.hosts.index(h) for h in first.hosts]
    np.testing.assert_array_equal(first.rtt_s, matrix.rtt_s[np.ix_(index, index)])
    with pytest.raises(ValueError, match=r"1\.\.99"):
        matrix.subset(100)


def _gappy() -> LatencyMatrix:
    nan = np.nan
    rtt = np.array(
        [
            [0.0, 0.1, nan, 0.3],
            [0.1, 0.0, 0.2, nan],
            [nan, 0.2, 0.0, 0.4],
            [0.3, nan, 0.4, 0.0],
        ]
    )
    return LatencyMatrix(rtt, ("a", "b", "c", "d"), name="gappy", source_units="s")


def test_complete_subset_avoids_missing_pairs() -> None:
    matrix = _gappy()
    for seed in range(10):
        chosen = matrix.subset(2, seed=seed)
        assert chosen.is_complete
    with pytest.raises(ValueError, match="no 3 hosts"):
        matrix.subset(3, seed=1)
    assert not matrix.subset(4, complete=False).is_complete


def test_fill_missing_uses_two_hops_then_median() -> None:
    filled = _gappy().fill_missing()
    assert filled.is_complete
    assert filled.rtt_s[0, 2] == pytest.approx(0.1 + 0.2)  # a -> b -> c
    assert filled.rtt_s[1, 3] == pytest.approx(min(0.1 + 0.3, 0.2 + 0.4))
    nan = np.nan
    lonely = LatencyMatrix(
        np.array([[0.0, 0.5, nan], [0.5, 0.0, nan], [nan, nan, 0.0]]),
        ("a", "b", "c"),
        name="lonely",
        source_units="s",
    )
    assert lonely.fill_missing().rtt_s[0, 2] == pytest.approx(0.5)  # no 2-hop: median
    complete = load_latency("seattle")
    assert complete.fill_missing() is complete


@pytest.mark.parametrize(
    "rtt",
    [
        np.zeros((2, 3)),
        np.array([[0.0, -1.0], [1.0, 0.0]]),
        np.array([[0.0, np.inf], [1.0, 0.0]]),
        np.array([[1.0, 1.0], [1.0, 0.0]]),
    ],
)
def test_latency_matrix_validates(rtt: np.ndarray) -> None:
    with pytest.raises(ValueError):
        LatencyMatrix(rtt, tuple(f"h{i}" for i in range(rtt.shape[0])), "bad", "s")


# --- CPU traces ---------------------------------------------------------------------


def test_cpu_trace_list() -> None:
    names = list_cpu_traces()
    assert names == sorted(names)
    assert len(names) == 10
    assert "ec2_cpu_utilization_5f5533" in names
    assert all("_cpu_utilization_" in n for n in names)


def test_cpu_traces_load_with_five_minute_period() -> None:
    traces = load_cpu_traces()
    assert list(traces) == list_cpu_traces()
    for name, trace in traces.items():
        assert isinstance(trace, CpuTrace)
        assert trace.name == name
        assert trace.times_s.size == trace.cpu_percent.size == 4032
        assert trace.times_s[0] == 0
        assert np.all(np.diff(trace.times_s) > 0)
        assert np.all((trace.cpu_percent >= 0) & (trace.cpu_percent <= 100))
        assert trace.period_s == pytest.approx(300)
        assert trace.duration_s == pytest.approx(14 * 86400, rel=0.01)


def test_cpu_trace_matches_csv() -> None:
    with (CPU / "ec2_cpu_utilization_5f5533.csv").open(newline="") as fh:
        rows = list(csv.reader(fh))[1:]
    trace = load_cpu_traces(["EC2_CPU_Utilization_5F5533"])["ec2_cpu_utilization_5f5533"]
    assert trace.cpu_percent[0] == float(rows[0][1])
    assert trace.cpu_percent[-1] == float(rows[-1][1])
    assert trace.start is not None
    assert trace.start.isoformat(sep=" ") == rows[0][0]


def test_compressed_scales_time_only() -> None:
    trace = load_cpu_traces(["ec2_cpu_utilization_5f5533"])["ec2_cpu_utilization_5f5533"]
    factor = 14 * 86400 / 600
    fast = trace.compressed(factor)
    np.testing.assert_allclose(fast.times_s, trace.times_s / factor)
    np.testing.assert_array_equal(fast.cpu_percent, trace.cpu_percent)
    assert fast.period_s == pytest.approx(300 / factor)
    assert fast.duration_s == pytest.approx(600, rel=0.01)
    for bad in (0.0, -2.0, float("nan")):
        with pytest.raises(ValueError):
            trace.compressed(bad)


def test_at_is_step_wise() -> None:
    trace = load_cpu_traces(["ec2_cpu_utilization_5f5533"])["ec2_cpu_utilization_5f5533"]
    v = trace.cpu_percent
    assert trace.at(0) == v[0]
    assert trace.at(299.9) == v[0]
    assert trace.at(300) == v[1]
    assert trace.at(-5) == v[0]
    assert trace.at(1e12) == v[-1]
    fast = trace.compressed(300)
    assert fast.at(1.5) == v[1]


def test_unknown_cpu_trace_suggests() -> None:
    with pytest.raises(ValueError, match="ec2_cpu_utilization_5f5533"):
        load_cpu_traces(["ec2_cpu_utilisation_5f5533"])


# --- data folder override -------------------------------------------------------------


def test_env_override_without_data_gives_clear_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(datasets.ENV_VAR, str(tmp_path))
    for load in (
        list_topologies,
        lambda: load_topology("Abilene"),
        lambda: load_latency("seattle"),
        lambda: load_latency("planetlab"),
        list_cpu_traces,
    ):
        with pytest.raises(DatasetNotFoundError, match=re.escape(str(tmp_path))) as info:
            load()
        assert datasets.ENV_VAR in str(info.value)
    missing = tmp_path / "nowhere"
    monkeypatch.setenv(datasets.ENV_VAR, str(missing))
    with pytest.raises(FileNotFoundError, match=re.escape(str(missing))):
        datasets.data_root()


def test_env_override_reads_other_data(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    graphml = (
        b'<?xml version="1.0" encoding="utf-8"?>'
        b'<graphml xmlns="http://graphml.graphdrawing.org/xmlns">'
        b'<key attr.name="label" attr.type="string" for="node" id="d0"/>'
        b'<graph edgedefault="undirected"><node id="0"><data key="d0">A</data></node>'
        b'<node id="1"><data key="d0">B</data></node><edge source="0" target="1"/></graph>'
        b"</graphml>"
    )
    folder = tmp_path / "topology_zoo"
    folder.mkdir()
    with tarfile.open(folder / "graphml.tar.gz", "w:gz") as archive:
        info = tarfile.TarInfo("graphml/Tiny.graphml")
        info.size = len(graphml)
        archive.addfile(info, io.BytesIO(graphml))
    monkeypatch.setenv(datasets.ENV_VAR, str(tmp_path))
    assert datasets.data_root() == tmp_path
    assert list_topologies() == ["Tiny"]
    tiny = load_topology("tiny")
    assert sorted(tiny.nodes) == ["0", "1"]
    assert "x" not in tiny.nodes["0"]
