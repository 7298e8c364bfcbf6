"""The checks a STIX bundle passes before anything of it is stored: size, JSON, the bundle's shape, and per
object its type, id, spec version, timestamps and, for indicators, the STIX pattern (stix2-patterns). Every
problem is collected, each naming the object (position and id) and what is wrong, so that the sender fixes
the whole file in one go.

Object types: the STIX 2.1 ones, custom ones named `x-…` (ATT&CK's `x-mitre-*`), and new types declared the
STIX 2.1 way (an `extensions` entry of type new-sdo, new-sco or new-sro). Anything else is unknown and
refused: a typo in a type would otherwise pass as custom content.
"""

from __future__ import annotations

import json
import re

from django.conf import settings
from django.utils.translation import gettext as _
from stix2patterns.validator import run_validator

from ceptoar.intel.problems import nul_paths

SDO_TYPES = frozenset(
    {
        "attack-pattern",
        "campaign",
        "course-of-action",
        "grouping",
        "identity",
        "incident",
        "indicator",
        "infrastructure",
        "intrusion-set",
        "location",
        "malware",
        "malware-analysis",
        "note",
        "observed-data",
        "opinion",
        "report",
        "threat-actor",
        "tool",
        "vulnerability",
    }
)
SRO_TYPES = frozenset({"relationship", "sighting"})
SCO_TYPES = frozenset(
    {
        "artifact",
        "autonomous-system",
        "directory",
        "domain-name",
        "email-addr",
        "email-message",
        "file",
        "ipv4-addr",
        "ipv6-addr",
        "mac-addr",
        "mutex",
        "network-traffic",
        "process",
        "software",
        "url",
        "user-account",
        "windows-registry-key",
        "x509-certificate",
    }
)
META_TYPES = frozenset({"marking-definition", "language-content", "extension-definition"})
NEW_TYPE_EXTENSIONS = frozenset({"new-sdo", "new-sco", "new-sro"})

TYPE_FORMAT = re.compile(r"^[a-z0-9][a-z0-9-]{1,248}[a-z0-9]$")
UUID = r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}"
ID_FORMAT = re.compile(rf"^([a-z0-9][a-z0-9-]*[a-z0-9])--{UUID}$")
TIMESTAMP = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$")

# Keep the error list readable: past this many, one line says how many more there are.
MAX_PROBLEMS = 200


def max_bytes() -> int:
    return settings.CEPTOAR_STIX_MAX_BYTES


def size_problem(size: int) -> str | None:
    limit = max_bytes()
    if size > limit:
        return _(
            "The file is %(size)s bytes, more than the %(limit)s bytes a STIX import may be "
            "(CEPTOAR_STIX_MAX_BYTES)."
        ) % {"size": f"{size:,}", "limit": f"{limit:,}"}
    return None


def parse(data: bytes) -> tuple[dict | None, list[str]]:
    """The bundle as JSON, or the problems that stop it being read at all."""
    problem = size_problem(len(data))
    if problem:
        return None, [problem]
    try:
        bundle = json.loads(data)
    except UnicodeDecodeError:
        return None, [_("The file is not text in UTF-8: a STIX bundle is JSON in UTF-8.")]
    except json.JSONDecodeError as error:
        return None, [
            _("The file is not valid JSON: %(error)s (line %(line)s, column %(column)s).")
            % {"error": error.msg, "line": error.lineno, "column": error.colno}
        ]
    if not isinstance(bundle, dict) or bundle.get("type") != "bundle":
        return None, [
            _('The file is not a STIX bundle: its top level must be an object with "type": "bundle".')
        ]
    problems = []
    bundle_id = bundle.get("id")
    if not isinstance(bundle_id, str) or not re.match(rf"^bundle--{UUID}$", bundle_id):
        problems.append(_('The bundle\'s "id" must be "bundle--" followed by a UUID.'))
    if not isinstance(bundle.get("objects"), list):
        problems.append(_('The bundle has no "objects" list.'))
        return None, problems
    return bundle, problems


def _where(position: int, obj) -> str:
    if isinstance(obj, dict) and isinstance(obj.get("id"), str):
        return _("object %(position)s (%(id)s)") % {"position": position + 1, "id": obj["id"][:120]}
    return _("object %(position)s") % {"position": position + 1}


def _declares_new_type(obj: dict) -> bool:
    extensions = obj.get("extensions")
    if not isinstance(extensions, dict):
        return False
    return any(
        isinstance(extension, dict) and extension.get("extension_type") in NEW_TYPE_EXTENSIONS
        for extension in extensions.values()
    )


