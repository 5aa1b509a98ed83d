"""Where the shipped datasets live, and the errors raised when they are not there.

The data sits beside the code in ``<repo>/datasets`` rather than inside the
package, so it is versioned with its licences and provenance and is not
copied into every wheel. A user who installed the package elsewhere (or wants
to try other data) points ``EMERGENT_LAB_DATASETS`` at a folder with the same
layout.
"""

from __future__ import annotations

import difflib
import os
from collections.abc import Iterable
from pathlib import Path

ENV_VAR = "EMERGENT_LAB_DATASETS"
"""Environment variable that overrides the dataset folder."""

DEFAULT_ROOT = Path(__file__).resolve().parents[2] / "datasets"
"""``<repo>/datasets``: where a source checkout keeps the data."""


class DatasetNotFoundError(FileNotFoundError):
    """A dataset folder or file is missing.

    A subclass of FileNotFoundError so callers that already handle missing
    files keep working, but with a message that says where we looked and how
    to point elsewhere: a bare ``FileNotFoundError`` on an archive name is no
    help to someone who installed the package without the data.
    """


def data_root() -> Path:
    """Return the dataset folder, honouring ``EMERGENT_LAB_DATASETS``.

    Raises:
        DatasetNotFoundError: the folder does not exist.
    """
    override = os.environ.get(ENV_VAR)
    root = Path(override).expanduser() if override else DEFAULT_ROOT
    if not root.is_dir():
        raise DatasetNotFoundError(
            f"dataset folder not found: looked in {root} ({_origin(override)}); "
            f"set {ENV_VAR} to the folder that holds the emergent-lab datasets"
        )
    return root


def data_file(*parts: str) -> Path:
    """Return the path of one shipped file below the dataset folder.

    Args:
        *parts: path components below the dataset folder, for example
            ``("topology_zoo", "graphml.tar.gz")``.

    Raises:
        DatasetNotFoundError: the folder or the file does not exist.
    """
    root = data_root()
    path = root.joinpath(*parts)
    if not path.exists():
        override = os.environ.get(ENV_VAR)
        raise DatasetNotFoundError(
            f"dataset file not found: looked for {path} in the dataset folder {root} "
            f"({_origin(override)}); set {ENV_VAR} to a folder with the emergent-lab "
            "datasets layout (see datasets/README.md)"
        )
    return path


def unknown_name_error(kind: str, name: str, known: Iterable[str]) -> ValueError:
    """Build the ValueError for an unknown dataset member, with close names.

    Names are compared case-insensitively because users type "abilene" as
    often as "Abilene"; suggestions are given in their real spelling.

    Args:
        kind: what was looked up, for the message ("topology", "CPU trace").
        name: the name that was not found.
        known: every valid name.
    """
    by_lower = {k.lower(): k for k in known}
    close = difflib.get_close_matches(name.lower(), list(by_lower), n=5, cutoff=0.6)
    hint = (
        f"did you mean {', '.join(repr(by_lower[c]) for c in close)}?"
        if close
        else "no close names"
    )
    return ValueError(f"unknown {kind} {name!r}: {hint} ({len(by_lower)} available)")


def _origin(override: str | None) -> str:
    return f"from ${ENV_VAR}" if override else f"the default; ${ENV_VAR} is not set"
