"""Every parameter is bounded: a value the API cannot serve is a 422 that names the parameter and where it
was (query, path, body), never a 500 and never a guess; and a refused call writes nothing."""

from __future__ import annotations

import pytest
from django.db import connection

from ceptoar.alerts.models import Acknowledgement, Alert
from ceptoar.alerts.services import publication
from ceptoar.api.models import ApiToken
from ceptoar.api.schemas import DB_ID_MAX
from tests.api.helpers import alerts_path, publish

pytestmark = pytest.mark.django_db

TOO_BIG = "99999999999999999999"
PATHS = ["", "/acknowledge", "/acknowledgement"]


@pytest.fixture
def member(api_as):
    return api_as("demo-member")


@pytest.fixture
def relay_to_member(demo_user):
    """An alert sent to the member's organisation (banks-0001) at its hop: one it may acknowledge."""
    hub_alert = publish(demo_user("demo-hub"))
    fsa_relay = publication.relay(hub_alert, demo_user("demo-ministry"))
    return publication.relay(fsa_relay, demo_user("demo-secretariat"))


def call(client, path, **kwargs):
    if path.partition("?")[0].endswith("/acknowledge"):
        return client.post(path, kwargs.get("body"))
    return client.get(path, kwargs.get("params"))


def refused(response, location, field, words=""):
    assert response.status_code == 422, response.content
    payload = response.json()
    assert payload["detail"].startswith("Invalid input.")
    assert (f"{location} field '{field}'" if field else f"{location}: ") in payload["detail"]
    assert {"location": location, "field": field} in [
        {"location": error["location"], "field": error["field"]} for error in payload["errors"]
    ]
    assert words in payload["detail"]
    return payload


def test_the_id_bound_is_the_databases():
    # Alert ids are BigAutoField; the bound the API publishes is that column's range on this database.
    assert Alert._meta.pk.get_internal_type() == "BigAutoField"
    assert connection.ops.integer_field_range("BigIntegerField")[1] == DB_ID_MAX


# -- the two examples of the issue ---------------------------------------------------------------


def test_an_offset_past_the_databases_integers_is_422_not_500(member, demo_user):
    publish(demo_user("demo-hub"))
    refused(
        member.get("/api/v1/alerts", {"offset": "9223372036854775808"}),
        "query",
        "offset",
        "less than or equal to 9223372036854775807",
    )
    # The largest offset the database can take is served: nothing is that far down the list.
    page = member.get("/api/v1/alerts", {"offset": str(DB_ID_MAX)}).json()
    assert page["items"] == [] and page["offset"] == DB_ID_MAX and page["count"] > 0


@pytest.mark.parametrize("value", ["0.5", "1743465600", "1743465600.5", "-1", "2025-04-01", "12:00"])
def test_since_is_a_date_and_time_not_a_number(member, value):
    refused(
        member.get("/api/v1/alerts", {"since": value}),
        "query",
        "since",
        "ISO 8601 date and time such as 2025-04-01T09:00:00+09:00",
    )


# -- ids in the path ------------------------------------------------------------------------------


@pytest.mark.parametrize("tail", PATHS)
@pytest.mark.parametrize(
    ("value", "words"),
    [
        (TOO_BIG, "less than or equal to 9223372036854775807"),
        ("9223372036854775808", "less than or equal to 9223372036854775807"),
        ("9" * 5000, "less than or equal to 9223372036854775807"),
        ("0", "greater than or equal to 1"),
        ("-3", "greater than or equal to 1"),
        ("1.0", "valid integer"),
        ("1_000", "valid integer"),
        ("+5", "valid integer"),
        ("%205", "valid integer"),
    ],
)
def test_an_alert_id_outside_the_databases_range_is_refused(member, relay_to_member, tail, value, words):
    refused(call(member, f"/api/v1/alerts/{value}{tail}"), "path", "alert_id", words)
    assert not Acknowledgement.objects.exists()


def test_the_largest_id_is_an_ordinary_not_found(member):
    for tail in PATHS:
        response = call(member, alerts_path(DB_ID_MAX, tail))
        assert response.status_code == 404, tail
    assert not Acknowledgement.objects.exists()


