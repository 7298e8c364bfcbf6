"""Reading settings from the environment, failing fast with a message that names the variable."""

from __future__ import annotations

import os
import re
import secrets
from pathlib import Path
from urllib.parse import urlsplit

from django.core.exceptions import ImproperlyConfigured

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


def env_str(name: str, default: str | None = None) -> str | None:
    value = os.environ.get(name)
    return default if value is None else value.strip()


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    lowered = value.strip().lower()
    if lowered in _TRUE:
        return True
    if lowered in _FALSE:
        return False
    raise ImproperlyConfigured(
        f"{name}={value!r} is not a boolean; use one of 1/0, true/false, yes/no, on/off."
    )


def env_int(name: str, default: int, minimum: int | None = None) -> int:
    value = os.environ.get(name)
    if value is None or value.strip() == "":
        return default
    try:
        number = int(value)
    except ValueError:
        raise ImproperlyConfigured(f"{name}={value!r} is not a whole number.") from None
    if minimum is not None and number < minimum:
        raise ImproperlyConfigured(f"{name}={number} is below the minimum of {minimum}.")
    return number


def env_list(name: str, default: list[str]) -> list[str]:
    value = os.environ.get(name)
    if value is None:
        return default
    return [item.strip() for item in value.split(",") if item.strip()]


_HEADER_NAME = re.compile(r"[A-Za-z0-9]+(-[A-Za-z0-9]+)*")
_LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")


def env_header(name: str) -> str | None:
    """An HTTP header name (X-Forwarded-Proto) as Django finds it in request.META (HTTP_X_FORWARDED_PROTO)."""
    value = env_str(name)
    if not value:
        return None
    if not _HEADER_NAME.fullmatch(value):
        raise ImproperlyConfigured(
            f"{name}={value!r} is not an HTTP header name; use letters, digits and hyphens, "
            "e.g. X-Forwarded-Proto."
        )
    return "HTTP_" + value.upper().replace("-", "_")


def env_log_level(name: str, default: str) -> str:
    value = env_str(name) or default
    if value.upper() not in _LOG_LEVELS:
        raise ImproperlyConfigured(
            f"{name}={value!r} is not a log level; use one of {', '.join(_LOG_LEVELS)}."
        )
    return value.upper()


def origin_of(url: str) -> str:
    """scheme://host[:port] of an address, as browsers send it in the Origin header."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def database_from_env(var_dir: Path) -> dict:
    """`DATABASE_URL` selects PostgreSQL; without it the embedded SQLite file under var/ is used."""
    import dj_database_url

    url = env_str("DATABASE_URL")
    if not url:
        return {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": str(var_dir / "ceptoar.sqlite3"),
            "OPTIONS": {
                # WAL lets the web server read while the worker writes; IMMEDIATE avoids
                # upgrade deadlocks between concurrent writers.
                "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
                "transaction_mode": "IMMEDIATE",
                "timeout": 20,
            },
            # Opening SQLite and running the PRAGMAs costs as much as a small request: keep connections.
            "CONN_MAX_AGE": 600,
            "CONN_HEALTH_CHECKS": True,
        }
    if not url.startswith(("postgres://", "postgresql://", "sqlite://")):
        raise ImproperlyConfigured(
            f"DATABASE_URL={url!r} is not supported: use postgres://user@host:port/name (PostgreSQL) "
            "or leave it unset for the embedded SQLite file."
        )
    try:
        config = dj_database_url.parse(url, conn_max_age=60, conn_health_checks=True)
    except ValueError as error:
        raise ImproperlyConfigured(f"DATABASE_URL could not be read: {error}") from None
    if config["ENGINE"].endswith("postgresql") and not config.get("NAME"):
        raise ImproperlyConfigured(f"DATABASE_URL={url!r} names no database (…/NAME at the end).")
    return config


def env_secret_key_fallbacks(name: str) -> list[str]:
    """Former signing keys, still accepted on signatures made before a key change."""
    keys = env_list(name, [])
    for index, key in enumerate(keys, start=1):
        if len(key) < 32:
            raise ImproperlyConfigured(f"{name}: key {index} is shorter than 32 characters.")
    return keys


def secret_key(var_dir: Path, debug: bool) -> str:
    """The key comes from CEPTOAR_SECRET_KEY; a single-machine install keeps a generated one under var/."""
    key = env_str("CEPTOAR_SECRET_KEY")
    if key:
        if len(key) < 32:
            raise ImproperlyConfigured(
                "CEPTOAR_SECRET_KEY is shorter than 32 characters; generate a longer one."
            )
        return key
    key_file = var_dir / "secret-key"
    if key_file.exists():
        return key_file.read_text().strip()
    key_file.parent.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(50)
    key_file.write_text(key)
    key_file.chmod(0o600)
    return key


def env_outbound_allow(name: str) -> list[str]:
    """A comma-separated list of networks, addresses and host names (ceptoar.utilities.outbound.AllowList),
    checked now so that a typing error stops the installation rather than refusing receivers later."""
    from ceptoar.utilities.outbound import AllowList

    entries = env_list(name, [])
    try:
        AllowList.parse(entries)
    except ValueError as error:
        raise ImproperlyConfigured(f"{name}: {error}.") from None
    return entries
