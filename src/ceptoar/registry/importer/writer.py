"""The writer: runs the checks into a plan and, only if no problem was found, writes it all in one
transaction."""

from __future__ import annotations

from collections.abc import Iterable

from django.db import IntegrityError, models, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from ceptoar.registry import queries
from ceptoar.registry.importer.checks import check_all
from ceptoar.registry.importer.plan import ImportPlan, Planned, chunks, position_in_file
from ceptoar.registry.importer.problems import ImportProblem, ImportSummary, RegistryImportError
from ceptoar.registry.importer.records import Document, Source
from ceptoar.registry.models import (
    CeptoarProfile,
    Contact,
    ContactChannel,
    CouncilSeat,
    HandlingRules,
    Membership,
    Organisation,
    Oversight,
    RulesAcceptance,
)

_BATCH = 500


def run(document: Document, dry_run: bool) -> ImportSummary:
    """Check every record of the document and, if all pass, write them (or, with `dry_run`, roll back)."""
    plan = ImportPlan(document)
    check_all(plan)
    if plan.problems:
        raise RegistryImportError(sorted(plan.problems, key=position_in_file))
    summary = plan.summary(dry_run)
    try:
        with transaction.atomic():
            write(plan)
            # A dry run goes through the writing too, for the checks that can only be made on the result.
            transaction.set_rollback(dry_run)
    except IntegrityError as error:
        raise RegistryImportError(
            [
                ImportProblem(
                    _(
                        "The registry changed while the file was being imported; nothing was written. "
                        "Import the file again. (%(error)s)"
                    )
                    % {"error": error}
                )
            ]
        ) from error
    return summary


def _save(model: type[models.Model], rows: list[Planned], extra_fields: Iterable[str] = ()) -> None:
    new = [p.instance for p in rows if p.created]
    if new:
        model.objects.bulk_create(new, batch_size=_BATCH)
    changed = [p for p in rows if not p.created and p.changed]
    fields = sorted({name for p in changed for name in p.changed} - {"channels"})
    if fields:
        fields = [model._meta.get_field(name).name for name in fields] + list(extra_fields)
        model.objects.bulk_update([p.instance for p in changed], fields, batch_size=_BATCH)


def write(plan: ImportPlan) -> None:
    now = timezone.now()
    for planned in plan.org_plan:
        if not planned.created and planned.changed:
            planned.instance.updated_at = now
    with transaction.atomic():
        poc_check = _organisations_keeping_poc(plan)
        # Sub-groups may name a CEPTOAR created by the same file: parents first.
        new_parents = {
            p.instance.parent.code
            for p in plan.org_plan
            if p.created and p.instance.parent is not None and p.instance.parent.pk is None
        }
        first = [p for p in plan.org_plan if not p.created or p.instance.code in new_parents]
        rest = [p for p in plan.org_plan if p.created and p.instance.code not in new_parents]
        _save(Organisation, [p for p in first if p.created])
        _save(Organisation, rest)
        _save(Organisation, [p for p in first if not p.created], extra_fields=["updated_at"])
        _save(CeptoarProfile, plan.profile_plan)
        _save(Oversight, plan.oversight_plan)
        _save(CouncilSeat, plan.seat_plan)
        _save(Membership, plan.membership_plan)
        _save(Contact, plan.contact_plan)
        _write_channels(plan)
        _save(HandlingRules, plan.rules_plan)
        _save(RulesAcceptance, plan.acceptance_plan)
        _check_poc_kept(plan, poc_check)


def _organisations_keeping_poc(plan: ImportPlan) -> dict[int, Source]:
    """Stored organisations whose contacts the file changes and that have an emergency POC now."""
    touched: dict[int, Source] = {}
    for planned in plan.contact_plan:
        organisation_id = planned.instance.organisation.pk
        if organisation_id is not None and planned.changed and planned.source is not None:
            touched.setdefault(organisation_id, planned.source)
    if not touched:
        return {}
    lacking = set(
        queries.organisations_lacking_poc(Organisation.objects.filter(pk__in=list(touched))).values_list(
            "pk", flat=True
        )
    )
    return {pk: source for pk, source in touched.items() if pk not in lacking}


def _check_poc_kept(plan: ImportPlan, had_poc: dict[int, Source]) -> None:
    """The rule of the contact pages (services.contacts.save_contact): no change may take away the last emergency
    POC of a CEPTOAR or member. It is a property of the result, so it is checked after writing; raising
    here undoes the writes."""
    if not had_poc:
        return
    lost = queries.organisations_lacking_poc(Organisation.objects.filter(pk__in=list(had_poc)))
    problems = [
        had_poc[organisation.pk].problem(
            "",
            _(
                "%(organisation)s must keep at least one active primary POC or 24/7 desk with a channel. "
                "Add or promote another one first."
            )
            % {"organisation": organisation.name},
        )
        for organisation in lost.order_by("code")
    ]
    if problems:
        raise RegistryImportError(problems)


def _write_channels(plan: ImportPlan) -> None:
    to_create, to_update, to_delete = [], [], []
    for contact, create, update, delete in plan.channel_work:
        for channel in create:
            channel.contact = contact  # now saved, so the id is set
        to_create += create
        to_update += update
        to_delete += delete
    if to_delete:
        for chunk in chunks(to_delete):
            ContactChannel.objects.filter(pk__in=chunk).delete()
    if to_update:
        ContactChannel.objects.bulk_update(to_update, ["kind", "value", "position"], batch_size=_BATCH)
    if to_create:
        ContactChannel.objects.bulk_create(to_create, batch_size=_BATCH)
