"""API tokens: create, revoke, and find the person behind a key. The tokens page and the API's
authentication call these; nothing else writes `ApiToken` rows.

The messages of `TokenRefused` go back to API clients as they are: they are English on purpose (machines
read them, and an operator pastes them into a search engine), so they are not wrapped for translation.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import date, datetime, time, timedelta

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from ceptoar.accounts.access import is_active_person
from ceptoar.api.models import ApiToken, ApiTokenScope

# Every key starts with this, so that a key pasted somewhere it should not be is easy to recognise
# (and for secret scanners to find).
KEY_MARK = "ceptoar_"
# Characters of the key kept in clear: the mark and 8 random characters.
PREFIX_LENGTH = len(KEY_MARK) + 8
# Writing `last_used_at` on every call would turn each read into a write; once a minute says enough.
LAST_USED_RESOLUTION = timedelta(minutes=1)

# An expiry further ahead than this is not one anybody will remember to renew; such a token is better
# created without one, which the page shows plainly.
EXPIRY_MAX_DAYS = 3653  # ten years

_NAME_MAX = ApiToken._meta.get_field("name").max_length
TOKENS_PAGE = "/api/tokens/"


class TokenRefused(Exception):
    """The key does not let anyone in; the message says why, in English, for the API client."""


class ScopeRefused(Exception):
    """The token lets its owner in, but not to do this; the message names the scope needed, in English."""


def hash_key(key: str) -> str:
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


def expiry_of(expires_on: date) -> datetime:
    """A token given a last day works through that whole day, Japan time (the installation's time zone)."""
    return timezone.make_aware(datetime.combine(expires_on + timedelta(days=1), time.min))


@transaction.atomic
def create_token(
    user,
    name: str,
    *,
    scope: str = ApiTokenScope.READ_ACKNOWLEDGE,
    expires_on: date | None = None,
) -> tuple[ApiToken, str]:
    """A new token for `user`; returns (token, key). The key is returned only here: it is not stored, so
    it is shown once and never again.

    `scope`: what it may do (`ApiTokenScope`); `expires_on`: its last day, or None for no end. Every
    field's problem is reported at once, and nothing is written unless all are right."""
    if not is_active_person(user):
        raise PermissionDenied(_("Only an active, signed-in person can create an API token."))
    errors = {}
    name = (name or "").strip()
    if not name:
        errors["name"] = _("Give the token a name that says what it is for.")
    elif len(name) > _NAME_MAX:
        errors["name"] = _("The name may be at most %(max)d characters long.") % {"max": _NAME_MAX}
    if scope not in ApiTokenScope.values:
        errors["scope"] = _("Choose what the token may do.")
    if expires_on is not None:
        today = timezone.localdate()
        latest = today + timedelta(days=EXPIRY_MAX_DAYS)
        if expires_on < today:
            errors["expires_on"] = _(
                "The expiry date %(date)s has already passed: choose today or a later day, or leave it "
                "empty for a token that does not expire."
            ) % {"date": expires_on.isoformat()}
        elif expires_on > latest:
            errors["expires_on"] = _(
                "The expiry date may be at most ten years ahead (until %(date)s); for a token that does not "
                "expire, leave it empty."
            ) % {"date": latest.isoformat()}
    if errors:
        raise ValidationError(errors)
    key = KEY_MARK + secrets.token_urlsafe(32)
    token = ApiToken.objects.create(
        user=user,
        name=name,
        key_hash=hash_key(key),
        prefix=key[:PREFIX_LENGTH],
        scope=scope,
        expires_at=expiry_of(expires_on) if expires_on is not None else None,
    )
    return token, key


@transaction.atomic
def revoke_token(token: ApiToken, by_user) -> ApiToken:
    """Revoke one of `by_user`'s own tokens. Revoking twice keeps the first time."""
    token = ApiToken.objects.select_for_update().get(pk=token.pk)
    if token.user_id != getattr(by_user, "pk", None):
        raise PermissionDenied(_("You can revoke only your own API tokens."))
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])
    return token


def token_for_key(key: str) -> ApiToken:
    """The live token for this key, with its user, or TokenRefused. Marks the token used."""
    if not key or not key.startswith(KEY_MARK):
        raise TokenRefused(
            f"This is not a CEPTOAR API token (keys start with '{KEY_MARK}'). "
            f"Create one on the API tokens page ({TOKENS_PAGE})."
        )
    token = ApiToken.objects.select_related("user").filter(key_hash=hash_key(key)).first()
    if token is None:
        raise TokenRefused("Unknown API token. Check that the whole key was copied, or create a new one.")
    if token.revoked_at is not None:
        raise TokenRefused(
            f"This API token ({token.prefix}…) was revoked at {token.revoked_at.isoformat()}. "
            f"Create a new one on the API tokens page ({TOKENS_PAGE})."
        )
    if token.is_expired:
        raise TokenRefused(
            f"This API token ({token.prefix}…) expired at "
            f"{timezone.localtime(token.expires_at).isoformat()}. "
            f"Create a new one on the API tokens page ({TOKENS_PAGE})."
        )
    if not token.user.is_active:
        raise TokenRefused("The account this API token belongs to is disabled.")
    _mark_used(token)
    return token


def check_may_acknowledge(token: ApiToken) -> None:
    """ScopeRefused unless the token may confirm receipt in its owner's organisation's name."""
    if not token.may_acknowledge:
        raise ScopeRefused(
            f"This API token ({token.prefix}…) has the scope '{token.scope}': it reads alerts but cannot "
            f"confirm receipt. Confirming receipt needs the scope '{ApiTokenScope.READ_ACKNOWLEDGE.value}': "
            f"create a token with it on the API tokens page ({TOKENS_PAGE})."
        )


def user_for_key(key: str):
    """The person an API key acts as, or TokenRefused (unknown, revoked, or the person's account disabled)."""
    return token_for_key(key).user


def _mark_used(token: ApiToken) -> None:
    now = timezone.now()
    # One conditional UPDATE: concurrent calls neither race nor write more than once a minute.
    updated = (
        ApiToken.objects.filter(pk=token.pk)
        .filter(Q(last_used_at__isnull=True) | Q(last_used_at__lt=now - LAST_USED_RESOLUTION))
        .update(last_used_at=now)
    )
    if updated:
        token.last_used_at = now
