"""A token's life: created with its key shown once, only a hash kept, used (and marked so), revoked."""

from __future__ import annotations

import hashlib
from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from ceptoar.api import services
from ceptoar.api.models import ApiToken
from tests.api.conftest import ApiClient

pytestmark = pytest.mark.django_db


def test_only_the_hash_and_a_short_prefix_of_the_key_are_stored(demo_user):
    token, key = services.create_token(demo_user("demo-member"), "  SOC ticket system  ")
    assert key.startswith("ceptoar_") and len(key) >= 40
    stored = ApiToken.objects.filter(pk=token.pk).values().get()
    assert stored["key_hash"] == hashlib.sha256(key.encode()).hexdigest()
    assert stored["prefix"] == key[:16] and len(stored["prefix"]) < len(key) // 2
    assert stored["name"] == "SOC ticket system"
    assert stored["last_used_at"] is None and stored["revoked_at"] is None
    # Nowhere in the row is the key itself.
    assert all(key not in str(value) for value in stored.values())
    # Two tokens never share a key.
    _other, second_key = services.create_token(demo_user("demo-member"), "second")
    assert second_key != key


def test_the_key_finds_its_owner_and_marks_the_token_used(client, demo_user):
    token, key = services.create_token(demo_user("demo-member"), "tool")
    response = ApiClient(client, key).get("/api/v1/alerts")
    assert response.status_code == 200
    token.refresh_from_db()
    first_use = token.last_used_at
    assert first_use is not None and timezone.now() - first_use < timedelta(seconds=30)

    # Within a minute the time is not rewritten (a read is not turned into a write each time) …
    ApiClient(client, key).get("/api/v1/alerts")
    token.refresh_from_db()
    assert token.last_used_at == first_use
    # … after it, it is.
    ApiToken.objects.filter(pk=token.pk).update(last_used_at=first_use - timedelta(minutes=5))
    assert services.user_for_key(key) == demo_user("demo-member")
    token.refresh_from_db()
    assert token.last_used_at > first_use - timedelta(minutes=5)


def test_a_revoked_token_is_refused(client, demo_user):
    member = demo_user("demo-member")
    token, key = services.create_token(member, "tool")
    assert ApiClient(client, key).get("/api/v1/alerts").status_code == 200
    services.revoke_token(token, member)
    response = ApiClient(client, key).get("/api/v1/alerts")
    assert response.status_code == 401
    assert "revoked" in response.json()["detail"] and token.prefix in response.json()["detail"]
    with pytest.raises(services.TokenRefused):
        services.user_for_key(key)

    # Revoking again keeps the first time.
    token.refresh_from_db()
    first = token.revoked_at
    services.revoke_token(token, member)
    token.refresh_from_db()
    assert token.revoked_at == first


def test_only_the_owner_revokes_a_token(demo_user):
    token, key = services.create_token(demo_user("demo-member"), "tool")
    with pytest.raises(PermissionDenied):
        services.revoke_token(token, demo_user("demo-member2"))
    token.refresh_from_db()
    assert token.revoked_at is None
    assert services.user_for_key(key) == demo_user("demo-member")


@pytest.mark.parametrize("name", ["", "   ", "x" * 101])
def test_a_token_needs_a_short_name(demo_user, name):
    before = ApiToken.objects.count()
    with pytest.raises(ValidationError) as raised:
        services.create_token(demo_user("demo-member"), name)
    assert "name" in raised.value.message_dict
    assert ApiToken.objects.count() == before


def test_an_inactive_person_cannot_create_a_token(demo_user):
    member = demo_user("demo-member")
    member.is_active = False
    with pytest.raises(PermissionDenied):
        services.create_token(member, "tool")
    assert not ApiToken.objects.filter(user=member).exists()
