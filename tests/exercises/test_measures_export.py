"""The measures per organisation (exercises:measures_csv, exercises:measures_xlsx): one row per organisation
reached, with its hop, sector, CEPTOAR, status, times, escalation, calls and the contacts found wrong;
open to whoever may open the after-action report and to nobody else; linked from the scoreboard and the
report; and inert whatever the organiser, the registry or a remote mail server wrote into its fields."""

from __future__ import annotations

import io

import pytest
from django.test import Client
from django.urls import reverse
from openpyxl import load_workbook

from ceptoar.channels.models import BrokenChannel, Delivery, FailureCause
from ceptoar.exercises.services import running
from ceptoar.registry.models import Contact, ContactChannel, Organisation, Sector
from tests.exercises.support import DRILL_BANKS, five_bank_drill
from tests.inert import assert_csv_inert, assert_xlsx_inert, payload, read_csv

pytestmark = pytest.mark.django_db

CODES = DRILL_BANKS
HEADER = [
    "Inject",
    "Relay hop",
    "Sent by",
    "Organisation code",
    "Organisation",
    "Sector",
    "CEPTOAR",
    "Status",
    "First sent at",
    "Acknowledged at",
    "Acknowledged via",
    "Seconds to delivery",
    "Seconds to acknowledgement",
    "Escalation step reached",
    "Phone calls",
    "Number of contacts found wrong",
    "Contacts found wrong",
    "Exercise started at",
    "Exercise ended at",
]


@pytest.fixture
def drill(demo_user):
    """The five-bank drill of test_measures, in which one of 0005's mailboxes also refused the message.
    Ended, so its measures are kept."""
    secretariat = demo_user("demo-secretariat")
    exercise = five_bank_drill(secretariat)
    refused = Delivery.objects.filter(recipient=exercise.by_code["banks-0005"], kind="email").first()
    BrokenChannel.objects.create(
        channel_id=refused.channel_id,
        delivery=refused,
        reason="550 no such user",
        cause=FailureCause.MAILBOX_REFUSED,
    )
    wrong = exercise.wrong_channel
    exercise = running.finish(exercise, secretariat)
    exercise.wrong_channel, exercise.refused_channel = wrong, refused.channel
    return exercise


def _get(client, name, exercise):
    response = client.get(reverse(f"exercises:{name}", args=[exercise.pk]))
    assert response.status_code == 200
    return response


def _csv(client, exercise) -> list[dict[str, str]]:
    response = _get(client, "measures_csv", exercise)
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == f'attachment; filename="exercise-{exercise.pk}-measures.csv"'
    rows = read_csv(response.content)
    assert rows[0] == HEADER
    return [dict(zip(HEADER, row, strict=True)) for row in rows[1:]]


def test_one_row_per_organisation_with_its_measures(client_as, english, drill):
    rows = {row["Organisation code"]: row for row in _csv(client_as("demo-secretariat"), drill)}
    assert sorted(rows) == CODES
    kept = drill.final_measures
    assert (
        sum(1 for row in rows.values() if row["Status"] in ("Confirmed", "Confirmed late"))
        == kept["acknowledged"]
    )

    first = rows["banks-0001"]
    assert first["Inject"] == drill.injects.get().title
    assert first["Relay hop"] == "CEPTOARs → Member organisations"
    assert first["Sent by"] == first["CEPTOAR"] == Organisation.objects.get(code="banks").name
    assert first["Sector"] == Sector.objects.get(code="finance").name
    assert first["Status"] == "Confirmed" and first["Acknowledged via"] == "Portal"
    assert first["Seconds to delivery"] == "10" and first["Seconds to acknowledgement"] == "60"
    assert first["First sent at"].endswith("+09:00") and first["Escalation step reached"] == ""
    assert (first["Phone calls"], first["Number of contacts found wrong"], first["Contacts found wrong"]) == (
        "0",
        "0",
        "",
    )

    late = rows["banks-0003"]
    assert late["Status"] == "Confirmed late" and late["Seconds to acknowledgement"] == str(45 * 60)
    assert late["Escalation step reached"] == "Backup contacts"

    wrong = rows["banks-0004"]
    assert wrong["Status"] == "Unreachable" and wrong["Acknowledged at"] == ""
    assert wrong["Escalation step reached"] == "Call list" and wrong["Phone calls"] == "1"
    assert wrong["Number of contacts found wrong"] == "1"
    contact = drill.wrong_channel.contact
    assert (
        wrong["Contacts found wrong"]
        == f"{contact.name} (Telephone {drill.wrong_channel.value}: Wrong number)"
    )

    silent = rows["banks-0005"]
    assert silent["Phone calls"] == "1" and silent["Number of contacts found wrong"] == "1"
    # The kind of failure, never the mail server's own words: the file travels with the report.
    assert silent["Contacts found wrong"].endswith(
        f"{drill.refused_channel.value}: The mail server refused the address.)"
    )
    assert "550" not in silent["Contacts found wrong"]


