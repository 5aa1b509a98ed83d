"""The fault-schedule properties over many more schedules than the suite draws.

Draws random fault schedules (crash, restart, pause, join, leave, partition,
heal, loss) followed by a quiet period and checks, after it: one running
leader within the emergence threshold of the best, no running node
believing a long-dead node alive, no split leadership
(``tests/fault_schedules.py`` defines all three). Prints every schedule
that broke one, with what broke.

    python benchmarks/fault_properties.py                     # 2,000 schedules, seed 1
    python benchmarks/fault_properties.py --examples 10000 --seed 7
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

from hypothesis import HealthCheck, given, seed, settings
from hypothesis import strategies as st
from options import pop_option

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
from fault_schedules import Fault, faults, violations


def main(examples: int, chosen: int) -> int:
    broken: list[tuple[int, int, list[Fault], list[str]]] = []
    count = 0

    @seed(chosen)
    @settings(
        max_examples=examples,
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(n=st.integers(3, 8), cluster_seed=st.integers(0, 2**16), drawn=faults)
    def check(n: int, cluster_seed: int, drawn: list[Fault]) -> None:
        nonlocal count
        count += 1
        found = violations(n, cluster_seed, drawn)
        if found:
            broken.append((n, cluster_seed, drawn, found))

    start = time.perf_counter()
    check()
    print(f"{count} schedules (seed {chosen}) in {time.perf_counter() - start:.0f} s")
    print(f"{len(broken)} broke a property")
    for n, cluster_seed, drawn, found in broken[:20]:
        print(f"  n={n} seed={cluster_seed} faults={drawn}")
        for problem in found[:3]:
            print(f"    {problem}")
    return 1 if broken else 0


if __name__ == "__main__":
    args = sys.argv[1:]
    count = pop_option(args, "--examples", 2000, int)
    chosen_seed = pop_option(args, "--seed", 1, int)
    sys.exit(main(count, chosen_seed))
