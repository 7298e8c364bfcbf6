"""The visibility policy on the demo registry, one readable example per rule (DESIGN.md §3)."""

from __future__ import annotations

import csv
import io

import pytest
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.urls import reverse
from django.utils import translation

from ceptoar.accounts.models import Role, RoleGrant, User
from ceptoar.alerts.models import Alert, Category, Status
from ceptoar.registry import queries
from ceptoar.registry.models import Membership, Organisation, OrganisationKind, Sector
from ceptoar.registry.queries import ceptoar_family
from ceptoar.sharing import audit, policy
from ceptoar.sharing.models import AUDITED_TLPS, Audience, AuditEntry, Tlp

pytestmark = pytest.mark.django_db


def org(code: str) -> Organisation:
    return Organisation.objects.get(code=code)


def user_at(code: str, username: str, role: str = Role.MEMBER_POC) -> User:
    person = User.objects.create_user(username=username, password=None, organisation=org(code))
    RoleGrant.objects.create(user=person, role=role)
    return person


def make_alert(
    *,
    tlp: str,
    author: User,
    origin: Organisation | None = None,
    status: str = Status.PUBLISHED,
    community: bool = False,
    sectors=(),
    ceptoars=(),
    subgroups=(),
    organisations=(),
    people=(),
    **fields,
) -> Alert:
    audience = Audience.objects.create(community=community)
    audience.sectors.set(sectors)
    audience.ceptoars.set(ceptoars)
    audience.subgroups.set(subgroups)
    audience.organisations.set(organisations)
    audience.people.set(people)
    return Alert.objects.create(
        title=f"{tlp} example",
        category=Category.VULNERABILITY,
        tlp=tlp,
        audience=audience,
        origin_organisation=origin or author.organisation,
        author=author,
        status=status,
        **fields,
    )


def sees(user: User, alert: Alert) -> bool:
    """Both entry points must agree; the tests below state what they agree on."""
    in_list = policy.visible_alerts(user, Alert.objects.filter(pk=alert.pk)).exists()
    assert policy.may_see(user, alert) == in_list
    return in_list


@pytest.fixture
def banks_member_without_v2():
    """A banks member that has not accepted the banks' handling rules now in force (v2), and a user there."""
    banks = org("banks")
    current = queries.current_rules(banks)
    assert current is not None and current.version == 2
    membership = (
        queries.memberships_without_current_acceptance(Membership.objects.filter(ceptoar=banks))
        .select_related("member")
        .order_by("member__code")
        .first()
    )
    assert membership is not None, "the demo is meant to have banks members still collecting v2"
    return user_at(membership.member.code, "example-unaccepted")


# -- markings and the handling rules ---------------------------------------------------------------


def test_amber_to_banks_reaches_members_that_accepted_the_current_rules(demo_user, banks_member_without_v2):
    hub, member, water = demo_user("demo-hub"), demo_user("demo-member"), demo_user("demo-water")
    assert not queries.memberships_without_current_acceptance(
        Membership.objects.filter(member=member.organisation)
    ).exists(), "banks-0001 has accepted the banks' current rules"
    assert policy.is_bound_by_current_rules(member.organisation)
    assert not policy.is_bound_by_current_rules(banks_member_without_v2.organisation)

    amber = make_alert(tlp=Tlp.AMBER, author=hub, ceptoars=[org("banks")])
    green = make_alert(tlp=Tlp.GREEN, author=hub, ceptoars=[org("banks")])

    assert sees(member, amber) and sees(member, green)
    assert sees(banks_member_without_v2, green)
    assert not sees(banks_member_without_v2, amber)
    assert not sees(water, amber) and not sees(water, green)
    # The banks CEPTOAR itself (a member of no CEPTOAR) is bound trivially.
    assert sees(demo_user("demo-secretariat"), amber)


