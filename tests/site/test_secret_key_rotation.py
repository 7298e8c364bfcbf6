"""Changing the secret key: with the former key listed in CEPTOAR_SECRET_KEY_FALLBACKS, acknowledgement
links already in people's mailboxes keep working; without it they are refused as not made here."""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest

from ceptoar.alerts import links
from ceptoar.channels.models import Delivery
from tests.alerts.pages import published

CEPTOAR = str(Path(sys.executable).with_name("ceptoar"))
OLD, NEW = secrets.token_urlsafe(50), secrets.token_urlsafe(50)


@pytest.mark.django_db
def test_a_link_signed_with_the_former_key_holds_while_that_key_is_a_fallback(settings, demo_user):
    alert = published(demo_user("demo-hub"))
    delivery = Delivery.objects.filter(recipient__alert=alert).first()
    settings.SECRET_KEY = OLD
    token = links.make_ack_token(delivery.pk)
    settings.SECRET_KEY, settings.SECRET_KEY_FALLBACKS = NEW, [OLD]
    assert links.delivery_for_token(token).pk == delivery.pk
    assert links.make_ack_token(delivery.pk) != token  # new links use the new key
    settings.SECRET_KEY_FALLBACKS = []
    with pytest.raises(links.ForgedLink):
        links.delivery_for_token(token)


def _settings_of(tmp_path, **env) -> subprocess.CompletedProcess:
    environment = {
        k: v for k, v in os.environ.items() if not k.startswith("CEPTOAR_") and k != "DATABASE_URL"
    }
    environment.update(CEPTOAR_VAR_DIR=str(tmp_path), **env)
    return subprocess.run(
        [
            CEPTOAR,
            "shell",
            "--no-imports",
            "-c",
            "from django.conf import settings; print(len(settings.SECRET_KEY_FALLBACKS))",
        ],
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_the_fallbacks_are_read_from_the_environment_and_checked(tmp_path):
    listed = _settings_of(
        tmp_path, CEPTOAR_SECRET_KEY=NEW, CEPTOAR_SECRET_KEY_FALLBACKS=f"{OLD}, {OLD[::-1]}"
    )
    assert listed.returncode == 0, listed.stderr
    assert listed.stdout.strip() == "2"
    short = _settings_of(tmp_path, CEPTOAR_SECRET_KEY=NEW, CEPTOAR_SECRET_KEY_FALLBACKS=f"{OLD},short")
    assert short.returncode != 0
    assert "CEPTOAR_SECRET_KEY_FALLBACKS: key 2 is shorter than 32 characters" in short.stderr
    assert OLD not in short.stderr  # a key is never printed
