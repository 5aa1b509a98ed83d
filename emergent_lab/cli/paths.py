"""Output paths checked before a command runs.

A run or a sweep can take minutes; a report path in a missing folder used to
fail only when the result was written, with a traceback and the work lost.
Every output option goes through :func:`writable_file` first, so bad input
fails at once with one line naming the option (exit status 2 via ``ValueError``).
"""

from __future__ import annotations

import os
from pathlib import Path


def writable_file(option: str, text: str) -> Path:
    """The path of ``option`` (e.g. ``--html``) once it is known to accept a new file.

    The file is opened for appending (which changes nothing in an existing
    file) and removed again if it did not exist, so what is checked is what
    the final write will meet: a missing or non-folder parent, a directory in
    the file's place, permissions, a read-only file system.

    Raises:
        ValueError: one line naming the option and the problem.
    """
    path = Path(text)
    folder = path.parent
    if path.is_dir():
        raise ValueError(f"{option}: '{text}' is a folder, expected a file path")
    if not folder.exists():
        raise ValueError(f"{option}: folder '{folder}' does not exist")
    if not folder.is_dir():
        raise ValueError(f"{option}: '{folder}' is not a folder")
    existed = path.exists()
    try:
        with path.open("a"):
            pass
    except OSError as error:
        reason = error.strerror or type(error).__name__
        raise ValueError(f"{option}: cannot write '{text}' ({reason})") from None
    if not existed:
        os.unlink(path)
    return path
