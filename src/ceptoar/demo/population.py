"""Load the demo: the seeds' March 2009 structure, ~5,700 synthetic members with POCs, demo users, and the
finance sector's sharing agreements (`demo.agreements`).

Everything is drawn from one seeded generator, so two loads give the same organisations, people and
numbers; only "last verified" dates are placed relative to the day of loading so that the
contact-freshness page shows a realistic mix.
"""

from __future__ import annotations

import contextlib
import datetime
from dataclasses import dataclass, field

from django.db import connection, transaction
from django.utils import timezone

from ceptoar.accounts.models import MFA_REQUIRED_ROLES, Role, RoleGrant, User
from ceptoar.demo import seed_map
from ceptoar.demo.agreements import load_demo_agreements
from ceptoar.demo.names import NameBook
from ceptoar.notifications.services import portal_only
from ceptoar.registry.models import (
    Availability,
    CeptoarProfile,
    ChannelKind,
    Contact,
    ContactChannel,
    ContactKind,
    ContactRole,
    CouncilSeat,
    HandlingRules,
    Membership,
    Organisation,
    OrganisationKind,
    Oversight,
    RulesAcceptance,
    SeatKind,
    Sector,
)

SEED = 2009
DEMO_PASSWORD = "ceptoar-demo"  # noqa: S105 — printed by `ceptoar demo`; demo accounts only
# CEPTOARs that revised their rules for TLP 2.0; a few of their members have not accepted yet.
REVISED_RULES = {
    "t-ceptoar": datetime.date(2024, 4, 1),
    "banks": datetime.date(2025, 4, 1),
    "water": datetime.date(2025, 10, 1),
}


@dataclass(frozen=True)
class DemoAccount:
    username: str
    role: str
    organisation_code: str
    display_name: str


DEMO_ACCOUNTS = [
    DemoAccount("demo-hub", Role.HUB_STAFF, "nisc", "NISC 担当 (デモ)"),
    # A second hub person: an alert that asks for approval is approved by someone other than its author.
    DemoAccount("demo-hub2", Role.HUB_STAFF, "nisc", "NISC 担当2 (デモ・承認者)"),
    DemoAccount("demo-auditor", Role.AUDITOR, "nisc", "監査 (デモ)"),
    DemoAccount("demo-ministry", Role.MINISTRY_LIAISON, "fsa", "金融庁 担当 (デモ)"),
    DemoAccount("demo-secretariat", Role.SECRETARIAT, "banks", "銀行等CEPTOAR 事務局 (デモ)"),
    DemoAccount("demo-securities", Role.SECRETARIAT, "securities", "証券CEPTOAR 事務局 (デモ)"),
    DemoAccount("demo-fisc", Role.SECRETARIAT, "fisc", "FISC 担当 (デモ)"),
    DemoAccount("demo-coordinator", Role.COORDINATOR, "t-ceptoar", "T-CEPTOAR コーディネータ (デモ)"),
    DemoAccount("demo-member", Role.MEMBER_POC, "banks-0001", "構成員 POC (デモ)"),
    DemoAccount("demo-analyst", Role.MEMBER_ANALYST, "banks-0001", "構成員 分析担当 (デモ)"),
    DemoAccount("demo-member2", Role.MEMBER_POC, "banks-0002", "構成員 POC 2 (デモ)"),
    DemoAccount("demo-water", Role.MEMBER_POC, "water-0001", "水道事業者 POC (デモ)"),
    # A relay hub's staff: acknowledges what the water CEPTOAR sends and relays it to the hub's members.
    DemoAccount("demo-relay-hub", Role.SECRETARIAT, "water-hub-kanto", "関東地方支部長都市 中継担当 (デモ)"),
]
# Each sub-group and relay hub relays whatever its CEPTOAR sends, at once, in the name of its relay staff
# (`relay-<code>`, who has no password: the rule acts for them), so a drill's alerts flow through it.
HUB_RELAY_NOTE = "中継拠点より自動転送"


@dataclass
class DemoSummary:
    organisations: int = 0
    members: int = 0
    contacts: int = 0
    channels: int = 0
    users: list[DemoAccount] = field(default_factory=list)
    already_loaded: bool = False


