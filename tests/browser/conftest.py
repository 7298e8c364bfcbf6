"""A real platform for the browser: `ceptoar demo --no-serve` into its own database, then `ceptoar serve`,
both as separate processes exactly as `make demo` runs them, and Debian's Chromium driven by Playwright."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CEPTOAR = str(Path(sys.executable).with_name("ceptoar"))


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def prepare_database(name: str) -> str | None:
    """On the PostgreSQL run, a fresh database of its own (never the developer's); on SQLite, None: the
    process uses a file under its var dir."""
    url = os.environ.get("DATABASE_URL")
    if not url:
        return None
    import psycopg

    base, _name = url.rsplit("/", 1)
    with psycopg.connect(f"{base}/postgres", autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        conn.execute(f"CREATE DATABASE {name}")
    return f"{base}/{name}"


@pytest.fixture(scope="session")
def served_demo(tmp_path_factory):
    var_dir = tmp_path_factory.mktemp("browser-var")
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    env["CEPTOAR_VAR_DIR"] = str(var_dir)
    database_url = prepare_database("ceptoar_browser_test")
    if database_url:
        env["DATABASE_URL"] = database_url
    subprocess.run([CEPTOAR, "demo", "--no-serve"], env=env, check=True, capture_output=True, timeout=300)
    port = _free_port()
    log = open(var_dir / "server.log", "wb")  # noqa: SIM115 — closed after the server stops
    server = subprocess.Popen(
        [CEPTOAR, "serve", "--port", str(port)], env=env, stdout=log, stderr=subprocess.STDOUT
    )
    base_url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        try:
            with urllib.request.urlopen(f"{base_url}/health", timeout=2) as response:  # noqa: S310 — loopback
                if response.status == 200:
                    break
        except OSError:
            if server.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(
                    f"the server did not start:\n{(var_dir / 'server.log').read_text()}"
                ) from None
            time.sleep(0.3)
    yield base_url
    server.terminate()
    server.wait(timeout=20)
    log.close()


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    if not Path(CHROMIUM).exists():
        pytest.fail(f"Chromium not found at {CHROMIUM}; `make test` installs Debian's chromium package.")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            headless=True,
            args=[
                "--no-sandbox",
                "--disable-background-networking",
                "--disable-gpu",
                "--disable-component-update",
                "--no-first-run",
                "--disable-sync",
            ],
        )
        yield browser
        browser.close()


@pytest.fixture
def page(browser, served_demo):
    context = browser.new_context(base_url=served_demo, accept_downloads=True, locale="en-US")
    page = context.new_page()
    page.set_default_timeout(20_000)
    yield page
    context.close()