# -- the list's query -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("params", "field", "words"),
    [
        ({"limit": "1.0"}, "limit", "valid integer"),
        ({"limit": " 5"}, "limit", "valid integer"),
        ({"limit": "1_0"}, "limit", "valid integer"),
        ({"limit": "9" * 5000}, "limit", "less than or equal to 200"),
        ({"offset": "+1"}, "offset", "valid integer"),
        ({"since": "2025-02-30T00:00:00Z"}, "since", "day is out of range for month"),
        ({"since": "2025-04-01T24:00:00Z"}, "since", "valid date and time"),
        ({"since": "2025-04-01T00:00:00+09:00" + "0" * 40}, "since", "ISO 8601"),
        ({"limt": "10"}, "limt", "Unknown parameter; this operation takes limit, offset, since"),
        ({"limit": ["10", "20"]}, "limit", "Given more than once"),
    ],
)
def test_bad_list_parameters_name_themselves(member, params, field, words):
    refused(member.get("/api/v1/alerts", params), "query", field, words)


def test_an_unencoded_plus_gets_a_hint(member):
    # `?since=2025-04-01T09:00:00+09:00` typed into a URL: the '+' arrives as a space.
    response = member.get("/api/v1/alerts?since=2025-04-01T09:00:00+09:00")
    refused(response, "query", "since", "write the offset's '+' as %2B")


def test_every_problem_is_named_at_once(member):
    payload = refused(
        member.get("/api/v1/alerts", {"limit": "0", "offset": "x", "since": "0.5"}), "query", "limit"
    )
    assert [error["field"] for error in payload["errors"]] == ["limit", "offset", "since"]


@pytest.mark.parametrize(
    "since",
    [
        "2025-04-01T09:00:00+09:00",
        "2025-04-01T00:00:00Z",
        "2025-04-01t00:00:00z",
        "2025-04-01 09:00",
        "2025-04-01T09:00:00.123456789+09:00",
        # At the ends of the calendar: in UTC these fall outside it, and mean before or after every alert.
        "0001-01-01T00:00:00+23:59",
        "9999-12-31T23:59:59-23:59",
    ],
)
def test_every_date_and_time_form_is_served(member, since):
    response = member.get("/api/v1/alerts", {"since": since})
    assert response.status_code == 200, response.content


def test_the_ends_of_the_calendar_mean_everything_and_nothing(member, demo_user):
    publish(demo_user("demo-hub"))
    everything = member.get("/api/v1/alerts", {"since": "0001-01-01T00:00:00+23:59"}).json()["count"]
    assert everything == member.get("/api/v1/alerts").json()["count"] > 0
    assert member.get("/api/v1/alerts", {"since": "9999-12-31T23:59:59-23:59"}).json()["count"] == 0


def test_a_path_operation_takes_no_query_parameters(member, relay_to_member):
    for tail in PATHS:
        response = call(member, alerts_path(relay_to_member.pk, tail) + "?verbose=1")
        refused(response, "query", "verbose", "this operation takes no query parameters")
    assert not Acknowledgement.objects.exists()


# -- the acknowledgement's body -------------------------------------------------------------------


@pytest.mark.parametrize("raw", ["null", "42", '"received"', "true"])
def test_a_body_that_is_json_but_not_an_object_is_refused(member, relay_to_member, raw):
    response = member.post(alerts_path(relay_to_member.pk, "/acknowledge"), raw=raw)
    refused(response, "body", "", "valid dictionary")
    assert not Acknowledgement.objects.exists()


def test_no_body_at_all_is_an_empty_note(member, relay_to_member):
    response = member.post(alerts_path(relay_to_member.pk, "/acknowledge"))
    assert response.status_code == 201 and response.json()["note"] == ""


# -- nothing stored changes -----------------------------------------------------------------------


def test_a_refused_call_changes_nothing(member, relay_to_member):
    tokens_before = list(ApiToken.objects.values())
    alert_before = Alert.objects.filter(pk=relay_to_member.pk).values().get()
    for path, kwargs in [
        (alerts_path(relay_to_member.pk, "/acknowledge?note=x"), {"body": {"note": "x"}}),
        (f"/api/v1/alerts/{TOO_BIG}/acknowledge", {"body": {"note": "x"}}),
        (alerts_path(relay_to_member.pk, "/acknowledge"), {"body": {"note": "x", "by": "me"}}),
    ]:
        assert call(member, path, **kwargs).status_code == 422
    assert not Acknowledgement.objects.exists()
    assert Alert.objects.filter(pk=relay_to_member.pk).values().get() == alert_before
    # The token's row is as it was, but for the time it was last used.
    after = list(ApiToken.objects.values())
    assert [row | {"last_used_at": None} for row in after] == [
        row | {"last_used_at": None} for row in tokens_before
    ]
