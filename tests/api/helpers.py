"""Alerts published in the test, the way the portal publishes them (drafts.create_draft + submit)."""

from __future__ import annotations

from ceptoar.alerts.models import Alert
from ceptoar.alerts.services import drafts, publication
from ceptoar.alerts.services.audience import AudienceSpec
from ceptoar.sharing.models import Tlp


def publish(
    author, *, title="Ransomware campaign against internet banking", tlp=Tlp.AMBER, **audience
) -> Alert:
    draft = drafts.create_draft(
        author,
        title=title,
        body="## 概要\n\nSECRET-BODY-TEXT 対策を確認してください。\n\n<script>alert(1)</script>",
        category="malware",
        severity="high",
        tlp=tlp,
        audience=AudienceSpec(**(audience or {"sectors": ["finance"]})),
    )
    return publication.submit(draft, author)


def alerts_path(alert_id: int | None = None, tail: str = "") -> str:
    return "/api/v1/alerts" + (f"/{alert_id}" if alert_id is not None else "") + tail
