"""The agreements pages: who sees which agreement, the actions through their confirmation step, and the dry
run. On the demo's finance agreements (banks, securities, the insurers, FISC) and agreements made here
between pairs outside them."""

from __future__ import annotations

import pytest
from django.urls import reverse

from ceptoar.accounts.models import Role, User
from ceptoar.agreements import flows
from ceptoar.agreements.models import Agreement, AgreementEvent, AgreementStatus
from ceptoar.agreements.services import lifecycle
from ceptoar.registry.models import Organisation
from tests.agreements.helpers import in_force, spec, staff_of, term
from tests.signin import sign_in

pytestmark = pytest.mark.django_db

Action = AgreementEvent.Action


def org(code):
    return Organisation.objects.get(code=code)


def codes_listed(response) -> set[str]:
    return {agreement.code for agreement in response.context["page"].object_list}


def proposed_to_securities() -> Agreement:
    """Electricity proposes to the securities CEPTOAR (a direction the finance agreements do not cover)."""
    return lifecycle.do_propose(
        staff_of("electricity"),
        spec(["electricity", "securities"], [term("electricity", "securities")], title="電力・証券 試験協定"),
    )


def test_the_hub_and_the_auditor_read_the_whole_register(client_as, english):
    for username in ("demo-hub", "demo-auditor"):
        response = client_as(username).get(reverse("agreements:list"))
        assert response.status_code == 200 and response.context["is_register"]
        assert {
            "finance-liaison",
            "fisc-analysis-banks",
            "fisc-analysis-securities",
            "fisc-analysis-life-insurance",
            "fisc-analysis-non-life-insurance",
        } <= codes_listed(response)
        assert "Register of sharing agreements" in response.content.decode()


def test_a_secretariat_sees_only_the_agreements_its_ceptoar_is_party_to(client_as):
    response = client_as("demo-securities").get(reverse("agreements:list"))
    assert codes_listed(response) == {"finance-liaison", "fisc-analysis-securities"}
    banks_only = Agreement.objects.get(code="fisc-analysis-banks")
    assert (
        client_as("demo-securities").get(reverse("agreements:detail", args=[banks_only.pk])).status_code
        == 404
    )
    assert (
        client_as("demo-secretariat").get(reverse("agreements:detail", args=[banks_only.pk])).status_code
        == 200
    )
    assert codes_listed(client_as("demo-fisc").get(reverse("agreements:list"))) == {
        f"fisc-analysis-{code}" for code in ("banks", "securities", "life-insurance", "non-life-insurance")
    }


def test_members_and_other_sectors_see_none_and_get_no_link(client_as, english):
    liaison = Agreement.objects.get(code="finance-liaison")
    for username in ("demo-member", "demo-water", "demo-coordinator"):
        client = client_as(username)
        assert codes_listed(client.get(reverse("agreements:list"))) == set()
        assert client.get(reverse("agreements:detail", args=[liaison.pk])).status_code == 404
    assert 'href="/agreements/"' not in client_as("demo-member").get(reverse("home")).content.decode()
    assert 'href="/agreements/"' in client_as("demo-securities").get(reverse("home")).content.decode()
    assert 'href="/agreements/"' in client_as("demo-hub").get(reverse("home")).content.decode()


def test_the_list_filters_by_status_and_party_and_refuses_an_unknown_party(client_as):
    client = client_as("demo-hub")
    assert codes_listed(client.get(reverse("agreements:list"), {"party": "fisc"})) == {
        f"fisc-analysis-{code}" for code in ("banks", "securities", "life-insurance", "non-life-insurance")
    }
    assert codes_listed(client.get(reverse("agreements:list"), {"status": "suspended"})) == set()
    refused = client.get(reverse("agreements:list"), {"party": "no-such-org"})
    assert refused.status_code == 400 and "party" in refused.context["form"].errors


