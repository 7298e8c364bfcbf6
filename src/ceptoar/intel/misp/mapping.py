"""The one table between MISP attribute types and our observable types, the TLP taxonomy both ways, and the
normalisation of a value before it is stored (so that a value from MISP and the same value from a report
share one `Observable`).

A MISP type that has no observable type here is not an error: the attribute is kept as it came, in the
import's envelope, and goes back out with the event; it just does not correlate.
"""

from __future__ import annotations

import ipaddress
import re

from ceptoar.intel import extraction
from ceptoar.intel.models import ObservableType
from ceptoar.sharing.models import TLP_RANK, Tlp

# MISP's TLP taxonomy (1.0 and 2.0 names). `tlp:white` is TLP 1.0's name of CLEAR; `tlp:ex:chr` and other
# extensions are not levels and stay plain tags.
TLP_FROM_TAG = {
    "tlp:clear": Tlp.CLEAR,
    "tlp:white": Tlp.CLEAR,
    "tlp:green": Tlp.GREEN,
    "tlp:amber": Tlp.AMBER,
    "tlp:amber+strict": Tlp.AMBER_STRICT,
    "tlp:red": Tlp.RED,
}
# Out, TLP 2.0 names only.
TAG_FROM_TLP = {
    Tlp.CLEAR: "tlp:clear",
    Tlp.GREEN: "tlp:green",
    Tlp.AMBER: "tlp:amber",
    Tlp.AMBER_STRICT: "tlp:amber+strict",
    Tlp.RED: "tlp:red",
}
# The colour tags MISP's own TLP taxonomy gives each level, so that an exported tag looks as MISP draws it.
TLP_COLOUR = {
    Tlp.CLEAR: "#ffffff",
    Tlp.GREEN: "#339900",
    Tlp.AMBER: "#ffc000",
    Tlp.AMBER_STRICT: "#ffc000",
    Tlp.RED: "#cc0033",
}

# MISP's event distribution levels, for the description of an imported set and for exports.
DISTRIBUTION_NAMES = {
    "0": "Your organisation only",
    "1": "This community only",
    "2": "Connected communities",
    "3": "All communities",
    "4": "Sharing group",
    "5": "Inherit event",
}
# Out: how far our marking lets an item go, said in MISP's words. RED and AMBER+STRICT stay within the
# receiving organisation; AMBER within its community; GREEN may go to connected communities; CLEAR anywhere.
DISTRIBUTION_FROM_TLP = {Tlp.RED: 0, Tlp.AMBER_STRICT: 0, Tlp.AMBER: 1, Tlp.GREEN: 2, Tlp.CLEAR: 3}

# What each MISP attribute type holds, as (observable type, which part of a composite value) pairs. `None`
# for the type means "decide from the value" (an IP address, v4 or v6).
IP = None
SIMPLE_TYPES: dict[str, str | None] = {
    "ip-src": IP,
    "ip-dst": IP,
    "domain": ObservableType.DOMAIN,
    "hostname": ObservableType.DOMAIN,
    "url": ObservableType.URL,
    "email": ObservableType.EMAIL,
    "email-src": ObservableType.EMAIL,
    "email-dst": ObservableType.EMAIL,
    "email-reply-to": ObservableType.EMAIL,
    "whois-registrant-email": ObservableType.EMAIL,
    "md5": ObservableType.MD5,
    "sha1": ObservableType.SHA1,
    "sha256": ObservableType.SHA256,
    "filename": ObservableType.FILE_NAME,
    "vulnerability": ObservableType.CVE,
}
# Composite types: "left|right", each half its own observable (a port is not an observable).
COMPOSITE_TYPES: dict[str, tuple[str | None | bool, str | None | bool]] = {
    "ip-src|port": (IP, False),
    "ip-dst|port": (IP, False),
    "hostname|port": (ObservableType.DOMAIN, False),
    "domain|ip": (ObservableType.DOMAIN, IP),
    "filename|md5": (ObservableType.FILE_NAME, ObservableType.MD5),
    "filename|sha1": (ObservableType.FILE_NAME, ObservableType.SHA1),
    "filename|sha256": (ObservableType.FILE_NAME, ObservableType.SHA256),
    # A sample's value is "name|md5", its file in `data`.
    "malware-sample": (ObservableType.FILE_NAME, ObservableType.MD5),
}

# Out: our type → MISP type, category and whether it is fit for an IDS by default (file names and CVE ids
# are context, not detection rules).
EXPORT_TYPES = {
    ObservableType.IPV4: ("ip-dst", "Network activity", True),
    ObservableType.IPV6: ("ip-dst", "Network activity", True),
    ObservableType.DOMAIN: ("domain", "Network activity", True),
    ObservableType.URL: ("url", "Network activity", True),
    ObservableType.EMAIL: ("email", "Payload delivery", True),
    ObservableType.MD5: ("md5", "Payload delivery", True),
    ObservableType.SHA1: ("sha1", "Payload delivery", True),
    ObservableType.SHA256: ("sha256", "Payload delivery", True),
    ObservableType.FILE_NAME: ("filename", "Payload delivery", False),
    ObservableType.CVE: ("vulnerability", "External analysis", False),
}

