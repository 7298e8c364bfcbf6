"""The JSON format: the whole registry, one section per kind of record, read into records
(docs/import-format.md)."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _

from ceptoar.registry.importer import text as import_text
from ceptoar.registry.importer.json_text import load_json
from ceptoar.registry.importer.problems import ImportProblem
from ceptoar.registry.importer.records import (
    ABSENT,
    SECTIONS,
    AcceptanceRecord,
    ChannelSpec,
    ContactRecord,
    Document,
    MembershipRecord,
    OrganisationRecord,
    RulesRecord,
    Source,
)

_TEXT, _OPTIONAL_TEXT, _BOOL, _INT, _LIST, _OBJECT, _DATE = (
    "text",
    "optional text",
    "bool",
    "int",
    "list",
    "object",
    "date",
)

_ORGANISATION_FIELDS = {
    "code": _TEXT,
    "name": _TEXT,
    "name_en": _TEXT,
    "kind": _TEXT,
    "sector": _OPTIONAL_TEXT,
    "parent": _OPTIONAL_TEXT,
    "postal_address": _TEXT,
    "domain": _TEXT,
    "notes": _TEXT,
    "profile": _OBJECT,
    "ministries": _LIST,
    "councils": _LIST,
}
_PROFILE_FIELDS = {
    "business_scope": _TEXT,
    "secretariat": _TEXT,
    "established_on": _DATE,
    "poc_started_on": _DATE,
    "information_shared": _TEXT,
    "communication_means": _LIST,
    "member_description": _TEXT,
    "features": _TEXT,
    "analysis_functions": _LIST,
    "map_position": _INT,
}
_MEMBERSHIP_FIELDS = {
    "ceptoar": _TEXT,
    "member": _TEXT,
    "via": _OPTIONAL_TEXT,
    "unit": _TEXT,
    "is_observer": _BOOL,
    "joined_on": _DATE,
}
_CONTACT_FIELDS = {
    "organisation": _TEXT,
    "name": _TEXT,
    "kind": _TEXT,
    "title": _TEXT,
    "role": _TEXT,
    "availability": _TEXT,
    "hours_note": _TEXT,
    "last_verified_on": _DATE,
    "position": _INT,
    "is_active": _BOOL,
    "channels": _LIST,
}
_CHANNEL_FIELDS = {"kind": _TEXT, "value": _TEXT}
_RULES_FIELDS = {"ceptoar": _TEXT, "version": _INT, "title": _TEXT, "text": _TEXT, "enacted_on": _DATE}
_ACCEPTANCE_FIELDS = {
    "organisation": _TEXT,
    "ceptoar": _TEXT,
    "version": _INT,
    "accepted_on": _DATE,
    "accepted_by_name": _TEXT,
}


def _type_error(expected: str) -> str:
    return {
        _TEXT: _("Expected text."),
        _OPTIONAL_TEXT: _("Expected text or null."),
        _BOOL: _("Expected true or false."),
        _INT: _("Expected a whole number."),
        _LIST: _("Expected a list."),
        _OBJECT: _("Expected an object with named fields."),
        _DATE: _("Expected a date as text, YYYY-MM-DD."),
    }[expected]


def _has_type(value: Any, expected: str) -> bool:
    if expected in (_TEXT, _DATE):
        # null is let through for the model to refuse in its own words ("This field cannot be null.").
        return value is None or isinstance(value, str)
    if expected == _OPTIONAL_TEXT:
        return value is None or isinstance(value, str)
    if expected == _BOOL:
        return isinstance(value, bool)
    if expected == _INT:
        return isinstance(value, int) and not isinstance(value, bool)
    if expected == _LIST:
        return isinstance(value, list)
    return isinstance(value, dict)


def _checked_fields(
    raw: Any, spec: dict[str, str], source: Source, problems: list[ImportProblem], prefix: str = ""
) -> dict[str, Any] | None:
    """The record's fields with their JSON types checked; None when the record is not an object at all."""
    if not isinstance(raw, dict):
        problems.append(source.problem(prefix.rstrip("."), _("Expected an object with named fields.")))
        return None
    values = {}
    for key, value in raw.items():
        if key not in spec:
            problems.append(source.problem(f"{prefix}{key}", _("Unknown field.")))
        elif not _has_type(value, spec[key]):
            problems.append(source.problem(f"{prefix}{key}", _type_error(spec[key])))
        else:
            values[key] = value
    return values


def _required_code(values: dict[str, Any], key: str, source: Source, problems: list[ImportProblem]) -> str:
    code = (values.pop(key, None) or "").strip()
    if not code:
        problems.append(source.problem(key, _("This field is required.")))
    return code


def _required_version(values: dict[str, Any], source: Source, problems: list[ImportProblem]) -> int | None:
    version = values.pop("version", None)
    if version is None:
        problems.append(source.problem("version", _("This field is required.")))
    return version


def _optional_code(values: dict[str, Any], key: str) -> Any:
    if key not in values:
        return ABSENT
    code = values.pop(key)
    return code.strip() or None if isinstance(code, str) else None


