"""Pattern detectors: e-mail addresses, phone and FAX numbers, postal addresses, IP addresses, URLs, domains
and internal host names. Each returns candidates; the engine chooses among overlapping ones.

What is shared on purpose stays: public IP addresses, public domains and URLs (an attacker's server, a
vendor's advisory, JVN, NVD) and CVE identifiers are indicators a failure case exists to pass on. They
come back as `keep` candidates, which protect their text from the looser detectors (a host-name-like
word inside an advisory URL is not a host of the reporter) and are never redacted themselves.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterator
from dataclasses import dataclass

from ceptoar.reports.anonymisation.lexicon import Lexicon

KEEP = "keep"


@dataclass(frozen=True)
class Candidate:
    start: int
    end: int
    kind: str
    identity: str
    priority: int  # breaks ties between overlapping candidates of equal length: higher wins


# -- e-mail -------------------------------------------------------------------------------------------
_EMAIL = re.compile(
    r"(?<![A-Za-z0-9._%+-])[A-Za-z0-9._%+-]+@(?:[A-Za-z0-9-]+\.)+[A-Za-z]{2,}(?![A-Za-z0-9-])"
)


def find_emails(text: str) -> Iterator[Candidate]:
    # Every address is redacted, a phishing sender's too: it is often a real, spoofed person's address,
    # and indicators belong in the report's structured indicator list, not in its narrative.
    for match in _EMAIL.finditer(text):
        yield Candidate(match.start(), match.end(), "email", match.group().lower(), 9)


# -- phone and FAX numbers ----------------------------------------------------------------------------
_DASH = r"\-‐‑–—―−ー"
_PHONE = re.compile(
    rf"""(?<![\w+{_DASH}.])(?:
        \+\d{{1,3}}[{_DASH}\s]?\(?\d{{1,4}}\)?[{_DASH}\s]?\d{{1,4}}[{_DASH}\s]?\d{{3,8}}
      | \(0\d{{1,4}}\)\s?\d{{1,4}}[{_DASH}]?\d{{3,4}}
      | 0\d{{1,4}}[{_DASH}\s(]\d{{1,4}}[{_DASH}\s)]\d{{3,4}}
      | 0\d{{9,10}}
    )(?![\w{_DASH}]|\.\d)""",
    re.VERBOSE,
)


def find_phones(text: str) -> Iterator[Candidate]:
    for match in _PHONE.finditer(text):
        digits = re.sub(r"\D", "", match.group())
        international = match.group().startswith("+")
        if international and digits.startswith("81"):
            digits, international = "0" + digits[2:], False
        if (international and 8 <= len(digits) <= 15) or (not international and 10 <= len(digits) <= 11):
            yield Candidate(match.start(), match.end(), "phone", digits, 5)


# -- postal addresses ---------------------------------------------------------------------------------
_PREFECTURES = (
    "北海道|東京都|大阪府|京都府|神奈川県|和歌山県|鹿児島県|"
    "青森県|岩手県|宮城県|秋田県|山形県|福島県|茨城県|栃木県|群馬県|埼玉県|千葉県|新潟県|富山県|石川県|"
    "福井県|山梨県|長野県|岐阜県|静岡県|愛知県|三重県|滋賀県|兵庫県|奈良県|鳥取県|島根県|岡山県|広島県|"
    "山口県|徳島県|香川県|愛媛県|高知県|福岡県|佐賀県|長崎県|熊本県|大分県|宮崎県|沖縄県"
)
_NUM = "[0-9一二三四五六七八九十〇]+"
_UNIT = "(?:丁目|番地|番|号)"
_BLOCK = rf"{_NUM}{_UNIT}?(?:(?:[{_DASH}]|の)?{_NUM}{_UNIT}?){{0,3}}"
_NOT_IN_ADDRESS = r"\s、。,()「」『』:：;"
_BODY = rf"[^{_NOT_IN_ADDRESS}]{{0,12}}?(?:市|区|町|村|郡)[^{_NOT_IN_ADDRESS}]{{0,16}}?{_BLOCK}"
_BUILDING = rf"[^{_NOT_IN_ADDRESS}]{{1,16}}(?:ビル|タワー|会館|庁舎|号館|センター|棟)(?:\s?\d+(?:階|F))?"
_ADDRESS = re.compile(
    rf"""(?:
        〒\s?\d{{3}}[{_DASH}]\d{{4}}(?:\s*(?:{_PREFECTURES})?{_BODY})?
      | (?:{_PREFECTURES}){_BODY}
      | (?<=住所)\s*[:：]?\s*{_BODY}
      | (?<=所在地)\s*[:：]?\s*{_BODY}
    )(?:\s?{_BUILDING})?""",
    re.VERBOSE,
)


def find_postal_addresses(text: str) -> Iterator[Candidate]:
    for match in _ADDRESS.finditer(text):
        start = match.start() + len(match.group()) - len(match.group().lstrip(" :："))
        identity = re.sub(r"\s", "", text[start : match.end()])
        yield Candidate(start, match.end(), "postal_address", f"address:{identity}", 7)


# -- IP addresses ---------------------------------------------------------------------------------------
_IPV4 = re.compile(r"(?<![\d.])(?:\d{1,3}\.){3}\d{1,3}(?:/\d{1,2})?(?![\d]|\.\d)")
_IPV6 = re.compile(
    r"(?<![0-9A-Za-z:])(?:[0-9A-Fa-f]{0,4}:){2,7}[0-9A-Fa-f]{0,4}(?:/\d{1,3})?(?![0-9A-Za-z:])"
)
# Addresses that are meaningful only inside one organisation and so point at its network.
_INTERNAL_NETWORKS = tuple(
    ipaddress.ip_network(net)
    for net in ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "100.64.0.0/10", "169.254.0.0/16")
    + ("fc00::/7", "fe80::/10")
)


def is_internal_address(value: str) -> bool | None:
    """True for private, shared and link-local addresses, False for others, None when not an address."""
    try:
        address = ipaddress.ip_interface(value).ip
    except ValueError:
        return None
    return any(address in network for network in _INTERNAL_NETWORKS)


def find_ip_addresses(text: str) -> Iterator[Candidate]:
    for pattern in (_IPV4, _IPV6):
        for match in pattern.finditer(text):
            internal = is_internal_address(match.group())
            if internal is None:
                continue
            kind = "ip_address" if internal else KEEP
            yield Candidate(match.start(), match.end(), kind, match.group().lower(), 5)


# -- URLs, domains and host names ---------------------------------------------------------------------------
_URL = re.compile(r"(?<![A-Za-z0-9])(?:https?|ftps?|smb|file)://[A-Za-z0-9\-._~:/?#\[\]@!$&'*+,;=%]+", re.I)
# Windows shares (\\\\fs01\\share\\log) name an internal server as surely as a URL does.
_UNC = re.compile(r"\\\\(?P<host>[A-Za-z0-9][A-Za-z0-9.-]*)(?:\\[A-Za-z0-9$._~%+-]+)*")
_FQDN = re.compile(
    r"(?<![A-Za-z0-9_.@/-])(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z][A-Za-z0-9-]{0,62}"
    r"(?![A-Za-z0-9_@-]|\.[A-Za-z0-9])"
)
_LABEL = re.compile(
    r"(?<![A-Za-z0-9_.@/#-])[A-Za-z][A-Za-z0-9]*(?:[-_][A-Za-z0-9]+)*(?![A-Za-z0-9_@-]|\.[A-Za-z0-9])"
)
# Names only an internal resolver answers for.
INTERNAL_SUFFIXES = (
    ".local",
    ".internal",
    ".lan",
    ".corp",
    ".intra",
    ".intranet",
    ".localdomain",
    ".home.arpa",
    ".private",
)
# A single word with digits is a host name when it follows a naming convention (srv-db01, fw01, pc-0123) …
_LOWER_HOST = re.compile(r"^[a-z]+(?:[-_][a-z0-9]+)*[-_]?\d+[a-z]?$|^[a-z]+\d*(?:[-_][a-z0-9]+)+$")
# … and is not one of the technical words that look the same.
_NOT_A_HOST = re.compile(
    r"^(?:cve-.*|jvn.*|ms\d\d-\d+|kb\d+|rfc\d+|iso\d+|jis.*|covid-19|win(?:dows)?-?\d+|office\d+|ie\d+|"
    r"tlsv?\d.*|sslv?\d|sha-?\d+|md5|log4j\d?|ipv[46]|https?\d?|utf-?\d+|x86(?:-64)?|x64|arm64|"
    r"[a-z]\d{1,2}|v\d+|ver\d+|fy\d+|no\d+|cvss.*|tlp.*|smbv?\d|snmpv?\d|wpa\d|lte|[345]g|rsa-?\d+|aes-?\d+|"
    r"mitre.*|att&ck|t\d{4}|nist.*|sp800-.*|step\d+|phase\d+|case\d+|r\d+|h\d+|q\d|gen\d+)$",
    re.I,
)
# Upper-case words (SRV-DB01, PC-SOUMU-012) look like product models too; they count as hosts when the
# text says so just before them, or when their form is unmistakable (three or more parts).
_HOST_CONTEXT = re.compile(r"(?:サーバ|ホスト|端末|パソコン|コンピュータ|PC|機器名|クライアント|NAS|DC|装置)")
_UPPER_HOST = re.compile(r"^[A-Z]+(?:-[A-Z0-9]+){2,}$")


# Names reserved for documentation and tests (RFC 2606, RFC 6761; JPRS's example.jp and example.co.jp …): a
# text written with them is an illustration, and an indicator is often defanged to them. Only these: a
# name that merely contains "example" (example-bank.co.jp) is an ordinary, registrable domain.
DOCUMENTATION_DOMAINS = ("example.com", "example.net", "example.org", "example.jp")
DOCUMENTATION_SUFFIXES = (".example", ".test", ".invalid", ".localhost")
# Japanese attributive second-level domains: each is registered to one Japanese organisation (co: a
# company, or: an association, ac: a university, lg: a local government, go: a ministry …), so a host
# under one names that organisation — a member, its partner or its municipality — and is replaced even
# when the registry does not know the domain. Government web sites (www.soumu.go.jp) are public and stay,
# as do the sites of the bodies that publish advisories (PUBLISHERS); other hosts under go.jp are a
# ministry's own systems.
ATTRIBUTIVE_JP = frozenset({"co", "or", "ac", "ad", "ed", "go", "gr", "lg", "ne"})
GEOGRAPHIC_JP = frozenset({"pref", "city", "town", "vill"})  # city.example-shi.saitama.jp, pref.…jp
PUBLISHERS = frozenset({"jpcert.or.jp", "jc3.or.jp", "nic.ad.jp", "jprs.co.jp"})


def is_documentation_domain(host: str) -> bool:
    host = host.lower().strip(".")
    if host.endswith(DOCUMENTATION_SUFFIXES) or host in DOCUMENTATION_SUFFIXES:
        return True
    labels = host.split(".")
    # example.com, x.example.com, example.co.jp, x.example.lg.jp
    return any(
        ".".join(labels[i:]) in DOCUMENTATION_DOMAINS
        or (labels[i] == "example" and labels[i + 1 :] in ([a, "jp"] for a in ATTRIBUTIVE_JP))
        for i in range(len(labels))
    )


def japanese_organisation_domain(host: str) -> str | None:
    """The organisation's own domain (example-bank.co.jp) when `host` lies under an attributive or a
    local government's geographic Japanese domain that does not publish advisories."""
    labels = host.lower().strip(".").split(".")
    if len(labels) >= 3 and labels[-1] == "jp" and labels[-2] in ATTRIBUTIVE_JP:
        # city.example.lg.jp, pref.example.lg.jp: a local government's domain has four labels.
        registered = ".".join(labels[-4:] if labels[-2] == "lg" and len(labels) >= 4 else labels[-3:])
        if registered in PUBLISHERS:
            return None
        if labels[-2] == "go" and (len(labels) == 3 or (len(labels) == 4 and labels[0] == "www")):
            return None
        return registered
    if len(labels) >= 3 and labels[-1] == "jp" and any(label in GEOGRAPHIC_JP for label in labels[:-2]):
        first = next(i for i, label in enumerate(labels) if label in GEOGRAPHIC_JP)
        return ".".join(labels[first:])
    return None


