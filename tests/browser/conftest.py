"""pytest wiring for the browser suite; the helpers live in harness.py.

If ONBOARD_BASE_URL is not set, each pytest process that runs tests (each xdist worker, or pytest
itself without -n) starts its own `$ONBOARD_BIN serve` on a free 127.0.0.1 port with its own SQLite
database, and stops it by PID at the end. The database is a copy of ONBOARD_BROWSER_TEMPLATE when
that names a seeded file (scripts/test prepares one per run), otherwise an empty one the server
seeds. So `.venv/bin/python -m pytest tests/browser -k NAME` works on its own after `swift build`,
and `-n 2` runs two workers that never share a server, a database or a session.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile

import pytest

from harness import REPO_ROOT, SCREENSHOT_ROOT, _free_port, _onboard_bin, make_driver, wait_for_health


def _is_xdist_controller(config: pytest.Config) -> bool:
    """The process that hands tests to xdist workers runs none itself, so it needs no server."""
    return not hasattr(config, "workerinput") and bool(getattr(config.option, "numprocesses", None))


def pytest_configure(config: pytest.Config) -> None:
    config._onboard_server = None  # type: ignore[attr-defined]
    config._onboard_tmp = None  # type: ignore[attr-defined]
    if not hasattr(config, "workerinput"):
        # Screenshots and reports are from this run only (cleared once, before any worker writes).
        shutil.rmtree(SCREENSHOT_ROOT, ignore_errors=True)
    if os.environ.get("ONBOARD_BASE_URL") or _is_xdist_controller(config):
        return
    binary = _onboard_bin()
    if not os.access(binary, os.X_OK):
        pytest.exit(
            f"ONBOARD_BASE_URL is not set and {binary} does not exist: run `swift build` first, "
            "or use scripts/test --only browser",
            returncode=2,
        )
    tmp = tempfile.mkdtemp(prefix="onboard-browser-")
    config._onboard_tmp = tmp  # type: ignore[attr-defined]
    database = os.path.join(tmp, "browser.sqlite")
    template = os.environ.get("ONBOARD_BROWSER_TEMPLATE")
    if template:
        shutil.copyfile(template, database)
    # Each worker's commands (demo-accounts, outbox, routes) read its own database.
    os.environ["DATABASE_URL"] = f"sqlite:{database}"
    os.environ["ONBOARD_ENV"] = "development"
    os.environ["AUDIT_CHECKPOINT"] = os.path.join(tmp, "audit-checkpoints.jsonl")
    port = _free_port()
    # Links in development messages (tracking, registration) must point at this worker's server.
    os.environ["PUBLIC_URL"] = f"http://127.0.0.1:{port}"
    log = open(os.path.join(tmp, "server.log"), "wb")
    proc = subprocess.Popen(
        [binary, "serve", "--hostname", "127.0.0.1", "--port", str(port)],
        cwd=REPO_ROOT,
        stdout=log,
        stderr=subprocess.STDOUT,
        stdin=subprocess.DEVNULL,
    )
    config._onboard_server = proc  # type: ignore[attr-defined]
    base = f"http://127.0.0.1:{port}"
    try:
        wait_for_health(base, 60, proc)
    except RuntimeError as e:
        _stop_server(config)
        pytest.exit(f"could not start the server: {e} (log: {tmp}/server.log)", returncode=2)
    os.environ["ONBOARD_BASE_URL"] = base


def _stop_server(config: pytest.Config) -> None:
    proc: subprocess.Popen | None = getattr(config, "_onboard_server", None)
    if proc is not None and proc.poll() is None:
        proc.terminate()  # SIGTERM to this PID only
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=5)
    config._onboard_server = None  # type: ignore[attr-defined]


def pytest_unconfigure(config: pytest.Config) -> None:
    _stop_server(config)
    tmp = getattr(config, "_onboard_tmp", None)
    if tmp:
        shutil.rmtree(tmp, ignore_errors=True)


@pytest.fixture
def browser():
    """A fresh Chromium per test: sessions never leak between roles. One per worker (~375 MB each)."""
    driver = make_driver()
    try:
        yield driver
    finally:
        driver.quit()
