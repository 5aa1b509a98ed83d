"""A run's causal record for other tools: JSON lines, and a ShiViz log with vector clocks.

JSON lines keep everything (each message with its cause and fate, each
timer firing, each change of a node) in the order it happened, for pandas,
jq or a notebook. The ShiViz log is what ShiViz
(https://bestchai.bitbucket.io/shiviz/) and GoVector read: the parsing
regular expression on the first line, a blank line (no delimiter between
executions), then per event a ``host {vector clock}`` line and the event's
text on the next. Both are deterministic: the same run gives the same bytes.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from emergent_lab.exact.causality import Change, LearnedBatch
from emergent_lab.exact.explain import recorder_of

if TYPE_CHECKING:
    from emergent_lab.exact.cluster import SimCluster

SHIVIZ_REGEX = r"(?<host>\S*) (?<clock>{.*})\n(?<event>.*)"
"""The log regex GoVector writes and ShiViz's documentation uses (JavaScript syntax)."""


def _number(value: float) -> float | None:
    """JSON has no NaN: a missing number is null."""
    return None if math.isnan(value) else value


def _records(cluster: SimCluster) -> list[tuple[int, dict[str, Any]]]:
    """Every recorded happening as (seq, JSON object), unsorted."""
    recorder = recorder_of(cluster)
    ids = cluster.ids.ids
    out: list[tuple[int, dict[str, Any]]] = []
    for m in recorder.messages():
        send = {"type": "send", "id": m.id, "kind": m.kind, "src": ids[m.src], "dst": ids[m.dst]}
        out.append((m.seq, {**send, "t": m.sent, "cause": m.cause, "fate": m.fate}))
        if m.fate == "delivered":
            out.append((m.arrived_seq, {"type": "receive", "id": m.id, "t": m.arrived}))
    for timer in recorder.timers():
        row = {"type": "timer", "id": timer.id, "t": timer.time, "node": ids[timer.node]}
        out.append((timer.seq, {**row, "name": timer.name}))
    for change in recorder.all_changes():
        out.append((change.seq, _change(change, ids)))
    return out


def _change(c: Change, ids: list[str]) -> dict[str, Any]:
    def name(index: int) -> str | None:
        return ids[index] if index >= 0 else None

    row: dict[str, Any] = {"type": c.kind, "t": c.time, "node": ids[c.node], "cause": c.cause}
    if c.kind == "learned":
        row.update(
            subject=ids[c.subject],
            generation=c.generation,
            version=c.version,
            heartbeat=c.heartbeat,
            score=c.score,
            opinion=name(c.opinion),
        )
    elif c.kind in ("suspected", "trusted"):
        row["subject"] = ids[c.subject]
        if c.kind == "suspected":
            row.update(
                phi=_number(c.phi), deadline=_number(c.deadline), last_heard=_number(c.last_heard)
            )
    else:
        row.update(
            opinion=name(c.opinion),
            previous=name(c.previous),
            recognised=name(c.recognised),
            acting=c.acting,
        )
    return row


def jsonl_lines(cluster: SimCluster) -> Iterator[str]:
    """The run as JSON lines: a header (seed, nodes, actions), then every record in order."""
    header = {
        "type": "run",
        "seed": cluster.config.seed,
        "nodes": list(cluster.ids.ids),
        "time": cluster.time,
        "actions": [
            {"t": e.at, "action": e.action, "target": e.target, "resolved": e.resolved}
            | ({"skipped": e.error} if e.error else {})
            for e in cluster.events
        ],
    }
    yield json.dumps(header, sort_keys=True, default=str)
    for _, row in sorted(_records(cluster), key=lambda r: r[0]):
        yield json.dumps(row, sort_keys=True)


def shiviz_lines(
    cluster: SimCluster, *, since: float = 0.0, until: float = math.inf
) -> Iterator[str]:
    """The run (sends, receives, suspicions and decisions) as a ShiViz log with vector clocks.

    Clocks start at zero at ``since``: a message sent before the window and
    received in it is then a plain receive (ShiViz needs no sender event).
    Each event increments its host's own entry; a receive first takes the
    element-wise maximum with the clock the message carried.
    """
    recorder = recorder_of(cluster)
    ids = cluster.ids.ids
    taught: dict[int, LearnedBatch] = {b.cause: b for b in recorder.learned()}
    events: list[tuple[int, str, str, int]] = []
    """(seq, host, text, message id for sends (>0) / receives (<0) / 0)."""
    for m in recorder.messages():
        kind = m.kind.upper()
        if since <= m.sent <= until:
            fate = "" if m.fate == "delivered" else f" ({m.fate})"
            text = f"send {kind} #{m.id} to {ids[m.dst]} at {m.sent:.4f} s{fate}"
            events.append((m.seq, ids[m.src], text, m.id))
        if m.fate == "delivered" and since <= m.arrived <= until:
            batch = taught.get(m.id)
            learned = ""
            if batch is not None:
                names = ", ".join(ids[i] for i in batch.subjects.tolist())
                learned = f"; learned {names}"
            text = f"receive {kind} #{m.id} from {ids[m.src]} at {m.arrived:.4f} s{learned}"
            events.append((m.arrived_seq, ids[m.dst], text, -m.id))
    for c in [*recorder.changes, *recorder.trusts()]:
        if since <= c.time <= until:
            events.append((c.seq, ids[c.node], _change_text(c, ids), 0))
    events.sort(key=lambda e: e[0])
    yield SHIVIZ_REGEX
    yield ""
    clocks: dict[str, dict[str, int]] = {}
    carried: dict[int, dict[str, int]] = {}
    for _, host, text, message in events:
        clock = clocks.setdefault(host, {})
        if message < 0 and -message in carried:
            for other, count in carried.pop(-message).items():
                clock[other] = max(clock.get(other, 0), count)
        clock[host] = clock.get(host, 0) + 1
        if message > 0:
            carried[message] = dict(clock)
        yield f"{host} {json.dumps(clock, sort_keys=True)}"
        yield text


def _change_text(c: Change, ids: list[str]) -> str:
    at = f"at {c.time:.4f} s"
    if c.kind == "suspected":
        return f"suspects {ids[c.subject]} {at} (phi {c.phi:.2f})"
    if c.kind == "trusted":
        return f"trusts {ids[c.subject]} again {at}"
    follows = ids[c.opinion] if c.opinion >= 0 else "no one"
    recognised = ids[c.recognised] if c.recognised >= 0 else "no leader"
    acting = ", acts as leader" if c.acting else ""
    return f"follows {follows}, recognises {recognised}{acting} {at}"


def write_jsonl(cluster: SimCluster, path: str) -> None:
    """Write :func:`jsonl_lines` to ``path``."""
    with open(path, "w", encoding="utf-8") as out:
        for line in jsonl_lines(cluster):
            out.write(line + "\n")


def write_shiviz(
    cluster: SimCluster, path: str, *, since: float = 0.0, until: float = math.inf
) -> None:
    """Write :func:`shiviz_lines` to ``path`` (open it in ShiViz, or paste it there)."""
    with open(path, "w", encoding="utf-8") as out:
        for line in shiviz_lines(cluster, since=since, until=until):
            out.write(line + "\n")
