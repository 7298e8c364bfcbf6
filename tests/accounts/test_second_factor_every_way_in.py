"""A second factor on every way in (issue 13, point 1).

Every staff role, the auditor included, must have passed TOTP *in this session* before a protected page, the
admin or the API token page opens; an account holding an authenticator is not enough. The matrix: every role
that needs MFA × every way in (the site's log-in, the admin's log-in, a password reset, a re-authentication) ×
a protected page, the admin and the token page. Each way in is taken through the real views, as a browser
would, never by writing the session by hand.
"""

from __future__ import annotations

import re

import pytest
from django.core import mail
from django.urls import reverse

from ceptoar.accounts.models import MFA_REQUIRED_ROLES, Role
from ceptoar.accounts.services import current_totp_code

pytestmark = pytest.mark.django_db

PASSWORD = "ceptoar-demo"
LOGIN = reverse("account_login")

# One demo account per staff role; each has a TOTP authenticator, as `make demo` makes them.
STAFF = {
    Role.HUB_STAFF: "demo-hub",
    Role.MINISTRY_LIAISON: "demo-ministry",
    Role.SECRETARIAT: "demo-secretariat",
    Role.COORDINATOR: "demo-coordinator",
    Role.AUDITOR: "demo-auditor",
}
# What a way in must not open without the code: a protected page, the admin, the token page.
TARGETS = {
    "protected page": reverse("registry:organisation_list"),
    "admin": reverse("admin:index"),
    "token page": reverse("api_tokens:list"),
}


def test_every_staff_role_is_in_the_matrix():
    assert set(STAFF) == set(MFA_REQUIRED_ROLES)


@pytest.fixture
def staff(demo_user):
    """The demo account of a role, made an admin user too, so that the admin is a target for every role."""

    def get(role):
        user = demo_user(STAFF[role])
        user.is_staff = True
        user.save(update_fields=["is_staff"])
        return user

    return get


def _assert_shut(client, way_in: str) -> None:
    for target, path in TARGETS.items():
        response = client.get(path)
        assert response.status_code == 302, f"{way_in}: the {target} answered {response.status_code}"
        assert response.url.startswith(LOGIN), f"{way_in}: the {target} sent to {response.url}"


def _assert_open(client) -> None:
    for target, path in TARGETS.items():
        response = client.get(path)
        assert response.status_code == 200, f"the {target} answered {response.status_code} after TOTP"


def _enter_code(client, username: str, step_url: str):
    code, _seconds = current_totp_code(username)
    return client.post(step_url, {"code": code})


@pytest.mark.parametrize("role", list(STAFF), ids=str)
def test_site_log_in_opens_nothing_until_the_code_is_entered(client, staff, role):
    user = staff(role)
    response = client.post(LOGIN, {"login": user.username, "password": PASSWORD})
    assert response.status_code == 302 and response.url.startswith(reverse("mfa_authenticate"))
    _assert_shut(client, "password alone")

    response = _enter_code(client, user.username, response.url)
    assert response.status_code == 302
    _assert_open(client)


@pytest.mark.parametrize("role", list(STAFF), ids=str)
def test_the_admin_log_in_form_is_the_sites_log_in(client, staff, role):
    user = staff(role)
    # Django's own admin form would have signed in with the password alone.
    response = client.post(
        reverse("admin:login") + "?next=/admin/", {"username": user.username, "password": PASSWORD}
    )
    assert response.status_code == 302
    assert response.url == f"{LOGIN}?next=%2Fadmin%2F"
    _assert_shut(client, "admin log-in form")

    # Anonymous visitors of the admin are sent to the site's log-in, which asks for the code.
    assert client.get("/admin/").url == f"{LOGIN}?next=/admin/"
    response = client.post(f"{LOGIN}?next=/admin/", {"login": user.username, "password": PASSWORD})
    assert response.url.startswith(reverse("mfa_authenticate"))
    _assert_shut(client, "admin log-in, password step")
    response = _enter_code(client, user.username, response.url)
    assert response.url == "/admin/"
    _assert_open(client)


