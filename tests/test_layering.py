"""The package tree keeps its layers: no import runs up them (Trio's stated, enforced layering).

Every module's ``ast`` is read, so an import inside a function counts as
much as one at the top. A package may import its own modules, any package
in a lower layer, and nothing in its own layer or above: the two engines
are siblings and neither knows the other, the engines know no scenario,
and nothing but the Jupyter layer and the CLI imports Jupyter.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).parents[1] / "emergent_lab"

LAYERS: tuple[tuple[str, ...], ...] = (
    ("core",),
    ("score", "detector", "datasets"),
    ("protocol",),
    ("sim",),
    ("baselines",),
    ("run",),
    ("exact", "array"),
    ("scenario",),
    ("sweep", "dask_sweep"),
    ("analysis", "live"),
    ("mqtt",),
    ("jupyter",),
    ("cli",),
    ("__main__",),
)
"""Bottom to top, as the README's Layout section and each package's docstring state them
(``python -m emergent_lab`` on top: it only runs the CLI)."""

LEVEL = {package: level for level, names in enumerate(LAYERS) for package in names}
UI_MODULES = ("ipywidgets", "bokeh", "jupyter_bokeh", "IPython")


def _package_of(path: Path) -> str:
    return path.relative_to(ROOT).with_suffix("").parts[0]


def _imports(path: Path) -> list[tuple[int, str]]:
    """(line, absolute module) of every import in ``path``, relative ones resolved."""
    tree = ast.parse(path.read_text(), filename=str(path))
    package = ["emergent_lab", *path.relative_to(ROOT).parent.parts]
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package[: len(package) - node.level + 1]
                name = ".".join([*base, node.module] if node.module else base)
            else:
                name = node.module or ""
            found.append((node.lineno, name))
    return found


def _modules() -> list[Path]:
    return sorted(p for p in ROOT.rglob("*.py") if p.parent != ROOT or p.stem != "__init__")


def test_every_package_has_a_layer():
    packages = {_package_of(p) for p in _modules()}
    assert packages == set(LEVEL), f"unlayered: {packages ^ set(LEVEL)}"


def test_the_layers_as_written_refuse_an_upward_import():
    """The check itself can fail: an engine importing the scenario layer is caught."""
    offender = ROOT / "exact" / "cluster.py"
    imports = [(1, "emergent_lab.scenario.runner"), *_imports(offender)]
    assert _violations(offender, imports)


def _violations(path: Path, imports: list[tuple[int, str]]) -> list[str]:
    own = _package_of(path)
    bad = []
    for line, name in imports:
        parts = name.split(".")
        if parts[0] in UI_MODULES and LEVEL[own] < LEVEL["jupyter"]:
            bad.append(f"{path.relative_to(ROOT)}:{line} imports {name} (UI below jupyter)")
        if parts[0] != "emergent_lab" or len(parts) < 2:
            continue
        target = parts[1]
        if target == own or target not in LEVEL:
            continue
        if LEVEL[target] >= LEVEL[own]:
            bad.append(f"{path.relative_to(ROOT)}:{line} imports {name} ({own} → {target})")
    return bad


@pytest.mark.parametrize("path", _modules(), ids=lambda p: str(p.relative_to(ROOT)))
def test_no_import_runs_up_the_layers(path: Path):
    if _package_of(path) not in LEVEL:  # top-level modules of emergent_lab itself
        return
    assert _violations(path, _imports(path)) == []


def test_the_top_level_package_imports_only_the_headless_engine():
    """``import emergent_lab`` gives the engine without the UI or the MQTT bridge."""
    bad = [
        name
        for _, name in _imports(ROOT / "__init__.py")
        if name.split(".")[1:2] and LEVEL.get(name.split(".")[1], 0) > LEVEL["scenario"]
    ]
    assert bad == []
