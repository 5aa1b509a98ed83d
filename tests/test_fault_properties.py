"""Property test: after any fault schedule and a quiet period, one leader and no zombies.

See ``fault_schedules`` for the schedules and the three properties; more
schedules run with ``benchmarks/fault_properties.py``. Derandomised, so the
suite draws the same schedules every run.
"""

from fault_schedules import Fault, faults, violations
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

EXAMPLES = 250


@settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow],
)
@given(n=st.integers(3, 6), seed=st.integers(0, 2**16), drawn=faults)
def test_after_faults_and_quiet_one_leader_no_zombie_no_split(
    n: int, seed: int, drawn: list[Fault]
) -> None:
    assert violations(n, seed, drawn) == []
