import pytest
from django.core.management import CommandError, call_command

from ceptoar.accounts.models import User
from ceptoar.accounts.services import current_totp_code

pytestmark = pytest.mark.django_db


def test_prints_the_code_allauth_accepts(capsys, demo_user):
    from allauth.mfa.models import Authenticator
    from allauth.mfa.totp.internal.auth import TOTP

    call_command("totp", "demo-coordinator")
    printed = capsys.readouterr().out.split()[0]
    assert printed.isdigit() and len(printed) == 6
    totp = TOTP(Authenticator.objects.get(user=demo_user("demo-coordinator"), type=Authenticator.Type.TOTP))
    assert totp.validate_code(printed)


def test_refuses_accounts_that_are_not_demo_accounts(demo_user):
    from allauth.mfa.totp.internal.auth import TOTP

    user = User.objects.create_user("real-person", password="a-long-password-1")
    TOTP.activate(user, "JBSWY3DPEHPK3PXP")
    with pytest.raises(CommandError, match="not a demo account"):
        call_command("totp", "real-person")


def test_names_the_problem_for_unknown_or_unenrolled_accounts():
    with pytest.raises(ValueError, match="No account named"):
        current_totp_code("nobody")
    with pytest.raises(ValueError, match="no TOTP authenticator"):
        current_totp_code("demo-member")
