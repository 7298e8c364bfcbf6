"""Recording the observables an item carries (観測値の索引): the areas' services call these inside the
transaction that publishes, submits or changes the item, so an item and its sightings commit together.

- `index_alert(alert)`: an original alert's title, body and text attachments, when it is published
  (corrections are alerts of their own and are indexed when published). A relay is never indexed: its
  sightings are its root's. One alert and its relays are one piece of information; indexed apart they
  would correlate with each other everywhere the alert went. An exercise's alerts are never indexed:
  their values are made up and must not correlate with live traffic.
- `index_report(report)`: every submitted version's text (title, what happened, affected services,
  countermeasures), its text attachments and the reporter's structured indicator list (source REPORTED).
  The union of the versions: a value the reporter named once stays until an analyst removes it.
- `index_case(case, …)`: the case's own text (body, title, lessons: source EXTRACTED) and what it carries
  of its report (source CARRIED); the reports' services decide what survives redaction and what
  identifies the reporter (they know the anonymiser, which sits above this module), and pass it in.

Who a sighting is from (`organisation`, `sector`, for the signals "same value from N organisations in M
sectors"): the reporting organisation for a report; the origin organisation for an alert; for a case the
CEPTOAR that publishes it, never the reporter, because a case is anonymous and a signal naming the reporter
would undo that. A case is the CEPTOAR's re-publication of a report, so signals count organisations on
reports and alerts and should not count a case's CEPTOAR as one more organisation reporting the value.

When (`seen_at`): an alert's publication, a report's first submission (when it was reported, which the
reporter cannot back-date), a case's publication or else its creation.

The sync never brings back a sighting an analyst removed (`removed`), never deletes one an analyst added
(MANUAL) or one that came in an import (IMPORTED), and deletes the automatic ones no longer found.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable

from django.utils import timezone

from ceptoar.intel import extraction, warninglists
from ceptoar.intel.models import Observable, ObservableType, Sighting, SightingSource, observable_key

logger = logging.getLogger(__name__)

# Text attachments read for observables, and how much of each (the rest is left unread).
TEXT_CONTENT_TYPES = (
    "text/plain",
    "text/csv",
    "text/markdown",
    "text/xml",
    "application/json",
    "application/xml",
    "message/rfc822",
)
TEXT_EXTENSIONS = (".txt", ".csv", ".json", ".xml", ".log", ".md", ".eml")
ATTACHMENT_READ_LIMIT = 2 * 1024 * 1024

# The reporter's structured list uses STIX names, file hashes as file:<algorithm> (reports.forms).
REPORTED_TYPES = {
    "ipv4-addr": ObservableType.IPV4,
    "ipv6-addr": ObservableType.IPV6,
    "domain-name": ObservableType.DOMAIN,
    "url": ObservableType.URL,
    "email-addr": ObservableType.EMAIL,
    "file:md5": ObservableType.MD5,
    "file:sha1": ObservableType.SHA1,
    "file:sha256": ObservableType.SHA256,
    "md5": ObservableType.MD5,
    "sha1": ObservableType.SHA1,
    "sha256": ObservableType.SHA256,
    "cve": ObservableType.CVE,
    "file-name": ObservableType.FILE_NAME,
    "attack-technique": ObservableType.TECHNIQUE,
}
AUTOMATIC_SOURCES = (SightingSource.EXTRACTED, SightingSource.REPORTED, SightingSource.CARRIED)

Values = dict[tuple[str, str], tuple[str, str]]  # (type, value) → (source, context)


def _add_text(values: Values, text: str, context: str, source: str = SightingSource.EXTRACTED) -> None:
    for found in extraction.extract(text or ""):
        values.setdefault((found.type, found.value), (source, context))


def _attachment_text(attachment) -> str:
    name = (attachment.name or "").lower()
    content_type = (attachment.content_type or "").split(";")[0].strip().lower()
    if content_type not in TEXT_CONTENT_TYPES and not name.endswith(TEXT_EXTENSIONS):
        return ""
    try:
        with attachment.file.open("rb") as handle:
            raw = handle.read(ATTACHMENT_READ_LIMIT)
    except (OSError, ValueError) as error:
        logger.warning("Attachment %s not read for observables: %s", attachment.name, error)
        return ""
    for encoding in ("utf-8", "cp932"):
        try:
            return raw.decode(encoding)
        except UnicodeDecodeError:
            continue
    return raw.decode("utf-8", errors="replace")


def reported_values(entries: Iterable[dict]) -> list[tuple[str, str]]:
    """The reporter's structured list as (type, normalised value); entries of other types or that do not
    validate are left out (the report form checked them already)."""
    values = []
    for entry in entries or []:
        if not isinstance(entry, dict):
            continue
        type_ = REPORTED_TYPES.get(str(entry.get("type", "")).lower())
        if type_ is None:
            continue
        try:
            values.append((str(type_), extraction.validate(type_, str(entry.get("value", "")))))
        except ValueError:
            continue
    return values


def observable_ids(pairs: Iterable[tuple[str, str]]) -> dict[str, int]:
    """The stored observable of each (type, value) — already normalised — by its key, made where missing
    and marked against the warning lists as it is made: one query to find, one to add. The one writer of
    observables: the index, indicator sets, STIX and MISP imports and technique tags all come through here,
    so no value is ever stored unmarked."""
    wanted = {observable_key(type_, value): (type_, value) for type_, value in pairs}
    ids = dict(Observable.objects.filter(key__in=wanted).values_list("key", "pk"))
    missing = [key for key in wanted if key not in ids]
    if missing:
        # Another transaction may add the same value at the same moment: the unique key keeps one.
        Observable.objects.bulk_create(
            [
                Observable(
                    type=wanted[key][0],
                    value=wanted[key][1],
                    key=key,
                    warning_list=warninglists.match(*wanted[key]),
                )
                for key in missing
            ],
            batch_size=500,
            ignore_conflicts=True,
        )
        ids.update(Observable.objects.filter(key__in=missing).values_list("key", "pk"))
    return ids


def _sync(item_field: str, item, wanted: Values, *, organisation_id, sector_id, seen_at) -> None:
    """Make the item's automatic sightings exactly `wanted`, within the rules of the module's docstring."""
    keys = {observable_key(type_, value): (type_, value) for type_, value in wanted}
    ids = observable_ids(keys.values())
    wanted_by_observable = {ids[key]: wanted[keys[key]] for key in keys}
    existing = {
        sighting.observable_id: sighting for sighting in Sighting.objects.filter(**{item_field: item})
    }
    stale = [
        sighting.pk
        for observable_id, sighting in existing.items()
        if observable_id not in wanted_by_observable
        and sighting.source in AUTOMATIC_SOURCES
        and not sighting.removed
    ]
    if stale:
        Sighting.objects.filter(pk__in=stale).delete()
    changed = []
    for observable_id, (source, context) in wanted_by_observable.items():
        sighting = existing.get(observable_id)
        if sighting is None or sighting.removed or sighting.source not in AUTOMATIC_SOURCES:
            continue
        new = (source, context[:200], organisation_id, sector_id, seen_at)
        if (
            sighting.source,
            sighting.context,
            sighting.organisation_id,
            sighting.sector_id,
            sighting.seen_at,
        ) != new:
            (
                sighting.source,
                sighting.context,
                sighting.organisation_id,
                sighting.sector_id,
                sighting.seen_at,
            ) = new
            sighting.updated_at = timezone.now()  # bulk_update does not apply auto_now
            changed.append(sighting)
    if changed:
        Sighting.objects.bulk_update(
            changed, ["source", "context", "organisation", "sector", "seen_at", "updated_at"]
        )
    Sighting.objects.bulk_create(
        [
            Sighting(
                observable_id=observable_id,
                **{item_field: item},
                organisation_id=organisation_id,
                sector_id=sector_id,
                seen_at=seen_at,
                source=source,
                context=context[:200],
            )
            for observable_id, (source, context) in wanted_by_observable.items()
            if observable_id not in existing
        ],
        ignore_conflicts=True,
    )


def _sector_of(organisation) -> int | None:
    return getattr(organisation, "sector_id", None) if organisation is not None else None


def item_field(item) -> str:
    """The sighting's key naming the item's kind: alert, report, case or indicator_set."""
    return {"alert": "alert", "report": "report", "case": "case", "indicatorset": "indicator_set"}[
        item._meta.model_name
    ]


def attribution(item) -> dict:
    """Who a sighting of `item` is from and when, by the rules of the module's docstring (for a sighting
    an analyst adds by hand, as for the automatic ones)."""
    kind = item_field(item)
    if kind == "alert":
        organisation = item.origin_organisation
        seen_at = item.published_at
    elif kind == "report":
        organisation = item.organisation
        seen_at = item.first_submitted_at
    elif kind == "case":
        return {
            "organisation_id": item.origin_organisation_id,
            "sector_id": item.sector_id,
            "seen_at": item.published_at or item.created_at or timezone.now(),
        }
    else:
        organisation = item.origin_organisation
        seen_at = item.published_at or item.created_at
    return {
        "organisation_id": organisation.pk,
        "sector_id": _sector_of(organisation),
        "seen_at": seen_at or timezone.now(),
    }


def observable_for(type_: str, value: str) -> Observable:
    """The stored observable of an already normalised value, made (and marked) if new."""
    observable, _created = Observable.objects.get_or_create(
        key=observable_key(type_, value),
        defaults={"type": type_, "value": value, "warning_list": warninglists.match(type_, value)},
    )
    return observable


def index_alert(alert) -> None:
    """An original alert's observables; nothing for a relay (its root's are its) or an exercise's alert."""
    if alert.parent_id is not None or alert.root_id is not None or alert.exercise_id is not None:
        return
    values: Values = {}
    _add_text(values, alert.title, "title")
    _add_text(values, alert.body, "body")
    for attachment in alert.attachments.all():
        _add_text(values, _attachment_text(attachment), f"attachment:{attachment.name}")
    organisation = alert.origin_organisation
    _sync(
        "alert",
        alert,
        values,
        organisation_id=organisation.pk,
        sector_id=_sector_of(organisation),
        seen_at=alert.published_at or timezone.now(),
    )


