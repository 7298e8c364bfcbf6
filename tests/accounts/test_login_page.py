"""The log-in page does not invite anyone to sign up: accounts are registered by a CEPTOAR's secretariat."""

from __future__ import annotations

import pytest

from ceptoar.accounts.models import User

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("language", ["ja", "en"])
def test_the_login_page_has_no_sign_up_link_and_says_who_registers_accounts(client, language):
    client.cookies["ceptoar_language"] = language
    response = client.get("/accounts/login/")
    assert response.status_code == 200
    html = response.content.decode()
    assert 'name="password"' in html  # the log-in form itself is there
    assert "/accounts/signup/" not in html
    assert "sign up" not in html.lower()
    assert "新規登録" not in html and "ユーザー登録" not in html
    expected = "事務局が登録します" if language == "ja" else "registered by your CEPTOAR's secretariat"
    assert expected in html.replace("&#x27;", "'")


def test_the_sign_up_page_is_closed_and_offers_no_form(client):
    response = client.get("/accounts/signup/")
    assert "signup_closed" in [t.name.rsplit("/", 1)[-1].split(".")[0] for t in response.templates]
    html = response.content.decode()
    assert 'name="password1"' not in html
    client.post(
        "/accounts/signup/",
        {
            "username": "walk-in",
            "email": "w@example.jp",
            "password1": "a-long-pass-1",
            "password2": "a-long-pass-1",
        },
    )
    assert not User.objects.filter(username="walk-in").exists()
