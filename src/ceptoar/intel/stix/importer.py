"""STIX 2.1 bundles in: checked whole (`checks`), then stored whole in one transaction, or not at all.

Every object is kept verbatim as a `StixObject` row (custom types and `x_…` properties included), with its
TLP read from its markings (`markings`); the import's provenance is an `ExchangeImport` (file, SHA-256, bundle
id, the name of the identity most objects say created them, who imported it). Beside the verbatim copy:

- `attack-pattern` objects with an ATT&CK id (T0886, T1059.001) become or update `Technique` rows, so that
  reports and cases can be tagged with them (`intel.services.techniques`);
- the values of indicators' STIX patterns (simple comparisons `type:property = 'value'`), of the SCOs we
  have observable types for, and the CVE ids of vulnerabilities become observables, sighted on an
  `IndicatorSet` made for the import: a draft of the importing organisation, with the most restrictive TLP
  of the objects (AMBER when none is marked) and an empty audience until someone shares it. Without an
  importing organisation there is no set. Warning lists are not applied here: the observables are stored
  with an empty `warning_list`, for `intel.warninglists` to mark.

Everything is written with bulk inserts, a fixed number of queries whatever the bundle's size.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections import Counter
from pathlib import Path

from django.db import connection, transaction
from django.utils import timezone
from stix2patterns.pattern import Pattern

from ceptoar.intel import extraction
from ceptoar.intel.index import observable_ids
from ceptoar.intel.models import (
    ExchangeFormat,
    ExchangeImport,
    IndicatorSet,
    IndicatorSetStatus,
    ObservableType,
    Sighting,
    SightingSource,
    StixObject,
    Technique,
    observable_key,
)
from ceptoar.intel.problems import ImportRefused, may_hold_nul
from ceptoar.intel.stix import checks, markings
from ceptoar.sharing.models import Audience

ATTACK_SOURCES = ("mitre-attack", "mitre-ics-attack", "mitre-mobile-attack")
ATTACK_ID = re.compile(r"^T\d{4}(\.\d{3})?$")

# (pattern object type, property path) -> observable type
PATTERN_TYPES = {
    ("ipv4-addr", ("value",)): ObservableType.IPV4,
    ("ipv6-addr", ("value",)): ObservableType.IPV6,
    ("domain-name", ("value",)): ObservableType.DOMAIN,
    ("url", ("value",)): ObservableType.URL,
    ("email-addr", ("value",)): ObservableType.EMAIL,
    ("file", ("hashes", "MD5")): ObservableType.MD5,
    ("file", ("hashes", "SHA-1")): ObservableType.SHA1,
    ("file", ("hashes", "SHA-256")): ObservableType.SHA256,
    ("file", ("name",)): ObservableType.FILE_NAME,
}
VALUE_SCOS = {
    "ipv4-addr": ObservableType.IPV4,
    "ipv6-addr": ObservableType.IPV6,
    "domain-name": ObservableType.DOMAIN,
    "url": ObservableType.URL,
    "email-addr": ObservableType.EMAIL,
}
HASH_TYPES = {"MD5": ObservableType.MD5, "SHA-1": ObservableType.SHA1, "SHA-256": ObservableType.SHA256}
# Values as the observables store them: hashes and domains in lower case.
LOWERED = frozenset({ObservableType.MD5, ObservableType.SHA1, ObservableType.SHA256, ObservableType.DOMAIN})


def read_source(path_or_bytes) -> tuple[bytes, str]:
    """The file's bytes and name; a file too large is refused before it is read."""
    if isinstance(path_or_bytes, bytes | bytearray | memoryview):
        return bytes(path_or_bytes), ""
    path = Path(path_or_bytes)
    problem = checks.size_problem(path.stat().st_size)
    if problem:
        raise ImportRefused([problem])
    return path.read_bytes(), path.name


def check_bundle(data: bytes) -> dict:
    """The bundle, checked whole; `ImportRefused` with every problem found otherwise."""
    bundle, problems = checks.parse(data)
    if bundle is not None:
        problems += checks.check_objects(bundle["objects"], nul=may_hold_nul(data))
    if problems:
        raise ImportRefused(problems)
    return bundle


def _literal(text: str) -> str | None:
    # A pattern's string literal: quoted, with \' and \\ escaped.
    if len(text) >= 2 and text[0] == "'" and text[-1] == "'":
        return re.sub(r"\\(.)", r"\1", text[1:-1])
    return None


def pattern_values(pattern: str) -> list[tuple[str, str]]:
    """The (observable type, value) pairs a STIX pattern compares with `=`."""
    found = []
    for object_type, comparisons in Pattern(pattern).inspect().comparisons.items():
        for path, operator, literal in comparisons:
            kind = PATTERN_TYPES.get((object_type, tuple(path)))
            value = _literal(literal) if isinstance(literal, str) else None
            if kind is not None and operator == "=" and value:
                found.append((kind, value))
    return found