def demo_totp_secret(username: str) -> str:
    """A fixed secret per demo account, so a demo's codes can be added to an authenticator app."""
    import base64
    import hashlib

    return base64.b32encode(hashlib.sha256(f"ceptoar-demo:{username}".encode()).digest()[:20]).decode()


def is_loaded() -> bool:
    return Organisation.objects.filter(code=seed_map.HUB[0]).exists()


def load_demo(today: datetime.date | None = None) -> DemoSummary:
    """Load the demo into an empty registry. Refuses to mix with existing data."""
    if is_loaded():
        return DemoSummary(already_loaded=True, users=list(DEMO_ACCOUNTS))
    if Organisation.objects.exists():
        raise RuntimeError(
            "The registry already holds organisations that are not the demo; load it into an empty database."
        )
    # The demo's past (rules published, agreements made) is told in the portal, not mailed (`portal_only`).
    with transaction.atomic(), portal_only():
        summary = _Builder(today or timezone.localdate()).build()
    # Fresh tables without statistics get poor plans (a fan-out query took 0.8 s instead of 0.02 s) until
    # autovacuum gets round to them; ANALYZE now, as a DBA would after a bulk load.
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    return summary


# Organisations added to the demo after texts and figures were written against it draw their invented
# details (address, points of contact) from a stream of their own, so that every other organisation keeps its
# names, numbers and addresses: the anonymiser's labelled corpus (tests/reports/corpus) quotes them.
_OWN_STREAM_PREFIXES = ("broadcasting-bureau-",)


def _own_stream(code: str) -> bool:
    return code.startswith(_OWN_STREAM_PREFIXES)


