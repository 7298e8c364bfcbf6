"""The checks of organisations, with what the file says about them: a CEPTOAR's profile, the ministries
overseeing it and its council seats."""

from __future__ import annotations

from django.utils.translation import gettext as _

from ceptoar.registry.importer.plan import ImportPlan, Planned, changed_fields, chunks, snapshot
from ceptoar.registry.importer.records import ABSENT, OrganisationRecord
from ceptoar.registry.models import CeptoarProfile, CouncilSeat, Organisation, OrganisationKind, Oversight


def _referenced_codes(plan: ImportPlan) -> set[str]:
    doc = plan.document
    codes = set()
    for record in doc.organisations:
        codes.add(record.code)
        codes.update(c for c in (record.parent, record.sector_of) if isinstance(c, str) and c)
        if record.profile and isinstance(record.profile.get("secretariat"), str):
            codes.add(record.profile["secretariat"].strip())
        codes.update(record.ministries or [])
        codes.update(code for code, _flag, _seat in record.councils or [])
    for m in doc.memberships:
        codes.update(c for c in (m.ceptoar, m.member, m.via) if isinstance(c, str) and c)
    codes.update(c.organisation for c in doc.contacts)
    codes.update(r.ceptoar for r in doc.rules)
    for a in doc.acceptances:
        codes.update((a.organisation, a.ceptoar))
    return codes


def load_organisations(plan: ImportPlan) -> None:
    codes = sorted(_referenced_codes(plan))
    for chunk in chunks(codes):
        for organisation in Organisation.objects.filter(code__in=chunk):
            plan.orgs[organisation.code] = organisation


def check_organisations(plan: ImportPlan) -> None:
    records = plan.document.organisations
    seen: dict[str, OrganisationRecord] = {}
    for record in records:
        if plan.repeated(
            seen,
            record.code,
            record,
            "code",
            lambda earlier, record=record: (
                _("The organisation code %(code)s appears twice in the file (first at %(where)s).")
                % {
                    "code": record.code,
                    "where": earlier.source.path or _("line %(number)d") % {"number": earlier.source.line},
                }
            ),
        ):
            continue
        existing = plan.orgs.get(record.code)
        instance = existing or Organisation(code=record.code)
        before = snapshot(instance) if existing else {}
        for name, value in record.values.items():
            setattr(instance, name, value)
        if existing is None and "kind" not in record.values and record.sector_of:
            instance.kind = OrganisationKind.MEMBER  # the CSV's one-row-per-member default
        if record.sector is not ABSENT:
            if record.sector is None:
                instance.sector = None
            elif record.sector in plan.sectors:
                instance.sector = plan.sectors[record.sector]
            else:
                plan.report(
                    record.source.problem(
                        "sector", _("Unknown sector code: %(code)s") % {"code": record.sector}
                    )
                )
        plan.orgs[record.code] = instance
        plan.file_orgs[record.code] = record
        plan.org_plan.append(Planned(instance, existing is None, set()))
        record.before = before

    # Parents and CSV default sectors may name organisations that appear later in the file.
    for planned in plan.org_plan:
        instance = planned.instance
        record = plan.file_orgs[instance.code]
        if record.parent is not ABSENT:
            if record.parent is None:
                instance.parent = None
            else:
                parent = plan.organisation(record.parent, record.source, "parent")
                if parent is not None:
                    instance.parent = parent
        if planned.created and record.sector is ABSENT and record.sector_of in plan.orgs:
            instance.sector = plan.orgs[record.sector_of].sector
    for planned in plan.org_plan:
        instance = planned.instance
        record = plan.file_orgs[instance.code]
        plan.clean(instance, record.source, exclude=["sector", "parent"])
        # The model compares parent_id, which is empty while the parent is itself still to be created.
        if instance.parent is not None and instance.kind != OrganisationKind.SUBGROUP:
            plan.report(
                record.source.problem("parent", _("Only a sub-group or relay hub has a parent CEPTOAR."))
            )
        if not planned.created:
            planned.changed = changed_fields(instance, record.before)
        _check_profile(plan, instance, record)
        _check_ministries(plan, instance, record)
        _check_councils(plan, instance, record)


def _check_profile(plan: ImportPlan, ceptoar: Organisation, record: OrganisationRecord) -> None:
    if record.profile is None:
        return
    source = record.source.nested("profile.")
    if ceptoar.kind != OrganisationKind.CEPTOAR:
        plan.report(record.source.problem("profile", _("Only a CEPTOAR has a profile.")))
        return
    values = dict(record.profile)
    existing = None
    if ceptoar.pk is not None:
        existing = CeptoarProfile.objects.filter(ceptoar=ceptoar).first()
    profile = existing or CeptoarProfile(ceptoar=ceptoar)
    before = snapshot(profile) if existing else {}
    secretariat_code = values.pop("secretariat", None)
    for name, value in values.items():
        setattr(profile, name, value)
    if secretariat_code:
        secretariat = plan.organisation(secretariat_code.strip(), source, "secretariat")
        if secretariat is not None:
            profile.secretariat = secretariat
    elif existing is None:
        plan.report(source.problem("secretariat", _("This field is required.")))
    plan.clean(profile, source, exclude=["ceptoar", "secretariat"])
    planned = Planned(profile, existing is None, set())
    if existing is not None:
        planned.changed = changed_fields(profile, before)
    plan.profile_plan.append(planned)


def _check_ministries(plan: ImportPlan, ceptoar: Organisation, record: OrganisationRecord) -> None:
    if record.ministries is None:
        return
    stored = set()
    if ceptoar.pk is not None:
        stored = set(Oversight.objects.filter(ceptoar=ceptoar).values_list("ministry__code", flat=True))
    for i, code in enumerate(record.ministries):
        ministry = plan.organisation(code, record.source, f"ministries[{i}]")
        if ministry is None:
            continue
        oversight = Oversight(ministry=ministry, ceptoar=ceptoar)
        plan.clean(
            oversight,
            record.source,
            exclude=["ministry", "ceptoar"],
            names={"ministry": f"ministries[{i}]", "ceptoar": "kind"},
        )
        if code in stored:
            plan.oversight_plan.append(Planned(oversight, False, set()))
        else:
            stored.add(code)
            plan.oversight_plan.append(Planned(oversight, True, set()))


def _check_councils(plan: ImportPlan, ceptoar: Organisation, record: OrganisationRecord) -> None:
    if record.councils is None:
        return
    stored = {}
    if ceptoar.pk is not None:
        stored = {
            seat.council.code: seat
            for seat in CouncilSeat.objects.filter(ceptoar=ceptoar).select_related("council")
        }
    for i, (code, shown_on_map, seat_kind) in enumerate(record.councils):
        council = plan.organisation(code, record.source, f"councils[{i}]")
        if council is None:
            continue
        seat = stored.get(code)
        planned = Planned(seat or CouncilSeat(council=council, ceptoar=ceptoar), seat is None, set())
        if shown_on_map is not ABSENT and planned.instance.shown_on_map != shown_on_map:
            planned.instance.shown_on_map = shown_on_map
            planned.changed.add("shown_on_map")
        if seat_kind is not ABSENT and planned.instance.kind != seat_kind:
            planned.instance.kind = seat_kind
            planned.changed.add("kind")
        plan.clean(
            planned.instance,
            record.source,
            exclude=["council", "ceptoar"],
            names={"council": f"councils[{i}]", "ceptoar": "kind", "kind": f"councils[{i}].seat"},
        )
        stored[code] = planned.instance
        plan.seat_plan.append(planned)