def test_the_detail_page_shows_text_parties_terms_and_history(client_as, english):
    liaison = Agreement.objects.get(code="finance-liaison")
    response = client_as("demo-securities").get(reverse("agreements:detail", args=[liaison.pk]))
    html = response.content.decode()
    assert "金融CEPTOAR連絡協議会" in html and "第1条" in html
    assert len(response.context["terms"]) == 12
    row = next(t for t in response.context["terms"] if t.term.source.code == "banks")
    assert row.kind_labels == ["Alerts", "Situation summaries"] and row.all_categories
    assert row.highest_tlp_label == "TLP:AMBER" and row.term.may_relay and row.originator_label == "Named"
    assert [e.action for e in response.context["events"]][:2] == [Action.PROPOSED, Action.ACCEPTED]
    assert response.context["events"].last().action == Action.IN_FORCE
    # In force: the securities CEPTOAR may suspend or revoke it, for itself only.
    assert [(action, [p.code for p in parties]) for action, parties in response.context["actions"]] == [
        ("suspend", ["securities"]),
        ("revoke", ["securities"]),
    ]


def test_proposals_waiting_for_your_acceptance_come_first(client_as):
    proposal = proposed_to_securities()
    response = client_as("demo-securities").get(reverse("agreements:list"))
    assert [a.code for a in response.context["waiting"]] == [proposal.code]
    html = response.content.decode()
    assert html.index('id="waiting"') < html.index('id="all"')
    # The proposer's side has accepted already: nothing waits for it.
    assert client_as("demo-secretariat").get(reverse("agreements:list")).context["waiting"] == []


def test_accepting_shows_the_consequence_first_then_brings_it_into_force(client_as, demo_user, english):
    proposal = proposed_to_securities()
    client = client_as("demo-securities")
    url = reverse("agreements:accept", args=[proposal.pk])
    confirm = client.get(url + "?party=securities")
    assert confirm.status_code == 200
    assert "comes into force now" in confirm.context["consequence"]
    assert Agreement.objects.get(pk=proposal.pk).status == AgreementStatus.PROPOSED  # the GET changed nothing
    done = client.post(url, {"party": "securities"})
    assert done.status_code == 302 and done["Location"] == reverse("agreements:detail", args=[proposal.pk])
    assert Agreement.objects.get(pk=proposal.pk).status == AgreementStatus.IN_FORCE
    last = proposal.events.filter(action=Action.ACCEPTED).last()
    assert (last.organisation.code, last.user) == ("securities", demo_user("demo-securities"))
    assert flows.flow(org("electricity").pk, org("securities").pk) is not None


def test_suspending_needs_a_reason_and_then_stops_the_flow(client_as, english):
    agreement = proposed_to_securities()
    lifecycle.do_accept(agreement, User.objects.get(username="demo-securities"), org("securities"))
    client = client_as("demo-securities")
    url = reverse("agreements:suspend", args=[agreement.pk])
    confirm = client.get(url)
    assert "From now nothing flows under this agreement" in confirm.context["consequence"]
    assert confirm.context["directions"] == [f"{org('electricity').name} → {org('securities').name}"]
    refused = client.post(url, {"party": "securities", "reason": "  "})
    assert refused.status_code == 400 and "reason" in refused.context["form"].errors
    assert Agreement.objects.get(pk=agreement.pk).status == AgreementStatus.IN_FORCE
    client.post(url, {"party": "securities", "reason": "規程の改定中"})
    assert Agreement.objects.get(pk=agreement.pk).status == AgreementStatus.SUSPENDED
    assert flows.flow(org("electricity").pk, org("securities").pk) is None
    assert agreement.events.get(action=Action.SUSPENDED).reason == "規程の改定中"
    # Only the party that suspended may resume: electricity is offered no resume.
    detail = client_as("demo-securities").get(reverse("agreements:detail", args=[agreement.pk]))
    assert dict(detail.context["actions"]).keys() == {"resume", "revoke"}


def test_a_party_the_user_does_not_act_for_is_refused_on_the_field(client_as):
    proposal = proposed_to_securities()
    response = client_as("demo-securities").post(
        reverse("agreements:accept", args=[proposal.pk]), {"party": "electricity"}
    )
    assert response.status_code == 400 and "party" in response.context["form"].errors
    assert Agreement.objects.get(pk=proposal.pk).status == AgreementStatus.PROPOSED


def test_a_members_poc_of_a_party_reads_but_may_not_act(client):
    poc = User.objects.create_user("securities-poc", organisation=org("securities"))
    poc.role_grants.create(role=Role.MEMBER_POC)
    sign_in(client, poc)
    proposal = proposed_to_securities()
    detail = client.get(reverse("agreements:detail", args=[proposal.pk]))
    assert detail.status_code == 200 and detail.context["actions"] == []
    url = reverse("agreements:accept", args=[proposal.pk])
    assert client.get(url).status_code == 403
    assert client.post(url, {"party": "securities"}).status_code == 403
    assert Agreement.objects.get(pk=proposal.pk).status == AgreementStatus.PROPOSED


