"""Councils as sharing spaces: a post to the CEPTOAR Council or the finance liaison council reaches every
seated CEPTOAR as a recipient with deliveries, acknowledgement and escalation; observers post only at
TLP:CLEAR or GREEN; whoever may see a council post is delivered it; council posts are not relayed on."""

from __future__ import annotations

import itertools

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from ceptoar.accounts import access
from ceptoar.accounts.models import Role, User
from ceptoar.alerts import hops, tracking
from ceptoar.alerts.models import AcknowledgementVia, Alert, Recipient
from ceptoar.alerts.services import acknowledgements, drafts, publication
from ceptoar.alerts.services.audience import AudienceSpec
from ceptoar.channels.models import Delivery
from ceptoar.escalation.models import FollowUp, FollowUpState
from ceptoar.registry.models import CouncilSeat, Organisation, SeatKind
from ceptoar.sharing import policy
from ceptoar.sharing.models import Audience, Tlp

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]

_numbers = itertools.count(1)


def person_of(code: str, role: str = Role.SECRETARIAT) -> User:
    organisation = Organisation.objects.get(code=code)
    user = User.objects.create_user(
        username=f"council-test-{code}-{next(_numbers)}", organisation=organisation
    )
    user.role_grants.create(role=role)
    return user


def post(author: User, council: str = "ceptoar-council", tlp: str = Tlp.AMBER, **audience) -> Alert:
    spec = AudienceSpec(**audience) if audience else AudienceSpec(organisations=[council])
    alert = drafts.create_draft(
        author,
        title="Council: phishing wave against operators",
        body="各セプターで確認してください。",
        category="malware",
        severity="high",
        tlp=tlp,
        audience=spec,
    )
    return publication.submit(alert, author)


def seat_codes(council: str) -> set[str]:
    return set(CouncilSeat.objects.filter(council__code=council).values_list("ceptoar__code", flat=True))


def recipient_codes(alert: Alert) -> set[str]:
    return set(Recipient.objects.filter(alert=alert).values_list("organisation__code", flat=True))


def test_the_councils_post_reaches_every_seat_with_deliveries_and_escalation():
    alert = post(person_of("ceptoar-council"))
    seats = seat_codes("ceptoar-council")
    assert len(seats) == 14
    assert recipient_codes(alert) == seats
    # Each seat's points of contact get messages, and each seat's receipt is chased if it does not confirm.
    delivered = set(
        Delivery.objects.filter(recipient__alert=alert).values_list(
            "recipient__organisation__code", flat=True
        )
    )
    assert delivered == seats
    chased = set(
        FollowUp.objects.filter(recipient__alert=alert).values_list(
            "recipient__organisation__code", flat=True
        )
    )
    assert chased == seats
    assert alert.no_onward_relay


def test_a_seats_acknowledgement_stops_its_escalation_and_shows_in_the_receipts():
    council_person = person_of("ceptoar-council")
    alert = post(council_person)
    railway = person_of("railway")
    assert policy.may_see(railway, alert)
    recipient = acknowledgements.recipient_of(alert, railway)
    assert recipient is not None
    acknowledgements.acknowledge(recipient, AcknowledgementVia.PORTAL, by_user=railway)
    assert not FollowUp.objects.filter(recipient=recipient, state=FollowUpState.PENDING).exists()
    council = Organisation.objects.get(code="ceptoar-council")
    (shown,) = tracking.council_posts(council_person, council)
    assert (shown.pk, shown.confirmed, shown.total) == (alert.pk, 1, 14)
    statuses = {row.organisation.code: row.receipt_status for row in shown.receipts}
    assert statuses["railway"] == "confirmed" and statuses["banks"] == "not_confirmed"
    assert tracking.can_track(council_person, alert)


def test_a_member_seats_post_reaches_the_council_and_the_other_seats(demo_user):
    alert = post(demo_user("demo-secretariat"), council="finance-council")
    assert recipient_codes(alert) == {"finance-council", "securities", "life-insurance", "non-life-insurance"}


def test_an_observer_may_not_post_above_green_and_is_told_why():
    railway = person_of("railway")
    before = Alert.objects.count(), Audience.objects.count()
    with pytest.raises(ValidationError) as refused:
        post(railway, tlp=Tlp.AMBER)
    message = " ".join(refused.value.message_dict["tlp"])
    assert "observer seat" in message and "TLP:CLEAR or TLP:GREEN" in message and "TLP:AMBER" in message
    assert (Alert.objects.count(), Audience.objects.count()) == before
    alert = post(railway, tlp=Tlp.GREEN)
    assert recipient_codes(alert) == (seat_codes("ceptoar-council") - {"railway"}) | {"ceptoar-council"}


