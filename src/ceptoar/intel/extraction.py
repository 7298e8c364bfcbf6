"""Finding observables (観測値) in free text, Japanese or English: text in, typed and normalised values out.

What it finds: IPv4 and IPv6 addresses and CIDR ranges, domain names, URLs, e-mail addresses, MD5 / SHA-1 /
SHA-256 hashes, CVE ids, file names and ATT&CK technique ids. Values are stored refanged (`hxxp`, `[.]`,
`(.)`, `[dot]`, `[@]`, `[at]`, `[:]`, `fxp` …) and normalised, so that the same value written two ways is one
observable.

The decisions, so that a reader can predict the result:
- Full-width ASCII (＠ ． ： ０-９ Ａ-Ｚ …) counts as its ASCII twin; the folding is one character for one,
  so the spans returned point into the text as written.
- A name is a domain only if its last label is a real top-level domain (`data/tlds.json`, from the Public
  Suffix List): `version.txt`, `file.exe`, `report.pdf` are file names, not domains. A few extensions are also
  TLDs (`.zip`, `.py`, `.sh`, `.pl`, `.md`, `.one` …): such a name is a file name when it has two labels
  (`setup.zip`) and a domain when it has more (`cdn.example.zip`), or when it was defanged or is the host of a
  URL or e-mail address. Internationalised domains are found in their `xn--` form only; `validate` accepts the
  Unicode form and stores the `xn--` form.
- The host of a URL and the domain of an e-mail address are observables of their own too: correlation on a
  domain must find the URL that carries it.
- A dotted quad right after a word that announces a version (version, ver., firmware, build, release, rev.,
  バージョン, ファームウェア, ビルド, 版) is a version number, not an IPv4 address (`firmware 22.7.2.3`).
  Any other valid dotted quad is an address: in incident text it nearly always is one.
- A hash is hex of exactly 32, 40 or 64 characters with letters and digits both, not part of a longer run of
  letters or digits (so 65 hex characters are no SHA-256).
- A URL runs to the first space, quote, angle bracket, table bar or Japanese character; trailing punctuation
  (. , ; : ! ? 、 。 ，．) and a closing bracket without its opening one are left out (Markdown links).
  A URL without a scheme (`www.example.com/path`) gives its domain only.
- A file name ends in a known executable, script, document or archive extension; its stem may be Japanese
  (kanji, katakana) but never starts with hiragana, so `報告書は手順書.docx` gives `手順書.docx`… and the
  particle before it stays out. File names keep their case (Linux is case-sensitive).
- Known false positives, accepted: a product name that is a real name with a real TLD (`ASP.NET` gives
  the domain asp.net) and `node.js` as a file name; a dotted quad not announced as a version is an address.
- The TLD list (`data/tlds.json`) is the last label of every rule of the Public Suffix List; to update it,
  take each rule's last label (IDN labels encoded with the `idna` codec) from a newer list.
- CIDR ranges are stored canonical (`ipaddress`, host bits cleared); a /32 or /128 is the bare address.
"""

from __future__ import annotations

import ipaddress
import json
import re
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from urllib.parse import urlsplit, urlunsplit

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

# The values of `intel.models.ObservableType`, repeated here because this module sits below the models
# (text in, values out); `tests/intel/test_extraction.py` checks the two agree.
IPV4 = "ipv4-addr"
IPV6 = "ipv6-addr"
DOMAIN = "domain-name"
URL = "url"
EMAIL = "email-addr"
MD5 = "md5"
SHA1 = "sha1"
SHA256 = "sha256"
CVE = "cve"
FILE_NAME = "file-name"
TECHNIQUE = "attack-technique"
TYPES = (IPV4, IPV6, DOMAIN, URL, EMAIL, MD5, SHA1, SHA256, CVE, FILE_NAME, TECHNIQUE)


@dataclass
class Found:
    """One value found: its type, its normalised value, where it stands in the text (start, end) and whether
    it was written defanged at least once."""

    type: str
    value: str
    spans: list[tuple[int, int]] = field(default_factory=list)
    defanged: bool = False


