"""The audit log's CSV writes every text a person chose as text: the user name, display name and
organisation of whoever read, and the name of the attachment they downloaded (issue 13)."""

from __future__ import annotations

import pytest
from django.core.files.base import ContentFile
from django.test import Client
from django.urls import reverse

from ceptoar.accounts.models import Role, RoleGrant, User
from ceptoar.alerts.models import AlertAttachment
from ceptoar.registry.models import Organisation
from ceptoar.sharing.models import AuditEntry, Tlp
from tests.inert import assert_csv_inert, read_csv
from tests.sharing.test_policy_examples import make_alert
from tests.signin import sign_in

pytestmark = pytest.mark.django_db

ATTACHMENT = '=HYPERLINK("http://x","y").pdf'
USERNAME = "-1+1"  # Django's user names allow + - @ . _
DISPLAY_NAME = "@SUM(1) display"
ORGANISATION = "\t=1+1 water works"


def test_a_download_by_a_hostile_name_is_logged_and_exported_inert(demo_user, english):
    Organisation.objects.filter(code="water-0001").update(name=ORGANISATION)
    reader = User.objects.create_user(
        username=USERNAME,
        password=None,
        display_name=DISPLAY_NAME,
        organisation=Organisation.objects.get(code="water-0001"),
    )
    RoleGrant.objects.create(user=reader, role=Role.MEMBER_POC)
    red = make_alert(tlp=Tlp.RED, author=demo_user("demo-hub"), people=[reader])
    attachment = AlertAttachment.objects.create(
        alert=red,
        file=ContentFile(b"%PDF-1.4\n", name="report.pdf"),
        name=ATTACHMENT,
        content_type="application/pdf",
        size=9,
        sha256="0" * 64,
    )
    reading = sign_in(Client(), reader)
    download = reading.get(reverse("alerts:attachment", args=[red.pk, attachment.pk]))
    assert download.status_code == 200
    b"".join(download.streaming_content)
    entry = AuditEntry.objects.get(user=reader, action="download")
    assert entry.detail == ATTACHMENT  # stored as typed: only the export neutralises

    response = sign_in(english, demo_user("demo-auditor")).get(
        reverse("sharing:audit_csv"), {"user": USERNAME}
    )
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith('attachment; filename="audit-log-')
    rows = read_csv(b"".join(response.streaming_content))
    assert rows[0][:3] == ["At", "User name", "User"]
    assert_csv_inert(rows, [USERNAME, DISPLAY_NAME, ORGANISATION, ATTACHMENT])
    [row] = rows[1:]
    assert row[1:6] == ["'" + USERNAME, "'" + DISPLAY_NAME, "water-0001", "'" + ORGANISATION, "download"]
    assert row[7] == str(red.pk) and row[9] == "'" + ATTACHMENT