def test_amber_strict_follows_the_amber_rule(demo_user, banks_member_without_v2):
    strict = make_alert(tlp=Tlp.AMBER_STRICT, author=demo_user("demo-hub"), organisations=[org("banks-0001")])
    assert sees(demo_user("demo-member"), strict)
    assert not sees(demo_user("demo-member2"), strict)  # another bank: not in the audience
    # Named, but its organisation has not accepted the rules in force.
    strict.audience.people.add(banks_member_without_v2)
    assert not sees(banks_member_without_v2, strict)


def test_red_reaches_the_author_and_named_people_only(demo_user, banks_member_without_v2):
    hub, member = demo_user("demo-hub"), demo_user("demo-member")
    red = make_alert(
        tlp=Tlp.RED,
        author=hub,
        # An audience of organisations does not count for RED: only the names do.
        ceptoars=[org("banks")],
        people=[member, banks_member_without_v2],
    )
    assert sees(hub, red)
    assert sees(member, red)
    assert not sees(demo_user("demo-analyst"), red)  # same organisation as a named person, not named
    assert not sees(demo_user("demo-auditor"), red)  # the originating organisation, not the author
    assert not sees(demo_user("demo-member2"), red)
    assert not sees(banks_member_without_v2, red)  # named, rules not accepted


def test_originating_organisation_sees_its_own_items_whatever_the_audience(demo_user):
    secretariat = demo_user("demo-secretariat")
    colleague = user_at("banks", "example-banks-colleague", Role.SECRETARIAT)
    for tlp in (Tlp.CLEAR, Tlp.GREEN, Tlp.AMBER, Tlp.AMBER_STRICT):
        alert = make_alert(tlp=tlp, author=secretariat, organisations=[org("water-0001")])
        assert sees(colleague, alert), tlp
        assert not sees(demo_user("demo-member"), alert), tlp


def test_inactive_and_organisationless_users_see_nothing(demo_user):
    alert = make_alert(tlp=Tlp.CLEAR, author=demo_user("demo-hub"), community=True)
    member = demo_user("demo-member")
    assert sees(member, alert)
    member.is_active = False
    assert not sees(member, alert)
    loner = User.objects.create_user(username="example-no-organisation", password=None)
    alert.audience.people.add(loner)
    assert not sees(loner, alert)
    from django.contrib.auth.models import AnonymousUser

    assert not policy.may_see(AnonymousUser(), alert)
    assert not policy.visible(AnonymousUser(), Alert.objects.all()).exists()


# -- alert status ----------------------------------------------------------------------------------


@pytest.mark.parametrize("status", [Status.DRAFT, Status.AWAITING_APPROVAL])
def test_unpublished_alerts_stay_inside_the_originating_organisation(demo_user, status):
    hub, member = demo_user("demo-hub"), demo_user("demo-member")
    draft = make_alert(tlp=Tlp.GREEN, author=hub, community=True, people=[member], status=status)
    assert sees(demo_user("demo-auditor"), draft)  # same organisation (nisc)
    assert not sees(member, draft)
    # The generic rule alone would let the member see it: the status rule is what hides it.
    assert policy.visible(member, Alert.objects.filter(pk=draft.pk)).exists()

    red_draft = make_alert(tlp=Tlp.RED, author=hub, people=[member], status=status)
    assert sees(hub, red_draft)
    assert not sees(member, red_draft)
    assert not sees(demo_user("demo-auditor"), red_draft)

    Alert.objects.filter(pk__in=[draft.pk, red_draft.pk]).update(status=Status.PUBLISHED)
    assert sees(member, draft) and sees(member, red_draft)
    Alert.objects.filter(pk__in=[draft.pk, red_draft.pk]).update(status=Status.CLOSED)
    assert sees(member, draft) and sees(member, red_draft)


# -- audiences -------------------------------------------------------------------------------------


