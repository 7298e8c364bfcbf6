"""A real platform for the browser: `ceptoar demo --no-serve` into its own database, then `ceptoar serve`,
both as separate processes exactly as `make demo` runs them, and Debian's Chromium driven by Playwright."""

from __future__ import annotations

import shutil
import urllib.request
from pathlib import Path

import pytest

from tests.processes import Installation, free_port, wait_for

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"


def serve(installation: Installation, *arguments: str, log: str, **env):
    """Start a `ceptoar` command that serves the site on a port of its own; (its address, the process)
    once it answers."""
    port = free_port()
    process = installation.start(*arguments, "--port", str(port), log=log, **env)
    base_url = f"http://127.0.0.1:{port}"

    def answers() -> bool:
        if process.poll() is not None:
            raise RuntimeError(f"{log} stopped:\n{installation.log(process)}")
        try:
            with urllib.request.urlopen(f"{base_url}/health", timeout=2) as response:  # noqa: S310 — loopback
                return response.status == 200
        except OSError:
            return False

    wait_for(answers, timeout=400, what=f"{log} to answer", interval=0.3)  # `demo` loads the population first
    return base_url, process


@pytest.fixture(scope="session")
def served_demo(tmp_path_factory):
    installation = Installation(tmp_path_factory.mktemp("browser-var"), "browser")
    installation.load_demo()
    base_url, server = serve(installation, "serve", log="server")
    yield base_url
    installation.stop(server)


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
