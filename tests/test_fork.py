"""A simulated cluster can be forked: a deep copy goes on exactly as the original.

The dashboard's replay and "continue from here" rest on this: scheduled
timers and deliveries are partials of methods (never closures, which a copy
would share with the original), and the event log's digest is copied, not
restarted. A fork that shared a closure would deliver into the original's
nodes, and the two digests below would differ.
"""

from __future__ import annotations

import copy

import pytest

from emergent_lab.scenario import build_cluster, builtin_names, load_scenario

EXACT_SCENARIOS = [n for n in builtin_names() if load_scenario(n).engine.engine != "array"]


@pytest.mark.parametrize("name", EXACT_SCENARIOS)
def test_a_fork_goes_on_like_the_original(name: str) -> None:
    original = build_cluster(load_scenario(name))
    original.run(25.0)
    fork = copy.deepcopy(original)
    original.run(70.0)
    fork.run(70.0)
    assert fork.observer.log.records == original.observer.log.records
    assert fork.observer.log.hexdigest() == original.observer.log.hexdigest()


def test_acting_on_a_fork_leaves_the_original_alone() -> None:
    original = build_cluster(load_scenario("leader-crash"))
    twin = build_cluster(load_scenario("leader-crash"))
    original.run(20.0)
    twin.run(20.0)
    fork = copy.deepcopy(original)
    fork.crash("leader")
    fork.partition("half")
    fork.run(50.0)
    original.run(50.0)
    twin.run(50.0)
    assert original.observer.log.hexdigest() == twin.observer.log.hexdigest()
    assert fork.observer.log.hexdigest() != original.observer.log.hexdigest()


def test_running_in_slices_is_the_same_run() -> None:
    """The dashboard advances in frames; the run must not depend on where they fall."""
    sliced = build_cluster(load_scenario("leader-crash"))
    whole = build_cluster(load_scenario("leader-crash"))
    for _ in range(300):
        sliced.run_for(0.2)
    whole.run(sliced.time)
    assert sliced.observer.log.hexdigest() == whole.observer.log.hexdigest()


def test_a_bully_cluster_forks_too() -> None:
    from emergent_lab.exact import SimCluster
    from emergent_lab.run import ClusterConfig

    original = SimCluster(ClusterConfig.create(12, seed=3, protocol_name="bully"))
    original.run(15.0)
    original.crash("leader")
    fork = copy.deepcopy(original)
    original.run(45.0)
    fork.run(45.0)
    assert fork.observer.log.hexdigest() == original.observer.log.hexdigest()