ATTACK_GALAXY_TAG = "misp-galaxy:mitre-attack-pattern"
ATTACK_GALAXY_TYPES = ("mitre-attack-pattern", "mitre-ics-techniques", "mitre-ics-attack-pattern")
TECHNIQUE_ID = re.compile(r"\b(T\d{4}(?:\.\d{3})?)\b")

_HEX = {ObservableType.MD5: 32, ObservableType.SHA1: 40, ObservableType.SHA256: 64}
_CVE = re.compile(r"^CVE-\d{4}-\d{4,}$", re.IGNORECASE)
_DOMAIN = re.compile(r"^(?=.{1,253}$)([a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9])?\.)+[a-z0-9-]{2,63}$")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


class BadValue(ValueError):
    """The value is not what its type says (a 31-digit MD5, an IP address that does not parse)."""


def normalise(type: str | None, value: str) -> tuple[str, str]:
    """(observable type, stored value) in the one form every writer stores (`extraction.canonical`), or
    `BadValue` saying what is wrong."""
    kind, checked = _checked(type, value)
    return kind, extraction.canonical(kind, checked)


def _checked(type: str | None, value: str) -> tuple[str, str]:
    """`type` None means an IP address or network, v4 or v6."""
    value = value.strip()
    if not value:
        raise BadValue("empty value")
    if type is None:
        try:
            network = ipaddress.ip_network(value, strict=False)
        except ValueError:
            raise BadValue(f"{value[:80]!r} is not an IP address or network") from None
        text = str(network.network_address) if network.num_addresses == 1 else str(network)
        kind = ObservableType.IPV4 if network.version == 4 else ObservableType.IPV6
        return kind, text
    if type in _HEX:
        lowered = value.lower()
        if len(lowered) != _HEX[type] or any(c not in "0123456789abcdef" for c in lowered):
            raise BadValue(f"{value[:80]!r} is not a {_HEX[type] * 4}-bit hexadecimal hash")
        return type, lowered
    if type == ObservableType.DOMAIN:
        lowered = value.lower().rstrip(".")
        if not _DOMAIN.match(lowered):
            raise BadValue(f"{value[:80]!r} is not a domain name")
        return type, lowered
    if type == ObservableType.EMAIL:
        if not _EMAIL.match(value):
            raise BadValue(f"{value[:80]!r} is not an e-mail address")
        local, _, domain = value.rpartition("@")
        return type, f"{local}@{domain.lower()}"
    if type == ObservableType.CVE:
        if not _CVE.match(value):
            raise BadValue(f"{value[:80]!r} is not a CVE id")
        return type, value.upper()
    if type == ObservableType.TECHNIQUE:
        return type, value.upper()
    return type, value


def observables_of(misp_type: str, value: str) -> list[tuple[str, str]]:
    """The observables one attribute value holds: [] for a type we do not map, `BadValue` for a value that
    is not what its mapped type says. A vulnerability that is not a CVE id (a vendor's own id) is kept, not
    refused: MISP allows any text there."""
    if misp_type in SIMPLE_TYPES:
        if misp_type == "vulnerability" and not _CVE.match(value.strip()):
            return []
        return [normalise(SIMPLE_TYPES[misp_type], value)]
    if misp_type in COMPOSITE_TYPES:
        left_type, right_type = COMPOSITE_TYPES[misp_type]
        left, separator, right = value.partition("|")
        if not separator:
            raise BadValue(f"{value[:80]!r} is not of the form left|right that {misp_type} requires")
        found = [normalise(left_type, left)]
        if right_type is not False:
            found.append(normalise(right_type, right))
        elif not right.strip().isdigit():
            raise BadValue(f"{right[:20]!r} is not a port number")
        return found
    return []


def techniques_in_tags(names: list[str]) -> list[str]:
    """ATT&CK technique ids named by galaxy tags (`misp-galaxy:mitre-attack-pattern="Name - T1059"`)."""
    found = []
    for name in names:
        if name.startswith("misp-galaxy:") and any(kind in name for kind in ATTACK_GALAXY_TYPES):
            found.extend(TECHNIQUE_ID.findall(name))
    return found


def tlp_of_tags(names: list[str]) -> Tlp | None:
    """The most restrictive TLP level the tags name (an event tagged both green and amber is amber)."""
    levels = [TLP_FROM_TAG[name.strip().lower()] for name in names if name.strip().lower() in TLP_FROM_TAG]
    return max(levels, key=TLP_RANK.__getitem__) if levels else None