@lru_cache(maxsize=1)
def top_level_domains() -> frozenset[str]:
    raw = resources.files("ceptoar.intel.data").joinpath("tlds.json").read_text(encoding="utf-8")
    return frozenset(json.loads(raw)["tlds"])


# Extensions a file name may end in. Those that are also top-level domains are decided by the rule above.
_EXTENSION_WORDS = """exe dll sys scr cpl ocx drv bat cmd ps1 psm1 vbs vbe js jse wsf wsh hta lnk msi msp msc jar
    apk elf bin so dylib ko py pyc pl sh bash php asp aspx jsp cgi rb lua doc docx docm dot dotm xls xlsx xlsm
    xlsb ppt pptx pptm rtf pdf one txt csv log xml json yaml yml html htm mht eml msg iso img vhd vhdx zip rar
    7z gz tgz tar bz2 xz cab dmg pkg deb rpm chm reg inf tmp dat cfg ini conf md"""
FILE_EXTENSIONS = frozenset(_EXTENSION_WORDS.split())
AMBIGUOUS_EXTENSIONS = frozenset(
    ext for ext in FILE_EXTENSIONS if ext in {"zip", "py", "sh", "pl", "md", "one", "so", "cab", "ps"}
)

# -- folding and refanging, with a map back to the text as written --

_FULL_WIDTH = {code: code - 0xFEE0 for code in range(0xFF01, 0xFF5F)}
_FULL_WIDTH[0x3000] = 0x20  # ideographic space

_DEFANGS = re.compile(
    r"""(?P<dot>\s?\[dot\]\s?|[\[({]\.[\])}]|[({]dot[)}])
      | (?P<at>\s?\[at\]\s?|[\[({]@[\])}]|\{at\})
      | (?P<colon>\[:\](?://)?|\[://\])
      | (?P<slash>\[/\])
      | (?P<scheme>\bhxxp(?P<s>s?)(?=\[?:|://))
      | (?P<ftp>\bfxp(?=\[?:|://))
    """,
    re.VERBOSE | re.IGNORECASE,
)


def _refang(text: str) -> tuple[str, list[int], list[int], list[bool]]:
    """The text folded and refanged, and for each of its characters the start and end in the text as
    written and whether it came from a defanged form."""
    folded = text.translate(_FULL_WIDTH)
    out: list[str] = []
    starts: list[int] = []
    ends: list[int] = []
    fanged: list[bool] = []
    position = 0
    for match in _DEFANGS.finditer(folded):
        kind = next(name for name in ("dot", "at", "colon", "slash", "scheme", "ftp") if match.group(name))
        original = match.group(0)
        before = folded[match.start() - 1 : match.start()]
        after = folded[match.end() : match.end() + 1]
        if (original[0].isspace() and not before.isalnum()) or (
            original[-1].isspace() and not after.isalnum()
        ):
            # "[dot]" with spaces around counts only when it joins two words ("example [dot] com").
            continue
        replacement = {
            "dot": ".",
            "at": "@",
            "slash": "/",
            "ftp": "ftp",
        }.get(kind)
        if kind == "colon":
            replacement = "://" if "//" in original else ":"
        elif kind == "scheme":
            replacement = "http" + (match.group("s") or "")
        for index in range(position, match.start()):
            out.append(folded[index])
            starts.append(index)
            ends.append(index + 1)
            fanged.append(False)
        for character in replacement:
            out.append(character)
            starts.append(match.start())
            ends.append(match.end())
            fanged.append(True)
        position = match.end()
    for index in range(position, len(folded)):
        out.append(folded[index])
        starts.append(index)
        ends.append(index + 1)
        fanged.append(False)
    return "".join(out), starts, ends, fanged


# -- the patterns, over the refanged text --

