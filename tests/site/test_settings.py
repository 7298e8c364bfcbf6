"""Settings come from the environment and fail fast with a message naming the variable."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

CEPTOAR = str(Path(sys.executable).with_name("ceptoar"))


def run_check(tmp_path, **env):
    environment = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "CEPTOAR_DEBUG")}
    environment["CEPTOAR_VAR_DIR"] = str(tmp_path)
    environment.update(env)
    return subprocess.run([CEPTOAR, "check"], env=environment, capture_output=True, text=True, timeout=120)


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"CEPTOAR_DEBUG": "maybe"}, "CEPTOAR_DEBUG='maybe' is not a boolean"),
        (
            {"DATABASE_URL": "mysql://root@localhost/x"},
            "DATABASE_URL='mysql://root@localhost/x' is not supported",
        ),
        ({"DATABASE_URL": "postgres://postgres@127.0.0.1:5432"}, "names no database"),
        ({"CEPTOAR_SECRET_KEY": "short"}, "CEPTOAR_SECRET_KEY is shorter than 32 characters"),
        (
            {"CEPTOAR_HTTPS": "1", "CEPTOAR_PROXY_SSL_HEADER": "X-Forwarded-Proto"},
            "CEPTOAR_HTTPS=1 but CEPTOAR_BASE_URL='http://127.0.0.1:8000' is not an https:// address",
        ),
        (
            {"CEPTOAR_HTTPS": "1", "CEPTOAR_BASE_URL": "https://ceptoar.example"},
            "needs CEPTOAR_PROXY_SSL_HEADER",
        ),
        ({"CEPTOAR_PROXY_SSL_HEADER": "X-Forwarded-Proto: https"}, "is not an HTTP header name"),
        ({"CEPTOAR_HSTS_SECONDS": "a year"}, "CEPTOAR_HSTS_SECONDS='a year' is not a whole number"),
        ({"CEPTOAR_LOG_LEVEL": "verbose"}, "CEPTOAR_LOG_LEVEL='verbose' is not a log level"),
    ],
)
def test_bad_settings_stop_the_command_with_a_clear_message(tmp_path, env, message):
    result = run_check(tmp_path, **env)
    assert result.returncode != 0
    assert message in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"CEPTOAR_SERVE_THREADS": "0"}, "CEPTOAR_SERVE_THREADS=0 is below the minimum of 1"),
        ({"CEPTOAR_SERVE_PROCESSES": "many"}, "CEPTOAR_SERVE_PROCESSES='many' is not a whole number"),
    ],
)
def test_bad_server_settings_stop_serve_with_a_clear_message(tmp_path, env, message):
    environment = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    environment.update(CEPTOAR_VAR_DIR=str(tmp_path), **env)
    result = subprocess.run(
        [CEPTOAR, "serve", "--help"], env=environment, capture_output=True, text=True, timeout=120
    )
    assert result.returncode != 0
    assert message in result.stderr and "Traceback" not in result.stderr


def test_without_database_url_the_sqlite_file_lives_under_var(tmp_path):
    result = subprocess.run(
        [
            CEPTOAR,
            "shell",
            "--no-imports",
            "-c",
            "from django.conf import settings; print(settings.DATABASES['default']['NAME'])",
        ],
        env={
            **{k: v for k, v in os.environ.items() if k != "DATABASE_URL"},
            "CEPTOAR_VAR_DIR": str(tmp_path),
        },
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    assert result.stdout.strip() == str(tmp_path / "ceptoar.sqlite3")
    # A generated key is kept so sessions survive restarts, readable only by its owner.
    assert (tmp_path / "secret-key").stat().st_mode & 0o077 == 0


def test_database_url_selects_postgresql(tmp_path):
    result = subprocess.run(
        [
            CEPTOAR,
            "shell",
            "--no-imports",
            "-c",
            "from django.conf import settings; d = settings.DATABASES['default']; "
            "print(d['ENGINE'], d['NAME'], d['HOST'], d['PORT'])",
        ],
        env={
            **os.environ,
            "CEPTOAR_VAR_DIR": str(tmp_path),
            "DATABASE_URL": "postgres://u@db.example:5433/reg",
        },
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    assert result.stdout.split() == ["django.db.backends.postgresql", "reg", "db.example", "5433"]