class _Builder:
    def __init__(self, today: datetime.date) -> None:
        self.today = today
        self.later_names = NameBook(SEED + 1)
        self.names = NameBook(SEED)
        self.rng = self.names.rng
        self.summary = DemoSummary()
        self.sectors: dict[str, Sector] = {}
        self.orgs: dict[str, Organisation] = {}

    # -- structure -------------------------------------------------------------------------
    def build(self) -> DemoSummary:
        self._sectors()
        self._fixed_organisations()
        self._ceptoars()
        members = self._members()
        self._contacts([org for org in self.orgs.values() if not _own_stream(org.code)])
        with self._drawing_from(self.later_names):
            self._contacts([org for org in self.orgs.values() if _own_stream(org.code)])
        self._rules_and_acceptances(members)
        self._users()
        self._relay_rules()
        # Through the agreements' own services, so they need the users above to sign them.
        load_demo_agreements()
        self._council_rules()
        self.summary.organisations = len(self.orgs)
        self.summary.members = len(members)
        self.summary.users = list(DEMO_ACCOUNTS)
        return self.summary

    def _sectors(self) -> None:
        objs = [
            Sector(code=c, name=n, name_en=e, position=i) for i, (c, n, e) in enumerate(seed_map.SECTORS, 1)
        ]
        for sector in Sector.objects.bulk_create(objs):
            self.sectors[sector.code] = sector

    def _org(
        self,
        code: str,
        name: str,
        kind: str,
        sector: str | None = None,
        name_en: str = "",
        parent: Organisation | None = None,
    ) -> Organisation:
        org = Organisation.objects.create(
            code=code,
            name=name,
            name_en=name_en,
            kind=kind,
            parent=parent,
            sector=self.sectors[sector] if sector else None,
            domain=f"{code}.example.jp",
            postal_address=(self.later_names if _own_stream(code) else self.names).address(),
        )
        self.orgs[code] = org
        return org

    @contextlib.contextmanager
    def _drawing_from(self, names: NameBook):
        """Invent from `names` (and its random stream) for the duration."""
        saved = self.names, self.rng
        self.names, self.rng = names, names.rng
        try:
            yield
        finally:
            self.names, self.rng = saved

    def _fixed_organisations(self) -> None:
        code, name, name_en = seed_map.HUB
        self._org(code, name, OrganisationKind.HUB, name_en=name_en)
        for code, name, name_en in seed_map.MINISTRIES:
            self._org(code, name, OrganisationKind.MINISTRY, name_en=name_en)
        for code, name, sector in seed_map.RELATED_BODIES:
            self._org(code, name, OrganisationKind.RELATED_BODY, sector)
        for code, name, name_en in (seed_map.FINANCE_COUNCIL, seed_map.CEPTOAR_COUNCIL):
            sector = "finance" if code == seed_map.FINANCE_COUNCIL[0] else None
            self._org(code, name, OrganisationKind.COUNCIL, sector, name_en=name_en)

    def _ceptoars(self) -> None:
        for position, seed in enumerate(seed_map.CEPTOARS, 1):
            ceptoar = self._org(
                seed.code, seed.name, OrganisationKind.CEPTOAR, seed.sector, name_en=seed.name_en
            )
            if seed.secretariat_is_ministry:
                secretariat = self.orgs[seed.secretariat_code]
            else:
                secretariat = self._org(
                    seed.secretariat_code,
                    seed.secretariat,
                    OrganisationKind.RELATED_BODY,
                    seed.sector,
                    name_en=seed_map.SECRETARIAT_NAMES_EN.get(seed.secretariat_code, ""),
                )
            CeptoarProfile.objects.create(
                ceptoar=ceptoar,
                business_scope=seed.business_scope,
                secretariat=secretariat,
                established_on=seed.established_on,
                poc_started_on=seed.poc_started_on,
                information_shared=seed.information_shared,
                communication_means=list(seed.communication_means),
                member_description=seed.member_description,
                features=seed.features,
                analysis_functions=list(seed.analysis_functions),
                map_position=position,
            )
            Oversight.objects.create(ministry=self.orgs[seed.ministry], ceptoar=ceptoar)
            CouncilSeat.objects.create(
                council=self.orgs[seed_map.CEPTOAR_COUNCIL[0]],
                ceptoar=ceptoar,
                kind=SeatKind.OBSERVER
                if seed.code in seed_map.CEPTOAR_COUNCIL_OBSERVERS
                else SeatKind.MEMBER,
            )
            if seed.council:
                CouncilSeat.objects.create(
                    council=self.orgs[seed.council], ceptoar=ceptoar, shown_on_map=True
                )
            for suffix, name in seed.subgroups:
                self._org(
                    f"{seed.code}-{suffix}", name, OrganisationKind.SUBGROUP, seed.sector, parent=ceptoar
                )

    def _members(self) -> list[tuple[Organisation, Organisation]]:
        """Members in bulk; returns (member, ceptoar) pairs."""
        pending: list[tuple[Organisation, seed_map.SeedCeptoar, seed_map.MemberGroup, int]] = []
        for seed in seed_map.CEPTOARS:
            index = 0
            for group in seed.members:
                for i in range(group.count):
                    index += 1
                    word = self._member_word(seed, group, i)
                    name = self.names.organisation(word, company=group.unit == "company")
                    code = f"{seed.code}-{index:04d}"
                    org = Organisation(
                        code=code,
                        name=name,
                        kind=OrganisationKind.MEMBER,
                        sector=self.sectors[seed.sector],
                        domain=f"{code}.example.jp",
                        postal_address=self.names.address(),
                    )
                    pending.append((org, seed, group, i))
        created = Organisation.objects.bulk_create([p[0] for p in pending], batch_size=1000)
        memberships = []
        pairs = []
        for org, (_unused, seed, group, i) in zip(created, pending, strict=True):
            self.orgs[org.code] = org
            ceptoar = self.orgs[seed.code]
            memberships.append(
                Membership(
                    ceptoar=ceptoar,
                    member=org,
                    unit=group.unit,
                    via=self._via(seed, org),
                    is_observer=i >= group.count - group.observers,
                    joined_on=seed.poc_started_on,
                )
            )
            pairs.append((org, ceptoar))
        Membership.objects.bulk_create(memberships, batch_size=1000)
        return pairs

    @staticmethod
    def _member_word(seed: seed_map.SeedCeptoar, group: seed_map.MemberGroup, i: int) -> str:
        if seed.code == "local-government":
            return "県" if i < 47 else ("市", "町", "村")[i % 3]
        return group.kind_words[i % len(group.kind_words)]

    def _via(self, seed: seed_map.SeedCeptoar, member: Organisation) -> Organisation | None:
        if not seed.subgroups:
            return None
        number = int(member.code.rsplit("-", 1)[1])
        boundary = 0
        for (suffix, _name), share in zip(seed.subgroups, seed.subgroup_shares, strict=True):
            boundary += share
            if number <= boundary:
                return self.orgs[f"{seed.code}-{suffix}"]
        raise AssertionError(f"member {member.code} falls outside the sub-group shares of {seed.code}")

    # -- contacts --------------------------------------------------------------------------
    def _verified_on(self) -> datetime.date:
        # Most POCs were confirmed within the half-year cycle; some have drifted, as in real life.
        days = self.rng.randint(0, 170) if self.rng.random() < 0.88 else self.rng.randint(181, 900)
        return self.today - datetime.timedelta(days=days)

    def _contacts(self, organisations: list[Organisation]) -> None:
        contacts: list[Contact] = []
        channel_specs: list[list[tuple[str, str]]] = []
        means_by_ceptoar = {s.code: set(s.communication_means) for s in seed_map.CEPTOARS}
        member_ceptoar = {m.member_id: m.ceptoar.code for m in Membership.objects.select_related("ceptoar")}
        for org in organisations:
            means = means_by_ceptoar.get(member_ceptoar.get(org.pk, org.code), {"email", "phone"})
            for position, (role, kind) in enumerate(self._contact_plan(org), 1):
                if kind == ContactKind.ROLE_MAILBOX:
                    name, title = "情報セキュリティ窓口", "システム部 24時間監視センター"
                    availability, hours = Availability.ALWAYS, "24時間365日"
                else:
                    name = self.names.person()
                    title = {
                        "head": "情報システム部長",
                        "primary": "情報システム部 課長",
                        "backup": "情報システム部 主任",
                    }[role]
                    availability, hours = Availability.BUSINESS_HOURS, "平日 9:00–17:30"
                contacts.append(
                    Contact(
                        organisation=org,
                        kind=kind,
                        name=name,
                        title=title,
                        role=role,
                        availability=availability,
                        hours_note=hours,
                        last_verified_on=self._verified_on(),
                        position=position,
                    )
                )
                channel_specs.append(self._channels(org, role, kind, len(contacts), means))
        created = Contact.objects.bulk_create(contacts, batch_size=2000)
        channels = [
            ContactChannel(contact=contact, kind=kind, value=value, position=i)
            for contact, spec in zip(created, channel_specs, strict=True)
            for i, (kind, value) in enumerate(spec, 1)
        ]
        ContactChannel.objects.bulk_create(channels, batch_size=5000)
        self.summary.contacts += len(created)
        self.summary.channels += len(channels)

    def _contact_plan(self, org: Organisation) -> list[tuple[str, str]]:
        plan = [(ContactRole.PRIMARY, ContactKind.PERSON), (ContactRole.BACKUP, ContactKind.PERSON)]
        if org.kind in (OrganisationKind.HUB, OrganisationKind.MINISTRY, OrganisationKind.CEPTOAR):
            plan += [
                (ContactRole.DESK_24X7, ContactKind.ROLE_MAILBOX),
                (ContactRole.HEAD, ContactKind.PERSON),
            ]
        elif self.rng.random() < 0.3:
            plan.append((ContactRole.DESK_24X7, ContactKind.ROLE_MAILBOX))
        return plan

    def _channels(
        self, org: Organisation, role: str, kind: str, n: int, means: set[str]
    ) -> list[tuple[str, str]]:
        domain = org.domain
        if kind == ContactKind.ROLE_MAILBOX:
            channels = [(ChannelKind.EMAIL, f"soc@{domain}"), (ChannelKind.PHONE, self.names.phone())]
        else:
            channels = [
                (ChannelKind.EMAIL, f"{self.names.email_local(n)}@{domain}"),
                (ChannelKind.PHONE, self.names.phone()),
            ]
        if role in (ContactRole.PRIMARY, ContactRole.HEAD) and self.rng.random() < 0.6:
            channels.append((ChannelKind.MOBILE, self.names.mobile()))
        if "fax" in means and role in (ContactRole.PRIMARY, ContactRole.DESK_24X7):
            channels.append((ChannelKind.FAX, self.names.phone()))
        if "satellite_phone" in means and role == ContactRole.PRIMARY:
            channels.append((ChannelKind.SATELLITE_PHONE, self.names.satellite_phone()))
        return channels

    # -- handling rules ----------------------------------------------------------------------
    def _rules_and_acceptances(self, members: list[tuple[Organisation, Organisation]]) -> None:
        current: dict[int, list[HandlingRules]] = {}
        for seed in seed_map.CEPTOARS:
            ceptoar = self.orgs[seed.code]
            versions = [
                HandlingRules.objects.create(
                    ceptoar=ceptoar,
                    version=1,
                    enacted_on=seed.rules_enacted_on,
                    title=f"{seed.name} 情報取扱いルール",
                    text=_rules_text(seed.name, 1),
                )
            ]
            if seed.code in REVISED_RULES:
                versions.append(
                    HandlingRules.objects.create(
                        ceptoar=ceptoar,
                        version=2,
                        enacted_on=REVISED_RULES[seed.code],
                        title=f"{seed.name} 情報取扱いルール (TLP 2.0 対応改定)",
                        text=_rules_text(seed.name, 2),
                    )
                )
            current[ceptoar.pk] = versions
        primary_names = dict(
            Contact.objects.filter(role=ContactRole.PRIMARY).values_list("organisation_id", "name")
        )
        acceptances = []
        for member, ceptoar in members:
            for rules in current[ceptoar.pk]:
                # Nearly everyone signed the first version; the revision is still being collected.
                if self.rng.random() >= (0.985 if rules.version == 1 else 0.93):
                    continue
                accepted_on = rules.enacted_on + datetime.timedelta(days=self.rng.randint(0, 60))
                acceptances.append(
                    RulesAcceptance(
                        organisation=member,
                        rules=rules,
                        accepted_on=accepted_on,
                        accepted_by_name=primary_names.get(member.pk, ""),
                    )
                )
        RulesAcceptance.objects.bulk_create(acceptances, batch_size=5000)

    def _council_rules(self) -> None:
        """Each council's own handling rules, accepted by every CEPTOAR holding a seat (member or observer).
        Made last and without the random stream, so that nothing before it changes."""
        primary_names = dict(
            Contact.objects.filter(role=ContactRole.PRIMARY).values_list("organisation_id", "name")
        )
        for code, name, _name_en in (seed_map.CEPTOAR_COUNCIL, seed_map.FINANCE_COUNCIL):
            council = self.orgs[code]
            rules = HandlingRules.objects.create(
                ceptoar=council,
                version=1,
                enacted_on=seed_map.MAP_DATE,
                title=f"{name} 情報取扱いルール",
                text=_council_rules_text(name),
                highest_tlp_shared="amber",
            )
            RulesAcceptance.objects.bulk_create(
                RulesAcceptance(
                    organisation=seat.ceptoar,
                    rules=rules,
                    accepted_on=seed_map.MAP_DATE + datetime.timedelta(days=30),
                    accepted_by_name=primary_names.get(seat.ceptoar_id, ""),
                )
                for seat in CouncilSeat.objects.filter(council=council).select_related("ceptoar")
            )

    # -- people ------------------------------------------------------------------------------
    def _users(self) -> None:
        groups = _admin_groups()
        for account in DEMO_ACCOUNTS:
            _create_account(account, self.orgs[account.organisation_code], groups)

    def _relay_rules(self) -> None:
        """A standing rule for every sub-group and relay hub: what its CEPTOAR sends goes on to its members."""
        from ceptoar.alerts.models import Severity
        from ceptoar.alerts.services.relay_rules import add_relay_rule

        by_organisation = {
            user.organisation_id: user
            for user in User.objects.filter(organisation__kind=OrganisationKind.SUBGROUP, is_demo=True)
        }
        for org in self.orgs.values():
            if org.kind != OrganisationKind.SUBGROUP:
                continue
            user = by_organisation.get(org.pk)
            if user is None:
                user = User.objects.create_user(
                    username=f"relay-{org.code}",
                    password=None,
                    email=f"relay@{org.domain}",
                    organisation=org,
                    display_name=f"{org.name} 中継担当",
                    is_demo=True,
                )
                RoleGrant.objects.create(user=user, role=Role.SECRETARIAT)
            add_relay_rule(
                user,
                from_organisation_kinds=[OrganisationKind.CEPTOAR],
                categories=[],
                minimum_severity=Severity.LOW,
                note=HUB_RELAY_NOTE,
            )


