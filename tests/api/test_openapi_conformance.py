"""Schemathesis against the API's own document, `/api/openapi.json`: every operation is called with
generated input, valid and invalid, through the real WSGI application, with a member's real token. Every
answer must be one the document declares for that operation, with a body that fits its schema; nothing is
a server error; invalid input is refused and valid input is served.

Deterministic and bounded: a fixed seed, derandomised generation, no example database, EXAMPLES calls per
operation and phase. No deadline and no timing health check: a slow machine makes it slower, not red.
"""

from __future__ import annotations

import pytest
import schemathesis
from django.core import signals
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from schemathesis.config import SchemathesisConfig

from ceptoar.alerts.models import Acknowledgement
from ceptoar.alerts.services import publication
from ceptoar.api import services
from ceptoar.api.models import ApiTokenScope
from tests.api.helpers import publish

pytestmark = pytest.mark.django_db

EXAMPLES = 60

schema = schemathesis.openapi.from_wsgi(
    "/api/openapi.json",
    get_wsgi_application(),
    config=SchemathesisConfig.from_dict(
        {
            "seed": 20261206,
            "generation": {"max-examples": EXAMPLES, "deterministic": True, "database": "none"},
        }
    ),
)

# The token is created inside each test (its database transaction, rolled back after), but schemathesis
# prepares some calls when the tests are collected. Its calls carry this stand-in, swapped for the real
# key when sent; calls it made without a token, or with a broken one on purpose, are left as they are.
STAND_IN = "member-token-of-this-test"


@schema.auth()
class MemberToken:
    def get(self, case, context):
        return STAND_IN

    def set(self, case, data, context):
        case.headers = {**(case.headers or {}), "Authorization": f"Bearer {data}"}


@pytest.fixture
def one_transaction():
    """Django's WSGI handler closes the database connection after every request (`close_old_connections`),
    which would end the test's transaction. Its test client keeps the connection for the same reason."""
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


@pytest.fixture
def scene(demo_user, one_transaction):
    """Alerts of every kind for the member (banks-0001): one it sees but was not sent (409 on
    acknowledging), a relay sent to it (201, then 200), one it may not see (404). On SQLite their ids are
    the first ones, which generation tries first."""
    hub_alert = publish(demo_user("demo-hub"))
    fsa_relay = publication.relay(hub_alert, demo_user("demo-ministry"))
    relay = publication.relay(fsa_relay, demo_user("demo-secretariat"))
    hidden = publish(demo_user("demo-hub"), title="Water only", sectors=["water"])
    return {"seen": hub_alert, "relay": relay, "hidden": hidden}


@pytest.fixture
def member_key(demo_user, scene):
    _token, key = services.create_token(demo_user("demo-member"), "schemathesis")
    return key


@schema.parametrize()
@settings(suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
def test_every_operation_answers_as_documented(case, member_key):
    if (case.headers or {}).get("Authorization") == f"Bearer {STAND_IN}":
        case.headers["Authorization"] = f"Bearer {member_key}"
    case.call_and_validate()


def _call(operation: str, method: str, key: str | None, expected: int, **parts):
    headers = {"Authorization": f"Bearer {key}"} if key else {}
    case = schema[operation][method].Case(headers=headers, **parts)
    response = case.call_and_validate()
    assert response.status_code == expected, (operation, parts, response.text)
    return response


def test_each_documented_answer_fits_its_schema(demo_user, scene):
    """The generated calls rarely meet an alert of the member's, and never on PostgreSQL (ids do not
    restart): each answer of each operation is met here on purpose, and checked by schemathesis too."""
    member = services.create_token(demo_user("demo-member"), "tool")[1]
    reader = services.create_token(demo_user("demo-member"), "dashboard", scope=ApiTokenScope.READ)[1]
    seen, relay, hidden = scene["seen"].pk, scene["relay"].pk, scene["hidden"].pk
    one = "/api/v1/alerts/{alert_id}"
    ack, receipt = one + "/acknowledge", one + "/acknowledgement"

    _call("/api/v1/alerts", "GET", member, 200)
    _call("/api/v1/alerts", "GET", member, 200, query={"since": "2025-04-01T09:00:00+09:00", "limit": 1})
    _call("/api/v1/alerts", "GET", None, 401)
    _call("/api/v1/alerts", "GET", member, 422, query={"since": "0.5"})
    _call("/api/v1/alerts", "GET", member, 422, query={"offset": "9223372036854775808"})

    _call(one, "GET", member, 200, path_parameters={"alert_id": relay})
    _call(one, "GET", member, 404, path_parameters={"alert_id": hidden})
    _call(one, "GET", member, 422, path_parameters={"alert_id": "99999999999999999999"})
    _call(receipt, "GET", member, 200, path_parameters={"alert_id": relay})
    _call(receipt, "GET", member, 404, path_parameters={"alert_id": hidden})

    _call(ack, "POST", reader, 403, path_parameters={"alert_id": relay})
    _call(ack, "POST", member, 409, path_parameters={"alert_id": seen})
    _call(ack, "POST", member, 404, path_parameters={"alert_id": hidden})
    _call(ack, "POST", member, 422, path_parameters={"alert_id": relay}, body={"note": "x" * 2001})
    assert not Acknowledgement.objects.filter(recipient__alert__in=[seen, relay, hidden]).exists()
    _call(ack, "POST", member, 201, path_parameters={"alert_id": relay}, body={"note": "Night desk."})
    _call(ack, "POST", member, 200, path_parameters={"alert_id": relay})
    assert _call(receipt, "GET", reader, 200, path_parameters={"alert_id": relay}).json()["acknowledged"]
