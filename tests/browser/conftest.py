"""pytest wiring for the browser suite; the helpers live in harness.py.

If ONBOARD_BASE_URL is not set, the session starts `$ONBOARD_BIN serve` on a free 127.0.0.1 port
with a fresh SQLite database (ONBOARD_ENV=development seeds the demo data) and stops it by PID at
the end, so `.venv/bin/python -m pytest tests/browser -k NAME` works on its own after `swift build`.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile

import pytest

from harness import REPO_ROOT, SCREENSHOT_ROOT, _free_port, _onboard_bin, make_driver, wait_for_health


def pytest_configure(config: pytest.Config) -> None:
    # Screenshots and reports are from this run only.
    shutil.rmtree(SCREENSHOT_ROOT, ignore_errors=True)
    config._onboard_server = None  # type: ignore[attr-defined]
    config._onboard_tmp = None  # type: ignore[attr-defined]
    if os.environ.get("ONBOARD_BASE_URL"):
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
    os.environ.setdefault("DATABASE_URL", f"sqlite:{tmp}/browser.sqlite")
    os.environ.setdefault("ONBOARD_ENV", "development")
    port = _free_port()
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
    """A fresh Chromium per test: sessions never leak between roles. One at a time (~375 MB)."""
    driver = make_driver()
    try:
        yield driver
    finally:
        driver.quit()
