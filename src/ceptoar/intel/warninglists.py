"""Warning lists (警告リスト): values that must never correlate, because every network sees them (private and
reserved ranges, documentation ranges, public resolvers, well-known domains, the hashes of an empty file).
An observable on a list is still stored and shown, marked with the list's name; correlation skips it.

The lists are data files, one JSON object per file:

    {
      "name": "public-resolvers",              the mark stored on the observable (at most 60 characters)
      "description": "Well-known public DNS resolvers …",
      "type": "cidr",                          what "values" hold:
                                                 cidr        addresses or ranges; marks an IPv4/IPv6 address
                                                             inside one, or a range inside one
                                                 domain      domain suffixes; marks the domain and its
                                                             subdomains (example.com marks www.example.com)
                                                 url-prefix  URL beginnings; marks URLs that start so
                                                             (lowercase scheme and host, as stored)
                                                 hash        MD5, SHA-1 or SHA-256 values
      "values": ["8.8.8.8", "2606:4700:4700::1111", …]
    }

The lists shipped are in `ceptoar/intel/data/warninglists/`. An installation adds or updates lists without
code by dropping files of the same format into the folder named by `CEPTOAR_WARNING_LISTS_DIR`: a file there
whose "name" is a shipped list's replaces that list, any other adds one. After a change,
`ceptoar intel warninglists` marks the stored observables again. A broken file is skipped and named by that
command, so that a typo in one list never stops an alert from being published.
"""

from __future__ import annotations

import ipaddress
import json
import logging
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from pathlib import Path

from django.conf import settings

logger = logging.getLogger(__name__)

LIST_TYPES = ("cidr", "domain", "url-prefix", "hash")
_IP_TYPES = ("ipv4-addr", "ipv6-addr")
_HASH_TYPES = ("md5", "sha1", "sha256")


@dataclass(frozen=True)
class WarningList:
    name: str
    description: str
    type: str
    values: frozenset
    source: str


def _parse(text: str, source: str) -> WarningList:
    """One list from its file's text, or ValueError naming the file and the problem."""
    try:
        data = json.loads(text)
    except json.JSONDecodeError as error:
        raise ValueError(f"{source}: not JSON ({error.msg}, line {error.lineno}).") from None
    if not isinstance(data, dict):
        raise ValueError(f"{source}: a warning list is a JSON object with name, type and values.")
    name = data.get("name")
    if not isinstance(name, str) or not name.strip() or len(name) > 60:
        raise ValueError(f'{source}: "name" must be a text of 1 to 60 characters.')
    list_type = data.get("type")
    if list_type not in LIST_TYPES:
        raise ValueError(f'{source}: "type" is {list_type!r}; it must be one of {", ".join(LIST_TYPES)}.')
    raw_values = data.get("values")
    if not isinstance(raw_values, list) or not all(isinstance(value, str) for value in raw_values):
        raise ValueError(f'{source}: "values" must be a list of texts.')
    values: set = set()
    for position, raw in enumerate(raw_values, start=1):
        value = raw.strip().lower()
        if list_type == "cidr":
            try:
                values.add(ipaddress.ip_network(value, strict=False))
            except ValueError:
                raise ValueError(
                    f"{source}: value {position} ({raw!r}) is not an address or range."
                ) from None
        elif list_type == "domain":
            values.add(value.strip(".").removeprefix("*."))
        else:
            values.add(value)
    return WarningList(name.strip(), str(data.get("description", "")), list_type, frozenset(values), source)


def _files() -> list[tuple[str, str]]:
    """(source, text) of every list file: the shipped ones, then the installation's."""
    found: list[tuple[str, str]] = []
    shipped = resources.files("ceptoar.intel.data").joinpath("warninglists")
    for entry in sorted(shipped.iterdir(), key=lambda entry: entry.name):
        if entry.name.endswith(".json"):
            found.append((f"shipped/{entry.name}", entry.read_text(encoding="utf-8")))
    folder = getattr(settings, "CEPTOAR_WARNING_LISTS_DIR", None)
    if folder:
        for path in sorted(Path(folder).glob("*.json")):
            try:
                found.append((str(path), path.read_text(encoding="utf-8")))
            except (OSError, UnicodeDecodeError) as error:
                found.append((str(path), f"<unreadable: {error}>"))
    return found


@lru_cache(maxsize=1)
def _load() -> tuple[tuple[WarningList, ...], tuple[str, ...]]:
    lists: dict[str, WarningList] = {}
    problems: list[str] = []
    for source, text in _files():
        try:
            parsed = _parse(text, source)
        except ValueError as error:
            problems.append(str(error))
            logger.error("Warning list skipped: %s", error)
            continue
        lists[parsed.name] = parsed  # the installation's file of the same name replaces the shipped one
    return tuple(lists.values()), tuple(problems)


def lists() -> tuple[WarningList, ...]:
    return _load()[0]


def problems() -> tuple[str, ...]:
    """The list files that were skipped, each with what is wrong with it."""
    return _load()[1]


def reload() -> None:
    """Read the files again (after the installation changed them)."""
    _load.cache_clear()


def match(type: str, value: str) -> str:
    """The name of the first warning list the (normalised) value is on, or ""."""
    if type in _IP_TYPES:
        try:
            network = ipaddress.ip_network(value, strict=False)
        except ValueError:
            return ""
        for warning_list in lists():
            if warning_list.type == "cidr" and any(
                network.version == listed.version and network.subnet_of(listed)
                for listed in warning_list.values
            ):
                return warning_list.name
        return ""
    if type == "domain-name":
        labels = value.lower().strip(".").split(".")
        suffixes = {".".join(labels[index:]) for index in range(len(labels))}
        for warning_list in lists():
            if warning_list.type == "domain" and suffixes & warning_list.values:
                return warning_list.name
        return ""
    if type == "url":
        lowered = value.lower()
        for warning_list in lists():
            if warning_list.type == "url-prefix" and any(
                lowered.startswith(prefix) for prefix in warning_list.values
            ):
                return warning_list.name
        return ""
    if type in _HASH_TYPES:
        for warning_list in lists():
            if warning_list.type == "hash" and value.lower() in warning_list.values:
                return warning_list.name
    return ""