def test_sector_audience_reaches_the_sector_and_the_members_of_its_ceptoars(demo_user):
    finance = Sector.objects.get(code="finance")
    # A body with no sector of its own that belongs to the banks' CEPTOAR is reached through it.
    outsider = Organisation.objects.create(
        code="example-sectorless", name="無所属団体", kind=OrganisationKind.MEMBER
    )
    Membership.objects.create(ceptoar=org("banks"), member=outsider, unit="body")
    outsider_user = User.objects.create_user(
        username="example-sectorless-user", password=None, organisation=outsider
    )
    council_user = user_at("finance-council", "example-council", Role.SECRETARIAT)

    alert = make_alert(tlp=Tlp.GREEN, author=demo_user("demo-hub"), sectors=[finance])
    assert sees(demo_user("demo-member"), alert)
    assert sees(council_user, alert)  # the council's own sector is finance
    assert sees(outsider_user, alert)
    assert not sees(demo_user("demo-water"), alert)
    assert not sees(demo_user("demo-ministry"), alert)  # the FSA has no sector

    reached = policy.audience_organisations(alert.audience)
    assert reached.filter(pk=outsider.pk).exists()
    assert reached.filter(code="securities").exists() and reached.filter(code="banks-0001").exists()
    assert not reached.filter(code="water-0001").exists()


def test_subgroup_audience_reaches_the_subgroup_and_the_members_it_relays_to(demo_user):
    president = org("water-hub-president")
    assert Membership.objects.get(member__code="water-0001").via == president
    other_member = Membership.objects.filter(ceptoar__code="water").exclude(via=president).first().member
    alert = make_alert(tlp=Tlp.AMBER, author=demo_user("demo-hub"), subgroups=[president])

    assert sees(demo_user("demo-water"), alert)
    assert sees(user_at("water-hub-president", "example-relay-hub"), alert)
    assert not sees(user_at(other_member.code, "example-other-water"), alert)
    assert not sees(user_at("water", "example-water-ceptoar", Role.SECRETARIAT), alert)

    reached = set(policy.audience_organisations(alert.audience).values_list("pk", flat=True))
    expected = {president.pk} | set(president.relayed_memberships.values_list("member_id", flat=True))
    assert reached == expected


def test_ceptoar_audience_reaches_the_ceptoar_its_subgroups_and_members(demo_user):
    t_ceptoar = org("t-ceptoar")
    alert = make_alert(tlp=Tlp.GREEN, author=demo_user("demo-hub"), ceptoars=[t_ceptoar])
    assert sees(demo_user("demo-coordinator"), alert)  # works at T-CEPTOAR itself
    assert sees(user_at("t-ceptoar-sg2", "example-sg2"), alert)
    assert sees(user_at("t-ceptoar-0001", "example-t-member"), alert)
    assert not sees(demo_user("demo-member"), alert)

    reached = set(policy.audience_organisations(alert.audience).values_list("pk", flat=True))
    expected = (
        {t_ceptoar.pk}
        | set(t_ceptoar.subgroups.values_list("pk", flat=True))
        | set(t_ceptoar.member_links.values_list("member_id", flat=True))
    )
    assert reached == expected and len(expected) > 5
    assert set(ceptoar_family(t_ceptoar).values_list("pk", flat=True)) == expected


# -- one query, no duplicates ----------------------------------------------------------------------


def test_visible_is_one_query_without_duplicates(demo_user, django_assert_num_queries):
    hub, member = demo_user("demo-hub"), demo_user("demo-member")
    finance = Sector.objects.get(code="finance")
    # The member's organisation matches this one alert by every route at once.
    everything = make_alert(
        tlp=Tlp.AMBER,
        author=hub,
        community=True,
        sectors=[finance],
        ceptoars=[org("banks")],
        organisations=[org("banks-0001")],
        people=[member],
    )
    others = [make_alert(tlp=Tlp.GREEN, author=hub, ceptoars=[org("banks")]) for _ in range(3)]
    hidden = make_alert(tlp=Tlp.GREEN, author=hub, ceptoars=[org("water")])
    member = User.objects.get(pk=member.pk)  # nothing cached on the user

    with django_assert_num_queries(1):
        ids = list(policy.visible(member, Alert.objects.all()).values_list("pk", flat=True))
    assert len(ids) == len(set(ids))
    assert {everything.pk, *(a.pk for a in others)} <= set(ids)
    assert hidden.pk not in ids

    with django_assert_num_queries(1):
        alert_ids = list(policy.visible_alerts(member).values_list("pk", flat=True))
    assert sorted(alert_ids) == sorted(ids)

    with django_assert_num_queries(1):
        reached = list(policy.audience_organisations(everything.audience).values_list("pk", flat=True))
    assert len(reached) == len(set(reached)) == Organisation.objects.count()


