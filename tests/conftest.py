from __future__ import annotations

import os
from collections.abc import Iterator
from typing import TYPE_CHECKING

import pytest
from hypothesis import settings

if TYPE_CHECKING:
    from emergent_lab.array import ArrayCluster
    from emergent_lab.exact import SimCluster
    from emergent_lab.jupyter import Dashboard

settings.register_profile("ci", max_examples=60, deadline=None)
settings.register_profile("dev", max_examples=40, deadline=None)
settings.load_profile("ci" if os.environ.get("CI") == "true" else "dev")


@pytest.fixture
def dash(cluster: SimCluster | ArrayCluster) -> Iterator[Dashboard]:
    """A dashboard on the test module's ``cluster`` fixture, closed after the test.

    Shared by the dashboard tests of both engines; Dashboard is imported here,
    not at the top, so modules that need no Jupyter packages still collect
    without them (the widget modules skip themselves when they are missing).
    """
    from emergent_lab.jupyter import Dashboard

    board = Dashboard(cluster)
    yield board
    board.close()
