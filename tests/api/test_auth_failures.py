"""Every API call authenticates itself: no token, a wrong one, a revoked one or a disabled account is a
401 with a message that says what to do, and nothing is written."""

from __future__ import annotations

import pytest

from ceptoar.alerts.models import Acknowledgement
from ceptoar.api import services
from tests.api.helpers import alerts_path, publish

pytestmark = pytest.mark.django_db

ENDPOINTS = [
    ("get", "/api/v1/alerts"),
    ("get", "/api/v1/alerts/{id}"),
    ("post", "/api/v1/alerts/{id}/acknowledge"),
    ("get", "/api/v1/alerts/{id}/acknowledgement"),
]


def call(client, method, path, authorization=None):
    headers = {"Authorization": authorization} if authorization is not None else {}
    if method == "post":
        return client.post(path, "", content_type="application/json", headers=headers)
    return client.get(path, headers=headers)


@pytest.fixture
def alert(demo_user):
    return publish(demo_user("demo-hub"))


def assert_refused(response, words):
    assert response.status_code == 401
    assert response["Content-Type"].startswith("application/json")
    assert response["WWW-Authenticate"].startswith("Bearer")
    assert words in response.json()["detail"]


@pytest.mark.parametrize(("method", "path"), ENDPOINTS)
def test_no_token_is_refused_on_every_endpoint(client, alert, method, path):
    assert_refused(call(client, method, path.format(id=alert.pk)), "Authorization: Bearer")
    assert not Acknowledgement.objects.filter(recipient__alert=alert).exists()


@pytest.mark.parametrize(
    ("authorization", "words"),
    [
        ("Basic ZGVtby1taW5pc3RyeTpjZXB0b2FyLWRlbW8=", "must be 'Bearer"),
        ("Bearer", "must be 'Bearer"),
        ("Bearer    ", "must be 'Bearer"),
        ("Bearer not-one-of-ours", "not a CEPTOAR API token"),
        ("Bearer ceptoar_ThisKeyWasNeverIssuedByThisInstallation0000", "Unknown API token"),
    ],
)
def test_a_malformed_or_unknown_token_is_refused(client, alert, authorization, words):
    response = call(client, "post", alerts_path(alert.pk, "/acknowledge"), authorization)
    assert_refused(response, words)
    assert not Acknowledgement.objects.filter(recipient__alert=alert).exists()


def test_a_disabled_account_is_refused(client, demo_user, alert):
    ministry = demo_user("demo-ministry")
    _token, key = services.create_token(ministry, "tool")
    ministry.is_active = False
    ministry.save(update_fields=["is_active"])
    response = call(client, "post", alerts_path(alert.pk, "/acknowledge"), f"Bearer {key}")
    assert_refused(response, "disabled")
    assert not Acknowledgement.objects.filter(recipient__alert=alert).exists()


def test_a_portal_session_is_not_an_api_credential(client_as, alert):
    client = client_as("demo-ministry")
    assert client.get(f"/alerts/{alert.pk}/").status_code == 200  # the session works on the portal …
    response = call(client, "post", alerts_path(alert.pk, "/acknowledge"))
    assert_refused(response, "Authorization: Bearer")  # … not on the API
    assert not Acknowledgement.objects.filter(recipient__alert=alert).exists()


def test_a_token_wins_over_a_session_of_someone_else(client_as, token_for, alert):
    # Signed in to the portal as the bank, calling with the ministry's token: the call is the ministry's.
    client = client_as("demo-member")
    response = client.post(
        alerts_path(alert.pk, "/acknowledge"),
        "",
        content_type="application/json",
        headers={"Authorization": f"Bearer {token_for('demo-ministry')}"},
    )
    assert response.status_code == 201
    assert Acknowledgement.objects.get(recipient__alert=alert).by_user.username == "demo-ministry"


def test_error_messages_are_english_whatever_the_language_cookie(client):
    client.cookies["ceptoar_language"] = "ja"
    response = client.get("/api/v1/alerts")
    assert response.status_code == 401
    assert response.json()["detail"].startswith("Authentication required")
