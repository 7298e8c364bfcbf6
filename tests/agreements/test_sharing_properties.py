"""Property-based tests of sharing under agreements, end to end through the services the pages use, over
random agreements (terms, status, dates) and random items:

- a lateral alert is published only if every party beyond the sender's chain is covered by an agreement in
  force for its kind, category and TLP, and then reaches exactly those parties; otherwise it is refused and
  nothing is written;
- suspending, revoking or passing an agreement's end date stops at once what is under way under it: relays by
  hand and by rule, and escalation of its receivers;
- a report reaches an analysis partner only with the reporter's consent and an agreement in force that covers
  it.

The oracles are written from the rules in words. Parties are outside the demo's finance agreements.
"""

from __future__ import annotations

import datetime
import itertools

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ceptoar.agreements.categories import CATEGORY_VALUES
from ceptoar.agreements.models import Agreement, AgreementParty, AgreementStatus, AgreementTerm, FlowKind
from ceptoar.agreements.services import lifecycle
from ceptoar.alerts.models import Alert, Recipient, RelayRule, Status
from ceptoar.alerts.services import drafts, publication
from ceptoar.alerts.services.audience import AudienceSpec
from ceptoar.channels.models import Delivery
from ceptoar.escalation.models import FollowUp, FollowUpState, Step
from ceptoar.escalation.services import run_due_follow_ups
from ceptoar.registry.models import Organisation, OrganisationKind
from ceptoar.reports.models import ANALYSIS_CATEGORY, EventType
from ceptoar.reports.services.analysis import do_forward_for_analysis
from ceptoar.sharing import policy
from ceptoar.sharing.models import TLP_RANK, Tlp
from tests.agreements.helpers import in_force, staff_of, term
from tests.reports.analysis_support import PARTNER, sent_report, world

pytestmark = pytest.mark.django_db

SENDER = "electricity"
RECEIVERS = (
    "gas",
    "railway",
    "telecom-isac",
)  # two CEPTOARs and a related body, none in the demo's agreements
ORGANISATION_TLPS = [Tlp.CLEAR, Tlp.GREEN, Tlp.AMBER, Tlp.AMBER_STRICT]
EXAMPLES = settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
_numbers = itertools.count(1)


class Rollback(Exception):
    """Raised to undo one example's rows."""


def org(code: str) -> Organisation:
    return Organisation.objects.get(code=code)


def rolled_back(check):
    try:
        with transaction.atomic():
            check()
            raise Rollback
    except Rollback:
        pass


def tlp_within(tlp: str, highest: str) -> bool:
    return TLP_RANK[Tlp(tlp)] <= TLP_RANK[Tlp(highest)]


# -- lateral alerts -----------------------------------------------------------------------------------------

terms = st.fixed_dictionaries(
    {
        "status": st.sampled_from(["in_force", "in_force", "suspended", "revoked", "past_end", "none"]),
        "kinds": st.sets(st.sampled_from([FlowKind.ALERT, FlowKind.CASE]), max_size=2),
        "categories": st.sets(st.sampled_from(CATEGORY_VALUES), min_size=1, max_size=6),
        "highest_tlp": st.sampled_from(ORGANISATION_TLPS),
    }
)


def write_agreement(source: str, receiver: str, drawn: dict) -> None:
    if drawn["status"] == "none":
        return
    today = timezone.localdate()
    status = {"past_end": AgreementStatus.IN_FORCE}.get(drawn["status"], drawn["status"])
    agreement = Agreement.objects.create(
        code=f"property-{next(_numbers)}",
        title="試験協定",
        text="本文",
        status=status,
        valid_from=today - datetime.timedelta(days=10),
        valid_to=today - datetime.timedelta(days=1) if drawn["status"] == "past_end" else None,
        proposed_by=org(source),
    )
    for code in (source, receiver):
        AgreementParty.objects.create(agreement=agreement, organisation=org(code), accepted_at=timezone.now())
    AgreementTerm.objects.create(
        agreement=agreement,
        source=org(source),
        receiver=org(receiver),
        kinds=sorted(drawn["kinds"]),
        categories=sorted(drawn["categories"]),
        highest_tlp=drawn["highest_tlp"],
        may_relay=True,
    )


def covers(drawn: dict, category: str, tlp: str) -> bool:
    return (
        drawn["status"] == "in_force"
        and FlowKind.ALERT in drawn["kinds"]
        and category in drawn["categories"]
        and tlp_within(tlp, drawn["highest_tlp"])
    )


