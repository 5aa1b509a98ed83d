"""Fuzz: hundreds of broken variants of the built-in scenarios, every one refused naming the field.

See ``scenario_mutations`` for the five kinds of mutation; more cases run
with ``benchmarks/scenario_fuzz.py``.
"""

from collections import Counter
from pathlib import Path

from scenario_mutations import mutations, refusal

CASES = 400


def test_every_mutated_builtin_scenario_is_refused_naming_the_field(tmp_path: Path) -> None:
    cases = mutations(CASES)
    assert Counter(m.kind for m in cases) == {
        kind: CASES // 5 for kind in ("types", "ranges", "unknown keys", "targets", "garbage")
    }
    problems = [p for m in cases if (p := refusal(m, tmp_path))]
    assert not problems, "\n".join(problems[:20])