def test_an_observer_seat_changed_after_the_draft_is_asked_again_at_publication():
    banks = person_of("banks")
    alert = drafts.create_draft(
        banks,
        title="Council draft",
        body="",
        category="malware",
        severity="low",
        tlp=Tlp.AMBER,
        audience=AudienceSpec(organisations=["ceptoar-council"]),
    )
    CouncilSeat.objects.filter(council__code="ceptoar-council", ceptoar__code="banks").update(
        kind=SeatKind.OBSERVER
    )
    with pytest.raises(ValidationError, match="observer seat"):
        publication.submit(alert, banks)
    assert not Recipient.objects.filter(alert=alert).exists()


@pytest.mark.parametrize(
    ("author", "audience", "words"),
    [
        ("electricity", {"organisations": ["finance-council"]}, "holds no seat"),
        ("nisc", {"organisations": ["ceptoar-council"]}, "holds no seat"),
        ("banks", {"organisations": ["finance-council", "banks-0001"]}, "that council alone"),
        ("banks", {"organisations": ["finance-council"], "ceptoars": ["banks"]}, "that council alone"),
        ("ceptoar-council", {"sectors": ["finance"]}, "name ceptoar-council alone"),
        ("ceptoar-council", {"organisations": ["finance-council"]}, "name ceptoar-council alone"),
    ],
)
def test_who_may_not_post_to_a_council_is_told_why(author, audience, words):
    role = Role.HUB_STAFF if author == "nisc" else Role.SECRETARIAT
    before = Alert.objects.count()
    with pytest.raises(ValidationError) as refused:
        post(person_of(author, role), **audience)
    assert words in " ".join(refused.value.message_dict["audience"])
    assert Alert.objects.count() == before


def test_a_councils_people_are_its_secretariat_and_coordinators():
    assert access.can_send_alerts(person_of("ceptoar-council", Role.COORDINATOR))
    liaison = person_of("ceptoar-council", Role.MINISTRY_LIAISON)
    assert not access.can_send_alerts(liaison)
    with pytest.raises(PermissionDenied):
        post(liaison)
    member_poc = person_of("ceptoar-council", Role.MEMBER_POC)
    assert not access.can_send_alerts(member_poc)
    council = Organisation.objects.get(code="ceptoar-council")
    assert access.acts_for_council(person_of("ceptoar-council"), council)
    assert not access.acts_for_council(person_of("banks"), council)


def test_whoever_may_see_a_council_post_is_delivered_it(demo_user):
    alert = post(demo_user("demo-secretariat"), council="finance-council")
    delivered = recipient_codes(alert)
    # The policy's expansion of the council is the hop's recipients and the sender, nothing more.
    expanded = set(policy.audience_organisations(alert.audience).values_list("code", flat=True))
    assert expanded == delivered | {"banks"}
    assert set(hops.council_recipients(alert).values_list("code", flat=True)) == delivered
    for code in delivered:
        assert policy.may_see(person_of(code), alert), code
    # Not a seat: a CEPTOAR of another council only, the banks' members, the ministry, the hub.
    for code, role in (
        ("electricity", Role.SECRETARIAT),
        ("banks-0001", Role.MEMBER_POC),
        ("fsa", Role.MINISTRY_LIAISON),
        ("nisc", Role.HUB_STAFF),
        ("ceptoar-council", Role.SECRETARIAT),
    ):
        reader = person_of(code, role)
        assert not policy.may_see(reader, alert), code
        assert not policy.visible_alerts(reader).filter(pk=alert.pk).exists(), code


def test_a_council_post_is_not_relayed_to_the_seats_members(demo_user):
    alert = post(person_of("ceptoar-council"))
    with pytest.raises(ValidationError) as refused:
        publication.relay(alert, demo_user("demo-secretariat"))
    assert "not relayed to their members" in " ".join(refused.value.messages)
    assert not Alert.objects.filter(parent=alert).exists()


def test_an_amber_strict_council_post_is_read_by_every_seat():
    alert = post(person_of("ceptoar-council"), tlp=Tlp.AMBER_STRICT)
    seats = Recipient.objects.filter(alert=alert).values_list("organisation_id", flat=True)
    assert policy.organisations_reading_content(alert, seats) == set(seats)
    assert policy.may_read_content(person_of("gas"), alert)


def test_a_council_relays_a_community_alert_to_its_own_seats_only(demo_user):
    hub = demo_user("demo-hub")
    alert = drafts.create_draft(
        hub,
        title="全分野への注意喚起",
        body="",
        category="malware",
        severity="high",
        tlp=Tlp.GREEN,
        audience=AudienceSpec(community=True),
    )
    alert = publication.submit(alert, hub)
    council_person = person_of("finance-council")
    with pytest.raises(ValidationError, match="name finance-council alone"):
        publication.relay(alert, council_person, audience=AudienceSpec(sectors=["finance"]))
    relay = publication.relay(alert, council_person, audience=AudienceSpec(organisations=["finance-council"]))
    assert recipient_codes(relay) == seat_codes("finance-council")
