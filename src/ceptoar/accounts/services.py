"""Operations on people and their sign-in factors."""

from __future__ import annotations

import time

from ceptoar.accounts.models import User


def current_totp_code(username: str, at: float | None = None) -> tuple[str, int]:
    """The code a demo account's authenticator would show now, and how long it stays valid.

    Only for accounts flagged as demo: printing a real person's second factor would defeat it.
    """
    from allauth.mfa import app_settings
    from allauth.mfa.models import Authenticator
    from allauth.mfa.totp.internal.auth import format_hotp_value, hotp_value
    from allauth.mfa.utils import decrypt

    user = User.objects.filter(username=username).first()
    if user is None:
        raise ValueError(f"No account named {username!r}.")
    if not user.is_demo:
        raise ValueError(f"{username!r} is not a demo account; its codes are only on its owner's device.")
    authenticator = Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).first()
    if authenticator is None:
        raise ValueError(f"{username!r} has no TOTP authenticator; it logs in with its password alone.")
    now = time.time() if at is None else at
    period = app_settings.TOTP_PERIOD
    secret = decrypt(authenticator.data["secret"])
    return format_hotp_value(hotp_value(secret, int(now) // period)), period - int(now) % period
