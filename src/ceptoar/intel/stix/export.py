"""Alerts, failure cases and indicator sets as STIX 2.1 bundles, and imports given back verbatim.

A bundle holds a `report` (the item: title, text, publication time, every other object in `object_refs`), the
`identity` of the organisation that published it (`created_by_ref`), per observable an SCO and, for the kinds
a pattern can test, an `indicator` with its STIX pattern and a `related-to` relationship to the SCO; a
`vulnerability` per CVE, an `attack-pattern` per ATT&CK technique (the imported technique's own STIX id when
we have it) with each indicator `indicates` it, and the TLP 2.0 marking-definition the objects carry.

Ids are hashes of our records (`_id`; SCOs: the STIX 2.1 deterministic UUIDv5 ids, from the stix2 library),
and times are the records' own, so exporting the same item again gives the same bundle.

Who may export: whoever the sharing policy lets read the item — an alert's content (`may_read_content`: the
hops that only pass an AMBER+STRICT or RED alert on get no export of it), a case or indicator set
(`may_see`). A TLP:RED item therefore goes only to its named people; the export keeps its TLP:RED marking and,
as for every AMBER+STRICT and RED read, an audit entry. Only the item's own observables go out (its
`Sighting` rows, never those an analyst removed). The result is inert data: a dict to write as JSON.
"""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime
from urllib.parse import quote as quote_uri

import stix2
import stix2.exceptions

from ceptoar.intel import access
from ceptoar.intel.models import Sighting, StixObject, Technique
from ceptoar.intel.stix import markings
from ceptoar.sharing import audit

# Our namespace for UUIDv5 ids (a fixed random UUID: never change it, or re-exports change ids).
NAMESPACE = uuid.UUID("6f1d7c3e-2b59-4c8a-9a57-3f0e8d2c41b7")
# For records without a time of their own (an organisation's identity, a CVE).
EPOCH = "2020-01-01T00:00:00.000Z"

# observable type -> how a pattern names it: (SCO type, property path)
PATTERN_PATHS = {
    "ipv4-addr": ("ipv4-addr", "value"),
    "ipv6-addr": ("ipv6-addr", "value"),
    "domain-name": ("domain-name", "value"),
    "url": ("url", "value"),
    "email-addr": ("email-addr", "value"),
    "md5": ("file", "hashes.MD5"),
    "sha1": ("file", "hashes.'SHA-1'"),
    "sha256": ("file", "hashes.'SHA-256'"),
    "file-name": ("file", "name"),
}
HASH_NAMES = {"md5": "MD5", "sha1": "SHA-1", "sha256": "SHA-256"}


class ExportRefused(PermissionError):
    """The user may not export this item (the policy says no); nothing was produced. A PermissionError, so
    that callers of either format (STIX, MISP) catch one kind of refusal."""


def _id(stix_type: str, *parts) -> str:
    """A deterministic id from our records: the UUIDv5 hash of `parts` in our namespace, with the version
    bits of a UUIDv4. STIX 2.1 says SDO and SRO ids should be UUIDv4 (stix2-validator warns otherwise, {103});
    a hash in that form is as stable as a UUIDv5 and as unguessable as any other id to whoever receives it."""
    digest = uuid.uuid5(NAMESPACE, "|".join(str(part) for part in parts))
    return f"{stix_type}--{uuid.UUID(bytes=digest.bytes, version=4)}"


def timestamp(moment: datetime | None) -> str:
    """A STIX timestamp in UTC, to the millisecond."""
    if moment is None:
        return EPOCH
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def quote(value: str) -> str:
    """A STIX pattern string literal: backslashes and single quotes escaped (STIX 2.1 §9.2)."""
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"


def pattern(observable_type: str, value: str) -> str | None:
    path = PATTERN_PATHS.get(observable_type)
    if path is None:
        return None
    sco_type, prop = path
    return f"[{sco_type}:{prop} = {quote(value)}]"


# Characters a URI may hold as they are (RFC 3986 reserved and unreserved, and "%" of escapes already made).
URI_SAFE = "!#$%&'()*+,/:;=?@[]~-._"


def stix_value(observable_type: str, value: str) -> str:
    """The value as STIX holds it: a URL as a URI (the url SCO's value must be one), with what a URI may not
    hold as it is (spaces, backslashes, Japanese) percent-encoded; other values as stored."""
    if observable_type == "url":
        return quote_uri(value, safe=URI_SAFE)
    return value