@EXAMPLES
@given(
    agreements=st.fixed_dictionaries({code: terms for code in RECEIVERS}),
    audience=st.sets(st.sampled_from(RECEIVERS), min_size=1),
    category=st.sampled_from(CATEGORY_VALUES),
    tlp=st.sampled_from(ORGANISATION_TLPS),
)
def test_a_lateral_alert_goes_exactly_to_covered_parties_or_is_refused_whole(
    agreements, audience, category, tlp
):
    def check():
        for code, drawn in agreements.items():
            write_agreement(SENDER, code, drawn)
        author = staff_of(SENDER)
        spec = AudienceSpec(
            ceptoars=sorted(c for c in audience if org(c).kind == OrganisationKind.CEPTOAR),
            organisations=sorted(c for c in audience if org(c).kind != OrganisationKind.CEPTOAR),
        )
        alert = drafts.create_draft(
            author,
            title="横断共有の試験",
            body="本文",
            category=category,
            severity="medium",
            tlp=tlp,
            audience=spec,
        )
        uncovered = {code for code in audience if not covers(agreements[code], category, tlp)}
        if uncovered:
            with pytest.raises(ValidationError) as error:
                publication.submit(alert, author)
            refused = " ".join(error.value.message_dict["audience"])
            assert all(org(code).name in refused for code in uncovered)
            assert Alert.objects.get(pk=alert.pk).status == Status.DRAFT
            assert not Recipient.objects.filter(alert=alert).exists()
        else:
            publication.submit(alert, author)
            reached = set(Recipient.objects.filter(alert=alert).values_list("organisation__code", flat=True))
            assert reached == set(audience)

    rolled_back(check)


# -- ending an agreement stops what is under way -------------------------------------------------------------


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    end=st.sampled_from(["suspend", "revoke", "past_end"]),
    ended_by=st.sampled_from([SENDER, "gas"]),
    rule_first=st.booleans(),
)
def test_ending_an_agreement_stops_relays_and_escalations_under_way_at_once(end, ended_by, rule_first):
    def check():
        agreement = in_force([SENDER, "gas"], [term(SENDER, "gas", may_relay=True, highest_tlp="amber")])
        author = staff_of(SENDER)
        alert = drafts.create_draft(
            author,
            title="横断共有の試験",
            body="本文",
            category="malware",
            severity="high",
            tlp=Tlp.AMBER,
            audience=AudienceSpec(ceptoars=["gas"]),
        )
        alert = publication.submit(alert, author)
        recipient = Recipient.objects.get(alert=alert, organisation__code="gas")
        gas = staff_of("gas")
        if rule_first:  # a standing relay rule already set up when the agreement ends
            RelayRule.objects.create(organisation=org("gas"), created_by=gas)
        party = staff_of(ended_by)
        if end == "suspend":
            lifecycle.do_suspend(agreement, party, org(ended_by), "調査中")
        elif end == "revoke":
            lifecycle.do_revoke(agreement, party, org(ended_by), "解消")
        else:
            Agreement.objects.filter(pk=agreement.pk).update(
                valid_to=timezone.localdate() - datetime.timedelta(days=1)
            )

        with pytest.raises((ValidationError, PermissionDenied)):
            publication.relay(alert, gas)
        if not rule_first:
            RelayRule.objects.create(organisation=org("gas"), created_by=gas)
        assert publication.apply_relay_rules(alert.pk) == []
        assert not Alert.objects.filter(parent=alert).exists()

        run_due_follow_ups(now=alert.published_at + datetime.timedelta(days=1))
        steps = FollowUp.objects.filter(recipient=recipient)
        assert steps.filter(step=Step.BACKUP).get().state == FollowUpState.CANCELLED
        assert not steps.exclude(state=FollowUpState.CANCELLED).exists()
        assert not Delivery.objects.filter(recipient=recipient).exclude(escalation_step="").exists()

    rolled_back(check)


# -- reports for analysis ----------------------------------------------------------------------------------


@EXAMPLES
@given(
    consent=st.booleans(),
    agreement=terms,
    event_type=st.sampled_from(EventType.values),
    tlp=st.sampled_from(ORGANISATION_TLPS),
)
def test_a_report_reaches_an_analysis_partner_only_with_consent_and_an_agreement_that_covers_it(
    consent, agreement, event_type, tlp
):
    def check():
        w = world(next(_numbers))
        drawn = dict(agreement, kinds={FlowKind.REPORT_FOR_ANALYSIS} if agreement["kinds"] else set())
        write_agreement("electricity", PARTNER, drawn)
        report = sent_report(w.reporter, consent=consent, event_type=event_type, triaged_by=w.secretariat)
        allowed = (
            consent
            and drawn["status"] == "in_force"
            and FlowKind.REPORT_FOR_ANALYSIS in drawn["kinds"]
            and str(ANALYSIS_CATEGORY[event_type]) in drawn["categories"]
            and tlp_within(tlp, drawn["highest_tlp"])
        )
        try:
            do_forward_for_analysis(w.secretariat, report, w.partner, tlp=tlp)
            forwarded = True
        except ValidationError:
            forwarded = False
        assert forwarded == allowed
        seen = policy.visible_reports(w.analyst).filter(pk=report.pk).exists()
        assert seen == allowed
        if not consent:
            assert not seen  # whatever the agreements say

    rolled_back(check)
