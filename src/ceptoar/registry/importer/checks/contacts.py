"""The checks of points of contact and their channels."""

from __future__ import annotations

from collections import Counter

from django.utils.translation import gettext as _

from ceptoar.registry.importer.plan import ImportPlan, Planned, changed_fields, chunks, snapshot
from ceptoar.registry.importer.records import ContactRecord
from ceptoar.registry.models import Contact, ContactChannel


def check_contacts(plan: ImportPlan) -> None:
    records = plan.document.contacts
    stored_ids = sorted(
        {
            plan.orgs[r.organisation].pk
            for r in records
            if r.organisation in plan.orgs and plan.orgs[r.organisation].pk is not None
        }
    )
    stored: dict[tuple[int, str], Contact] = {}
    last_position: Counter = Counter()
    for chunk in chunks(stored_ids):
        contacts = (
            Contact.objects.filter(organisation_id__in=chunk)
            .prefetch_related("channels")
            .order_by("organisation_id", "position", "id")
        )
        for contact in contacts:
            # Several stored contacts of one name: the import updates the first in order.
            stored.setdefault((contact.organisation_id, contact.name), contact)
            last_position[contact.organisation_id] = max(
                last_position[contact.organisation_id], contact.position
            )
    seen: dict[tuple[str, str], ContactRecord] = {}
    for record in records:
        organisation = plan.organisation(record.organisation, record.source, "organisation")
        if organisation is None:
            continue
        key = (record.organisation, record.name)
        if plan.repeated(
            seen,
            key,
            record,
            "name",
            lambda _earlier, record=record: (
                _("A contact named %(name)s is listed twice for %(code)s.")
                % {"name": record.name, "code": record.organisation}
            ),
        ):
            continue
        existing = stored.get((organisation.pk, record.name)) if organisation.pk is not None else None
        contact = existing or Contact(organisation=organisation)
        before = snapshot(contact) if existing else {}
        for name, value in record.values.items():
            setattr(contact, name, value)
        if existing is None and "position" not in record.values:
            # New contacts go after those already stored, in the order of the file.
            last_position[organisation.pk or organisation.code] += 1
            contact.position = last_position[organisation.pk or organisation.code]
        plan.clean(contact, record.source, exclude=["organisation"])
        planned = Planned(contact, existing is None, set(), record.source)
        if existing is not None:
            planned.changed = changed_fields(contact, before)
        if record.channels is not None and _check_channels(plan, contact, existing, record):
            planned.changed.add("channels")
        plan.contact_plan.append(planned)


def _check_channels(
    plan: ImportPlan, contact: Contact, existing: Contact | None, record: ContactRecord
) -> bool:
    """Plan the contact's channels to be exactly those in the file, in order; True when anything changes."""
    wanted = []
    for position, spec in enumerate(record.channels, 1):
        channel = ContactChannel(
            contact=contact, kind=spec.kind, value=(spec.value or "").strip(), position=position
        )
        plan.clean(channel, record.source, exclude=["contact"], names=spec.names)
        wanted.append(channel)
    current = list(existing.channels.all()) if existing is not None else []
    to_create, to_update = [], []
    for position, channel in enumerate(wanted):
        if position < len(current):
            kept = current[position]
            if (kept.kind, kept.value, kept.position) != (channel.kind, channel.value, channel.position):
                kept.kind, kept.value, kept.position = channel.kind, channel.value, channel.position
                to_update.append(kept)
        else:
            to_create.append(channel)
    to_delete = [channel.pk for channel in current[len(wanted) :]]
    if to_create or to_update or to_delete:
        plan.channel_work.append((contact, to_create, to_update, to_delete))
        return True
    return False
