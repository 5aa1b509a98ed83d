"""Fuzz the scenario checks: many broken variants of the built-in scenarios, each must be refused.

The suite runs 400 cases (``tests/test_scenario_fuzz.py``); this runs as many
as asked, under any seed, and prints the cases that were accepted, ended in
another error than a refusal, or were refused without naming the field.

    python benchmarks/scenario_fuzz.py                    # 5,000 cases, seed 13
    python benchmarks/scenario_fuzz.py --cases 20000 --seed 7
"""

from __future__ import annotations

import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

from options import pop_option

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
from scenario_mutations import mutations, refusal


def main(cases: int, seed: int) -> int:
    start = time.perf_counter()
    drawn = mutations(cases, seed=seed)
    with tempfile.TemporaryDirectory() as folder:
        problems = [(m.kind, p) for m in drawn if (p := refusal(m, Path(folder)))]
    kinds = Counter(m.kind for m in drawn)
    print(f"{cases} cases (seed {seed}) in {time.perf_counter() - start:.1f} s: {dict(kinds)}")
    print(f"{len(problems)} not refused as they must be: {dict(Counter(k for k, _ in problems))}")
    for _, problem in problems[:50]:
        print("  " + problem)
    return 1 if problems else 0


if __name__ == "__main__":
    args = sys.argv[1:]
    count = pop_option(args, "--cases", 5000, int)
    chosen = pop_option(args, "--seed", 13, int)
    sys.exit(main(count, chosen))