def _create_account(account: DemoAccount, organisation: Organisation, groups: dict) -> User:
    """A demo login: the demo password, its role, its admin group, and for a staff role a TOTP authenticator
    with the account's fixed secret (`ceptoar totp`). Draws nothing from the population's random stream."""
    from allauth.mfa.recovery_codes.internal.auth import RecoveryCodes
    from allauth.mfa.totp.internal.auth import TOTP

    user = User.objects.create_user(
        username=account.username,
        password=DEMO_PASSWORD,
        email=f"{account.username}@demo.example.jp",
        organisation=organisation,
        display_name=account.display_name,
        is_demo=True,
        is_staff=account.role in (Role.HUB_STAFF, Role.SECRETARIAT, Role.AUDITOR),
    )
    RoleGrant.objects.create(user=user, role=account.role)
    if account.role in ADMIN_GROUP_BY_ROLE:
        user.groups.add(groups[ADMIN_GROUP_BY_ROLE[account.role]])
    if account.role in MFA_REQUIRED_ROLES:
        TOTP.activate(user, demo_totp_secret(account.username))
        RecoveryCodes.activate(user)
    return user


def add_missing_accounts() -> list[str]:
    """The demo logins added since a demo was loaded (demo-hub2), made in that demo; returns their names.
    A demo loaded afresh has them all already."""
    if not is_loaded():
        return []
    existing = set(
        User.objects.filter(username__in=[a.username for a in DEMO_ACCOUNTS]).values_list(
            "username", flat=True
        )
    )
    missing = [account for account in DEMO_ACCOUNTS if account.username not in existing]
    if not missing:
        return []
    with transaction.atomic():
        groups = _admin_groups()
        for account in missing:
            _create_account(account, Organisation.objects.get(code=account.organisation_code), groups)
    return [account.username for account in missing]


