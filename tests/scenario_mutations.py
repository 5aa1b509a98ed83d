"""Seeded mutations of the built-in scenarios, each one a scenario that must be refused.

Shared by the fuzz test (a few hundred cases) and ``benchmarks/scenario_fuzz.py``
(as many as asked). Every mutation is invalid by construction, and says
which field the refusal must name:

* **types**: a value replaced by one of another type (a number by a string,
  a table or a boolean; a string by a number; a table or list by a number);
* **ranges**: a number replaced by NaN or an infinity (every number of a
  scenario must be finite);
* **unknown keys**: a key no table allows, added to a table;
* **targets**: an event aimed at a node that does not exist, or a join of
  an id that does;
* **garbage**: bytes that never occur in UTF-8 (0xF8-0xFF), spliced into the file.
"""

from __future__ import annotations

import copy
import math
import sys
from dataclasses import dataclass
from importlib import resources
from typing import Any

import numpy as np

from emergent_lab.scenario import builtin_names, load_scenario

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

GHOST = "ghost-9"
"""A valid id that no scenario has."""
FREE_VALUES = {("set_param", "value")}
"""Fields whose type depends on another field (``set_param``'s value): not type-mutated."""


@dataclass(frozen=True)
class Mutation:
    """One broken scenario: its text (or bytes) and the field its refusal must name."""

    scenario: str
    kind: str
    field: str
    content: bytes


def builtin_text(name: str) -> str:
    return (resources.files("emergent_lab.scenario") / "builtin" / f"{name}.toml").read_text()


def _leaves(data: dict[str, Any]) -> list[tuple[tuple[Any, ...], str]]:
    """(path in the document, field name as errors spell it) of every value worth mutating."""
    out: list[tuple[tuple[Any, ...], str]] = []
    for section, table in data.items():
        if section == "events":
            for k, event in enumerate(table):
                for key in event:
                    if (event.get("action"), key) not in FREE_VALUES:
                        out.append((("events", k, key), f"events[{k}].{key}"))
        elif isinstance(table, dict):
            for key, value in table.items():
                out.append(((section, key), f"{section}.{key}"))
                if isinstance(value, dict) and key in ("latency", "weights", "graph"):
                    out += [((section, key, sub), f"{section}.{key}.{sub}") for sub in value]
        else:
            out.append(((section,), section))
    return out


def _tables(data: dict[str, Any]) -> list[tuple[tuple[Any, ...], str]]:
    out: list[tuple[tuple[Any, ...], str]] = []
    for section, table in data.items():
        if section == "events":
            out += [(("events", k), f"events[{k}]") for k in range(len(table))]
        elif isinstance(table, dict):
            out.append(((section,), section))
            for key in ("latency", "graph"):
                if isinstance(table.get(key), dict):
                    out.append(((section, key), f"{section}.{key}"))
    return out


def _get(data: Any, path: tuple[Any, ...]) -> Any:
    for step in path:
        data = data[step]
    return data


def _set(data: Any, path: tuple[Any, ...], value: Any) -> None:
    _get(data, path[:-1])[path[-1]] = value


def _wrong_type(value: Any, rng: np.random.Generator) -> Any:
    if isinstance(value, bool):
        return "yes"
    if isinstance(value, (int, float)):
        return [["x"], {"a": 1}, True, "x"][rng.integers(4)]
    if isinstance(value, str):
        return [5, 2.5, {"a": 1}][rng.integers(3)]
    return [5, 2.5][rng.integers(2)]  # a table or a list