def sco_values(obj: dict) -> list[tuple[str, str]]:
    kind = VALUE_SCOS.get(obj["type"])
    if kind is not None and isinstance(obj.get("value"), str):
        return [(kind, obj["value"])]
    found = []
    if obj["type"] == "file":
        hashes = obj.get("hashes")
        if isinstance(hashes, dict):
            found += [(HASH_TYPES[name], value) for name, value in hashes.items() if name in HASH_TYPES]
        if isinstance(obj.get("name"), str):
            found.append((ObservableType.FILE_NAME, obj["name"]))
    return found


CVE_ID = re.compile(r"^CVE-\d{4}-\d{4,}$", re.IGNORECASE)


def cve_values(obj: dict) -> list[tuple[str, str]]:
    """A vulnerability's CVE id, from its external references (source "cve")."""
    return [
        (ObservableType.CVE, str(reference["external_id"]).upper())
        for reference in obj.get("external_references") or ()
        if isinstance(reference, dict)
        and reference.get("source_name") == "cve"
        and CVE_ID.match(str(reference.get("external_id", "")))
    ]


def _technique(obj: dict, source_import: ExchangeImport) -> Technique | None:
    for reference in obj.get("external_references") or ():
        if (
            isinstance(reference, dict)
            and reference.get("source_name") in ATTACK_SOURCES
            and ATTACK_ID.match(str(reference.get("external_id", "")))
        ):
            domains = obj.get("x_mitre_domains") or [reference["source_name"]]
            return Technique(
                external_id=reference["external_id"],
                name=str(obj.get("name", ""))[:300],
                domain=str(domains[0])[:50],
                tactics=[
                    phase.get("phase_name")
                    for phase in obj.get("kill_chain_phases") or ()
                    if isinstance(phase, dict)
                ],
                stix_id=obj["id"],
                url=str(reference.get("url", ""))[:200],
                deprecated=bool(obj.get("revoked") or obj.get("x_mitre_deprecated")),
                source_import=source_import,
            )
    return None


def _source_name(objects: list[dict]) -> str:
    identities = {obj["id"]: obj for obj in objects if obj["type"] == "identity"}
    creators = Counter(
        obj.get("created_by_ref") for obj in objects if obj.get("created_by_ref") in identities
    )
    if not creators:
        return ""
    return str(identities[creators.most_common(1)[0][0]].get("name", ""))[:300]


def import_bundle(path_or_bytes, *, organisation=None, user=None, file_name: str = "") -> ExchangeImport:
    """Check and store a STIX 2.1 bundle (a path, or the file's bytes). All or nothing: `ImportRefused`
    names every problem and nothing is stored."""
    data, name = read_source(path_or_bytes)
    bundle = check_bundle(data)
    objects = bundle["objects"]
    if organisation is None and user is not None:
        organisation = user.organisation
    reader = markings.MarkingReader(
        {obj["id"]: obj for obj in objects if obj["type"] == "marking-definition"}
    )
    tlps = [reader.tlp_of_refs(obj.get("object_marking_refs")) for obj in objects]
    values = _observable_values(objects)

    with transaction.atomic():
        source_import = ExchangeImport.objects.create(
            format=ExchangeFormat.STIX,
            file_name=(file_name or name)[:300],
            sha256=hashlib.sha256(data).hexdigest(),
            source_id=bundle["id"],
            source_name=_source_name(objects),
            organisation=organisation,
            imported_by=user,
            object_count=len(objects),
            envelope={key: value for key, value in bundle.items() if key not in ("type", "id", "objects")},
        )
        _insert_objects(
            [
                (
                    source_import.pk,
                    position,
                    obj["id"],
                    obj["type"],
                    str(obj.get("modified") or obj.get("created") or "")[:40],
                    tlp,
                    obj,
                )
                for position, (obj, tlp) in enumerate(zip(objects, tlps, strict=True))
            ]
        )
        _store_techniques(objects, source_import)
        if organisation is not None and values:
            _store_indicator_set(source_import, bundle, objects, tlps, values, organisation, user)
    return source_import


OBJECT_COLUMNS = ("source_import", "position", "stix_id", "type", "modified", "tlp", "data")


def _insert_objects(rows: list[tuple]) -> None:
    """The verbatim rows, in the import's transaction. On PostgreSQL through COPY: Django's bulk insert
    sends each column as an array literal, and escaping 3.5 MB of JSON into one in Python took longer than
    all the rest of the import (the ATT&CK bundle: 0.6 s of 1.0 s); COPY formats rows in psycopg's C code."""
    meta = StixObject._meta
    if connection.vendor != "postgresql":
        names = [meta.get_field(name).attname for name in OBJECT_COLUMNS]
        StixObject.objects.bulk_create(
            [StixObject(**dict(zip(names, row, strict=True))) for row in rows], batch_size=500
        )
        return
    columns = ", ".join(connection.ops.quote_name(meta.get_field(name).column) for name in OBJECT_COLUMNS)
    statement = f"COPY {connection.ops.quote_name(meta.db_table)} ({columns}) FROM STDIN"
    with connection.cursor() as cursor, cursor.cursor.copy(statement) as copy:
        for *fields, data in rows:
            copy.write_row((*fields, json.dumps(data, ensure_ascii=False)))


