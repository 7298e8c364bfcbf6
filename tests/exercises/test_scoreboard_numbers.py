"""The scoreboard on the exercise page shows exactly the figures of `measures.compute` for a small drill in
which some recipients have confirmed receipt; a finished exercise shows the figures kept when it ended."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from ceptoar.alerts.models import Recipient
from ceptoar.alerts.services.acknowledgements import acknowledge
from ceptoar.alerts.tracking import GROUP_NAMES
from ceptoar.escalation.status import ReceiptStatus
from ceptoar.exercises import measures
from ceptoar.exercises.report import format_rate
from ceptoar.exercises.services import running
from tests.exercises.support import run
from tests.exercises.test_pages_support import PARTICIPANTS, text

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]


def _figure(block: str, name: str) -> str:
    match = re.search(rf'data-figure="{name}"[^>]*>(.*?)</(?:dd|td)>', block, re.S)
    assert match is not None, f"no figure {name}"
    return text(match.group(1))


def _table(page: str, table_id: str) -> dict[str, dict[str, str]]:
    block = page.split(f'id="{table_id}"')[1].split("</table>")[0]
    rows = {}
    for key, body in re.findall(r'<tr data-key="([^"]*)">(.*?)</tr>', block, re.S):
        label = text(re.search(r"<th[^>]*>(.*?)</th>", body, re.S).group(1))
        rows[key] = {"label": label} | {
            name: _figure(body, name)
            for name in ("total", "acknowledged", "rate", "not_confirmed", "unreachable")
        }
    return rows


def _expected_rows(groups: list[dict], label) -> dict[str, dict[str, str]]:
    return {
        group["key"]: {
            "label": label(group),
            "total": str(group["total"]),
            "acknowledged": str(group["acknowledged"]),
            "rate": format_rate(group["confirmed_rate"]),
            "not_confirmed": str(group["statuses"][ReceiptStatus.NOT_CONFIRMED]),
            "unreachable": str(group["statuses"][ReceiptStatus.UNREACHABLE]),
        }
        for group in groups
    }


@pytest.fixture
def drill(demo_user):
    exercise = run(demo_user("demo-secretariat"), organisations=PARTICIPANTS)
    recipients = Recipient.objects.filter(alert__exercise=exercise).order_by("organisation__code")
    assert recipients.count() == 3
    for recipient in recipients[:2]:
        acknowledge(recipient, via="portal")
    return exercise


def test_the_live_scoreboard_shows_the_measures(client_as, drill):
    page = client_as("demo-secretariat").get(reverse("exercises:detail", args=[drill.pk])).content.decode()
    figures = measures.compute(drill)
    assert figures["acknowledged"] == 2 and figures["recipients"] == 3  # the drill is what the test made

    headline = page.split('id="scoreboard-headline"')[1].split("</dl>")[0]
    assert _figure(headline, "confirmed_rate") == f"{format_rate(figures['confirmed_rate'])} 2 / 3"
    assert format_rate(figures["confirmed_rate"]) == "66.7%"
    assert _figure(headline, "overall_rate") == f"{format_rate(figures['overall_rate'])} 2 / 3"
    assert _figure(headline, "organisations") == str(figures["organisations"])
    assert _figure(headline, "unreached_total") == str(figures["unreached_total"]) == "1"

    statuses = page.split('id="scoreboard-statuses"')[1].split("</dl>")[0]
    for status, label in ReceiptStatus.choices:
        shown = re.search(rf'data-status="{status}"><dt>(.*?)</dt><dd>(.*?)</dd>', statuses, re.S)
        assert (text(shown.group(1)), text(shown.group(2))) == (str(label), str(figures["statuses"][status]))

    def hop(group):
        return f"{GROUP_NAMES[group['from']]} → {GROUP_NAMES[group['to']]}"

    assert _table(page, "hops-table") == _expected_rows(figures["hops"], hop)
    assert list(_table(page, "hops-table")) == ["ceptoar-member"]
    assert _table(page, "sectors-table") == _expected_rows(figures["by_sector"], lambda g: g["name"])
    assert _table(page, "ceptoars-table") == _expected_rows(figures["by_ceptoar"], lambda g: g["name"])

    for dist_id, key in (("delivery-time", "delivery_time"), ("ack-time", "ack_time")):
        block = page.split(f'id="{dist_id}"')[1].split("</table>")[0]
        assert _figure(block, "count") == str(figures[key]["count"])
        assert _figure(block, "never") == str(figures[key]["never"])
        bins = [int(text(c)) for c in re.findall(r'<td class="num">(.*?)</td>', block, re.S)]
        assert bins == [item["count"] for item in figures[key]["histogram"]]
    assert figures["ack_time"]["count"] == 2

    calls = page.split('id="scoreboard-calls"')[1].split("</section>")[0]
    assert _figure(calls, "calls_total") == str(figures["calls"]["total"])
    unreached = page.split('id="scoreboard-unreached"')[1].split("</section>")[0]
    assert [entry["code"] for entry in figures["unreached"]] == ["banks-0003"]
    assert 'data-code="banks-0003"' in unreached and "banks-0001" not in unreached
    # The injects table carries each inject's own rate.
    inject = drill.injects.get()
    row = page.split(f'data-inject="{inject.pk}"')[1].split("</tr>")[0]
    assert "66.7% 2 / 3" in text(row)


def test_a_finished_exercise_shows_the_figures_kept_when_it_ended(client_as, drill, demo_user):
    drill = running.finish(drill, demo_user("demo-secretariat"))
    kept = drill.final_measures
    # Figures computed now would differ from these; the page must show the kept ones.
    kept["confirmed_rate"], kept["acknowledged"] = 0.25, 1
    drill.save(update_fields=["final_measures"])
    page = client_as("demo-secretariat").get(reverse("exercises:detail", args=[drill.pk])).content.decode()
    headline = page.split('id="scoreboard-headline"')[1].split("</dl>")[0]
    assert _figure(headline, "confirmed_rate").startswith("25.0%")
    assert _figure(headline, "overall_rate") == f"{format_rate(kept['overall_rate'])} 1 / 3"
    flagged = page.split('id="flagged-contacts">')[1].split("</p>")[0]
    assert text(flagged).startswith(f"{kept['flagged_contacts']} contact")
    assert kept["flagged_contacts"] > 0  # banks-0003 never confirmed: its contacts are to be verified
