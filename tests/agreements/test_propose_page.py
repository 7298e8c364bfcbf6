"""Proposing an agreement on its page: the preview writes nothing, the proposal is accepted for the
proposer's party, and every refusal of the service lands on the field it names with nothing written."""

from __future__ import annotations

import pytest
from django.urls import reverse

from ceptoar.agreements.models import Agreement, AgreementEvent, AgreementStatus
from ceptoar.registry.models import HandlingRules, Organisation

pytestmark = pytest.mark.django_db


def direction(number: int, source: str, receiver: str, **values) -> dict:
    fields = {
        "source": source,
        "receiver": receiver,
        "kinds": ["alert"],
        "categories": ["malware", "vulnerability"],
        "highest_tlp": "amber",
        "originator": "named",
        "may_relay": "on",
    }
    fields.update(values)
    return {f"directions-{number}-{name}": value for name, value in fields.items() if value is not None}


def proposal(*directions: dict, **overrides) -> dict:
    data = {
        "code": "securities-electricity",
        "title": "証券・電力 情報共有協定",
        "text": "第1条 相互に注意喚起を共有する。",
        "version": "1",
        "valid_from": "2026-01-01",
        "valid_to": "",
        "supersedes": "",
        "proposed_by": "securities",
        "parties": ["securities", "electricity"],
        "directions-TOTAL_FORMS": str(max(len(directions), 2)),
        "directions-INITIAL_FORMS": "0",
        "directions-MIN_NUM_FORMS": "0",
        "directions-MAX_NUM_FORMS": "1000",
    }
    for given in directions:
        data.update(given)
    data.update(overrides)
    return data


GOOD = (direction(0, "securities", "electricity"), direction(1, "electricity", "securities", may_relay=None))


def test_the_form_opens_for_a_secretariat_and_is_refused_to_a_member(client_as):
    assert client_as("demo-securities").get(reverse("agreements:new")).status_code == 200
    assert client_as("demo-member").get(reverse("agreements:new")).status_code == 403


def test_preview_writes_nothing_then_propose_creates_it_accepted_for_the_proposer(client_as, english):
    client = client_as("demo-securities")
    before = Agreement.objects.count()
    preview = client.post(reverse("agreements:new"), {**proposal(*GOOD), "preview": "1"})
    assert preview.status_code == 200, preview.context["form"].errors if preview.context else preview
    assert [d["source"].code for d in preview.context["directions"]] == ["securities", "electricity"]
    assert "Nothing is written yet" in preview.content.decode()
    assert Agreement.objects.count() == before
    # The preview carries every field to the final POST, as the browser would send it back.
    carried = {}
    for name, values in preview.context["carried"]:
        carried[name] = values if len(values) > 1 else values[0]
    done = client.post(reverse("agreements:new"), {**carried, "propose": "1"})
    agreement = Agreement.objects.get(code="securities-electricity")
    assert done.status_code == 302 and done["Location"] == reverse("agreements:detail", args=[agreement.pk])
    assert agreement.status == AgreementStatus.PROPOSED
    assert agreement.proposed_by.code == "securities"
    accepted = agreement.parties.filter(accepted_at__isnull=False).values_list(
        "organisation__code", flat=True
    )
    assert list(accepted) == ["securities"]
    terms = {
        (t.source.code, t.receiver.code): t for t in agreement.terms.select_related("source", "receiver")
    }
    assert (
        terms[("securities", "electricity")].may_relay and not terms[("electricity", "securities")].may_relay
    )
    assert terms[("securities", "electricity")].kinds == ["alert"]
    assert agreement.events.filter(action=AgreementEvent.Action.PROPOSED).exists()


def test_add_a_direction_gives_one_more_blank_direction(client_as):
    response = client_as("demo-securities").post(
        reverse("agreements:new"), {**proposal(*GOOD), "add_direction": "1"}
    )
    assert len(response.context["formset"].forms) == 3
    assert not Agreement.objects.filter(code="securities-electricity").exists()


def errors_of(response):
    form, formset = response.context["form"], response.context["formset"]
    return form.errors, [f.errors for f in formset.forms], formset.refusals


@pytest.mark.parametrize("button", ["preview", "propose"])
def test_one_party_only_is_refused_on_the_parties_field(client_as, button):
    before = Agreement.objects.count()
    response = client_as("demo-securities").post(
        reverse("agreements:new"), {**proposal(*GOOD, parties=["securities"]), button: "1"}
    )
    form_errors, _directions, _refusals = errors_of(response)
    assert response.status_code == 400 and "parties" in form_errors
    assert Agreement.objects.count() == before


def test_empty_kinds_are_refused_on_that_directions_kinds_field(client_as, english):
    response = client_as("demo-securities").post(
        reverse("agreements:new"),
        {**proposal(GOOD[0], direction(1, "electricity", "securities", kinds=None)), "propose": "1"},
    )
    _form, directions, _refusals = errors_of(response)
    assert response.status_code == 400
    assert not directions[0] and "kinds" in directions[1]
    assert "Choose at least one kind" in directions[1]["kinds"][0]
    assert not Agreement.objects.filter(code="securities-electricity").exists()


def test_a_tlp_above_a_partys_rules_is_refused_on_the_highest_tlp_field(client_as, english):
    HandlingRules.objects.filter(ceptoar=Organisation.objects.get(code="electricity")).update(
        highest_tlp_shared="green"
    )
    response = client_as("demo-securities").post(
        reverse("agreements:new"), {**proposal(*GOOD), "preview": "1"}
    )
    _form, directions, _refusals = errors_of(response)
    assert "highest_tlp" in directions[0] and "highest_tlp" in directions[1]
    assert "TLP:AMBER" in directions[0]["highest_tlp"][0]
    assert not Agreement.objects.filter(code="securities-electricity").exists()


def test_a_code_in_use_is_refused_on_the_code_field(client_as):
    response = client_as("demo-securities").post(
        reverse("agreements:new"), {**proposal(*GOOD, code="finance-liaison"), "propose": "1"}
    )
    form_errors, _directions, _refusals = errors_of(response)
    assert response.status_code == 400 and "code" in form_errors
    assert Agreement.objects.filter(code="finance-liaison").count() == 1


def test_a_direction_already_covered_is_refused_naming_the_agreement_that_covers_it(client_as):
    before = Agreement.objects.count()
    response = client_as("demo-securities").post(
        reverse("agreements:new"),
        {
            **proposal(direction(0, "securities", "banks"), parties=["securities", "banks"], code="dup"),
            "preview": "1",
        },
    )
    form_errors, directions, refusals = errors_of(response)
    assert response.status_code == 400 and any("finance-liaison" in text for text in refusals), (
        form_errors,
        directions,
        refusals,
    )
    assert Agreement.objects.count() == before


def test_proposing_for_an_organisation_one_does_not_act_for_is_refused(client_as):
    response = client_as("demo-securities").post(
        reverse("agreements:new"), {**proposal(*GOOD, proposed_by="electricity"), "propose": "1"}
    )
    assert response.status_code == 400 and "proposed_by" in response.context["form"].errors
    assert not Agreement.objects.filter(code="securities-electricity").exists()
