"""The organisation table of the tracking page: filter by receipt status and by CEPTOAR, search by name
or code, 50 to a page with the filters kept across pages."""

from __future__ import annotations

import pytest
from django.urls import reverse

from ceptoar.escalation.status import ReceiptStatus
from ceptoar.registry.models import Organisation
from tests.alerts.test_tracking_support import (
    acknowledge,
    chain_ids,
    hub_alert,
    mark_failed,
    relay_down,
    sender_for,
)

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]


@pytest.fixture
def original(demo_user):
    """金融庁 → 生命保険CEPTOAR (41 members) and 損害保険CEPTOAR (28): 72 recipients in all."""
    alert = hub_alert(demo_user, ceptoars=["life-insurance", "non-life-insurance"])
    relay_down(alert)
    for code in ("life-insurance-0001", "life-insurance-0002", "non-life-insurance-0001"):
        acknowledge(alert, code)
    mark_failed(chain_ids(alert), ["non-life-insurance-0028"])
    return alert


def _get(client, alert, **params):
    return client.get(reverse("alerts:tracking", args=[alert.pk]), params)


def _codes(response) -> list[str]:
    return [row.organisation.code for row in response.context["page"].object_list]


def test_fifty_to_a_page(client_as, original):
    client = client_as("demo-hub")
    first = _get(client, original)
    assert first.context["page"].paginator.count == 72
    assert len(_codes(first)) == 50
    second = _get(client, original, page=2)
    assert len(_codes(second)) == 22
    assert not set(_codes(first)) & set(_codes(second))


def test_filter_by_status(client_as, original):
    client = client_as("demo-hub")
    confirmed = _get(client, original, status=ReceiptStatus.CONFIRMED)
    assert sorted(_codes(confirmed)) == [
        "life-insurance-0001",
        "life-insurance-0002",
        "non-life-insurance-0001",
    ]
    assert _codes(_get(client, original, status=ReceiptStatus.UNREACHABLE)) == ["non-life-insurance-0028"]
    assert _get(client, original, status=ReceiptStatus.NOT_CONFIRMED).context["page"].paginator.count == 68
    # The summary above the table is never filtered.
    assert confirmed.context["summary"].recipients.total == 72


def test_filter_by_ceptoar_keeps_the_filter_across_pages(client_as, original):
    client = client_as("demo-hub")
    response = _get(client, original, ceptoar="non-life-insurance")
    codes = _codes(response)
    assert len(codes) == 28 and all(code.startswith("non-life-insurance-") for code in codes)
    life = _get(client, original, ceptoar="life-insurance", status=ReceiptStatus.NOT_CONFIRMED)
    assert life.context["page"].paginator.count == 39
    both = _get(client, original, status=ReceiptStatus.NOT_CONFIRMED)
    assert "status=not_confirmed" in both.context["page"].next_url


def test_search_by_name_or_code(client_as, original):
    client = client_as("demo-hub")
    assert _codes(_get(client, original, q="life-insurance-0041")) == ["life-insurance-0041"]
    name = Organisation.objects.get(code="non-life-insurance-0007").name
    assert "non-life-insurance-0007" in _codes(_get(client, original, q=name))
    assert _codes(_get(client, original, q="NON-LIFE-INSURANCE-0007")) == ["non-life-insurance-0007"]
    html = _get(client, original, q="no-such-organisation").content.decode()
    assert "0 organisations found." in html


def test_an_unknown_filter_value_is_an_error_not_an_empty_list(client_as, original):
    client = client_as("demo-hub")
    response = _get(client, original, status="lost")
    assert response.status_code == 400
    assert "There is no status called “lost”." in response.content.decode()
    response = _get(client, original, ceptoar="banks")  # not a CEPTOAR this alert went through
    assert response.status_code == 400


def test_the_ceptoar_choice_is_offered_only_with_several_ceptoars(client_as, original, settings):
    html = _get(client_as("demo-hub"), original).content.decode()
    assert '<select name="ceptoar"' in html and "生命保険CEPTOAR" in html
    life_relay = original.descendants.get(origin_organisation__code="life-insurance")
    settings.CEPTOAR_MFA_REQUIRED = False  # a staff account made by the test has no authenticator
    client = client_as(sender_for("life-insurance").username)
    response = client.get(reverse("alerts:tracking", args=[life_relay.pk]))
    assert response.status_code == 200
    assert 'name="ceptoar"' not in response.content.decode()
    assert response.context["page"].paginator.count == 41
