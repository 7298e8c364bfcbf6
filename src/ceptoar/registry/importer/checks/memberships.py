"""The checks of memberships: who counts whom as a member, and through which sub-group."""

from __future__ import annotations

from django.utils.translation import gettext as _

from ceptoar.registry.importer.plan import ImportPlan, Planned, changed_fields, chunks, snapshot
from ceptoar.registry.importer.records import ABSENT, MembershipRecord
from ceptoar.registry.models import Membership, OrganisationKind


def load_memberships(plan: ImportPlan) -> None:
    stored_ids = sorted(o.pk for o in plan.orgs.values() if o.pk is not None)
    by_id = {o.pk: o for o in plan.orgs.values() if o.pk is not None}
    for chunk in chunks(stored_ids):
        memberships = Membership.objects.filter(member_id__in=chunk).select_related("ceptoar", "via")
        for membership in memberships:
            # The in-file versions, so that kinds and parents changed by the file are what is checked.
            membership.member = by_id[membership.member_id]
            for name in ("ceptoar", "via"):
                related_id = getattr(membership, f"{name}_id")
                if related_id in by_id:
                    setattr(membership, name, by_id[related_id])
            plan.stored_memberships[(membership.ceptoar.code, membership.member.code)] = membership


def check_memberships(plan: ImportPlan) -> None:
    seen: dict[tuple[str, str], MembershipRecord] = {}
    for record in plan.document.memberships:
        key = (record.ceptoar, record.member)
        if plan.repeated(
            seen,
            key,
            record,
            "member",
            lambda _earlier, record=record: (
                _("%(member)s is listed twice as a member of %(ceptoar)s.")
                % {"member": record.member, "ceptoar": record.ceptoar}
            ),
        ):
            continue
        ceptoar = plan.organisation(record.ceptoar, record.source, "ceptoar")
        member = plan.organisation(record.member, record.source, "member")
        via = None
        if isinstance(record.via, str):
            via = plan.organisation(record.via, record.source, "via")
        if ceptoar is None or member is None or (isinstance(record.via, str) and via is None):
            continue
        existing = plan.stored_memberships.get(key)
        membership = existing or Membership(ceptoar=ceptoar, member=member)
        before = snapshot(membership) if existing else {}
        for name, value in record.values.items():
            setattr(membership, name, value)
        if record.via is not ABSENT:
            membership.via = via
        plan.clean(membership, record.source, exclude=["ceptoar", "member", "via"])
        # The model compares ids, which are empty for organisations this file creates.
        current_via = via if record.via is not ABSENT else membership.via
        if current_via is not None:
            if current_via.kind != OrganisationKind.SUBGROUP:
                plan.report(record.source.problem("via", _("Must be a sub-group or relay hub.")))
            elif getattr(current_via.parent, "code", None) != ceptoar.code:
                plan.report(record.source.problem("via", _("This sub-group relays for another CEPTOAR.")))
        planned = Planned(membership, existing is None, set())
        if existing is not None:
            planned.changed = changed_fields(membership, before)
        plan.membership_plan.append(planned)
        plan.memberships_by_pair[key] = membership


def check_members_belong(plan: ImportPlan) -> None:
    """A member operator is in the registry because a CEPTOAR counts it; one without is a mistake."""
    pairs = set(plan.stored_memberships) | set(plan.memberships_by_pair)
    members_with_link = {member for _ceptoar, member in pairs}
    for planned in plan.org_plan:
        instance = planned.instance
        record = plan.file_orgs[instance.code]
        if instance.kind == OrganisationKind.MEMBER and instance.code not in members_with_link:
            plan.report(
                record.source.problem(
                    "",
                    _(
                        "A member operator must belong to a CEPTOAR: add a membership for %(code)s to the file."
                    )
                    % {"code": instance.code},
                )
            )
        if instance.kind not in (OrganisationKind.MEMBER, OrganisationKind.RELATED_BODY):
            ceptoars = sorted(c for c, m in plan.stored_memberships if m == instance.code)
            if ceptoars:
                plan.report(
                    record.source.problem(
                        "kind",
                        _(
                            "%(code)s is a member of %(ceptoars)s, so it must stay a member operator or "
                            "a related body."
                        )
                        % {"code": instance.code, "ceptoars": ", ".join(ceptoars)},
                    )
                )