_OCTET = r"(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)"
_IPV4 = re.compile(
    rf"(?<![A-Za-z0-9.])(?:{_OCTET}\.){{3}}{_OCTET}(?:/(?:3[0-2]|[12]?\d)(?!\d))?(?![0-9])(?!\.\d)"
)
_IPV6 = re.compile(
    r"(?<![A-Za-z0-9:.])(?:[0-9A-Fa-f]{0,4}:){2,7}(?:(?:\d{1,3}\.){3}\d{1,3}|[0-9A-Fa-f]{0,4})"
    r"(?:/\d{1,3}(?!\d))?(?![A-Za-z0-9:])"
)
_VERSION_BEFORE = re.compile(
    r"(?:version|ver\.?|firmware|build|release|rev\.?|バージョン|ファームウェア|ビルド|版)[\s:=はがをの]{0,4}$",
    re.IGNORECASE,
)
_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
_DOMAIN = re.compile(
    rf"(?<![A-Za-z0-9_.@-])((?:{_LABEL}\.)+[A-Za-z][A-Za-z0-9-]{{1,62}})(?![A-Za-z0-9_@-])(?!\.[A-Za-z0-9])"
)
_EMAIL = re.compile(
    rf"(?<![A-Za-z0-9._%+-])([A-Za-z0-9._%+-]{{1,64}})@((?:{_LABEL}\.)+[A-Za-z][A-Za-z0-9-]{{1,62}})(?![A-Za-z0-9_-])"
)
_URL = re.compile(
    r"(?<![A-Za-z0-9])(?:https?|ftps?|sftp)://[^\s<>\"'`|\u3000-\u30ff\u3400-\u9fff\uff00-\uffef]+",
    re.IGNORECASE,
)
_HASH = re.compile(r"(?<![0-9A-Za-z])[0-9A-Fa-f]{32,64}(?![0-9A-Za-z])")
_CVE = re.compile(r"(?<![A-Za-z0-9])CVE[-‐‑–—_ ]?(\d{4})[-‐‑–—_](\d{4,7})(?![0-9])", re.IGNORECASE)
# Analysts type ids in lower case in chat ("t1204.002"); stored upper-case.
_TECHNIQUE = re.compile(r"(?<![A-Za-z0-9])T(08\d\d|1\d{3})(?:\.(\d{3}))?(?![0-9A-Za-z])", re.IGNORECASE)
# Katakana letters and ー, not the middle dot ・ that bullets a list line.
_STEM = r"[A-Za-z0-9_\-.\u30a1-\u30fa\u30fc-\u30ff\u3400-\u9fff々]"
_FILE = re.compile(
    rf"(?<!{_STEM})({_STEM}*[A-Za-z0-9_\u30a1-\u30fa\u30fc-\u30ff\u3400-\u9fff々-])\.({'|'.join(sorted(FILE_EXTENSIONS, key=len, reverse=True))})(?![A-Za-z0-9_-])",
    re.IGNORECASE,
)
_TRAILING = ".,;:!?'\"*_~、。，．"
_BRACKETS = {")": "(", "]": "[", "}": "{"}
_HASH_TYPES = {32: MD5, 40: SHA1, 64: SHA256}


def _trim_url(url: str) -> str:
    while url:
        last = url[-1]
        if last in _TRAILING or (last in _BRACKETS and url.count(last) > url.count(_BRACKETS[last])):
            url = url[:-1]
        else:
            break
    return url


def _domain_or_none(name: str, *, decided: bool = False) -> str | None:
    """The name lowercased if it is a domain: real TLD, and (unless `decided`, as for a URL's host or a
    defanged name) not a two-label file name like `setup.zip`."""
    name = name.lower().rstrip(".")
    labels = name.split(".")
    if len(labels) < 2 or labels[-1] not in top_level_domains():
        return None
    if not decided and labels[-1] in FILE_EXTENSIONS and len(labels) == 2:
        return None
    if any(not re.fullmatch(_LABEL, label) for label in labels):
        return None
    return name


def _ip(value: str, version: int) -> str | None:
    try:
        network = ipaddress.ip_network(value, strict=False) if "/" in value else None
        address = None if network else ipaddress.ip_address(value)
    except ValueError:
        return None
    found = network or address
    if found.version != version:
        return None
    if network is not None and network.prefixlen == network.max_prefixlen:
        return str(network.network_address)
    return str(found.compressed if address is not None else network.compressed)