# -- relays ----------------------------------------------------------------------------------------


@pytest.fixture
def amber_to_banks(demo_user):
    return make_alert(
        tlp=Tlp.AMBER,
        author=demo_user("demo-hub"),
        ceptoars=[org("banks")],
        people=[demo_user("demo-ministry")],
    )


def audience(**parts) -> Audience:
    aud = Audience.objects.create(community=parts.pop("community", False))
    for name, values in parts.items():
        getattr(aud, name).set(values)
    return aud


def relay_errors(parent, tlp, aud) -> dict[str, list[str]]:
    with translation.override("en"), pytest.raises(ValidationError) as caught:
        policy.validate_relay(parent, tlp, aud)
    return caught.value.message_dict


def test_relay_may_narrow_the_audience_and_raise_the_marking(amber_to_banks, demo_user):
    policy.validate_relay(amber_to_banks, Tlp.AMBER, audience(ceptoars=[org("banks")]))
    policy.validate_relay(amber_to_banks, Tlp.AMBER_STRICT, audience(organisations=[org("banks-0001")]))
    # People of the parent's organisations, and people it names, may be named.
    policy.validate_relay(
        amber_to_banks, Tlp.RED, audience(people=[demo_user("demo-member"), demo_user("demo-ministry")])
    )


def test_relay_may_not_lower_the_marking(amber_to_banks):
    errors = relay_errors(amber_to_banks, Tlp.GREEN, audience(organisations=[org("banks-0001")]))
    assert list(errors) == ["tlp"]
    assert "TLP:AMBER" in errors["tlp"][0] and "TLP:GREEN" in errors["tlp"][0]


def test_relay_may_not_widen_the_audience(amber_to_banks, demo_user):
    errors = relay_errors(amber_to_banks, Tlp.AMBER, audience(sectors=[Sector.objects.get(code="finance")]))
    assert list(errors) == ["audience"]
    assert org("securities").kind == OrganisationKind.CEPTOAR  # one of the many it would add
    errors = relay_errors(
        amber_to_banks, Tlp.AMBER, audience(organisations=[org("banks-0001"), org("securities-0001")])
    )
    assert errors["audience"] == [
        f"The relay would reach organisations the original does not: {org('securities-0001').name}."
    ]

    assert list(relay_errors(amber_to_banks, Tlp.AMBER, audience(community=True))) == ["audience"]
    errors = relay_errors(amber_to_banks, Tlp.AMBER, audience(people=[demo_user("demo-water")]))
    assert list(errors) == ["audience"] and str(demo_user("demo-water")) in errors["audience"][0]

    both = relay_errors(amber_to_banks, Tlp.CLEAR, audience(organisations=[org("water-0001")]))
    assert set(both) == {"tlp", "audience"}


def test_relay_of_red_names_only_the_people_the_original_names(demo_user):
    red = make_alert(tlp=Tlp.RED, author=demo_user("demo-hub"), people=[demo_user("demo-member")])
    policy.validate_relay(red, Tlp.RED, audience(people=[demo_user("demo-member")]))
    errors = relay_errors(
        red, Tlp.RED, audience(people=[demo_user("demo-member"), demo_user("demo-analyst")])
    )
    assert list(errors) == ["audience"]
    assert list(relay_errors(red, Tlp.AMBER, audience(people=[demo_user("demo-member")]))) == ["tlp"]


def test_no_onward_relay_forbids_any_relay_and_approval_is_reported(amber_to_banks):
    assert not policy.relay_needs_approval(amber_to_banks)
    amber_to_banks.relay_needs_originator_approval = True
    assert policy.relay_needs_approval(amber_to_banks)

    amber_to_banks.no_onward_relay = True
    errors = relay_errors(amber_to_banks, Tlp.RED, audience(organisations=[org("banks-0001")]))
    assert list(errors) == [NON_FIELD_ERRORS]