@dataclass(frozen=True)
class HostClass:
    kind: str  # "hostname", "domain", "ip_address" or KEEP
    identity: str


def classify_host(host: str, lexicon: Lexicon, reporter: str | None) -> HostClass:
    """Whether a host (from a URL, an address or the text) points inside a member's or internal network."""
    host = host.lower().strip(".")
    internal = is_internal_address(host.strip("[]"))
    if internal is not None:
        return HostClass("ip_address" if internal else KEEP, host)
    if "." not in host or host.endswith(INTERNAL_SUFFIXES):
        return HostClass("hostname", host)
    owner = lexicon.domain_owner(host)
    if owner is not None:
        code, domain = owner
        entry = lexicon.organisations.get(code)
        if entry is not None and entry.public and code != reporter:
            return HostClass(KEEP, host)
        return HostClass("domain" if host == domain else "hostname", host)
    if is_documentation_domain(host):
        return HostClass(KEEP, host)
    domain = japanese_organisation_domain(host)
    if domain is not None:
        return HostClass("domain" if host == domain else "hostname", host)
    return HostClass(KEEP, host)


def find_urls(text: str, lexicon: Lexicon, reporter: str | None) -> Iterator[Candidate]:
    for match in _URL.finditer(text):
        url = match.group().rstrip(".,;:!?'")
        if url.endswith(")") and "(" not in url:
            url = url[:-1]
        authority = url.split("://", 1)[1].split("/", 1)[0].split("?", 1)[0].split("#", 1)[0]
        host = authority.rsplit("@", 1)[-1]
        host = host.rsplit(":", 1)[0] if host.count(":") == 1 else host
        host_class = classify_host(host, lexicon, reporter)
        kind = KEEP if host_class.kind == KEEP else "url"
        yield Candidate(match.start(), match.start() + len(url), kind, url.lower(), 8)
    for match in _UNC.finditer(text):
        host_class = classify_host(match.group("host"), lexicon, reporter)
        kind = KEEP if host_class.kind == KEEP else "url"
        yield Candidate(match.start(), match.end(), kind, match.group().lower(), 8)


