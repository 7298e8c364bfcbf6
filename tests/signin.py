"""Signing a test client in as the site's log-in would leave the session.

`Client.force_login` makes a session without the record of how the person authenticated. The platform
asks staff roles to have passed TOTP *in this session* (`accounts.middleware.RequireMfaMiddleware`), so a
bare `force_login` of a staff account is a session that stopped at the password. Tests of pages sign in
through `sign_in`; tests of the log-in itself go through the real log-in views.
"""

from __future__ import annotations

import time

# allauth's session keys for the authentication steps of this session
# (allauth.account.internal.flows.login.record_authentication).
_RECORDS = "account_authentication_methods"
_RECORDS_USER = "account_authentication_methods_user"


def sign_in(client, user, *, second_factor: bool = True):
    """Log `user` in on `client` after a password and, unless `second_factor` is False, a TOTP code."""
    client.force_login(user)
    session = client.session
    now = time.time()
    records = [{"method": "password", "at": now, "username": user.username}]
    if second_factor:
        records.append({"method": "mfa", "at": now, "type": "totp"})
    session[_RECORDS] = records
    session[_RECORDS_USER] = str(user.pk)
    session.save()
    return client