def versions_values(report, versions) -> Values:
    """What the given submitted versions of the report carry: their structured lists first (REPORTED), then
    their text and text attachments."""
    values: Values = {}
    versions = list(versions)
    for version in versions:
        for type_, value in reported_values(version.observables):
            values.setdefault((type_, value), (SightingSource.REPORTED, f"observables:v{version.number}"))
    for version in versions:
        context = f"v{version.number}"
        _add_text(values, version.title, f"title:{context}")
        _add_text(values, version.description, f"description:{context}")
        _add_text(values, version.countermeasures, f"countermeasures:{context}")
        for service in version.affected_services.all():
            _add_text(values, f"{service.name}\n{service.impact}", f"services:{context}")
    for attachment in report.attachments.filter(version__in=[version.pk for version in versions]):
        _add_text(values, _attachment_text(attachment), f"attachment:{attachment.name}")
    return values


def report_values(report) -> Values:
    versions = (
        report.versions.exclude(submitted_at=None).order_by("number").prefetch_related("affected_services")
    )
    return versions_values(report, versions)


def index_report(report) -> None:
    organisation = report.organisation
    _sync(
        "report",
        report,
        report_values(report),
        organisation_id=organisation.pk,
        sector_id=_sector_of(organisation),
        seen_at=report.first_submitted_at or timezone.now(),
    )


