"""Sweeps on a Dask cluster: an executor backed by a ``dask.distributed`` scheduler.

:func:`emergent_lab.sweep.sweep` takes any ``concurrent.futures.Executor``,
and ``dask.distributed.Client(...).get_executor()`` is one, so from Python a
sweep runs on Dask with no adapter at all. This module is what the command
line needs on top: a checked address, a connection that fails with one line
naming ``--scheduler`` rather than a traceback, and a client that is closed
when the sweep ends. Dask is imported only here and only when asked for, so
it stays an optional extra (``pip install 'emergent-lab[dask]'``); every
worker needs emergent-lab installed too, since runs are shipped as pickles
that name its functions. Seeds decide each run, so the table is the one the
serial sweep gives.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from concurrent.futures import Executor
from contextlib import contextmanager

ADDRESS = re.compile(r"(tcp|tls|ws|wss|ucx|inproc)://\S+")
"""The address forms a Dask scheduler listens on (``tcp://host:8786`` is the usual one)."""


@contextmanager
def dask_executor(
    address: str, *, field: str = "--scheduler", timeout: float = 10.0
) -> Iterator[Executor]:
    """Connect to the Dask scheduler at ``address``; yield an executor; disconnect after.

    Raises:
        ValueError: naming ``field``: a malformed address, Dask not installed,
            or no scheduler answering within ``timeout`` seconds.
    """
    if not ADDRESS.fullmatch(address):
        raise ValueError(
            f"{field}: expected a scheduler address like tcp://host:8786 (got {address!r})"
        )
    try:
        from dask.distributed import Client
    except ImportError as error:
        raise ValueError(
            f"{field}: needs dask.distributed (pip install 'emergent-lab[dask]'): {error}"
        ) from None
    try:
        client = Client(address, timeout=timeout)  # type: ignore[no-untyped-call]
    except (OSError, TimeoutError) as error:
        raise ValueError(f"{field}: no Dask scheduler answers at {address!r} ({error})") from None
    try:
        yield client.get_executor()  # type: ignore[no-untyped-call]
    finally:
        client.close()  # type: ignore[no-untyped-call]