def _sco(observable_type: str, value: str, marking: str) -> dict | None:
    """The SCO of an observable, with the STIX 2.1 deterministic id the stix2 library computes."""
    common = {"object_marking_refs": [marking], "allow_custom": False}
    if observable_type == "ipv4-addr":
        sco = stix2.IPv4Address(value=value, **common)
    elif observable_type == "ipv6-addr":
        sco = stix2.IPv6Address(value=value, **common)
    elif observable_type == "domain-name":
        sco = stix2.DomainName(value=value, **common)
    elif observable_type == "url":
        sco = stix2.URL(value=value, **common)
    elif observable_type == "email-addr":
        sco = stix2.EmailAddress(value=value, **common)
    elif observable_type in HASH_NAMES:
        sco = stix2.File(hashes={HASH_NAMES[observable_type]: value}, **common)
    elif observable_type == "file-name":
        sco = stix2.File(name=value, **common)
    else:
        return None
    return json.loads(sco.serialize())


def _sco_or_none(observable_type: str, value: str, marking: str) -> dict | None:
    # A value STIX refuses (a hash of the wrong length typed by hand) is left out rather than failing the
    # whole export: the rest of the item still goes.
    try:
        return _sco(observable_type, value, marking)
    except stix2.exceptions.STIXError:
        return None


class _Item:
    """What the export needs of an alert, case or indicator set."""

    def __init__(self, kind: str, item) -> None:
        self.kind = kind
        self.item = item
        self.tlp = item.tlp
        self.organisation = item.origin_organisation
        self.created = item.created_at
        self.modified = item.updated_at
        self.published = item.published_at or item.created_at
        self.name = item.title
        if kind == "case":
            self.description = "\n\n".join(part for part in (item.body, item.lessons) if part)
        else:
            self.description = getattr(item, "body", "") or getattr(item, "description", "")

    def sightings(self):
        return (
            Sighting.objects.filter(**{self.kind: self.item}, removed=False)
            .select_related("observable")
            .order_by("observable__type", "observable__value")
        )


def _identity(organisation, marking: str) -> dict:
    identity = {
        "type": "identity",
        "spec_version": "2.1",
        "id": _id("identity", "organisation", organisation.code),
        "created": EPOCH,
        "modified": EPOCH,
        "name": organisation.name,
        "identity_class": "organization",
        "object_marking_refs": [marking],
    }
    return identity


def _attack_pattern(external_id: str, technique: Technique | None, common: dict) -> dict:
    """An ATT&CK technique by reference: the imported object's id and times when we have them (so that it
    is the same object, not a rival one), its name and external id; no URL (a URL without a hash draws a
    validator warning, and the id says it all)."""
    created = modified = EPOCH
    stix_id = _id("attack-pattern", "attack", external_id)
    name = external_id
    if technique is not None:
        name = technique.name
        if technique.stix_id:
            stix_id = technique.stix_id
            stored = (
                StixObject.objects.filter(stix_id=stix_id).order_by("-modified", "-id").values("data").first()
            )
            if stored is not None:
                created = stored["data"].get("created", EPOCH)
                modified = stored["data"].get("modified", created)
    return {
        "type": "attack-pattern",
        "spec_version": "2.1",
        "id": stix_id,
        "created": created,
        "modified": modified,
        "name": name,
        "external_references": [{"source_name": "mitre-attack", "external_id": external_id}],
        **common,
    }