def _url(raw: str) -> str | None:
    try:
        parts = urlsplit(raw)
        host = parts.hostname
        parts.port  # noqa: B018 — raises on a port that is not a number
    except ValueError:
        return None
    if not host:
        return None
    if host.startswith("[") or ":" in host:
        if _ip(host.strip("[]"), 6) is None:
            return None
    elif _ip(host, 4) is None and not all(
        re.fullmatch(_LABEL, label) for label in host.rstrip(".").split(".")
    ):
        # With a scheme in front, any well-formed host name is a host: closed networks name theirs under
        # `.local` or a single label, and advisories under `.example`; the TLD list only keeps running text's
        # file names from reading as domains.
        return None
    netloc = parts.netloc
    userinfo, _sep, hostport = netloc.rpartition("@")
    netloc = (userinfo + "@" if _sep else "") + hostport.lower()
    return urlunsplit((parts.scheme.lower(), netloc, parts.path or "/", parts.query, parts.fragment))


def extract(text: str) -> list[Found]:
    """Every observable in `text`, once per (type, value), in the order first found."""
    if not text:
        return []
    refanged, starts, ends, fanged = _refang(text)
    found: dict[tuple[str, str], Found] = {}

    def add(type_: str, value: str | None, start: int, end: int) -> None:
        if value is None or end <= start:
            return
        item = found.setdefault((type_, value), Found(type_, value))
        span = (starts[start], ends[end - 1])
        if span not in item.spans:
            item.spans.append(span)
        item.defanged = item.defanged or any(fanged[start:end])

    for match in _URL.finditer(refanged):
        raw = _trim_url(match.group(0))
        add(URL, _url(raw), match.start(), match.start() + len(raw))
    for match in _EMAIL.finditer(refanged):
        domain = _domain_or_none(match.group(2), decided=True)
        local = match.group(1).strip(".")
        if domain and local:
            add(EMAIL, f"{local.lower()}@{domain}", match.start(), match.end())
            add(DOMAIN, domain, match.start(2), match.end(2))
    for match in _IPV4.finditer(refanged):
        if _VERSION_BEFORE.search(refanged[max(0, match.start() - 20) : match.start()]):
            continue
        add(IPV4, _ip(match.group(0), 4), match.start(), match.end())
    for match in _IPV6.finditer(refanged):
        candidate = match.group(0)
        if candidate.count(":") < 2 or not re.search(r"[0-9A-Fa-f]", candidate):
            continue
        add(IPV6, _ip(candidate, 6), match.start(), match.end())
    for match in _DOMAIN.finditer(refanged):
        name = match.group(1)
        last = name.rsplit(".", 1)[-1]
        if last[0].isupper() and last[1:].islower() and not name[0].isupper():
            continue  # "system.Info": two words run together, not a domain
        decided = any(fanged[match.start() : match.end()])
        add(DOMAIN, _domain_or_none(name, decided=decided), match.start(), match.end())
    for match in _FILE.finditer(refanged):
        extension = match.group(2).lower()
        name = match.group(0)
        if (
            extension in AMBIGUOUS_EXTENSIONS
            and (name.count(".") > 1 or any(fanged[match.start() : match.end()]))
            and _domain_or_none(name, decided=True)
        ):
            continue  # cdn.example.zip: a domain
        if name.startswith(("-", ".")):
            continue
        add(FILE_NAME, name, match.start(), match.end())
    for match in _HASH.finditer(refanged):
        value = match.group(0)
        type_ = _HASH_TYPES.get(len(value))
        if type_ and re.search(r"[a-fA-F]", value) and re.search(r"\d", value):
            add(type_, value.lower(), match.start(), match.end())
    for match in _CVE.finditer(refanged):
        add(CVE, f"CVE-{match.group(1)}-{match.group(2)}", match.start(), match.end())
    for match in _TECHNIQUE.finditer(refanged):
        value = f"T{match.group(1)}" + (f".{match.group(2)}" if match.group(2) else "")
        add(TECHNIQUE, value, match.start(), match.end())
    return sorted(found.values(), key=lambda item: item.spans[0])


