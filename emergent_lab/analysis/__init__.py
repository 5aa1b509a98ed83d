"""Pure analysis: measurements, theory and statistics that the lessons and benchmarks use.

Layer 7. One module per concern or lesson (:mod:`.measure` defines
dissemination and failover once for both engines, :mod:`.theory` the
epidemic reference curves, :mod:`.compare` a two-sample test,
:mod:`.scoring`, :mod:`.dissemination`, :mod:`.phi`, :mod:`.thresholds`,
:mod:`.failover` the lessons' measurements, :mod:`.bounded` what top-k gossip
saves and the partition that hides all k, :mod:`.tables` deterministic
tables nbval compares). Everything here is tested and runs headless.

May import: every layer up to and including scenario and sweep. Never
Jupyter, Bokeh or ipywidgets: the figures and explorers are in
:mod:`emergent_lab.jupyter`.
"""

from emergent_lab.analysis.compare import ks_critical, ks_statistic, median_ratio
from emergent_lab.analysis.tables import format_table, print_table
from emergent_lab.analysis.theory import failover_bound, push_pull_rounds, push_rounds
from emergent_lab.analysis.variants import run_variant, scenario_variant

__all__ = [
    "failover_bound",
    "format_table",
    "ks_critical",
    "ks_statistic",
    "median_ratio",
    "print_table",
    "push_pull_rounds",
    "push_rounds",
    "run_variant",
    "scenario_variant",
]
