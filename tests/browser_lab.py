"""A real JupyterLab on loopback and headless Chromium with the network blocked.

Shared by every real-browser test. It reproduces a classroom without
internet: the browser may talk to 127.0.0.1 only; any other request is
aborted and recorded (``OfflinePage.blocked``), so a test can assert that
nothing tried to reach a CDN. Needs Debian's ``chromium`` and Playwright;
without them a test skips, except under ``CI=true`` where that is a failure.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

import pytest

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Locator, Page, Route

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-quic",
]
LOOPBACK = {"127.0.0.1", "localhost", "::1", "[::1]"}
LOCAL_SCHEMES = {"file", "data", "blob", "about", "chrome", "devtools"}


def missing(reason: str) -> None:
    """Skip on a user's machine, fail under ``CI=true`` (where the tool must be installed)."""
    if os.environ.get("CI") == "true":
        pytest.fail(f"{reason} (required under CI=true; scripts/system-deps.sh installs it)")
    pytest.skip(reason)


def require_browser() -> None:
    """Skip (or fail under CI) unless Chromium and Playwright are both here."""
    if not (CHROMIUM.exists() or shutil.which("chromium")):
        missing("Chromium is not installed (apt-get install chromium)")
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        missing("playwright is not installed (pip install playwright)")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _wait_for_server(url: str, process: subprocess.Popen[bytes], timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"jupyter lab exited with status {process.returncode}")
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.3)
    raise TimeoutError(f"jupyter lab did not answer {url} within {timeout} s")


@dataclass
class Lab:
    """A running JupyterLab: ``url(name)`` opens a notebook of ``root`` with the token."""

    base: str
    token: str
    root: Path

    def url(self, notebook: str) -> str:
        """The address of ``notebook`` (relative to ``root``), in a fresh workspace.

        ``reset`` drops the tabs a previous page left open in the shared
        server, so each page shows this notebook alone, as on first contact.
        """
        return f"{self.base}/lab/tree/{notebook}?reset&token={self.token}"


@contextmanager
def jupyter_lab(tmp_path: Path, notebooks: Sequence[Path]) -> Iterator[Lab]:
    """JupyterLab on loopback, serving copies of ``notebooks`` from a temporary root.

    Settings, workspaces and runtime files live in ``tmp_path`` too, so a test
    sees what a first-time user sees: no news fetched, the kernel started on open.
    """
    require_browser()
    root = tmp_path / "root"
    root.mkdir()
    for notebook in notebooks:
        shutil.copy(notebook, root / notebook.name)
    settings = tmp_path / "lab-settings" / "@jupyterlab"
    quiet = {
        "apputils-extension/notification": {"fetchNews": "false", "checkForUpdates": False},
        "notebook-extension/tracker": {"autoStartDefaultKernel": True},
    }
    for name, values in quiet.items():
        path = settings / f"{name}.jupyterlab-settings"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(values))
    env = {
        **os.environ,
        "JUPYTER_CONFIG_DIR": str(tmp_path / "config"),
        "JUPYTER_RUNTIME_DIR": str(tmp_path / "runtime"),
        "IPYTHONDIR": str(tmp_path / "ipython"),
        "JUPYTERLAB_SETTINGS_DIR": str(tmp_path / "lab-settings"),
        "JUPYTERLAB_WORKSPACES_DIR": str(tmp_path / "workspaces"),
    }
    port, token = _free_port(), secrets.token_hex(16)
    log = (tmp_path / "jupyter.log").open("wb")
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "jupyterlab",
            "--no-browser",
            "--ip=127.0.0.1",
            f"--port={port}",
            "--port-retries=0",
            f"--IdentityProvider.token={token}",
            f"--ServerApp.root_dir={root}",
            "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
            *(["--allow-root"] if os.geteuid() == 0 else []),
        ],
        cwd=root,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        base = f"http://127.0.0.1:{port}"
        _wait_for_server(f"{base}/api/status?token={token}", process, timeout=60)
        yield Lab(base=base, token=token, root=root)
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.close()


@dataclass
class OfflinePage:
    """A page whose requests outside loopback are aborted, with what it logged."""

    page: Page
    blocked: list[str] = field(default_factory=list)
    console: list[str] = field(default_factory=list)

    def console_matching(self, pattern: str) -> list[str]:
        """Console lines that match ``pattern`` (a regular expression)."""
        return [line for line in self.console if re.search(pattern, line)]