def test_the_xlsx_has_the_same_rows_with_numbers_and_times_typed(client_as, english, drill):
    client = client_as("demo-secretariat")
    from_csv = {row["Organisation code"]: row for row in _csv(client, drill)}
    response = _get(client, "measures_xlsx", drill)
    assert response["Content-Disposition"] == f'attachment; filename="exercise-{drill.pk}-measures.xlsx"'
    sheet = load_workbook(io.BytesIO(response.content)).active
    assert sheet.title == "Measures per organisation" and sheet.freeze_panes == "A2"
    values = [list(row) for row in sheet.iter_rows(values_only=True)]
    assert values[0] == HEADER and len(values) == 1 + len(from_csv)
    for row in values[1:]:
        cells = dict(zip(HEADER, row, strict=True))
        text = from_csv[cells["Organisation code"]]
        for name in ("Seconds to delivery", "Seconds to acknowledgement", "Phone calls"):
            # Numbers, not text; an empty CSV cell is an empty XLSX cell.
            assert cells[name] == (int(text[name]) if text[name] else None)
        for name in ("First sent at", "Acknowledged at"):
            # A date Excel can compute with, in Japan time like the CSV's.
            assert (cells[name].isoformat() if cells[name] else "") == text[name].removesuffix("+09:00")
        for name in ("Organisation", "Status", "Contacts found wrong"):
            assert (cells[name] or "") == text[name]


def test_in_japanese_by_default(client_as, drill):
    rows = read_csv(_get(client_as("demo-secretariat"), "measures_csv", drill).content)
    assert rows[0][:2] == ["状況付与", "転送段階"]


@pytest.mark.parametrize("username", ["demo-member", "demo-ministry", "demo-water", "demo-coordinator"])
def test_only_those_who_may_open_the_report_get_it(client_as, drill, username):
    client = client_as(username)
    for name in ("exercises:report", "exercises:measures_csv", "exercises:measures_xlsx"):
        response = client.get(reverse(name, args=[drill.pk]))
        assert response.status_code == 404
        assert b"banks-0001" not in response.content and not response.content.startswith(b"PK")


def test_an_unknown_exercise_is_404_and_a_visitor_logs_in(client_as, drill):
    signed_in = client_as("demo-secretariat")
    for name in ("exercises:measures_csv", "exercises:measures_xlsx"):
        assert signed_in.get(reverse(name, args=[999999])).status_code == 404
        response = Client().get(reverse(name, args=[drill.pk]))
        assert response.status_code == 302 and "login" in response["Location"]


def test_linked_from_the_scoreboard_and_the_report(client_as, drill):
    client = client_as("demo-secretariat")
    csv_url = reverse("exercises:measures_csv", args=[drill.pk])
    xlsx_url = reverse("exercises:measures_xlsx", args=[drill.pk])
    for page in ("exercises:detail", "exercises:scoreboard", "exercises:report"):
        html = client.get(reverse(page, args=[drill.pk])).content.decode()
        assert f'href="{csv_url}"' in html and f'href="{xlsx_url}"' in html, page


def test_a_planned_exercise_gives_the_header_alone(client_as, english, demo_user):
    from tests.exercises.support import plan

    exercise = plan(demo_user("demo-secretariat"), organisations=CODES)
    assert _csv(client_as("demo-secretariat"), exercise) == []


def test_formulas_in_every_field_stay_text(client_as, english, drill):
    """The inject title, the sender's, the organisations', the sector's and the CEPTOAR's names, the
    contact's name, the address and a mail server's refusal, each a formula."""
    fields = {}

    def put(model, key, field, index):
        value = payload(index) + f" {field}{index}"
        model.objects.filter(pk=key).update(**{field: value})
        fields[(model.__name__, key, field)] = value
        return value

    inject = drill.injects.get()
    put(type(inject), inject.pk, "title", 0)
    put(Organisation, Organisation.objects.get(code="banks").pk, "name", 1)  # sender and CEPTOAR
    put(Sector, Sector.objects.get(code="finance").pk, "name", 2)
    for index, code in enumerate(CODES, start=3):
        put(Organisation, Organisation.objects.get(code=code).pk, "name", index)
    wrong_contact = put(Contact, drill.wrong_channel.contact_id, "name", 8)
    ContactChannel.objects.filter(pk=drill.wrong_channel.pk).update(value="-1+1 wrong number")
    refused_contact = put(Contact, drill.refused_channel.contact_id, "name", 9)
    BrokenChannel.objects.filter(channel=drill.refused_channel).update(reason='=HYPERLINK("http://x","550")')

    client = client_as("demo-secretariat")
    rows = read_csv(_get(client, "measures_csv", drill).content)
    whole_cells = [value for value in fields.values() if value not in (wrong_contact, refused_contact)]
    assert_csv_inert(rows, whole_cells)
    # A contact's name begins the list of the contacts found wrong; the address and the kind of failure
    # follow it.
    by_code = {row[3]: row for row in rows[1:]}
    assert by_code["banks-0004"][16] == f"'{wrong_contact} (Telephone -1+1 wrong number: Wrong number)"
    assert by_code["banks-0005"][16].startswith(f"'{refused_contact} (E-mail ")
    assert by_code["banks-0005"][16].endswith(": The mail server refused the address.)")
    assert "HYPERLINK" not in by_code["banks-0005"][16]  # the technical text is not exported at all

    cells = assert_xlsx_inert(_get(client, "measures_xlsx", drill).content, whole_cells)
    listed = [
        cell for cell in cells if cell.value == f"{wrong_contact} (Telephone -1+1 wrong number: Wrong number)"
    ]
    assert len(listed) == 1 and listed[0].quotePrefix
