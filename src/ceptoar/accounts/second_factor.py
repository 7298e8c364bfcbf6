"""Whether this session has passed the second factor: the one question `RequireMfaMiddleware` asks.

allauth keeps, in the session, a record of every authentication step taken in it (password, TOTP or a
recovery code, password reset …), bound to the user it was taken for. A session has passed the second
factor when one of its records is an MFA step for the person now signed in. Holding an authenticator is
not the same thing: it says what the account could do, not what this session did.
"""

from __future__ import annotations

from allauth.account.authentication import get_authentication_records

# allauth's name for a TOTP, recovery-code or WebAuthn step.
_MFA_METHOD = "mfa"


def passed_second_factor(request) -> bool:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return False
    return any(record.get("method") == _MFA_METHOD for record in get_authentication_records(request, user))


def record_enrolment(request, authenticator) -> None:
    """A person who has just enrolled TOTP typed a valid code from the new device to do so: that is the
    second factor of this session, as a log-in's code would be (allauth does not record it as a step)."""
    from allauth.account.internal.flows.login import record_authentication

    record_authentication(request, request.user, _MFA_METHOD, type=authenticator.type, id=authenticator.pk)
