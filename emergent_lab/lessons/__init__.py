"""Helpers the tutorial notebooks call: measurements, tables and figures, one module per lesson.

A lesson cell should read like the sentence it illustrates, so the code that
runs sweeps, decomposes failovers or draws figures lives here, tested, and the
notebooks only call it. Nothing here imports Jupyter or Bokeh at module level.

- :mod:`.scoring` (lesson 01), :mod:`.dissemination` (02), :mod:`.phi` (03),
  :mod:`.thresholds` (04), :mod:`.failover` (05);
- :mod:`.tables` prints result rows deterministically (nbval compares them);
- :mod:`.figures` builds Bokeh figures; :mod:`.play` opens the dashboard.
"""

from emergent_lab.lessons.tables import format_table, print_table
from emergent_lab.lessons.variants import run_variant, scenario_variant

__all__ = ["format_table", "print_table", "run_variant", "scenario_variant"]
