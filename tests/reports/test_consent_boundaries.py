"""The reporter's consent is a hard boundary: a report kept to the secretariat never reaches the ministry or
the hub through any page, list, search, statistic or export, while one whose reporter let it go to them does
(the control, so that a page that shows nothing at all cannot pass)."""

from __future__ import annotations

import csv
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from ceptoar.reports import tracking
from ceptoar.reports.models import ConsentScope, HopLevel, ReportAttachment
from ceptoar.reports.services.attachments import add_attachment
from ceptoar.reports.services.drafts import start_follow_up
from ceptoar.reports.services.routing import forward
from ceptoar.reports.services.submission import submit
from tests.reports.test_triage_support import send_report

pytestmark = pytest.mark.django_db

SECRET_TITLE = "秘匿ZQX停電 VPN装置の故障"
CONTROL_TITLE = "共有可CTL停電 回線障害"


@pytest.fixture
def reports(demo_user, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    member, secretariat = demo_user("demo-member"), demo_user("demo-secretariat")
    secret = send_report(member, scope=ConsentScope.SECRETARIAT, title=SECRET_TITLE)
    control = send_report(member, scope=ConsentScope.HUB, title=CONTROL_TITLE)
    follow_up = start_follow_up(member, secret)
    attachment = add_attachment(member, follow_up, "log.txt", b"VPN log\n")
    submit(member, follow_up)
    # The secretariat forwards both as far as it can: the control reaches the ministry and the hub; the secret
    # one is refused (and a hand-made hop past the consent must not open it either).
    forward(secretariat, control, [HopLevel.MINISTRY, HopLevel.HUB])
    with pytest.raises(Exception, match=r"."):
        forward(secretariat, secret, [HopLevel.MINISTRY, HopLevel.HUB])
    for organisation in tracking.organisations_at_level(control, HopLevel.HUB):
        secret.hops.create(organisation=organisation, level=HopLevel.HUB, sent_by=secretariat)
    return secret, control, attachment


def _pages(secret, control, attachment: ReportAttachment) -> dict[str, str]:
    return {
        "list": reverse("reports:list"),
        "received": reverse("reports:received"),
        "queue": reverse("reports:triage_queue") + "?status=all",
        "queue search": reverse("reports:triage_queue") + "?status=all&q=停電",
        "library search": reverse("reports:library") + "?q=停電",
        "statistics": reverse("reports:statistics"),
        "statistics csv": reverse("reports:statistics_csv"),
        "secret detail": reverse("reports:detail", args=[secret.pk]),
        "secret attachment": reverse("reports:attachment", args=[secret.pk, attachment.pk]),
        "secret case": reverse("reports:case_create", args=[secret.pk]),
    }


@pytest.mark.parametrize("username", ["demo-hub", "demo-ministry"])
def test_a_secretariat_only_report_reaches_neither_ministry_nor_hub(reports, client_as, username):
    secret, control, attachment = reports
    client = client_as(username)
    for name, url in _pages(secret, control, attachment).items():
        response = client.get(url)
        body = response.content.decode("utf-8", errors="replace")
        assert SECRET_TITLE not in body, name
        assert secret.reference not in body, name
        if name.startswith("secret"):
            assert response.status_code in (403, 404, 405), name

    # The control: the same person does see what the reporter let travel this far.
    received = client.get(reverse("reports:received")).content.decode()
    assert control.reference in received
    assert client.get(reverse("reports:detail", args=[control.pk])).status_code == 200
    rows = list(
        csv.DictReader(io.StringIO(client.get(reverse("reports:statistics_csv")).content.decode("utf-8-sig")))
    )
    count_column = next(name for name in rows[0] if name not in ("month", "sector", "event_type"))  # any
    assert rows and count_column
    assert sum(int(list(row.values())[-1]) for row in rows) == 1  # the control's one cause, not the secret's


def test_the_secretariat_and_the_reporter_do_see_it(reports, client_as):
    secret, _control, _attachment = reports
    for username in ("demo-secretariat", "demo-member"):
        response = client_as(username).get(reverse("reports:detail", args=[secret.pk]))
        assert response.status_code == 200
        assert SECRET_TITLE in response.content.decode()


def test_another_member_of_the_same_ceptoar_does_not(reports, client_as):
    secret, _control, attachment = reports
    client = client_as("demo-member2")
    assert client.get(reverse("reports:detail", args=[secret.pk])).status_code == 404
    assert client.get(reverse("reports:attachment", args=[secret.pk, attachment.pk])).status_code == 404
    assert SECRET_TITLE not in client.get(reverse("reports:library") + "?q=停電").content.decode()


def test_uploading_to_someone_elses_report_is_refused(reports, client_as):
    secret, _control, _attachment = reports
    response = client_as("demo-member2").post(
        reverse("reports:edit", args=[secret.pk]), {"attachments": SimpleUploadedFile("x.txt", b"x")}
    )
    assert response.status_code in (403, 404)
    assert ReportAttachment.objects.filter(report=secret).count() == 1
