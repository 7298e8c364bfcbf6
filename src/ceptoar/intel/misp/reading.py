"""Reading a MISP event file: every check before anything is stored, each problem naming the attribute or
object (its position, uuid and type), so that one reading says all that is wrong with a file.

What a file may hold: one event, as MISP exports it (`{"Event": {...}}`), bare (`{...}` with `info`), or the
one event of a MISP API answer (`{"response": [{"Event": {...}}]}`, or a list of one). Several events are
refused: each event becomes one indicator set, and one file is one import.

PyMISP is asked twice: each attribute alone (`MISPAttribute.from_dict`, so that its refusal names that
attribute) and the whole event (`MISPEvent.load`). Our own checks come on top: PyMISP accepts an MD5 of 31
digits, an IP address that does not parse and a duplicate uuid; we do not, for the types we map.
"""

from __future__ import annotations

import copy
import json
import uuid as uuid_module
from collections import Counter
from dataclasses import dataclass, field

from django.conf import settings

from ceptoar.intel.misp import mapping
from ceptoar.intel.problems import may_hold_nul, nul_paths
from ceptoar.sharing.models import Tlp

DEFAULT_MAX_BYTES = 50 * 1024 * 1024
# A file with more problems than this is refused with the first ones: enough to act on.
MAX_PROBLEMS = 200


@dataclass
class Observed:
    type: str
    value: str
    context: str


@dataclass
class ReadEvent:
    """A MISP event as read: the event itself (verbatim, for the way back), what we found in it, and every
    problem. Nothing is stored from a reading with problems."""

    event: dict = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)
    observables: list[Observed] = field(default_factory=list)
    counts: Counter = field(default_factory=Counter)
    tlp: Tlp | None = None
    unmapped_types: Counter = field(default_factory=Counter)

    @property
    def info(self) -> str:
        return str(self.event.get("info", ""))

    @property
    def uuid(self) -> str:
        return str(self.event.get("uuid", ""))

    @property
    def creator(self) -> str:
        org = self.event.get("Orgc") or self.event.get("Org") or {}
        return str(org.get("name", "")) if isinstance(org, dict) else ""

    @property
    def distribution(self) -> str:
        return str(self.event.get("distribution", ""))

    @property
    def attribute_count(self) -> int:
        return len(self.event.get("Attribute") or [])

    @property
    def object_count(self) -> int:
        return len(self.event.get("Object") or [])

    def problem(self, text: str) -> None:
        if len(self.problems) < MAX_PROBLEMS:
            self.problems.append(text)


def max_bytes() -> int:
    return getattr(settings, "CEPTOAR_EXCHANGE_MAX_BYTES", DEFAULT_MAX_BYTES)


def read_bytes(data: bytes) -> ReadEvent:
    """Check and read a file's bytes. Never raises on bad input: the problems are in the result."""
    read = ReadEvent()
    limit = max_bytes()
    if len(data) > limit:
        read.problem(
            f"The file is {len(data):,} bytes, above the limit of {limit:,} bytes "
            "(CEPTOAR_EXCHANGE_MAX_BYTES); nothing was read."
        )
        return read
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        read.problem(f"The file is not UTF-8 text: byte {error.start} cannot be read.")
        return read
    try:
        document = json.loads(text)
    except json.JSONDecodeError as error:
        read.problem(f"The file is not JSON: {error.msg} at line {error.lineno}, column {error.colno}.")
        return read
    event = _unwrap(document, read)
    if event is not None:
        read.event = event
        _check_event(event, read)
        if may_hold_nul(text):
            for where in nul_paths(event, "Event"):
                read.problem(f"{where}: holds a NUL character (U+0000), which cannot be stored; remove it.")
    return read


def _unwrap(document, read: ReadEvent) -> dict | None:
    if isinstance(document, dict) and "response" in document:
        document = document["response"]
    if isinstance(document, list):
        if len(document) != 1:
            read.problem(
                f"The file holds {len(document)} events; import one event per file "
                "(each event becomes one indicator set)."
            )
            return None
        document = document[0]
    if isinstance(document, dict) and "Event" in document:
        document = document["Event"]
    if not isinstance(document, dict) or not ({"info", "Attribute", "Object", "uuid"} & document.keys()):
        read.problem(
            'The file is not a MISP event: expected {"Event": {"info": …, "Attribute": […]}} '
            "or the event itself."
        )
        return None
    return document


def _is_uuid(value) -> bool:
    try:
        uuid_module.UUID(str(value))
    except ValueError:
        return False
    return True


def _tag_names(owner: dict, label: str, read: ReadEvent) -> list[str]:
    tags = owner.get("Tag") or []
    if not isinstance(tags, list):
        read.problem(f"{label}: Tag is not a list.")
        return []
    names = []
    for position, tag in enumerate(tags, 1):
        name = tag.get("name") if isinstance(tag, dict) else None
        if not isinstance(name, str) or not name.strip():
            read.problem(f"{label}: tag #{position} has no name.")
            continue
        names.append(name)
    return names


