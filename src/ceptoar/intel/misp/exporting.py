"""MISP events out. An import goes back as the event that came in, attribute for attribute (kept verbatim
in its envelope). An alert, a failure case or an indicator set becomes a new event built from its values
(its sightings not removed by an analyst), with uuids derived from our ids (uuid5), so that exporting the
same item again gives the same event and the same attributes, and MISP updates instead of duplicating.

Techniques are written as `misp-galaxy:mitre-attack-pattern` tags on the event (MISP's own way to say
"this event uses T0886"), not as attributes: MISP has no attribute type for them.

Who may export: whoever the sharing policy lets see the item (and, for alerts, read its content); an
export of AMBER+STRICT or RED is an audited read. `user=None` is the operator at the command line, who has
the database anyway.
"""

from __future__ import annotations

import copy
import uuid

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.utils import timezone

from ceptoar.alerts.models import Alert
from ceptoar.intel import access
from ceptoar.intel.misp import mapping
from ceptoar.intel.models import (
    ExchangeFormat,
    ExchangeImport,
    IndicatorSet,
    IndicatorSetStatus,
    ObservableType,
    Sighting,
    Technique,
)
from ceptoar.reports.models import Case, CaseStatus
from ceptoar.sharing import audit, policy
from ceptoar.sharing.models import Tlp

THREAT_LEVEL = {"critical": "1", "high": "1", "medium": "2", "low": "3"}
UNDEFINED_THREAT_LEVEL = "4"


class ExportRefused(PermissionDenied):
    """Nothing was exported: the person may not see the item, or it cannot be said as a MISP event."""


def namespace() -> uuid.UUID:
    """The namespace of every uuid we derive: this installation's address, so that two installations'
    alert 1 are different events."""
    return uuid.uuid5(uuid.NAMESPACE_URL, settings.CEPTOAR_BASE_URL + "/intel/misp")


def derived_uuid(*parts) -> str:
    return str(uuid.uuid5(namespace(), ":".join(str(part) for part in parts)))


def export_event(obj, *, user=None) -> dict:
    """The MISP JSON (`{"Event": {...}}`) of an import, alert, case or indicator set."""
    if isinstance(obj, ExchangeImport):
        return _export_import(obj, user)
    if isinstance(obj, Alert):
        kind = "alert"
    elif isinstance(obj, Case | IndicatorSet):
        kind = "case" if isinstance(obj, Case) else "indicator-set"
    else:
        raise ExportRefused(f"A {type(obj).__name__} cannot be exported as a MISP event.")
    # `user` None is the operator at the command line, who holds the whole database anyway.
    if user is not None and not access.may_export(user, obj):
        raise ExportRefused(
            f"{getattr(user, 'username', user)} may not see {kind} {obj.pk}: nothing exported."
        )
    if user is not None:
        audit.record_read(user, obj, "export", "MISP event")
    return {"Event": _event(obj, kind)}


def _export_import(exchange: ExchangeImport, user) -> dict:
    if exchange.format != ExchangeFormat.MISP or "Event" not in exchange.envelope:
        raise ExportRefused(f"Import {exchange.pk} is not a MISP event; export it in its own format.")
    if user is not None:
        if not access.may_export_import(user, exchange):
            raise ExportRefused(f"{user.username} may not see import {exchange.pk}: nothing exported.")
        indicator_set = IndicatorSet.objects.filter(source_import=exchange).first()
        if indicator_set is not None:
            audit.record_read(user, indicator_set, "export", "MISP event")
    return {"Event": copy.deepcopy(exchange.envelope["Event"])}


def _status(obj) -> tuple[bool, str]:
    """(published, analysis): MISP's analysis 0 = initial, 2 = completed."""
    if isinstance(obj, Alert):
        done = obj.status in policy.SHARED_ALERT_STATUSES
    elif isinstance(obj, Case):
        done = obj.status == CaseStatus.PUBLISHED
    else:
        done = obj.status == IndicatorSetStatus.PUBLISHED
    return done, "2" if done else "0"


def _event(obj, kind: str) -> dict:
    when = getattr(obj, "published_at", None) or obj.created_at
    published, analysis = _status(obj)
    organisation = obj.origin_organisation
    tlp = Tlp(obj.tlp)
    sightings = list(
        Sighting.objects.filter(**{kind.replace("-", "_"): obj}, removed=False)
        .select_related("observable")
        .order_by("observable__type", "observable__value")
    )
    attributes = []
    techniques = []
    for sighting in sightings:
        observable = sighting.observable
        if observable.type == ObservableType.TECHNIQUE:
            techniques.append(observable.value)
            continue
        if observable.type not in mapping.EXPORT_TYPES:
            continue
        misp_type, category, for_ids = mapping.EXPORT_TYPES[observable.type]
        # A value on a warning list (a public resolver, a documentation range) is context, never a rule.
        listed = bool(observable.warning_list)
        attributes.append(
            {
                "uuid": derived_uuid(kind, obj.pk, observable.key),
                "type": misp_type,
                "category": category,
                "value": observable.value,
                "to_ids": for_ids and not listed,
                "disable_correlation": listed,
                "distribution": "5",
                "comment": sighting.get_source_display() if sighting.source else "",
                "timestamp": str(int(sighting.seen_at.timestamp())),
            }
        )
    tags = [{"name": mapping.TAG_FROM_TLP[tlp], "colour": mapping.TLP_COLOUR[tlp], "exportable": True}]
    names = dict(Technique.objects.filter(external_id__in=techniques).values_list("external_id", "name"))
    for technique in sorted(set(techniques)):
        label = f"{names[technique]} - {technique}" if technique in names else technique
        tags.append({"name": f'{mapping.ATTACK_GALAXY_TAG}="{label}"', "exportable": True})
    severity = getattr(obj, "severity", "")
    return {
        "uuid": derived_uuid(kind, obj.pk),
        "info": obj.title,
        "date": timezone.localtime(when).date().isoformat(),
        "timestamp": str(int(obj.updated_at.timestamp())),
        "threat_level_id": THREAT_LEVEL.get(severity, UNDEFINED_THREAT_LEVEL),
        "analysis": analysis,
        "published": published,
        "distribution": str(mapping.DISTRIBUTION_FROM_TLP[tlp]),
        "Orgc": {"name": organisation.name, "uuid": derived_uuid("organisation", organisation.pk)},
        "Tag": tags,
        "Attribute": attributes,
        "Object": [],
    }