def _dump(value: Any) -> str:
    """A TOML value (tomllib reads TOML; nothing in the standard library writes it)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return (
            "nan"
            if math.isnan(value)
            else ("inf" if value > 0 else "-inf")
            if math.isinf(value)
            else repr(value)
        )
    if isinstance(value, (int,)):
        return str(value)
    if isinstance(value, str):
        return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
    if isinstance(value, list):
        return "[" + ", ".join(_dump(v) for v in value) + "]"
    return "{ " + ", ".join(f'"{k}" = {_dump(v)}' for k, v in value.items()) + " }"


def dump(data: dict[str, Any]) -> str:
    lines = []
    for key, value in data.items():
        if not isinstance(value, (dict, list)) or (isinstance(value, list) and key != "events"):
            lines.append(f'"{key}" = {_dump(value)}')
    for key, value in data.items():
        if isinstance(value, dict):
            lines.append(f"[{key}]")
            lines += [f'"{k}" = {_dump(v)}' for k, v in value.items()]
    for event in data.get("events", []):
        lines.append("[[events]]")
        lines += [f'"{k}" = {_dump(v)}' for k, v in event.items()]
    return "\n".join(lines) + "\n"


def _targets(data: dict[str, Any]) -> list[tuple[tuple[Any, ...], str, Any]]:
    out: list[tuple[tuple[Any, ...], str, Any]] = []
    for k, event in enumerate(data.get("events", [])):
        action = event.get("action")
        if action == "join":
            ids = load_scenario_ids(data)
            out.append((("events", k, "node"), f"events[{k}].node", ids[0]))
        elif "node" in event:
            out.append((("events", k, "node"), f"events[{k}].node", GHOST))
        elif action == "cut":
            out.append((("events", k, "nodes", 1), f"events[{k}].nodes", GHOST))
        elif action == "partition" and isinstance(event["groups"], list):
            out.append((("events", k, "groups", 0, 0), f"events[{k}].groups", GHOST))
    return out


def load_scenario_ids(data: dict[str, Any]) -> list[str]:
    cluster = data.get("cluster", {})
    return (
        list(cluster["ids"])
        if "ids" in cluster
        else [f"n{i}" for i in range(cluster.get("nodes", 10))]
    )


def mutations(count: int, *, seed: int = 13) -> list[Mutation]:
    """``count`` seeded mutations spread over the built-in scenarios and the five kinds."""
    rng = np.random.default_rng(seed)
    names = builtin_names()
    documents = {name: tomllib.loads(builtin_text(name)) for name in names}
    out: list[Mutation] = []
    kinds = ("types", "ranges", "unknown keys", "targets", "garbage")
    while len(out) < count:
        name = names[rng.integers(len(names))]
        kind = kinds[len(out) % len(kinds)]
        data = copy.deepcopy(documents[name])
        if kind == "garbage":
            text = builtin_text(name).encode()
            at = int(rng.integers(len(text)))
            junk = bytes(rng.integers(0xF8, 0x100, size=int(rng.integers(1, 16)), dtype=np.uint8))
            out.append(Mutation(name, kind, name, text[:at] + junk + text[at:]))
            continue
        if kind == "types":
            path, field = _pick(_leaves(data), rng)
            _set(data, path, _wrong_type(_get(data, path), rng))
        elif kind == "ranges":
            numbers = [
                leaf
                for leaf in _leaves(data)
                if isinstance(_get(data, leaf[0]), (int, float))
                and not isinstance(_get(data, leaf[0]), bool)
            ]
            path, field = _pick(numbers, rng)
            _set(data, path, [math.nan, math.inf, -math.inf][rng.integers(3)])
        elif kind == "unknown keys":
            path, field = _pick(_tables(data), rng)
            _get(data, path)["bogus_key"] = 1
            field = f"{field}.bogus_key"
        else:
            targets = _targets(data)
            if not targets:
                continue
            path, field, value = targets[rng.integers(len(targets))]
            _set(data, path, value)
        out.append(Mutation(name, kind, field, dump(data).encode()))
    return out


def _pick(
    options: list[tuple[tuple[Any, ...], str]], rng: np.random.Generator
) -> tuple[tuple[Any, ...], str]:
    return options[rng.integers(len(options))]


def names_the_field(message: str, wanted: str) -> bool:
    """Whether an error names ``wanted``, a field inside it, or the table holding it.

    A table may speak for its key (``network.latency: unknown key(s) bogus_key for
    model 'constant'``) but then must quote it; a bare section name is not enough.
    """
    named = message.split(": ", 1)[0]
    if named == wanted or named.startswith(wanted + "."):
        return True
    table = "." in named or named.startswith("events[")
    inside = table and wanted.startswith(named + ".")
    return inside and (not wanted.endswith("bogus_key") or "bogus_key" in message)


def refusal(mutation: Mutation, folder: Any) -> str | None:
    """Why ``mutation`` was not refused as the CLI must refuse it (None if it was)."""
    path = folder / f"{mutation.scenario}.toml"
    path.write_bytes(mutation.content)
    where = f"{mutation.kind} {mutation.field} in {mutation.scenario}"
    try:
        load_scenario(path)
    except ValueError as error:  # the CLI's exit 2 (ScenarioError is a ValueError)
        return None if names_the_field(str(error), mutation.field) else f"{where}: {error}"
    except Exception as error:  # a traceback is what this guards against
        return f"{where}: {type(error).__name__}: {error}"
    return f"{where}: accepted"