def _check_event(event: dict, read: ReadEvent) -> None:
    info = event.get("info")
    if not isinstance(info, str) or not info.strip():
        read.problem("The event has no info (its title).")
    if "uuid" in event and not _is_uuid(event["uuid"]):
        read.problem(f"The event's uuid {str(event['uuid'])[:60]!r} is not a UUID.")
    names = _tag_names(event, "The event", read)
    read.tlp = mapping.tlp_of_tags(names)
    for technique in mapping.techniques_in_tags(names):
        read.observables.append(Observed(*mapping.normalise("attack-technique", technique), "misp:event tag"))
    _check_galaxies(event, "The event", read)
    seen_uuids: dict[str, str] = {}
    attributes = event.get("Attribute") or []
    if not isinstance(attributes, list):
        read.problem("The event's Attribute is not a list.")
        attributes = []
    for position, attribute in enumerate(attributes, 1):
        _check_attribute(attribute, f"attribute #{position}", read, seen_uuids, in_object=False)
    objects = event.get("Object") or []
    if not isinstance(objects, list):
        read.problem("The event's Object is not a list.")
        objects = []
    for position, misp_object in enumerate(objects, 1):
        _check_object(misp_object, position, read, seen_uuids)
    if not read.problems:
        _ask_pymisp_event(event, read)


def _check_galaxies(owner: dict, label: str, read: ReadEvent) -> None:
    galaxies = owner.get("Galaxy") or []
    if not isinstance(galaxies, list):
        read.problem(f"{label}: Galaxy is not a list.")
        return
    for galaxy in galaxies:
        if not isinstance(galaxy, dict):
            read.problem(f"{label}: a galaxy is not an object.")
            continue
        for cluster in galaxy.get("GalaxyCluster") or []:
            if not isinstance(cluster, dict):
                continue
            kind = str(cluster.get("type") or galaxy.get("type") or "")
            if kind not in mapping.ATTACK_GALAXY_TYPES:
                continue
            meta = cluster.get("meta") if isinstance(cluster.get("meta"), dict) else {}
            ids = meta.get("external_id") or mapping.TECHNIQUE_ID.findall(str(cluster.get("value", "")))
            for technique in ids if isinstance(ids, list) else [ids]:
                if mapping.TECHNIQUE_ID.fullmatch(str(technique)):
                    read.observables.append(
                        Observed(*mapping.normalise("attack-technique", str(technique)), "misp:galaxy")
                    )


def _check_attribute(attribute, label: str, read: ReadEvent, seen_uuids: dict, *, in_object: bool) -> None:
    from pymisp import MISPAttribute

    if not isinstance(attribute, dict):
        read.problem(f"{label}: not an object.")
        return
    misp_type = attribute.get("type")
    uid = attribute.get("uuid")
    named = f"{label} (uuid {uid or 'none'}, type {misp_type!r})"
    if not isinstance(misp_type, str) or not misp_type:
        read.problem(f"{label} (uuid {uid or 'none'}): no type.")
        return
    value = attribute.get("value")
    if isinstance(value, bool) or not isinstance(value, str | int | float) or str(value).strip() == "":
        read.problem(f"{named}: no value.")
        return
    value = str(value)
    if uid is not None:
        if not _is_uuid(uid):
            read.problem(f"{named}: its uuid is not a UUID.")
        elif str(uid) in seen_uuids:
            read.problem(f"{named}: the same uuid as {seen_uuids[str(uid)]}.")
        else:
            seen_uuids[str(uid)] = label
    if in_object and not attribute.get("object_relation"):
        read.problem(f"{named}: no object_relation (what the value is to its object).")
    try:
        MISPAttribute().from_dict(**copy.deepcopy(attribute))
    except Exception as error:  # PyMISP raises several kinds; each is a refusal of this attribute.
        message = str(error)
        if "type has to be in" in message:
            message = f"{misp_type!r} is not a MISP attribute type"
        read.problem(f"{named}: PyMISP refuses it: {message[:300]}")
        return
    try:
        found = mapping.observables_of(misp_type, value)
    except mapping.BadValue as error:
        read.problem(f"{named}: {error}.")
        return
    read.counts[misp_type] += 1
    if not found and misp_type not in mapping.SIMPLE_TYPES:
        read.unmapped_types[misp_type] += 1
    context = f"misp:{uid}" if uid else f"misp:{label}"
    for kind, stored in found:
        read.observables.append(Observed(kind, stored, context[:200]))
    names = _tag_names(attribute, named, read)
    for technique in mapping.techniques_in_tags(names):
        read.observables.append(Observed(*mapping.normalise("attack-technique", technique), context[:200]))
    _check_galaxies(attribute, named, read)


def _check_object(misp_object, position: int, read: ReadEvent, seen_uuids: dict) -> None:
    if not isinstance(misp_object, dict):
        read.problem(f"object #{position}: not an object.")
        return
    name = misp_object.get("name")
    uid = misp_object.get("uuid")
    label = f"object #{position} {name!r} (uuid {uid or 'none'})"
    if not isinstance(name, str) or not name:
        read.problem(f"object #{position} (uuid {uid or 'none'}): no name.")
        return
    if uid is not None:
        if not _is_uuid(uid):
            read.problem(f"{label}: its uuid is not a UUID.")
        elif str(uid) in seen_uuids:
            read.problem(f"{label}: the same uuid as {seen_uuids[str(uid)]}.")
        else:
            seen_uuids[str(uid)] = label
    attributes = misp_object.get("Attribute") or []
    if not isinstance(attributes, list) or not attributes:
        read.problem(f"{label}: no attributes.")
        return
    read.counts[f"object:{name}"] += 1
    for index, attribute in enumerate(attributes, 1):
        _check_attribute(attribute, f"{label} attribute #{index}", read, seen_uuids, in_object=True)


def _ask_pymisp_event(event: dict, read: ReadEvent) -> None:
    from pymisp import MISPEvent

    try:
        MISPEvent().load({"Event": copy.deepcopy(event)})
    except Exception as error:  # any refusal of the whole event by PyMISP
        read.problem(f"PyMISP refuses the event: {str(error)[:300]}")
