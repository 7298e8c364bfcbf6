"""The acknowledgement link of an e-mail: making its signed token and URL, and reading a token back to the
delivery it was made for.

The token carries a signed delivery id: the delivery names the alert, the recipient organisation and the
point of contact it was sent to, so the link needs no log-in and proves which address it came from. Kept
apart from recording receipts (`alerts.services.acknowledgements`) and imports models only, so that what writes
messages (`alerts.messages`) can put the link in without depending on escalation and the services above it.
"""

from __future__ import annotations

from datetime import timedelta
from functools import lru_cache

from django.conf import settings
from django.core import signing
from django.urls import get_script_prefix, reverse

from ceptoar.alerts.models import Alert, Recipient
from ceptoar.channels.models import Delivery
from ceptoar.registry.models import Organisation
from ceptoar.utilities.prepared import PreparedValues

_SALT = "ceptoar.ack"


def _signer() -> signing.TimestampSigner:
    return signing.TimestampSigner(salt=_SALT)


def make_ack_token(delivery_id: int) -> str:
    return _signer().sign(str(delivery_id))


_TOKEN_SLOT = "TOKEN"  # noqa: S105 - where the signed token goes, not a secret


@lru_cache(maxsize=16)
def _ack_url_template(base_url: str, script_prefix: str) -> str:
    return base_url + reverse("alerts:ack_link", args=[_TOKEN_SLOT])


def ack_url_for(delivery_id: int) -> str:
    # Reversing the route for each of thousands of e-mails cost more than signing the token.
    template = _ack_url_template(settings.CEPTOAR_BASE_URL, get_script_prefix())
    return template.replace(_TOKEN_SLOT, make_ack_token(delivery_id))


class ForgedLink(Exception):
    """The link was not made by this installation, or was altered."""


class ExpiredLink(Exception):
    """The link is genuine but older than CEPTOAR_ACK_LINK_MAX_AGE_DAYS."""


# Each link is one click of thousands after an alert: the look-up's SQL is built once.
_LINK_TARGET = PreparedValues(
    lambda delivery_id: (
        Delivery.objects.filter(pk=delivery_id, recipient__isnull=False)
        .order_by()  # not the default ordering, which joins the alert again
        .values_list(
            "contact_id",
            "alert_id",
            "alert__title",
            "alert__tlp",
            "alert__body",
            "alert__status",
            "recipient_id",
            "recipient__organisation_id",
            "recipient__organisation__name",
        )[:1]
    )
)


def _loaded(model, **values):
    # `from_db` takes the values in the model's field order.
    names = [field.attname for field in model._meta.concrete_fields if field.attname in values]
    return model.from_db("default", names, [values[name] for name in names])


def delivery_for_token(token: str) -> Delivery:
    """The delivery a link was made for, or ForgedLink / ExpiredLink."""
    max_age = timedelta(days=settings.CEPTOAR_ACK_LINK_MAX_AGE_DAYS)
    try:
        value = _signer().unsign(token, max_age=max_age)
    except signing.SignatureExpired:
        raise ExpiredLink from None
    except signing.BadSignature:
        raise ForgedLink from None
    try:
        delivery_id = int(value)
    except ValueError:
        raise ForgedLink from None
    row = _LINK_TARGET.first(delivery_id)
    if row is None:
        # Signed by us, but for nothing an organisation can acknowledge (gone, or a RED notice to a person).
        raise ForgedLink
    contact_id, alert_id, title, tlp, body, status, recipient_id, organisation_id, organisation_name = row
    # Only what the link page shows and records; the other fields are deferred, as with `.only()`.
    alert = _loaded(Alert, id=alert_id, title=title, tlp=tlp, body=body, status=status)
    organisation = _loaded(Organisation, id=organisation_id, name=organisation_name)
    recipient = _loaded(Recipient, id=recipient_id, alert_id=alert_id, organisation_id=organisation_id)
    recipient.alert, recipient.organisation = alert, organisation
    delivery = _loaded(
        Delivery, id=delivery_id, alert_id=alert_id, recipient_id=recipient_id, contact_id=contact_id
    )
    delivery.alert, delivery.recipient = alert, recipient
    return delivery
