"""Shared fixtures. The demo population is loaded once per test database and every test runs
inside a transaction that is rolled back, so tests see the full ~5,700-member registry."""

from __future__ import annotations

import pytest

from tests.signin import sign_in


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    from ceptoar.demo.population import load_demo

    with django_db_blocker.unblock():
        load_demo()


@pytest.fixture
def demo_user(db):
    """demo_user("demo-member") → the demo account of that name."""
    from ceptoar.accounts.models import User

    def get(username: str) -> User:
        return User.objects.get(username=username)

    return get


@pytest.fixture
def client_as(client, demo_user):
    """client_as("demo-hub") → a test client logged in as that demo account."""

    def login(username: str):
        return sign_in(client, demo_user(username))

    return login


@pytest.fixture
def english(client):
    """Pages and messages in English, so assertions on wording do not depend on the Japanese catalogue
    (which `tests/site/test_translations.py` checks on its own)."""
    from django.utils import translation

    client.cookies["ceptoar_language"] = "en"
    with translation.override("en"):
        yield client
