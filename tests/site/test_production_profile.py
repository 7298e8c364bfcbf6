"""The production profile (CEPTOAR_HTTPS=1 behind a TLS reverse proxy): Django's deployment checks pass,
and a real `ceptoar serve` redirects plain HTTP, sends HSTS and Secure cookies to what the proxy marks as
HTTPS, answers /health to a monitor over plain HTTP, and takes forms posted from the base URL's origin.
Without the variable the demo and the tests keep plain HTTP on 127.0.0.1."""

from __future__ import annotations

import http.client
import os
import re
import secrets
import subprocess
import sys
from pathlib import Path

import pytest

from tests.processes import Installation, free_port, wait_for

CEPTOAR = str(Path(sys.executable).with_name("ceptoar"))
HOST = "ceptoar.example.lg.jp"


def production_env(tmp_path, **overrides) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CEPTOAR_") and k != "DATABASE_URL"}
    env.update(
        CEPTOAR_VAR_DIR=str(tmp_path),
        CEPTOAR_HTTPS="1",
        CEPTOAR_PROXY_SSL_HEADER="X-Forwarded-Proto",
        CEPTOAR_BASE_URL=f"https://{HOST}",
        CEPTOAR_ALLOWED_HOSTS=f"{HOST},127.0.0.1",
        CEPTOAR_SECRET_KEY=secrets.token_urlsafe(50),
    )
    env.update(overrides)
    return {k: v for k, v in env.items() if v is not None}


def check_deploy(env) -> subprocess.CompletedProcess:
    return subprocess.run(
        [CEPTOAR, "check", "--deploy", "--fail-level", "WARNING"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_the_deployment_checks_pass_in_the_production_profile(tmp_path):
    result = check_deploy(production_env(tmp_path))
    assert result.returncode == 0, result.stderr
    assert "System check identified no issues" in result.stdout


def test_without_https_the_same_installation_fails_the_deployment_checks(tmp_path):
    # The checks are not silenced wholesale: the profile is what makes them pass.
    result = check_deploy(production_env(tmp_path, CEPTOAR_HTTPS=None, CEPTOAR_BASE_URL=f"http://{HOST}"))
    assert result.returncode != 0
    for warning in ("security.W004", "security.W008", "security.W012", "security.W016"):
        assert warning in result.stderr, warning  # HSTS, redirect, session and CSRF cookies


def test_a_short_secret_key_or_debug_fails_the_deployment_checks(tmp_path):
    short = check_deploy(production_env(tmp_path, CEPTOAR_SECRET_KEY="k" * 40))
    assert short.returncode != 0 and "security.W009" in short.stderr
    debug = check_deploy(production_env(tmp_path, CEPTOAR_DEBUG="1"))
    assert debug.returncode != 0 and "security.W018" in debug.stderr


@pytest.fixture
def https_server(tmp_path):
    installation = Installation(tmp_path, "https")  # its own SQLite file, or PostgreSQL database
    installation.env.update(production_env(tmp_path))
    installation.run("migrate", "--verbosity", "0")
    port = free_port()
    server = installation.start("serve", "--port", str(port), "--processes", "1", log="serve")
    wait_for(lambda: _request(port, "GET", "/health").status == 200, timeout=120, what="the server")
    yield port
    installation.stop(server)


def _request(port: int, method: str, path: str, headers: dict | None = None, body: str | None = None):
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        connection.request(method, path, body=body, headers={"Host": HOST, **(headers or {})})
        response = connection.getresponse()
        response.text = response.read().decode(errors="replace")
        return response
    except OSError:
        return _Refused()
    finally:
        connection.close()


class _Refused:
    status = None


PROXIED = {"X-Forwarded-Proto": "https"}


def test_plain_http_is_redirected_and_https_gets_hsts_and_secure_cookies(https_server):
    port = https_server
    plain = _request(port, "GET", "/accounts/login/")
    assert plain.status == 301
    assert plain.getheader("Location") == f"https://{HOST}/accounts/login/"

    # A monitor asks each process directly, over plain HTTP.
    health = _request(port, "GET", "/health")
    assert (health.status, health.text) == (200, "ok")

    page = _request(port, "GET", "/accounts/login/", PROXIED)
    assert page.status == 200
    assert page.getheader("Strict-Transport-Security") == "max-age=31536000; includeSubDomains"
    assert "frame-ancestors 'none'" in page.getheader("Content-Security-Policy")
    (cookie,) = [c for c in page.msg.get_all("Set-Cookie") if c.startswith("csrftoken=")]
    assert "; Secure" in cookie

    # A client that claims HTTPS itself, in a header the proxy does not set, is still redirected.
    spoofed = _request(port, "GET", "/accounts/login/", {"X-Forwarded-Ssl": "on"})
    assert spoofed.status == 301


def test_forms_posted_from_the_base_urls_origin_are_taken_and_others_refused(https_server):
    port = https_server
    page = _request(port, "GET", "/accounts/login/", PROXIED)
    token = re.search(r"csrftoken=([^;]+)", " ".join(page.msg.get_all("Set-Cookie"))).group(1)
    form = {
        **PROXIED,
        "Cookie": f"csrftoken={token}",
        "Content-Type": "application/x-www-form-urlencoded",
        "X-CSRFToken": token,
    }
    body = "language=en&next=/"
    # The proxy may pass its own upstream address as the Host: the base URL's origin is trusted anyway.
    ours = _request(
        port,
        "POST",
        "/i18n/setlang/",
        {**form, "Host": f"127.0.0.1:{port}", "Origin": f"https://{HOST}"},
        body,
    )
    assert ours.status == 302, ours.text
    theirs = _request(port, "POST", "/i18n/setlang/", {**form, "Origin": "https://evil.example"}, body)
    assert theirs.status == 403
    assert "<style" not in theirs.text and "/static/core/site.css" in theirs.text
