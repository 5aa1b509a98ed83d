"""The flock view's birds: a deterministic boids integration driven by who follows whom.

Each up node is a bird. It steers toward the bird of the leader it follows
(cohesion), keeps its distance from nearby birds (separation) and matches the
velocity of birds that follow the same leader (alignment). Leaders, the
birds that follow themselves, wander slowly. So agreement on one leader
shows as one flock, a crashed leader scatters its flock until a new leader
emerges, and a partition shows as two flocks.

The flock draws from its own generator, derived from the cluster's seed, so
drawing the flock never changes the cluster's run.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from emergent_lab.core.arrays import BoolArray, FloatArray, IntArray
from emergent_lab.core.checks import check_number

FLOCK_STREAM = 0xF10C
"""Extra entropy mixed into the cluster seed: the flock's generator is its own stream."""
PAIRWISE_LIMIT = 256
"""Up to this many birds, separation looks at every pair; beyond, at a sample."""
SEPARATION_SAMPLE = 32
"""Neighbours sampled per bird for separation in large flocks."""


@dataclass(frozen=True)
class FlockRules:
    """Strengths of the three boids rules, in plot units per virtual second.

    Attributes:
        cohesion: pull toward the followed leader's bird.
        alignment: pull toward the mean velocity of birds with the same leader.
        separation: push away from birds closer than the separation radius.
        wander: random steering of leaders and of birds whose leader is gone.
        drag: velocity damping, so the flock settles instead of orbiting.
        max_speed: speed limit (plot units per virtual second).
        step: integration step in virtual seconds.
        max_steps: steps per advance at most (fast playback skips ahead).
    """

    cohesion: float = 2.0
    alignment: float = 1.0
    separation: float = 0.02
    wander: float = 0.6
    drag: float = 0.3
    max_speed: float = 0.8
    step: float = 0.2
    max_steps: int = 8


class Flock:
    """Bird positions and velocities for ``n`` nodes, integrated in virtual time.

    Args:
        n: number of birds (one per node, in the views' node order).
        seed: the cluster's seed; the flock's generator is derived from it.
        rules: the boids strengths.
    """

    def __init__(self, n: int, seed: int, rules: FlockRules | None = None) -> None:
        self.rules = rules or FlockRules()
        self.rng = np.random.default_rng([int(seed), FLOCK_STREAM])
        self.position: FloatArray = np.zeros((0, 2))
        self.velocity: FloatArray = np.zeros((0, 2))
        self.grow(n)

    @property
    def size(self) -> int:
        """Number of birds."""
        return int(self.position.shape[0])

    def grow(self, n: int) -> None:
        """Add birds for nodes that joined, scattered at random."""
        extra = n - self.size
        if extra <= 0:
            return
        self.position = np.vstack([self.position, self.rng.uniform(-1, 1, (extra, 2))])
        self.velocity = np.vstack([self.velocity, self.rng.normal(0, 0.05, (extra, 2))])

    def advance(self, duration: float, follows: IntArray, up: BoolArray) -> None:
        """Integrate ``duration`` virtual seconds with the current opinions.

        Args:
            duration: virtual seconds to integrate (fast playback is capped
                at ``rules.max_steps`` steps: the birds cannot keep up, so
                they skip ahead rather than slow the frame).
            follows: per bird, the index of the bird it follows, or -1.
            up: per bird, whether its node is up (down birds stand still).
        """
        check_number("duration", duration, low=0)
        if duration == 0 or not self.size:
            return
        steps = min(self.rules.max_steps, max(1, math.ceil(duration / self.rules.step)))
        dt = min(duration / steps, self.rules.step)
        for _ in range(steps):
            self._step(dt, follows, up)

    def _step(self, dt: float, follows: IntArray, up: BoolArray) -> None:
        rules = self.rules
        n = self.size
        pos, vel = self.position, self.velocity
        index = np.arange(n)
        valid = up & (follows >= 0)
        valid[valid] = up[follows[valid]]
        leader = valid & (follows == index)
        follower = valid & ~leader
        lost = up & ~valid
        acc = np.zeros((n, 2))

        target = follows[follower]
        acc[follower] += rules.cohesion * (pos[target] - pos[follower])

        groups = np.where(valid, follows, n)
        counts = np.bincount(groups, minlength=n + 1).astype(float)
        mean_v = (
            np.column_stack(
                [np.bincount(groups, weights=vel[:, k], minlength=n + 1) for k in (0, 1)]
            )
            / np.maximum(counts, 1)[:, None]
        )
        acc[follower] += rules.alignment * (mean_v[groups[follower]] - vel[follower])

        acc[up] += self._separation(pos, up)

        noise = self.rng.normal(0, 1, (n, 2))
        wandering = leader | lost
        acc[wandering] += rules.wander * noise[wandering]
        # Leaders drift about the centre: pulled back and damped, so they never park at a wall.
        acc[leader] -= 0.8 * pos[leader] + 1.0 * vel[leader]
        acc -= rules.drag * vel

        radius = np.linalg.norm(pos, axis=1)
        outside = radius > 1.2
        acc[outside] -= 2.0 * pos[outside] * (radius[outside] - 1.2)[:, None]

        vel += dt * acc
        speed = np.linalg.norm(vel, axis=1)
        fast = speed > rules.max_speed
        vel[fast] *= (rules.max_speed / speed[fast])[:, None]
        vel[~up] = 0.0
        pos += dt * vel

    def _separation(self, pos: FloatArray, up: BoolArray) -> FloatArray:
        """Push between up birds closer than a radius that shrinks as the flock grows.

        The radius keeps a flock of all birds about 0.4 plot units across
        whatever its size; large flocks look at a sample of neighbours so one
        step stays linear in the number of birds.
        """
        live = np.flatnonzero(up)
        m = live.size
        if m < 2:
            return np.zeros((m, 2))
        radius = 0.7 / math.sqrt(m)
        x, y = pos[live, 0], pos[live, 1]
        if m <= PAIRWISE_LIMIT:
            dx, dy = x[:, None] - x[None, :], y[:, None] - y[None, :]
            scale = 1.0
        else:
            partners = self.rng.integers(0, m, (m, SEPARATION_SAMPLE))
            dx, dy = x[:, None] - x[partners], y[:, None] - y[partners]
            scale = m / SEPARATION_SAMPLE
        dist2 = dx * dx + dy * dy
        near = (dist2 < radius * radius) & (dist2 > 0)
        weight = np.where(near, 1.0 / np.maximum(dist2, 1e-6), 0.0)
        strength = self.rules.separation * scale
        push: FloatArray = strength * np.column_stack([(weight * dx).sum(1), (weight * dy).sum(1)])
        return np.clip(push, -20.0, 20.0)