def find_hosts(text: str, lexicon: Lexicon, reporter: str | None) -> Iterator[Candidate]:
    for match in _FQDN.finditer(text):
        host_class = classify_host(match.group(), lexicon, reporter)
        yield Candidate(match.start(), match.end(), host_class.kind, host_class.identity, 5)
    for match in _LABEL.finditer(text):
        if _is_host_word(match.group(), text, match.start()):
            yield Candidate(match.start(), match.end(), "hostname", match.group().lower(), 4)


def _is_host_word(word: str, text: str, start: int) -> bool:
    if len(word) < 3 or _NOT_A_HOST.match(word):
        return False
    context = _HOST_CONTEXT.search(text, max(0, start - 12), start) is not None
    if not any(char.isdigit() for char in word):
        # relay-mon-ueda: a hyphenated lower-case name without digits, where the text says it is a host.
        return context and word.islower() and word.count("-") >= 2
    return bool(_LOWER_HOST.match(word) or context or _UPPER_HOST.match(word))


# -- identifiers that must stay -----------------------------------------------------------------------------
_KEEP = re.compile(r"\b(?:CVE-\d{4}-\d{4,}|JVN(?:VU|DB-\d{4}-)?\d+|MS\d\d-\d{3}|KB\d{6,8})\b", re.I)


def find_kept_identifiers(text: str) -> Iterator[Candidate]:
    for match in _KEEP.finditer(text):
        yield Candidate(match.start(), match.end(), KEEP, match.group(), 10)


def find_patterns(text: str, lexicon: Lexicon, reporter: str | None) -> list[Candidate]:
    """Every pattern candidate in `text` (already width-folded)."""
    return [
        *find_emails(text),
        *find_phones(text),
        *find_postal_addresses(text),
        *find_ip_addresses(text),
        *find_urls(text, lexicon, reporter),
        *find_hosts(text, lexicon, reporter),
        *find_kept_identifiers(text),
    ]
