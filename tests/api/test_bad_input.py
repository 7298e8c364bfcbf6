"""Bad input gets a JSON answer that says what was wrong and where, and nothing is written."""

from __future__ import annotations

import pytest

from ceptoar.alerts.models import Acknowledgement
from ceptoar.api.schemas import NOTE_MAX_LENGTH
from tests.api.helpers import alerts_path, publish

pytestmark = pytest.mark.django_db


@pytest.fixture
def alert(demo_user):
    return publish(demo_user("demo-hub"))


@pytest.fixture
def ministry(api_as):
    return api_as("demo-ministry")


def nothing_written(alert) -> bool:
    return not Acknowledgement.objects.filter(recipient__alert=alert).exists()


@pytest.mark.parametrize(
    ("raw", "words"),
    [
        ('{"note": "unterminated', "not valid JSON"),
        ("{'note': 'single quotes'}", "not valid JSON"),
        ('{"note": "a"}\n}', "line 2, column 1"),
    ],
)
def test_malformed_json_is_400_and_says_where(ministry, alert, raw, words):
    response = ministry.post(alerts_path(alert.pk, "/acknowledge"), raw=raw)
    assert response.status_code == 400
    assert response["Content-Type"].startswith("application/json")
    assert words in response.json()["detail"]
    assert nothing_written(alert)


def test_a_body_that_is_not_utf8_is_400(ministry, alert):
    response = ministry.post(alerts_path(alert.pk, "/acknowledge"), raw=b'{"note": "\x93\xfa"}')
    assert response.status_code == 400 and "UTF-8" in response.json()["detail"]
    assert nothing_written(alert)


@pytest.mark.parametrize(
    ("body", "field", "words"),
    [
        ({"note": "x" * (NOTE_MAX_LENGTH + 1)}, "note", f"at most {NOTE_MAX_LENGTH} characters"),
        ({"note": 42}, "note", "valid string"),
        ({"note": ["a", "b"]}, "note", "valid string"),
        ({"notes": "typo"}, "notes", "Extra inputs are not permitted"),
        (["note"], "", "valid dictionary"),
    ],
)
def test_wrong_values_are_422_and_name_the_field(ministry, alert, body, field, words):
    response = ministry.post(alerts_path(alert.pk, "/acknowledge"), body)
    assert response.status_code == 422
    payload = response.json()
    assert words in payload["detail"] and payload["detail"].startswith("Invalid input.")
    assert any(error["field"] == field and error["location"] == "body" for error in payload["errors"])
    assert nothing_written(alert)


def test_a_note_at_the_limit_is_accepted(ministry, alert):
    response = ministry.post(alerts_path(alert.pk, "/acknowledge"), {"note": "x" * NOTE_MAX_LENGTH})
    assert response.status_code == 201
    assert len(Acknowledgement.objects.get(recipient__alert=alert).note) == NOTE_MAX_LENGTH


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"limit": 0}, "limit"),
        ({"limit": 201}, "limit"),
        ({"limit": "ten"}, "limit"),
        ({"offset": -1}, "offset"),
        ({"since": "yesterday"}, "since"),
    ],
)
def test_bad_query_parameters_are_422(ministry, params, field):
    response = ministry.get("/api/v1/alerts", params)
    assert response.status_code == 422
    payload = response.json()
    assert f"query field '{field}'" in payload["detail"]
    assert [error["field"] for error in payload["errors"]] == [field]


def test_an_alert_id_that_is_not_a_number_is_refused(ministry):
    response = ministry.get("/api/v1/alerts/abc")
    assert response.status_code == 422
    assert response.json()["errors"] == [
        {
            "location": "path",
            "field": "alert_id",
            "message": "Input should be a valid integer, unable to parse string as an integer",
        }
    ]
