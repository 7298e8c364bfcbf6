"""Log-in through allauth: staff roles need a second factor, members log in with a password."""

from __future__ import annotations

import pytest
from django.urls import reverse

from ceptoar.accounts.models import Role, RoleGrant, User
from ceptoar.accounts.services import current_totp_code
from ceptoar.registry.models import Organisation

pytestmark = pytest.mark.django_db

LOGIN = "/accounts/login/"


def _post_password(client, username):
    return client.post(LOGIN, {"login": username, "password": "ceptoar-demo"})


def test_member_poc_logs_in_with_password_alone(client):
    response = _post_password(client, "demo-member")
    assert response.status_code == 302
    assert response.url == reverse("home")
    assert client.get(reverse("home")).status_code == 200


def test_staff_role_is_asked_for_a_totp_code_and_a_correct_one_lets_them_in(client):
    response = _post_password(client, "demo-hub")
    assert response.status_code == 302
    assert response.url.startswith("/accounts/2fa/authenticate")
    # The password alone does not open the platform.
    assert client.get(reverse("home")).status_code == 302

    code, _seconds = current_totp_code("demo-hub")
    response = client.post(response.url, {"code": code})
    assert response.status_code == 302
    assert client.get(reverse("home")).status_code == 200


def test_a_wrong_totp_code_is_refused(client):
    response = _post_password(client, "demo-secretariat")
    code, _seconds = current_totp_code("demo-secretariat")
    wrong = "000000" if code != "000000" else "111111"
    response = client.post(response.url, {"code": wrong})
    assert response.status_code == 200
    assert client.get(reverse("home")).status_code == 302


def test_a_recovery_code_works_in_place_of_totp(client, demo_user):
    from allauth.mfa.models import Authenticator
    from allauth.mfa.recovery_codes.internal.auth import RecoveryCodes

    user = demo_user("demo-ministry")
    codes = RecoveryCodes(Authenticator.objects.get(user=user, type=Authenticator.Type.RECOVERY_CODES))
    response = _post_password(client, "demo-ministry")
    response = client.post(response.url, {"code": codes.get_unused_codes()[0]})
    assert response.status_code == 302
    assert client.get(reverse("home")).status_code == 200


@pytest.mark.parametrize(
    "role", [Role.HUB_STAFF, Role.MINISTRY_LIAISON, Role.SECRETARIAT, Role.COORDINATOR, Role.AUDITOR]
)
def test_staff_role_without_an_authenticator_must_enrol_before_anything_else(
    client, role, django_capture_on_commit_callbacks
):
    user = User.objects.create_user(
        "new-staff", password="a-long-password-1", organisation=Organisation.objects.get(code="banks")
    )
    RoleGrant.objects.create(user=user, role=role)
    client.post(LOGIN, {"login": "new-staff", "password": "a-long-password-1"})
    for path in (reverse("home"), reverse("registry:organisation_list"), reverse("registry:map")):
        response = client.get(path)
        assert response.status_code == 302, path
        assert response.url == reverse("mfa_activate_totp")
    # Enrolling a factor asks for the password once more (allauth's re-authentication), then shows the QR code.
    response = client.get(reverse("mfa_activate_totp"))
    assert response.url.startswith(reverse("account_reauthenticate"))
    client.post(response.url, {"password": "a-long-password-1"})
    response = client.get(reverse("mfa_activate_totp"))
    assert response.status_code == 200
    assert b"secret" in response.content.lower() or b"svg" in response.content.lower()
    # The code from the new device is this session's second factor: the platform opens.
    # (allauth announces the new authenticator once its transaction commits.)
    with django_capture_on_commit_callbacks(execute=True):
        code = _code_for(client.session["mfa.totp.secret"])
        response = client.post(reverse("mfa_activate_totp"), {"code": code})
    assert response.status_code == 302
    assert client.get(reverse("registry:map")).status_code == 200


def _code_for(secret: str) -> str:
    import time

    from allauth.mfa.totp.internal.auth import format_hotp_value, hotp_value

    return format_hotp_value(hotp_value(secret, int(time.time()) // 30))


@pytest.mark.parametrize("role", [Role.MEMBER_POC, Role.MEMBER_ANALYST])
def test_roles_outside_the_mfa_requirement_are_not_forced_to_enrol(client, role):
    user = User.objects.create_user(
        "new-member", password="a-long-password-1", organisation=Organisation.objects.get(code="banks-0003")
    )
    RoleGrant.objects.create(user=user, role=role)
    client.force_login(user)
    assert client.get(reverse("home")).status_code == 200


def test_anonymous_visitors_are_sent_to_the_login_page(client):
    for path in (reverse("home"), reverse("registry:map"), "/registry/organisations/banks-0001/"):
        response = client.get(path)
        assert response.status_code == 302
        assert response.url.startswith(LOGIN)


def test_self_signup_is_closed(client):
    response = client.post(
        "/accounts/signup/",
        {
            "username": "intruder",
            "email": "x@example.jp",
            "password1": "a-long-password-1",
            "password2": "a-long-password-1",
        },
    )
    assert not User.objects.filter(username="intruder").exists()
    assert "signup_closed" in [t.name.rsplit("/", 1)[-1].split(".")[0] for t in response.templates]
