"""Helpers shared by the alert page tests."""

from __future__ import annotations

from django.core.files.uploadedfile import SimpleUploadedFile

from ceptoar.alerts.models import Alert, AlertAttachment
from ceptoar.alerts.services import drafts, publication
from ceptoar.alerts.services.audience import AudienceSpec
from ceptoar.sharing.models import Audience, Tlp

PDF = b"%PDF-1.7\n1 0 obj <<>> endobj\n"


def pdf(name: str = "advisory.pdf") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, PDF, content_type="application/pdf")


def compose_data(**overrides) -> dict:
    """What a hub officer fills in on the compose page: AMBER, for the finance sector."""
    data = {
        "title": "Ransomware campaign against internet banking",
        "body": "## 概要\n\n**至急** 対策を確認してください。",
        "category": "malware",
        "severity": "high",
        "tlp": Tlp.AMBER,
        "sectors": ["finance"],
        "organisations": "",
        "people": "",
        "references": "https://www.example.jp/advisory/1\n",
        "action": "publish",
    }
    data.update(overrides)
    return data


def post_confirmed(client, make_data):
    """Post the compose page as a sender does who checks the send preview and confirms it: "Check and
    publish" saves the draft and opens its preview; the preview's button posts its token. Returns the
    confirmation's response (a redirect to the alert). `make_data` makes the form's data."""
    from django.urls import reverse

    response = client.post(reverse("alerts:new"), make_data())
    if response.status_code != 302 or "/submit/" not in response.url:
        return response
    preview = client.get(response.url)
    return client.post(response.url, {"token": preview.context["preview"].token})


def confirm_send(client, url: str):
    """Open a send preview (`alerts:submit` or `alerts:approve`) and confirm what it shows."""
    preview = client.get(url)
    assert preview.status_code == 200, preview.status_code
    return client.post(url, {"token": preview.context["preview"].token})


def row_counts() -> tuple[int, int, int]:
    return Alert.objects.count(), Audience.objects.count(), AlertAttachment.objects.count()


def published(author, **overrides) -> Alert:
    """An alert as the hub sends it to the finance sector. The FSA is named: the policy expands a sector
    to its organisations and its CEPTOARs' members, and a ministry has no sector of its own."""
    fields = {
        "title": "Phishing kit aimed at bank customers",
        "body": "対策を確認してください。",
        "category": "malware",
        "severity": "high",
        "tlp": Tlp.AMBER,
        "audience": AudienceSpec(sectors=["finance"], organisations=["fsa"]),
    }
    fields.update(overrides)
    return publication.submit(drafts.create_draft(author, **fields), author)