def test_actions_that_do_not_apply_are_refused(client_as):
    liaison = Agreement.objects.get(code="finance-liaison")
    client = client_as("demo-securities")
    assert client.get(reverse("agreements:accept", args=[liaison.pk])).status_code == 403  # in force already
    assert client.get(reverse("agreements:resume", args=[liaison.pk])).status_code == 403  # not suspended
    assert Agreement.objects.get(pk=liaison.pk).status == AgreementStatus.IN_FORCE


def test_revoking_a_proposal_withdraws_it(client_as, english):
    proposal = proposed_to_securities()
    client = client_as("demo-securities")
    url = reverse("agreements:revoke", args=[proposal.pk])
    assert "withdrawn for good" in client.get(url).context["consequence"]
    client.post(url, {"party": "securities", "reason": "内容を再検討"})
    assert Agreement.objects.get(pk=proposal.pk).status == AgreementStatus.REVOKED


# -- the dry run ------------------------------------------------------------------------------------------


def test_dry_run_shows_each_direction_and_the_binding_agreement(client_as, english):
    response = client_as("demo-hub").get(reverse("agreements:dry_run"), {"first": "banks", "second": "fisc"})
    there, back = response.context["directions"]
    assert [a.code for a in there.flow.agreements] == ["fisc-analysis-banks"]
    assert there.kind_labels == ["Incident reports for analysis"] and not there.flow.may_relay
    assert back.kind_labels == ["Alerts", "Failure cases"] and back.flow.may_relay
    assert back.originator_label == "Named" and there.originator_label == "Anonymised"
    html = response.content.decode()
    assert "fisc-analysis-banks" in html and "Nothing may flow" not in html


def test_dry_run_without_an_agreement_says_nothing_may_flow(client_as, english):
    response = client_as("demo-hub").get(
        reverse("agreements:dry_run"), {"first": "banks", "second": "electricity"}
    )
    assert [direction.flow for direction in response.context["directions"]] == [None, None]
    assert response.content.decode().count("Nothing may flow: no agreement in force.") == 2


def test_dry_run_beyond_the_register_only_for_ones_own_organisation(client_as):
    client = client_as("demo-secretariat")
    refused = client.get(reverse("agreements:dry_run"), {"first": "electricity", "second": "gas"})
    assert refused.status_code == 400 and "first" in refused.context["form"].errors
    assert refused.context["directions"] == []
    assert (
        client.get(reverse("agreements:dry_run"), {"first": "securities", "second": "banks"}).status_code
        == 200
    )
    same = client.get(reverse("agreements:dry_run"), {"first": "banks", "second": "banks"})
    assert same.status_code == 400 and "second" in same.context["form"].errors


def test_accepting_while_others_have_not_says_who_is_still_to_accept(client_as, english):
    proposal = lifecycle.do_propose(
        staff_of("electricity"),
        spec(["electricity", "securities", "gas"], [term("electricity", "securities")]),
    )
    client = client_as("demo-securities")
    url = reverse("agreements:accept", args=[proposal.pk])
    consequence = client.get(url).context["consequence"]
    assert "still to accept" in consequence and org("gas").name in consequence
    client.post(url, {"party": "securities"})
    assert Agreement.objects.get(pk=proposal.pk).status == AgreementStatus.PROPOSED
    assert proposal.parties.get(organisation__code="securities").accepted_at is not None


def test_a_new_version_links_to_the_one_it_replaced_and_back(client_as):
    first = in_force(["electricity", "gas"], [term("electricity", "gas")])
    second = in_force(
        ["electricity", "gas"],
        [term("electricity", "gas", highest_tlp="green")],
        supersedes=first.code,
        version=2,
    )
    client = client_as("demo-hub")
    newer = client.get(reverse("agreements:detail", args=[second.pk]))
    assert newer.context["supersedes_visible"]
    assert reverse("agreements:detail", args=[first.pk]) in newer.content.decode()
    older = client.get(reverse("agreements:detail", args=[first.pk]))
    assert older.context["superseded_by"] == [(second, True)]
    assert older.context["agreement"].status == AgreementStatus.EXPIRED and not older.context["binding"]
    assert [e.action for e in older.context["events"]][-1] == Action.SUPERSEDED
