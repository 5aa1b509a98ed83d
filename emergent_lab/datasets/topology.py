"""Real network topologies from the Internet Topology Zoo.

The simulator needs graphs that look like networks people actually run:
sparse, long paths, a few hubs, geography. The Zoo's 276 GraphML files are
kept in the upstream ``graphml.tar.gz`` exactly as published (so the archive
can be checked against its source) and read straight out of it.
"""

from __future__ import annotations

import functools
import io
import tarfile
from pathlib import Path, PurePosixPath

import networkx as nx

from ._paths import data_file, unknown_name_error

ARCHIVE = ("topology_zoo", "graphml.tar.gz")
"""Location of the upstream GraphML archive below the dataset folder."""

_SKIPPED_GRAPH_KEYS = frozenset({"node_default", "edge_default"})


def list_topologies() -> list[str]:
    """Return the names of every shipped topology, sorted.

    Names are the GraphML file stems (``"Abilene"``, ``"Geant2012"``), which
    is also what :func:`load_topology` accepts.
    """
    return sorted(_members())


def load_topology(name: str) -> nx.Graph:
    """Load one topology as an undirected simple ``networkx.Graph``.

    The Zoo stores some networks as multigraphs (parallel links between two
    PoPs) and a couple with self-loops. Gossip only cares whether two nodes
    can talk, so parallel links are merged (the count is kept in the edge
    attribute ``parallel_links``; the other attributes are those of the
    first link) and self-loops are dropped.

    Node ids are the GraphML ids as strings. Every node keeps its GraphML
    attributes and has ``label``; nodes with coordinates also get
    ``x = Longitude`` and ``y = Latitude`` as floats, so plotting code can
    draw a map without knowing Zoo key names (a few files carry drawing
    coordinates in ``x``/``y``; those are replaced or removed so ``x``/``y``
    always mean longitude/latitude). The graph attribute ``name`` is the
    topology name; the Zoo's graph metadata (``Network``, ``GeoLocation``,
    ``Source``, ...) is kept.

    Args:
        name: topology name, matched case-insensitively.

    Returns:
        A fresh graph (safe to mutate).

    Raises:
        ValueError: the name is unknown; the message suggests close names.
        DatasetNotFoundError: the archive is missing.
    """
    members = _members()
    by_lower = {stem.lower(): stem for stem in members}
    stem = by_lower.get(name.lower())
    if stem is None:
        raise unknown_name_error("topology", name, members)
    raw = nx.read_graphml(io.BytesIO(members[stem]))
    return _simple_graph(raw, stem)


def _simple_graph(raw: nx.Graph, name: str) -> nx.Graph:
    graph = nx.Graph()
    graph.graph.update({k: v for k, v in raw.graph.items() if k not in _SKIPPED_GRAPH_KEYS})
    graph.graph["name"] = name
    for node, data in raw.nodes(data=True):
        attrs = dict(data)
        attrs.pop("x", None)
        attrs.pop("y", None)
        attrs["label"] = str(attrs.get("label", node))
        lon, lat = attrs.get("Longitude"), attrs.get("Latitude")
        if lon is not None and lat is not None:
            attrs["x"] = float(lon)
            attrs["y"] = float(lat)
        graph.add_node(str(node), **attrs)
    for u, v, data in raw.edges(data=True):
        a, b = str(u), str(v)
        if a == b:
            continue
        if graph.has_edge(a, b):
            graph[a][b]["parallel_links"] += 1
        else:
            graph.add_edge(a, b, **{**data, "parallel_links": 1})
    return graph


def _members() -> dict[str, bytes]:
    path = data_file(*ARCHIVE)
    stat = path.stat()
    return _read_archive(path, stat.st_mtime_ns, stat.st_size)


@functools.lru_cache(maxsize=2)
def _read_archive(path: Path, mtime_ns: int, size: int) -> dict[str, bytes]:
    # Cached on (path, mtime, size) so a changed or redirected archive is re-read,
    # while loading all 276 graphs does not decompress the archive 276 times.
    del mtime_ns, size
    members: dict[str, bytes] = {}
    with tarfile.open(path, "r:gz") as archive:
        for info in archive:
            member = PurePosixPath(info.name)
            if not info.isfile() or member.suffix != ".graphml":
                continue
            fileobj = archive.extractfile(info)
            if fileobj is not None:
                members[member.stem] = fileobj.read()
    return members