def parse_json(data: bytes | str | dict, encoding: str | None = None) -> Document:
    document = Document()
    problems = document.problems
    if not isinstance(data, dict):
        try:
            # JSON is UTF-8 (RFC 8259) unless the person importing names another encoding.
            data = load_json(import_text.text_of(data, encoding, shift_jis=False))
        except import_text.UnreadableText as error:
            return document.refused(error)
    if not isinstance(data, dict):
        problems.append(
            ImportProblem(
                _("The file must hold one JSON object with the sections %(sections)s.")
                % {"sections": ", ".join(SECTIONS)}
            )
        )
        return document
    try:
        import_text.refuse_too_many_records(
            sum(len(records) for records in data.values() if isinstance(records, list))
        )
    except import_text.UnreadableText as error:
        return document.refused(error)
    for key in data:
        if key not in SECTIONS:
            problems.append(
                ImportProblem(
                    _("Unknown section; the sections are %(sections)s.") % {"sections": ", ".join(SECTIONS)},
                    path=key,
                )
            )
    for section in SECTIONS:
        records = data.get(section, [])
        if not isinstance(records, list):
            problems.append(ImportProblem(_("Expected a list of records."), path=section))
            continue
        for index, raw in enumerate(records):
            source = Source(path=f"{section}[{index}]")
            _JSON_READERS[section](document, raw, source)
    return document


def _code_of(raw: Any, key: str) -> str:
    value = raw.get(key) if isinstance(raw, dict) else None
    return value.strip() if isinstance(value, str) else ""


def _read_json_organisation(document: Document, raw: Any, source: Source) -> None:
    source.code = _code_of(raw, "code")
    values = _checked_fields(raw, _ORGANISATION_FIELDS, source, document.problems)
    if values is None:
        return
    code = _required_code(values, "code", source, document.problems)
    record = OrganisationRecord(source, code, values)
    record.sector = _optional_code(values, "sector")
    record.parent = _optional_code(values, "parent")
    profile = values.pop("profile", None)
    if profile is not None:
        record.profile = (
            _checked_fields(profile, _PROFILE_FIELDS, source.nested("profile."), document.problems, prefix="")
            or {}
        )
    ministries = values.pop("ministries", None)
    if ministries is not None:
        record.ministries = []
        for i, item in enumerate(ministries):
            if not isinstance(item, str) or not item.strip():
                document.problems.append(
                    source.problem(f"ministries[{i}]", _("Expected an organisation code."))
                )
            else:
                record.ministries.append(item.strip())
    councils = values.pop("councils", None)
    if councils is not None:
        record.councils = []
        for i, item in enumerate(councils):
            if isinstance(item, str) and item.strip():
                record.councils.append((item.strip(), ABSENT, ABSENT))
            elif (
                isinstance(item, dict)
                and isinstance(item.get("code"), str)
                and item["code"].strip()
                and set(item) <= {"code", "shown_on_map", "seat"}
                and isinstance(item.get("shown_on_map", False), bool)
                and isinstance(item.get("seat", ""), str)
            ):
                seat = item.get("seat", ABSENT)
                record.councils.append((item["code"].strip(), item.get("shown_on_map", ABSENT), seat))
            else:
                document.problems.append(
                    source.problem(
                        f"councils[{i}]",
                        _(
                            'Expected a council code, or {"code": …, "shown_on_map": true or false, '
                            '"seat": "member" or "observer"}.'
                        ),
                    )
                )
    if code:
        document.organisations.append(record)


def _read_json_membership(document: Document, raw: Any, source: Source) -> None:
    source.code = _code_of(raw, "member")
    values = _checked_fields(raw, _MEMBERSHIP_FIELDS, source, document.problems)
    if values is None:
        return
    ceptoar = _required_code(values, "ceptoar", source, document.problems)
    member = _required_code(values, "member", source, document.problems)
    via = _optional_code(values, "via")
    if ceptoar and member:
        document.memberships.append(MembershipRecord(source, ceptoar, member, values, via))


def _read_json_contact(document: Document, raw: Any, source: Source) -> None:
    source.code = _code_of(raw, "organisation")
    values = _checked_fields(raw, _CONTACT_FIELDS, source, document.problems)
    if values is None:
        return
    organisation = _required_code(values, "organisation", source, document.problems)
    name = (values.get("name") or "").strip()
    if "name" in values:
        values["name"] = name
    channels = values.pop("channels", None)
    record = ContactRecord(source, organisation, name, values)
    if channels is not None:
        record.channels = []
        for i, raw_channel in enumerate(channels):
            prefix = f"channels[{i}]."
            channel = _checked_fields(raw_channel, _CHANNEL_FIELDS, source, document.problems, prefix=prefix)
            if channel is not None:
                record.channels.append(
                    ChannelSpec(
                        channel.get("kind", ""),
                        channel.get("value", ""),
                        {"kind": f"{prefix}kind", "value": f"{prefix}value"},
                    )
                )
    if organisation:
        document.contacts.append(record)


def _read_json_rules(document: Document, raw: Any, source: Source) -> None:
    source.code = _code_of(raw, "ceptoar")
    values = _checked_fields(raw, _RULES_FIELDS, source, document.problems)
    if values is None:
        return
    ceptoar = _required_code(values, "ceptoar", source, document.problems)
    version = _required_version(values, source, document.problems)
    if ceptoar and version is not None:
        document.rules.append(RulesRecord(source, ceptoar, version, values))


def _read_json_acceptance(document: Document, raw: Any, source: Source) -> None:
    source.code = _code_of(raw, "organisation")
    values = _checked_fields(raw, _ACCEPTANCE_FIELDS, source, document.problems)
    if values is None:
        return
    organisation = _required_code(values, "organisation", source, document.problems)
    ceptoar = _required_code(values, "ceptoar", source, document.problems)
    version = _required_version(values, source, document.problems)
    if organisation and ceptoar and version is not None:
        document.acceptances.append(AcceptanceRecord(source, organisation, ceptoar, version, values))


_JSON_READERS = {
    "organisations": _read_json_organisation,
    "memberships": _read_json_membership,
    "contacts": _read_json_contact,
    "rules": _read_json_rules,
    "acceptances": _read_json_acceptance,
}