# -- one value typed by hand --


def validate(type: str, value: str) -> str:
    """The value normalised as extraction would store it, or ValueError saying what is wrong with it."""
    if type not in TYPES:
        raise ValueError(_("“%(type)s” is not a type of observable.") % {"type": type})
    raw = (value or "").strip()
    if not raw:
        raise ValueError(_("The value is empty."))
    refanged = _refang(raw)[0].strip().rstrip(_TRAILING)
    normalised = _normalise(type, refanged)
    if normalised is None:
        raise ValueError(_PROBLEMS[type] % {"value": raw[:200]})
    return normalised


def canonical(type: str, value: str) -> str:
    """The value as every writer of observables stores it — extraction, values typed by hand, STIX and MISP
    imports — so that one value always has one key and correlates wherever it came from. A value `validate`
    does not accept (a domain under a TLD this installation does not know, such as `.local`) is kept as
    given, stripped: an import must not lose what its source said."""
    try:
        return validate(type, value)
    except ValueError:
        return (value or "").strip()


def _normalise(type: str, value: str) -> str | None:
    if type in (IPV4, IPV6):
        return _ip(value, 4 if type == IPV4 else 6)
    if type == DOMAIN:
        try:
            ascii_name = value.rstrip(".").encode("idna").decode("ascii")
        except UnicodeError:
            return None
        return _domain_or_none(ascii_name, decided=True)
    if type == URL:
        return _url(value) if _URL.fullmatch(value) else None
    if type == EMAIL:
        match = _EMAIL.fullmatch(value)
        domain = _domain_or_none(match.group(2), decided=True) if match else None
        return f"{match.group(1).lower()}@{domain}" if domain else None
    if type in (MD5, SHA1, SHA256):
        expected = {MD5: 32, SHA1: 40, SHA256: 64}[type]
        return value.lower() if re.fullmatch(rf"[0-9A-Fa-f]{{{expected}}}", value) else None
    if type == CVE:
        match = _CVE.fullmatch(value)
        return f"CVE-{match.group(1)}-{match.group(2)}" if match else None
    if type == TECHNIQUE:
        match = _TECHNIQUE.fullmatch(value.upper())
        return (f"T{match.group(1)}" + (f".{match.group(2)}" if match.group(2) else "")) if match else None
    # A file name typed by hand: any name without a folder, whatever its extension.
    if len(value) > 255 or re.search(r"[/\\\x00-\x1f]", value):
        return None
    return value


_PROBLEMS = {
    IPV4: gettext_lazy("“%(value)s” is not an IPv4 address or range (e.g. 192.0.2.10 or 192.0.2.0/24)."),
    IPV6: gettext_lazy("“%(value)s” is not an IPv6 address or range (e.g. 2001:db8::1 or 2001:db8::/32)."),
    DOMAIN: gettext_lazy(
        "“%(value)s” is not a domain name with a real top-level domain (e.g. example.co.jp)."
    ),
    URL: gettext_lazy(
        "“%(value)s” is not a URL with http, https or ftp and a valid host (e.g. https://example.com/path)."
    ),
    EMAIL: gettext_lazy("“%(value)s” is not an e-mail address with a valid domain (e.g. soc@example.co.jp)."),
    MD5: gettext_lazy("“%(value)s” is not an MD5 hash (32 hexadecimal characters)."),
    SHA1: gettext_lazy("“%(value)s” is not a SHA-1 hash (40 hexadecimal characters)."),
    SHA256: gettext_lazy("“%(value)s” is not a SHA-256 hash (64 hexadecimal characters)."),
    CVE: gettext_lazy("“%(value)s” is not a CVE id (CVE-YYYY-NNNN)."),
    FILE_NAME: gettext_lazy("“%(value)s” is not a file name (no folder, at most 255 characters)."),
    TECHNIQUE: gettext_lazy(
        "“%(value)s” is not an ATT&CK technique id (T0800–T0899 for ICS, T1xxx or T1xxx.yyy)."
    ),
}
