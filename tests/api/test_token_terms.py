"""A token's terms: a scope (read, or read and confirm receipt) and an optional last day. A token that may
only read is refused confirming receipt (403, naming the scope needed); an expired token is refused (401,
saying when it expired); a token is not created with terms that cannot hold. Nothing is written by a
refused call."""

from __future__ import annotations

import importlib
from datetime import datetime, time, timedelta

import pytest
from django.core.exceptions import ValidationError
from django.db.models.fields import NOT_PROVIDED
from django.utils import timezone, translation

from ceptoar.alerts.models import Acknowledgement
from ceptoar.alerts.services import publication
from ceptoar.api import services
from ceptoar.api.models import ApiToken, ApiTokenScope
from tests.api.conftest import ApiClient
from tests.api.helpers import alerts_path, publish

pytestmark = pytest.mark.django_db


@pytest.fixture
def relay_to_member(demo_user):
    hub_alert = publish(demo_user("demo-hub"))
    fsa_relay = publication.relay(hub_alert, demo_user("demo-ministry"))
    return publication.relay(fsa_relay, demo_user("demo-secretariat"))


# -- scope ----------------------------------------------------------------------------------------


def test_a_read_token_reads_but_cannot_confirm_receipt(client, demo_user, relay_to_member):
    token, key = services.create_token(demo_user("demo-member"), "dashboard", scope=ApiTokenScope.READ)
    api = ApiClient(client, key)
    assert api.get("/api/v1/alerts").json()["count"] >= 1
    assert api.get(alerts_path(relay_to_member.pk)).status_code == 200
    state = api.get(alerts_path(relay_to_member.pk, "/acknowledgement")).json()
    assert state["is_recipient"] is True and state["acknowledged"] is False

    response = api.post(alerts_path(relay_to_member.pk, "/acknowledge"), {"note": "seen"})
    assert response.status_code == 403
    detail = response.json()["detail"]
    assert f"({token.prefix}…) has the scope 'read'" in detail
    assert "needs the scope 'read_acknowledge'" in detail and "/api/tokens/" in detail
    assert not Acknowledgement.objects.filter(recipient__alert=relay_to_member).exists()
    # The same refusal for an alert it may not see or that does not exist: the scope is asked first.
    assert api.post(alerts_path(10**12, "/acknowledge")).status_code == 403


def test_a_read_and_acknowledge_token_confirms(client, demo_user, relay_to_member):
    _token, key = services.create_token(
        demo_user("demo-member"), "ticket system", scope=ApiTokenScope.READ_ACKNOWLEDGE
    )
    response = ApiClient(client, key).post(alerts_path(relay_to_member.pk, "/acknowledge"))
    assert response.status_code == 201


def test_tokens_keep_what_they_could_do_before_scopes():
    # Created without a scope (by code written before scopes, and every token the migration finds):
    # read and confirm receipt, no expiry.
    field = ApiToken._meta.get_field("scope")
    assert field.default == ApiTokenScope.READ_ACKNOWLEDGE
    migration = importlib.import_module("ceptoar.api.migrations.0002_token_scope_and_expiry").Migration
    added = {operation.name: operation.field for operation in migration.operations}
    assert added["scope"].default == "read_acknowledge"
    assert added["expires_at"].null and added["expires_at"].default is NOT_PROVIDED


def test_the_default_scope_of_a_new_token(demo_user):
    token, _key = services.create_token(demo_user("demo-member"), "tool")
    assert token.scope == ApiTokenScope.READ_ACKNOWLEDGE and token.expires_at is None


def test_an_unknown_scope_is_refused(demo_user):
    with pytest.raises(ValidationError) as raised:
        services.create_token(demo_user("demo-member"), "tool", scope="admin")
    assert set(raised.value.message_dict) == {"scope"}
    assert not ApiToken.objects.filter(user__username="demo-member").exists()


# -- expiry ---------------------------------------------------------------------------------------


def test_a_token_works_through_its_last_day_japan_time(demo_user):
    today = timezone.localdate()
    token, _key = services.create_token(demo_user("demo-member"), "tool", expires_on=today)
    expected = timezone.make_aware(datetime.combine(today + timedelta(days=1), time.min))
    assert token.expires_at == expected
    assert timezone.localtime(token.expires_at).utcoffset() == timedelta(hours=9)
    assert not token.is_expired and token.is_active


def test_an_expired_token_is_refused_saying_when(client, demo_user, relay_to_member):
    token, key = services.create_token(demo_user("demo-member"), "tool", expires_on=timezone.localdate())
    api = ApiClient(client, key)
    assert api.get("/api/v1/alerts").status_code == 200

    ended = timezone.make_aware(datetime(2025, 4, 1, 0, 0))
    ApiToken.objects.filter(pk=token.pk).update(expires_at=ended)
    for response in (
        api.get("/api/v1/alerts"),
        api.post(alerts_path(relay_to_member.pk, "/acknowledge"), {"note": "late"}),
    ):
        assert response.status_code == 401
        assert response["WWW-Authenticate"].startswith("Bearer")
        detail = response.json()["detail"]
        assert f"This API token ({token.prefix}…) expired at 2025-04-01T00:00:00+09:00." in detail
        assert "/api/tokens/" in detail
    assert not Acknowledgement.objects.filter(recipient__alert=relay_to_member).exists()
    with pytest.raises(services.TokenRefused, match="expired"):
        services.user_for_key(key)


def test_a_token_expires_at_the_instant(client, demo_user):
    token, key = services.create_token(demo_user("demo-member"), "tool")
    ApiToken.objects.filter(pk=token.pk).update(expires_at=timezone.now() + timedelta(minutes=5))
    assert ApiClient(client, key).get("/api/v1/alerts").status_code == 200
    ApiToken.objects.filter(pk=token.pk).update(expires_at=timezone.now())
    assert ApiClient(client, key).get("/api/v1/alerts").status_code == 401


def test_a_past_expiry_is_refused_at_creation(demo_user):
    yesterday = timezone.localdate() - timedelta(days=1)
    with pytest.raises(ValidationError) as raised, translation.override("en"):
        services.create_token(demo_user("demo-member"), "tool", expires_on=yesterday)
    [message] = raised.value.message_dict["expires_on"]
    assert yesterday.isoformat() in message and "already passed" in message
    assert not ApiToken.objects.filter(user__username="demo-member").exists()


def test_an_expiry_more_than_ten_years_ahead_is_refused(demo_user):
    latest = timezone.localdate() + timedelta(days=services.EXPIRY_MAX_DAYS)
    token, _key = services.create_token(demo_user("demo-member"), "at the limit", expires_on=latest)
    with pytest.raises(ValidationError) as raised:
        services.create_token(demo_user("demo-member"), "past it", expires_on=latest + timedelta(days=1))
    assert latest.isoformat() in raised.value.message_dict["expires_on"][0]
    assert list(ApiToken.objects.filter(user__username="demo-member")) == [token]


def test_every_problem_of_a_new_token_is_reported_at_once(demo_user):
    with pytest.raises(ValidationError) as raised:
        services.create_token(
            demo_user("demo-member"),
            "  ",
            scope="everything",
            expires_on=timezone.localdate() - timedelta(days=30),
        )
    assert set(raised.value.message_dict) == {"name", "scope", "expires_on"}
    assert not ApiToken.objects.filter(user__username="demo-member").exists()