def _is_local(url: str) -> bool:
    parts = urlsplit(url)
    return parts.scheme in LOCAL_SCHEMES or (parts.hostname or "") in LOOPBACK


@contextmanager
def offline_browser() -> Iterator[Browser]:
    """Headless Debian Chromium through Playwright (closed at the end)."""
    require_browser()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


def offline_page(
    browser: Browser, *, width: int = 1280, height: int = 800, timeout_ms: int = 45_000
) -> OfflinePage:
    """A fresh page (own context) that may reach 127.0.0.1 only."""
    context = browser.new_context(viewport={"width": width, "height": height})
    record = OfflinePage(page=context.new_page())

    def route(route: Route) -> None:
        url = route.request.url
        if _is_local(url):
            route.continue_()
        else:
            record.blocked.append(url)
            route.abort("internetdisconnected")

    context.route("**/*", route)
    record.page.set_default_timeout(timeout_ms)
    record.page.on("console", lambda m: record.console.append(f"{m.type}: {m.text}"))
    record.page.on("pageerror", lambda e: record.console.append(f"pageerror: {e}"))
    return record


def open_notebook(page: Page, url: str) -> None:
    """Open a notebook and wait until its kernel is idle."""
    page.goto(url)
    page.locator(".jp-Notebook").wait_for()
    page.get_by_text(re.compile(r"Python 3 \(ipykernel\) \| Idle")).wait_for(timeout=90_000)


def run_all(page: Page) -> None:
    """Run ▸ Run All Cells from the menu, as a learner would."""
    page.get_by_role("menuitem", name="Run", exact=True).click()
    page.get_by_role("menuitem", name=re.compile("^Run All Cells")).click()


def wait_until_idle(page: Page, timeout_ms: int = 300_000) -> None:
    """Wait until no cell shows ``[*]`` and the kernel reads Idle."""
    page.wait_for_function(
        """() => ![...document.querySelectorAll('.jp-InputPrompt')]
              .some(p => p.textContent.includes('[*]'))""",
        timeout=timeout_ms,
    )
    page.get_by_text(re.compile(r"Python 3 \(ipykernel\) \| Idle")).wait_for(timeout=timeout_ms)


def write_notebook(folder: Path, name: str, cells: Sequence[str]) -> Path:
    """Code cells, with the kernelspec JupyterLab writes (so opening it edits nothing)."""
    import nbformat

    notebook = nbformat.v4.new_notebook()  # type: ignore[no-untyped-call]
    notebook.cells = [nbformat.v4.new_code_cell(c) for c in cells]  # type: ignore[no-untyped-call]
    notebook.metadata["kernelspec"] = {
        "display_name": "Python 3 (ipykernel)",
        "language": "python",
        "name": "python3",
    }
    path = folder / f"{name}.ipynb"
    nbformat.write(notebook, path)  # type: ignore[no-untyped-call]
    return path


def run_cell(page: Page, index: int) -> None:
    """Run one cell (Shift+Enter in it) and wait until the kernel is idle."""
    cell = page.locator(".jp-Notebook .jp-Cell").nth(index)
    cell.locator(".jp-InputArea-editor").click()
    page.keyboard.press("Shift+Enter")
    wait_until_idle(page)


def wait_for_text(page: Page, selector: str, pattern: str, timeout_ms: int = 45_000) -> None:
    """Wait until the first element matching ``selector`` has text matching ``pattern``."""
    page.wait_for_function(
        "([selector, pattern]) => new RegExp(pattern).test("
        "document.querySelector(selector)?.innerText ?? '')",
        arg=[selector, pattern],
        timeout=timeout_ms,
    )


def button(page: Page, label: str) -> Locator:
    """An ipywidgets button by its label (its icon is part of the accessible name)."""
    return page.locator("button.jupyter-button", has_text=re.compile(rf"^\s*{label}\s*$"))


def painted_pixels(page: Page, selector: str = "canvas") -> int:
    """Non-background pixels on the most painted canvas among ``selector``."""
    return int(
        page.locator(selector).evaluate_all(
            """canvases => Math.max(0, ...canvases.map(c => {
                if (!c.width || !c.height) return 0;
                const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
                let n = 0;
                for (let i = 0; i < d.length; i += 4)
                    if (d[i + 3] > 0 && (d[i] < 240 || d[i + 1] < 240 || d[i + 2] < 240)) n++;
                return n;
            }))"""
        )
    )