def check_objects(objects: list, nul: bool = True) -> list[str]:
    """Every problem of the bundle's objects, each naming the object. `nul` False: the file was seen to hold
    no U+0000 (`problems.may_hold_nul`), so the objects need not be walked for one."""
    problems: list[str] = []
    seen: set[tuple[str, str]] = set()
    for position, obj in enumerate(objects):
        if len(problems) >= MAX_PROBLEMS:
            break
        if not isinstance(obj, dict):
            problems.append(_("%(where)s: not a JSON object.") % {"where": _where(position, obj)})
            continue
        found = _object_problems(obj)
        found.extend(
            _("%(path)s holds a NUL character (U+0000), which cannot be stored; remove it.") % {"path": path}
            for path in (nul_paths(obj) if nul else ())
        )
        key = (obj.get("id"), obj.get("modified", ""))
        if isinstance(key[0], str) and isinstance(key[1], str):
            if key in seen:
                found.append(_("the same id and version (modified) appear earlier in the bundle."))
            seen.add(key)
        if found:
            # Named only when wrong: the sound objects of a large bundle cost no translation lookups.
            where = _where(position, obj)
            problems.extend(f"{where}: {problem}" for problem in found)
    if len(problems) >= MAX_PROBLEMS:
        problems = problems[:MAX_PROBLEMS]
        problems.append(
            _("… and possibly more: the check stopped after %(count)s problems.") % {"count": MAX_PROBLEMS}
        )
    return problems


def _object_problems(obj: dict) -> list[str]:
    problems = []
    stix_type = obj.get("type")
    if not isinstance(stix_type, str) or not stix_type:
        return [_('no "type".')]
    known = (
        stix_type in SDO_TYPES or stix_type in SRO_TYPES or stix_type in SCO_TYPES or stix_type in META_TYPES
    )
    if not TYPE_FORMAT.match(stix_type):
        problems.append(
            _('invalid type "%(type)s": lower-case letters, digits and hyphens only.')
            % {"type": stix_type[:60]}
        )
    elif not known and not stix_type.startswith("x-") and not _declares_new_type(obj):
        problems.append(
            _('unknown type "%(type)s": neither STIX 2.1, nor custom ("x-…"), nor declared by an extension.')
            % {"type": stix_type[:60]}
        )
    stix_id = obj.get("id")
    if not isinstance(stix_id, str) or not stix_id:
        problems.append(_('no "id".'))
    else:
        match = ID_FORMAT.match(stix_id)
        if match is None:
            problems.append(_('invalid id "%(id)s": it must be "<type>--<UUID>".') % {"id": stix_id[:120]})
        elif match.group(1) != stix_type:
            problems.append(
                _('the id "%(id)s" does not start with the object\'s type "%(type)s".')
                % {"id": stix_id[:120], "type": stix_type[:60]}
            )
    is_sco = stix_type in SCO_TYPES
    spec_version = obj.get("spec_version")
    if spec_version is None and not is_sco:
        problems.append(_('no "spec_version": only STIX 2.1 objects are read.'))
    elif spec_version is not None and spec_version != "2.1":
        problems.append(
            _('"spec_version" is "%(version)s": only STIX 2.1 objects are read.')
            % {"version": str(spec_version)[:20]}
        )
    if not is_sco:
        # Every object but a cyber-observable has a version; a marking-definition never changes (no modified).
        required = ("created",) if stix_type == "marking-definition" else ("created", "modified")
        for name in required:
            value = obj.get(name)
            if value is None:
                problems.append(_('no "%(name)s" timestamp.') % {"name": name})
            elif not isinstance(value, str) or not TIMESTAMP.match(value):
                problems.append(
                    _('"%(name)s" is not a STIX timestamp (YYYY-MM-DDTHH:MM:SS[.sss]Z).') % {"name": name}
                )
    if stix_type == "indicator":
        problems.extend(_indicator_problems(obj))
    elif stix_type == "relationship":
        for name in ("relationship_type", "source_ref", "target_ref"):
            if not isinstance(obj.get(name), str) or not obj.get(name):
                problems.append(_('no "%(name)s".') % {"name": name})
    refs = obj.get("object_marking_refs")
    if refs is not None and (not isinstance(refs, list) or not all(isinstance(ref, str) for ref in refs)):
        problems.append(_('"object_marking_refs" must be a list of ids.'))
    return problems


def _indicator_problems(obj: dict) -> list[str]:
    problems = []
    pattern = obj.get("pattern")
    pattern_type = obj.get("pattern_type")
    if not isinstance(pattern, str) or not pattern:
        problems.append(_('an indicator needs a "pattern".'))
    if not isinstance(pattern_type, str) or not pattern_type:
        problems.append(_('an indicator needs a "pattern_type".'))
    if "valid_from" not in obj:
        problems.append(_('an indicator needs "valid_from".'))
    if isinstance(pattern, str) and pattern and pattern_type == "stix":
        errors = run_validator(pattern, stix_version="2.1")
        if errors:
            problems.append(
                _("broken STIX pattern %(pattern)s: %(error)s")
                % {"pattern": json.dumps(pattern[:200], ensure_ascii=False), "error": errors[0][:300]}
            )
    return problems