def index_case(
    case, *, carried: Iterable[tuple[str, str]] = (), withheld: Iterable[tuple[str, str]] = ()
) -> None:
    """The case's own text (EXTRACTED) and the report's values it carries (CARRIED). `withheld` are values
    that identify the reporter: never recorded on the case, even where the case's text still shows them."""
    withheld = set(withheld)
    values: Values = {}
    for type_, value in carried:
        if (type_, value) not in withheld:
            values.setdefault((type_, value), (SightingSource.CARRIED, "report"))
    own: Values = {}
    _add_text(own, case.title, "title")
    _add_text(own, case.body, "body")
    _add_text(own, case.lessons, "lessons")
    for key, source_context in own.items():
        if key not in withheld:
            values.setdefault(key, source_context)
    _sync(
        "case",
        case,
        values,
        organisation_id=case.origin_organisation_id,
        sector_id=case.sector_id,
        seen_at=case.published_at or case.created_at or timezone.now(),
    )


def remark_observables(batch: int = 2000) -> dict[str, int]:
    """Mark every stored observable again after the warning lists changed: {list name or "": count}."""
    warninglists.reload()
    counts: dict[str, int] = {}
    changed = []
    for observable in Observable.objects.only("id", "type", "value", "warning_list").iterator(
        chunk_size=batch
    ):
        mark = warninglists.match(observable.type, observable.value)
        counts[mark] = counts.get(mark, 0) + 1
        if mark != observable.warning_list:
            observable.warning_list = mark
            changed.append(observable)
    Observable.objects.bulk_update(changed, ["warning_list"], batch_size=batch)
    counts["changed"] = len(changed)
    return counts