# Model permissions for the admin; what each person sees there is still narrowed by `accounts.access`.
ADMIN_GROUP_BY_ROLE = {
    Role.HUB_STAFF: "registry keepers",
    Role.SECRETARIAT: "registry keepers",
    Role.AUDITOR: "auditors",
}


def _admin_groups() -> dict:
    from django.contrib.auth.models import Group, Permission

    apps = ("registry", "accounts")
    keepers, _ = Group.objects.get_or_create(name="registry keepers")
    keepers.permissions.set(
        Permission.objects.filter(content_type__app_label__in=apps).exclude(codename__startswith="delete_")
    )
    auditors, _ = Group.objects.get_or_create(name="auditors")
    auditors.permissions.set(
        Permission.objects.filter(content_type__app_label__in=apps, codename__startswith="view_")
    )
    return {"registry keepers": keepers, "auditors": auditors}


def _council_rules_text(council_name: str) -> str:
    return (
        f"第1条 (目的) 本ルールは、{council_name}の場で共有される情報の取扱いを定める。\n"
        "第2条 (情報の区分) 共有される情報には TLP 2.0 を付す。当会の場で共有できるのは TLP:AMBER までとする。\n"
        "第3条 (オブザーバー) オブザーバーは情報を受け取り、TLP:CLEAR 又は TLP:GREEN の情報に限り投稿できる。\n"
        "第4条 (転送) 当会の場で共有された情報は、投稿元の同意なく構成員へ転送しない。\n"
    )


def _rules_text(ceptoar_name: str, version: int) -> str:
    marking = "TLP 2.0 (CLEAR, GREEN, AMBER, AMBER+STRICT, RED)" if version >= 2 else "情報共有レベル"
    return (
        f"第1条 (目的) 本ルールは、{ceptoar_name}の構成員間で共有される情報の取扱い、機密保持及び外部への情報提供に関し、"
        "構成員間で合意された事項を定める。\n"
        f"第2条 (情報の区分) 共有される情報には{marking}を付す。構成員は付された区分に従って情報を取り扱う。\n"
        "第3条 (取扱担当者) 取扱担当者が限定された情報は、指定された者以外に開示してはならない。\n"
        "第4条 (外部への提供) 構成員は、情報提供元の同意なく、情報を構成員以外に提供してはならない。\n"
        "第5条 (窓口) 構成員は、緊急時に連絡可能な窓口 (POC) を設け、その連絡先を事務局に届け出る。変更があった場合は速やかに届け出る。\n"
    )
