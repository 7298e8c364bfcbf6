"""Small factories for the correlation and incident tests: items of each kind and their sightings, written
directly as rows (the areas' services and `intel.index` are not needed to test what correlation reads)."""

from __future__ import annotations

import datetime
import itertools

from django.utils import timezone

from ceptoar.alerts.models import Alert, Category
from ceptoar.intel.models import IndicatorSet, Observable, Sighting, SightingSource
from ceptoar.registry.models import Organisation, Sector
from ceptoar.reports.models import Case, Report, ReportHop, ReportVersion
from ceptoar.sharing.models import Audience

_serial = itertools.count(1)


def audience(*, community=False, sectors=(), ceptoars=(), organisations=(), people=()) -> Audience:
    made = Audience.objects.create(community=community)
    if sectors:
        made.sectors.set(Sector.objects.filter(code__in=sectors))
    if ceptoars:
        made.ceptoars.set(Organisation.objects.filter(code__in=ceptoars))
    if organisations:
        made.organisations.set(Organisation.objects.filter(code__in=organisations))
    if people:
        made.people.set(people)
    return made


def alert(author, *, tlp="green", status="published", parent=None, when=None, title=None, **spec) -> Alert:
    """An alert by `author` (a relay when `parent` is given); the audience from `spec` (community by
    default)."""
    if not spec:
        spec = {"community": True}
    when = when or timezone.now()
    root = (parent.root or parent) if parent is not None else None
    return Alert.objects.create(
        title=title or f"alert {next(_serial)}",
        category=Category.OTHER,
        tlp=tlp,
        status=status,
        audience=audience(**spec),
        origin_organisation=author.organisation,
        author=author,
        published_at=when if status in ("published", "closed") else None,
        parent=parent,
        root=root,
    )


def report(
    author, *, ceptoar=None, status="new", scope="secretariat", hops=(), title=None, when=None
) -> Report:
    """A report of `author`'s organisation to `ceptoar` (an Organisation), with a submitted version and
    hops at the given (organisation, level) pairs."""
    when = when or timezone.now()
    made = Report.objects.create(
        reference=f"T-{next(_serial):06d}",
        organisation=author.organisation,
        ceptoar=ceptoar or author.organisation,
        scope=scope,
        status=status,
        created_by=author,
        title=title or f"report {next(_serial)}",
        first_submitted_at=None if status == "draft" else when,
    )
    ReportVersion.objects.create(
        report=made,
        number=1,
        author=author,
        title=made.title,
        submitted_at=None if status == "draft" else when,
    )
    for organisation, level in hops:
        ReportHop.objects.create(report=made, organisation=organisation, level=level, sent_by=author)
    return made


def case(author, source: Report, *, tlp="green", status="published", title=None, **spec) -> Case:
    if not spec:
        spec = {"community": True}
    return Case.objects.create(
        report=source,
        source_version=source.versions.order_by("number").first(),
        title=title or f"case {next(_serial)}",
        tlp=tlp,
        audience=audience(**spec),
        origin_organisation=author.organisation,
        author=author,
        status=status,
    )


def indicator_set(author, *, tlp="green", status="published", title=None, **spec) -> IndicatorSet:
    if not spec:
        spec = {"community": True}
    return IndicatorSet.objects.create(
        title=title or f"set {next(_serial)}",
        tlp=tlp,
        audience=audience(**spec),
        origin_organisation=author.organisation,
        author=author,
        status=status,
        published_at=timezone.now() if status == "published" else None,
    )


def observable(type_: str, value: str, warning_list: str = "") -> Observable:
    found, _ = Observable.objects.get_or_create(
        type=type_, value=value, defaults={"warning_list": warning_list}
    )
    if found.warning_list != warning_list:
        found.warning_list = warning_list
        found.save()
    return found


def sight(
    item,
    type_: str,
    value: str,
    *,
    warning_list="",
    removed=False,
    organisation=None,
    sector=None,
    seen_at: datetime.datetime | None = None,
) -> Sighting:
    """`item` carries (type_, value). The organisation and sector default to the item's origin."""
    field = {
        Alert: "alert",
        Report: "report",
        Case: "case",
        IndicatorSet: "indicator_set",
    }[type(item)]
    if organisation is None:
        organisation = item.organisation if isinstance(item, Report) else item.origin_organisation
    if sector is None and organisation is not None:
        sector = organisation.sector
    found, _ = Sighting.objects.update_or_create(
        observable=observable(type_, value, warning_list),
        **{field: item},
        defaults={
            "organisation": organisation,
            "sector": sector,
            "seen_at": seen_at or timezone.now(),
            "source": SightingSource.MANUAL,
            "removed": removed,
        },
    )
    return found
