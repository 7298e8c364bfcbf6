from __future__ import annotations

from datetime import timedelta

from ceptoar.alerts.models import Recipient
from tests.channels.helpers import publish


def banks_alert(demo_user, **kwargs):
    """An alert from the banks CEPTOAR secretariat to its own members."""
    return publish(demo_user("demo-secretariat"), ceptoars=["banks"], **kwargs)


def recipient(alert, code: str) -> Recipient:
    return Recipient.objects.get(alert=alert, organisation__code=code)


def after(alert, minutes: float):
    return alert.published_at + timedelta(minutes=minutes)
