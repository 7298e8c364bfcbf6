"""The API tokens page (/api/tokens/): a signed-in person lists, creates and revokes their own tokens; the
key is on the page once, right after it is created."""

from __future__ import annotations

import re
from datetime import datetime, time, timedelta

import pytest
from django.test import Client
from django.utils import timezone

from ceptoar.api import services
from ceptoar.api.models import ApiToken, ApiTokenScope
from tests.api.conftest import ApiClient
from tests.signin import sign_in

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]

PAGE = "/api/tokens/"


def test_the_page_needs_a_signed_in_person(client):
    response = client.get(PAGE)
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/") and "next=/api/tokens/" in response["Location"]


def test_creating_a_token_shows_its_key_once(client_as, english, demo_user):
    client = client_as("demo-member")
    assert "You have no API tokens." in client.get(PAGE).content.decode()

    response = client.post(PAGE, {"name": "SOC ticket system"})
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    html = response.content.decode()
    match = re.search(r'<code class="api-key" id="new-key">([^<]+)</code>', html)
    assert match, "the new key is on the page"
    key = match.group(1)
    assert "shown only this once" in html
    token = ApiToken.objects.get(user=demo_user("demo-member"))
    assert token.name == "SOC ticket system" and token.key_hash == services.hash_key(key)

    # The key works …
    assert ApiClient(Client(), key).get("/api/v1/alerts").status_code == 200
    # … and the page never shows it again, only its prefix.
    again = client.get(PAGE).content.decode()
    assert key not in again
    assert f"{token.prefix}…" in again and "SOC ticket system" in again


def test_a_token_without_a_name_is_not_created(client_as, english):
    response = client_as("demo-member").post(PAGE, {"name": "   "})
    assert response.status_code == 400
    assert "No token was created" in response.content.decode()
    assert not ApiToken.objects.filter(user__username="demo-member").exists()


def test_the_page_lists_only_your_own_tokens(client_as, demo_user, english):
    mine, _key = services.create_token(demo_user("demo-member"), "Mine")
    theirs, _key = services.create_token(demo_user("demo-member2"), "Someone else's tool")
    html = client_as("demo-member").get(PAGE).content.decode()
    assert mine.prefix in html and "Mine" in html
    assert theirs.prefix not in html and "Someone else" not in html


def test_revoking_from_the_page(client_as, demo_user, english):
    token, key = services.create_token(demo_user("demo-member"), "Old tool")
    client = client_as("demo-member")
    response = client.post(f"/api/tokens/{token.pk}/revoke/", follow=True)
    assert response.status_code == 200
    html = response.content.decode()
    assert "is revoked" in html and "Revoked on" in html
    token.refresh_from_db()
    assert token.revoked_at is not None
    assert ApiClient(Client(), key).get("/api/v1/alerts").status_code == 401


def test_nobody_revokes_someone_elses_token(client_as, demo_user):
    theirs, key = services.create_token(demo_user("demo-member2"), "Theirs")
    response = client_as("demo-member").post(f"/api/tokens/{theirs.pk}/revoke/")
    assert response.status_code == 404
    theirs.refresh_from_db()
    assert theirs.revoked_at is None


def test_forms_on_the_page_are_csrf_protected(demo_user):
    client = Client(enforce_csrf_checks=True)
    sign_in(client, demo_user("demo-member"))
    assert client.post(PAGE, {"name": "forged"}).status_code == 403
    assert not ApiToken.objects.filter(user__username="demo-member").exists()


def test_the_page_offers_a_scope_and_a_last_day(client_as, english):
    html = client_as("demo-member").get(PAGE).content.decode()
    assert 'name="scope" value="read"' in html and 'name="scope" value="read_acknowledge"' in html
    assert re.search(r'name="scope" value="read_acknowledge"[^>]*checked', html)
    assert re.search(r'<input type="date" name="expires_on"', html)
    assert "What the token may do" in html and "Last day of use" in html


def test_creating_a_read_token_with_a_last_day(client_as, english, demo_user):
    last_day = timezone.localdate() + timedelta(days=30)
    client = client_as("demo-member")
    response = client.post(PAGE, {"name": "Dashboard", "scope": "read", "expires_on": last_day.isoformat()})
    assert response.status_code == 200
    token = ApiToken.objects.get(user=demo_user("demo-member"))
    assert token.scope == ApiTokenScope.READ
    assert timezone.localtime(token.expires_at) == timezone.make_aware(
        datetime.combine(last_day + timedelta(days=1), time.min)
    )
    stops = f"{(last_day + timedelta(days=1)).isoformat()} 00:00"
    terms = re.search(r'<p id="new-key-terms">(.*?)</p>', response.content.decode(), re.S).group(1)
    assert "Read alerts." in terms and f"It stops working at {stops}." in terms

    row = re.search(rf'<tr id="token-{token.pk}".*?</tr>', client.get(PAGE).content.decode(), re.S).group(0)
    assert '<td class="token-scope">Read alerts</td>' in row
    assert f'<td class="token-expiry">{stops}</td>' in row
    assert "Active" in row


def test_a_past_last_day_is_refused_on_the_page(client_as, english):
    yesterday = timezone.localdate() - timedelta(days=1)
    response = client_as("demo-member").post(
        PAGE, {"name": "Late", "scope": "read", "expires_on": yesterday.isoformat()}
    )
    assert response.status_code == 400
    html = response.content.decode()
    assert "No token was created" in html
    field = re.search(r'<div class="field has-error" id="field-expires_on">.*?</div>', html, re.S).group(0)
    assert f"The expiry date {yesterday.isoformat()} has already passed" in field
    assert not ApiToken.objects.filter(user__username="demo-member").exists()


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"name": "x", "scope": "admin"}, "scope"),
        ({"name": "x", "expires_on": "2025-02-30"}, "expires_on"),
        ({"name": "x", "expires_on": "next week"}, "expires_on"),
    ],
)
def test_a_bad_scope_or_date_is_refused_on_the_page(client_as, english, data, field):
    response = client_as("demo-member").post(PAGE, data)
    assert response.status_code == 400
    assert re.search(rf'class="field[^"]* has-error" id="field-{field}"', response.content.decode())
    assert not ApiToken.objects.filter(user__username="demo-member").exists()


def test_expired_and_open_ended_tokens_on_the_list(client_as, demo_user, english):
    member = demo_user("demo-member")
    open_ended, _key = services.create_token(member, "Forever")
    ended, _key = services.create_token(member, "Ended", expires_on=timezone.localdate())
    ApiToken.objects.filter(pk=ended.pk).update(expires_at=timezone.make_aware(datetime(2025, 4, 1)))
    html = client_as("demo-member").get(PAGE).content.decode()
    forever = re.search(rf'<tr id="token-{open_ended.pk}".*?</tr>', html, re.S).group(0)
    assert "does not expire" in forever and "Read alerts and confirm receipt" in forever
    assert "Revoke" in forever
    gone = re.search(rf'<tr id="token-{ended.pk}" class="inactive">.*?</tr>', html, re.S).group(0)
    assert "Expired on 2025-04-01 00:00" in gone and "Revoke" not in gone