def build_bundle(kind: str, item) -> dict:
    """The bundle of one item, without asking anyone (`export_item` asks the policy first)."""
    source = _Item(kind, item)
    marking = markings.marking_id(source.tlp)
    identity = _identity(source.organisation, marking)
    common = {"created_by_ref": identity["id"], "object_marking_refs": [marking]}
    sightings = list(source.sightings())
    technique_ids = [s.observable.value for s in sightings if s.observable.type == "attack-technique"]
    techniques = {t.external_id: t for t in Technique.objects.filter(external_id__in=technique_ids)}

    referenced: list[dict] = []
    relationships: list[dict] = []
    indicators: list[dict] = []
    attack_patterns: list[dict] = []
    sco_ids: set[str] = set()
    for sighting in sightings:
        observable = sighting.observable
        seen = timestamp(sighting.seen_at)
        if observable.type == "cve":
            referenced.append(
                {
                    "type": "vulnerability",
                    "spec_version": "2.1",
                    "id": _id("vulnerability", "cve", observable.value),
                    "created": EPOCH,
                    "modified": EPOCH,
                    "name": observable.value,
                    "external_references": [{"source_name": "cve", "external_id": observable.value}],
                    **common,
                }
            )
            continue
        if observable.type == "attack-technique":
            attack_patterns.append(
                _attack_pattern(observable.value, techniques.get(observable.value), common)
            )
            continue
        value = stix_value(observable.type, observable.value)
        sco = _sco_or_none(observable.type, value, marking)
        if sco is None:
            continue
        if sco["id"] not in sco_ids:
            # Two values may be one object to STIX (a URL as typed and percent-encoded): listed once.
            sco_ids.add(sco["id"])
            referenced.append(sco)
        indicator = {
            "type": "indicator",
            "spec_version": "2.1",
            "id": _id("indicator", kind, item.pk, observable.key),
            "created": seen,
            "modified": seen,
            "name": value,
            # Say where it comes from: the validator wants a description beside the name ({303}).
            "description": f'{observable.type} from {KIND_NAMES[kind]} "{source.name}"',
            "pattern": pattern(observable.type, value),
            "pattern_type": "stix",
            "pattern_version": "2.1",
            "valid_from": seen,
            **common,
        }
        indicators.append(indicator)
        relationships.append(_relationship("related-to", indicator, sco, seen, common))
    for indicator in indicators:
        for attack_pattern in attack_patterns:
            relationships.append(
                _relationship("indicates", indicator, attack_pattern, indicator["created"], common)
            )
    contents = indicators + referenced + attack_patterns + relationships
    report = {
        "type": "report",
        "spec_version": "2.1",
        "id": _id("report", kind, item.pk),
        "created": timestamp(source.created),
        "modified": timestamp(source.modified),
        "name": source.name,
        "report_types": ["indicator" if kind == "indicator_set" else "threat-report"],
        "published": timestamp(source.published),
        # A report must refer to something: with no observables, to its publisher.
        "object_refs": [obj["id"] for obj in contents] or [identity["id"]],
        **common,
    }
    if source.description:
        report["description"] = source.description
    objects = [markings.marking_definition(source.tlp), identity, report, *contents]
    return {
        "type": "bundle",
        "id": _id("bundle", kind, item.pk, report["modified"]),
        "objects": objects,
    }


def _relationship(relationship_type: str, source: dict, target: dict, when: str, common: dict) -> dict:
    return {
        "type": "relationship",
        "spec_version": "2.1",
        "id": _id("relationship", relationship_type, source["id"], target["id"]),
        "created": when,
        "modified": when,
        "relationship_type": relationship_type,
        "source_ref": source["id"],
        "target_ref": target["id"],
        **common,
    }


KINDS = ("alert", "case", "indicator_set")
KIND_NAMES = {"alert": "alert", "case": "failure case", "indicator_set": "indicator set"}


def export_item(kind: str, item, *, user) -> dict:
    """The bundle of an alert, case or indicator set for `user`, if the policy lets `user` read it;
    `ExportRefused` otherwise. AMBER+STRICT and RED exports are audited like any read."""
    if kind not in KINDS:
        raise ValueError(f"cannot export a {kind} as STIX")
    if not access.may_export(user, item):
        raise ExportRefused(f"{kind} #{item.pk}")
    bundle = build_bundle(kind, item)
    audit.record_read(user, item, action="export", detail="stix")
    return bundle


def export_import(source_import) -> dict:
    """The objects of an import as they came in, property for property, in their order, in a bundle with the
    original bundle's id and its other top-level properties."""
    envelope = dict(source_import.envelope or {})
    bundle = {"type": "bundle", "id": source_import.source_id or _id("bundle", "import", source_import.pk)}
    bundle.update({key: value for key, value in envelope.items() if key not in ("type", "id", "objects")})
    bundle["objects"] = list(
        StixObject.objects.filter(source_import=source_import)
        .order_by("position")
        .values_list("data", flat=True)
    )
    return bundle


def dumps(bundle: dict) -> str:
    return json.dumps(bundle, ensure_ascii=False, indent=2)