def _reset_link(client, user) -> str:
    mail.outbox.clear()
    response = client.post(reverse("account_reset_password"), {"email": user.email})
    assert response.status_code == 302
    (message,) = mail.outbox
    return re.search(r"https?://[^/\s]+(/accounts/password/reset/key/\S+/)", message.body).group(1)


def _set_new_password(client, link: str, password: str):
    response = client.get(link)  # allauth moves the key out of the URL, into the session
    form_url = response.url if response.status_code == 302 else link
    return client.post(form_url, {"password1": password, "password2": password})


@pytest.mark.parametrize("role", list(STAFF), ids=str)
def test_a_password_reset_opens_nothing_and_the_next_log_in_asks_for_the_code(client, staff, role):
    user = staff(role)
    new_password = "another-long-passphrase-7"
    response = _set_new_password(client, _reset_link(client, user), new_password)
    assert response.status_code == 302
    user.refresh_from_db()
    assert user.check_password(new_password)
    _assert_shut(client, "password reset")

    response = client.post(LOGIN, {"login": user.username, "password": new_password})
    assert response.url.startswith(reverse("mfa_authenticate"))
    _assert_shut(client, "log-in after the reset, password step")
    _enter_code(client, user.username, response.url)
    _assert_open(client)


@pytest.mark.parametrize("role", list(STAFF), ids=str)
def test_a_reset_that_signs_in_still_needs_the_code(client, staff, settings, role):
    """Were an installation to sign people in on a password reset, the session would hold a password-reset
    step and no second factor: it still opens nothing."""
    settings.ACCOUNT_LOGIN_ON_PASSWORD_RESET = True
    user = staff(role)
    _set_new_password(client, _reset_link(client, user), "another-long-passphrase-7")
    _assert_shut(client, "password reset that signs in")


@pytest.mark.parametrize("role", list(STAFF), ids=str)
def test_re_authenticating_a_half_finished_log_in_opens_nothing(client, staff, role):
    user = staff(role)
    response = client.post(LOGIN, {"login": user.username, "password": PASSWORD})
    assert response.url.startswith(reverse("mfa_authenticate"))
    # Leave the code step and try re-authentication with the password instead.
    response = client.post(reverse("account_reauthenticate"), {"password": PASSWORD})
    assert response.status_code == 302
    _assert_shut(client, "re-authentication")


@pytest.mark.parametrize("role", list(STAFF), ids=str)
def test_a_session_with_the_password_alone_is_signed_out(client, staff, role):
    """However a password-only session came to be, the first page it asks for signs it out."""
    from tests.signin import sign_in

    user = staff(role)
    sign_in(client, user, second_factor=False)
    response = client.get(TARGETS["protected page"])
    assert response.status_code == 302 and response.url.startswith(LOGIN)
    assert "_auth_user_id" not in client.session
    _assert_shut(client, "password-only session")


def test_account_pages_are_shut_to_a_password_only_session(client, staff):
    """The pages that manage authenticators (where a factor could be removed) are account pages like any
    other, not part of the log-in flow."""
    from tests.signin import sign_in

    sign_in(client, staff(Role.AUDITOR), second_factor=False)
    response = client.get(reverse("mfa_index"))
    assert response.status_code == 302 and response.url.startswith(LOGIN)


def test_a_signed_in_member_sent_to_the_admin_log_in_is_refused_not_looped(client, demo_user):
    from tests.signin import sign_in

    sign_in(client, demo_user("demo-member"))
    response = client.get("/admin/", follow=True)
    assert response.status_code == 403
    assert len(response.redirect_chain) == 1


def test_members_sign_in_with_a_password_alone(client):
    response = client.post(LOGIN, {"login": "demo-member", "password": PASSWORD})
    assert response.status_code == 302 and response.url == reverse("home")
    assert client.get(TARGETS["protected page"]).status_code == 200
    assert client.get(TARGETS["token page"]).status_code == 200
