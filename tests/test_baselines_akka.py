import numpy as np

from emergent_lab.scenario import build_cluster, load_scenario, run_scenario
from emergent_lab.scenario.akka import AKKA_STYLE, akka_style


def test_akka_style_is_the_lowest_id_preset_with_full_convergence() -> None:
    assert AKKA_STYLE == {"score.preset": "lowest-id", "leader.convergence_threshold": 1.0}
    scenario = akka_style(load_scenario("leader-crash"))
    assert scenario.config.score.name == "lowest-id"
    assert scenario.config.params.convergence_threshold == 1.0


def test_akka_style_leader_is_the_first_up_member_by_address() -> None:
    _, report = run_scenario(akka_style(load_scenario("leader-crash")))
    crash = report.events[0]
    assert crash.resolved == ["n0"]
    assert crash.leader_after == "n1"
    assert report.final_leader == "n1" and report.converged


def test_akka_style_leader_acts_only_on_full_convergence() -> None:
    cluster = build_cluster(akka_style(load_scenario("leader-crash")))
    checked = 0
    while cluster.time < 45:
        cluster.run_for(0.25)
        for node in cluster.nodes.values():
            if node.running and node.acting:
                alive = np.flatnonzero(node.alive_mask)
                # Every member this node believes alive follows it, as this node knows.
                assert (node.view.opinion[alive] == node.index).all()
                checked += 1
    assert checked > 0


def test_a_plain_emergent_leader_may_act_before_full_convergence() -> None:
    """The contrast that makes the previous test meaningful (threshold 0.75)."""
    cluster = build_cluster(load_scenario("leader-crash"))
    partial = 0
    while cluster.time < 45:
        cluster.run_for(0.25)
        for node in cluster.nodes.values():
            if node.running and node.acting:
                alive = np.flatnonzero(node.alive_mask)
                partial += int(not (node.view.opinion[alive] == node.index).all())
    assert partial > 0