def _observable_values(objects: list[dict]) -> dict[str, tuple[str, str, str]]:
    """key -> (type, value, the id of the first object that carries it)."""
    values: dict[str, tuple[str, str, str]] = {}
    for obj in objects:
        if obj["type"] == "indicator" and obj.get("pattern_type") == "stix":
            pairs = pattern_values(obj["pattern"])
        elif obj["type"] in VALUE_SCOS or obj["type"] == "file":
            pairs = sco_values(obj)
        elif obj["type"] == "vulnerability":
            pairs = cve_values(obj)
        else:
            continue
        for kind, value in pairs:
            value = extraction.canonical(kind, value.strip().lower() if kind in LOWERED else value)
            if value:
                values.setdefault(observable_key(kind, value), (kind, value, obj["id"]))
    return values


def _store_techniques(objects: list[dict], source_import: ExchangeImport) -> None:
    found: dict[str, Technique] = {}
    for obj in objects:
        if obj["type"] != "attack-pattern":
            continue
        technique = _technique(obj, source_import)
        if technique is None:
            continue
        # A bundle may hold a revoked technique beside the one replacing it under the same id: the live one wins.
        earlier = found.get(technique.external_id)
        if earlier is None or (earlier.deprecated and not technique.deprecated):
            found[technique.external_id] = technique
    if not found:
        return
    existing = {t.external_id: t for t in Technique.objects.filter(external_id__in=list(found))}
    # Only what changed is rewritten (an UPDATE … CASE per field costs more than the rest of the import);
    # all of them now come from this import, in one UPDATE.
    fields = ["name", "domain", "tactics", "stix_id", "url", "deprecated"]
    changed = []
    for external_id, technique in found.items():
        current = existing.get(external_id)
        if current is not None and any(getattr(current, f) != getattr(technique, f) for f in fields):
            for field in fields:
                setattr(current, field, getattr(technique, field))
            changed.append(current)
    if changed:
        Technique.objects.bulk_update(changed, fields, batch_size=500)
    if existing:
        Technique.objects.filter(external_id__in=list(existing)).update(source_import=source_import)
    Technique.objects.bulk_create([t for key, t in found.items() if key not in existing], batch_size=500)


def _store_indicator_set(source_import, bundle, objects, tlps, values, organisation, user) -> IndicatorSet:
    reports = [obj for obj in objects if obj["type"] in ("report", "grouping") and obj.get("name")]
    title = str(reports[0]["name"]) if len(reports) == 1 else ""
    indicator_set = IndicatorSet.objects.create(
        title=(title or f"STIX {source_import.file_name or bundle['id']}")[:300],
        description=str(reports[0].get("description", "")) if len(reports) == 1 else "",
        tlp=markings.most_restrictive(tlps) or markings.DEFAULT_TLP,
        audience=Audience.objects.create(),
        origin_organisation=organisation,
        author=user,
        status=IndicatorSetStatus.DRAFT,
        source_import=source_import,
    )
    known = observable_ids((kind, value) for kind, value, _origin in values.values())
    now = timezone.now()
    Sighting.objects.bulk_create(
        [
            Sighting(
                observable_id=known[key],
                indicator_set=indicator_set,
                organisation=organisation,
                sector_id=organisation.sector_id,
                seen_at=now,
                source=SightingSource.IMPORTED,
                context=f"stix:{origin}"[:200],
                added_by=user,
            )
            for key, (_kind, _value, origin) in values.items()
        ],
        batch_size=500,
    )
    return indicator_set


def preview(data: bytes) -> dict:
    """What importing `data` would store, for the page that asks before storing: objects by type, objects by
    TLP, the values that would become observables, the ATT&CK techniques, the creating identity. Checked
    whole first (`ImportRefused` otherwise); nothing is written."""
    bundle = check_bundle(data)
    objects = bundle["objects"]
    reader = markings.MarkingReader(
        {obj["id"]: obj for obj in objects if obj["type"] == "marking-definition"}
    )
    tlps = Counter(reader.tlp_of_refs(obj.get("object_marking_refs")) for obj in objects)
    techniques = {
        technique.external_id
        for obj in objects
        if obj["type"] == "attack-pattern" and (technique := _technique(obj, None)) is not None
    }
    return {
        "bundle_id": bundle["id"],
        "objects": len(objects),
        "by_type": sorted(
            Counter(obj["type"] for obj in objects).items(), key=lambda pair: (-pair[1], pair[0])
        ),
        "by_tlp": [(tlp, count) for tlp, count in sorted(tlps.items(), key=lambda pair: pair[0])],
        "set_tlp": markings.most_restrictive(tlps) or markings.DEFAULT_TLP,
        "observables": len(_observable_values(objects)),
        "techniques": len(techniques),
        "source_name": _source_name(objects),
        "marking_definitions": [
            (obj["id"], obj.get("name", ""), reader.by_id.get(obj["id"]) or "")
            for obj in objects
            if obj["type"] == "marking-definition"
        ],
    }
