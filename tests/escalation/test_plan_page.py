"""The escalation plan page: a sender sets T1, T2 and T3 in minutes."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse

from ceptoar.escalation.models import EscalationPlan

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]


def test_the_default_is_shown_then_an_own_plan_saved(client_as, demo_user):
    client = client_as("demo-secretariat")
    page = client.get(reverse("escalation:plan")).content.decode()
    assert "default plan" in page and 'value="30"' in page
    response = client.post(
        reverse("escalation:plan"), {"backup_after_min": 10, "head_after_min": 20, "call_list_after_min": 45}
    )
    assert response.status_code == 302
    plan = EscalationPlan.objects.get(organisation=demo_user("demo-secretariat").organisation)
    assert (plan.backup_after, plan.head_after, plan.call_list_after) == (
        timedelta(minutes=10),
        timedelta(minutes=20),
        timedelta(minutes=45),
    )


def test_times_out_of_order_are_refused_with_nothing_saved(client_as):
    response = client_as("demo-secretariat").post(
        reverse("escalation:plan"), {"backup_after_min": 60, "head_after_min": 20, "call_list_after_min": 45}
    )
    assert response.status_code == 400
    assert "The times must grow" in response.content.decode()
    assert not EscalationPlan.objects.exists()


def test_members_have_no_plan_page(client_as):
    assert client_as("demo-member").get(reverse("escalation:plan")).status_code == 403