# -- the audit log ---------------------------------------------------------------------------------


def test_record_read_writes_for_amber_strict_and_red_only(demo_user, django_assert_num_queries):
    member = demo_user("demo-member")
    for tlp in Tlp:
        alert = make_alert(tlp=tlp, author=demo_user("demo-hub"), people=[member])
        before = AuditEntry.objects.count()
        with django_assert_num_queries(1 if tlp in AUDITED_TLPS else 0):
            entry = audit.record_read(member, alert)
        assert AuditEntry.objects.count() == before + (1 if tlp in AUDITED_TLPS else 0), tlp
        if tlp in AUDITED_TLPS:
            entry = AuditEntry.objects.get(pk=entry.pk)
            assert (entry.user, entry.organisation_id, entry.action) == (
                member,
                member.organisation_id,
                "read",
            )
            assert (entry.item_type, entry.item_id, entry.tlp) == ("alerts.alert", alert.pk, tlp)
        else:
            assert entry is None


def test_record_reads_writes_one_row_per_audited_item(demo_user):
    hub = demo_user("demo-hub")
    alerts = [
        make_alert(tlp=tlp, author=hub, community=True) for tlp in (Tlp.GREEN, Tlp.RED, Tlp.AMBER_STRICT)
    ]
    assert audit.record_reads(hub, alerts, action="export") == 2
    assert AuditEntry.objects.filter(user=hub, action="export").count() == 2


@pytest.fixture
def some_reads(demo_user):
    hub = demo_user("demo-hub")
    red = make_alert(tlp=Tlp.RED, author=hub, people=[demo_user("demo-member")])
    strict = make_alert(tlp=Tlp.AMBER_STRICT, author=hub, community=True)
    audit.record_read(demo_user("demo-member"), red)
    audit.record_read(demo_user("demo-water"), strict)
    return red, strict


def test_audit_page_is_for_auditors(client_as, english, some_reads):
    red, _strict = some_reads
    url = reverse("sharing:audit")
    assert client_as("demo-member").get(url).status_code == 403
    assert client_as("demo-secretariat").get(url).status_code == 403
    response = client_as("demo-auditor").get(url, {"user": "demo-member"})
    assert response.status_code == 200
    page = response.content.decode()
    assert f"alerts.alert#{red.pk}" in page
    assert "water-0001" not in page  # filtered out: another user's read


def test_audit_page_rejects_bad_filters(client_as, english, some_reads):
    response = client_as("demo-auditor").get(
        reverse("sharing:audit"), {"user": "nobody-here", "item_id": "x"}
    )
    assert response.status_code == 400
    assert "There is no user called “nobody-here”." in response.content.decode()
    response = client_as("demo-auditor").get(
        reverse("sharing:audit"), {"date_from": "2026-05-02", "date_to": "2026-05-01"}
    )
    assert response.status_code == 400


def test_audit_csv_exports_the_filtered_entries(client_as, english, some_reads, demo_user):
    red, strict = some_reads
    assert client_as("demo-member").get(reverse("sharing:audit_csv")).status_code == 403
    response = client_as("demo-auditor").get(reverse("sharing:audit_csv"), {"organisation": "water-0001"})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0][0] == "At"
    assert [row[1] for row in rows[1:]] == ["demo-water"]
    assert rows[1][6:9] == ["alerts.alert", str(strict.pk), "TLP:AMBER+STRICT"]


def test_audit_admin_is_read_only_and_for_auditors(client_as, some_reads):
    changelist = reverse("admin:sharing_auditentry_changelist")
    assert client_as("demo-auditor").get(changelist).status_code == 200
    entry = AuditEntry.objects.first()
    assert client_as("demo-auditor").get(reverse("admin:sharing_auditentry_add")).status_code == 403
    assert (
        client_as("demo-auditor")
        .post(reverse("admin:sharing_auditentry_delete", args=[entry.pk]))
        .status_code
        == 403
    )
    # A registry keeper with staff access does not see the audit log.
    assert client_as("demo-secretariat").get(changelist).status_code == 403
