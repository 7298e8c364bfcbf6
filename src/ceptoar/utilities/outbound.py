"""Which hosts the platform may connect to on a member's behalf (webhooks, chat gateways).

A member chooses the address of its own webhook or chat channel, and the worker connects to it from inside
the installation's network. Left alone, a member could point it at `http://127.0.0.1:5432/` or at the
secretariat's intranet and learn from the outcome which ports are open. So a host is refused when ANY
address it resolves to is not a public unicast address — loopback, link-local, private, shared
(100.64.0.0/10), multicast, reserved, unspecified, and IPv6 addresses that carry such an IPv4 address
(IPv4-mapped, 6to4, NAT64) — unless the installation allows it: `CEPTOAR_OUTBOUND_ALLOW` lists networks,
single addresses and host names (`*.example.jp` for every name under example.jp) of in-house receivers.

Names are resolved when a channel is saved (a name that does not resolve then is accepted: the check that
counts is the one at send time) and again when sending, where the caller connects to the addresses it was
given here, never to a second resolution of the name that could have been re-bound in between. Apprise
connects by itself, so `guarded()` checks every name it resolves, redirects included.

Bottom layer: imports nothing of the domain. The registry asks it when a channel is saved, the channels
when they send.
"""

from __future__ import annotations

import contextlib
import ipaddress
import re
import socket
import threading
from collections.abc import Iterable, Iterator
from contextvars import ContextVar
from dataclasses import dataclass, field
from functools import lru_cache
from urllib.parse import urlsplit

from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network

# What resolves names. Tests put a resolver of their own here to re-bind a name between save and send.
resolver = socket.getaddrinfo
_system_getaddrinfo = socket.getaddrinfo

# -- the kinds of address that are refused -----------------------------------------------------------------

KIND_LABELS = {
    "unspecified": _("unspecified address"),
    "loopback": _("loopback"),
    "link-local": _("link-local"),
    "multicast": _("multicast"),
    "shared": _("shared address space, 100.64.0.0/10"),
    "private": _("private network"),
    "reserved": _("reserved range"),
}

_SHARED = ipaddress.ip_network("100.64.0.0/10")
_PRIVATE = tuple(
    ipaddress.ip_network(net)
    for net in ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "fc00::/7", "fec0::/10")
)
_NAT64 = ipaddress.ip_network("64:ff9b::/96")
_NAT64_LOCAL = ipaddress.ip_network("64:ff9b:1::/48")


def _embedded_ipv4(address: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    """The IPv4 address a connection to this IPv6 address really reaches, if it carries one."""
    if address.ipv4_mapped is not None:
        return address.ipv4_mapped
    if address.sixtofour is not None:
        return address.sixtofour
    if address in _NAT64:
        return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    return None


def refused_kind(address: IPAddress) -> str | None:
    """Why this address is not a public one (a key of KIND_LABELS), or None when it is."""
    if address.version == 6:
        embedded = _embedded_ipv4(address)
        if embedded is not None:
            return refused_kind(embedded)
        if address in _NAT64_LOCAL:
            return "reserved"
    if address.is_unspecified:
        return "unspecified"
    if address.is_loopback:
        return "loopback"
    if address.is_link_local:
        return "link-local"
    if address.is_multicast:
        return "multicast"
    if address in _SHARED:
        return "shared"
    if any(address in network for network in _PRIVATE if network.version == address.version):
        return "private"
    if address.is_reserved or not address.is_global:
        return "reserved"
    return None


# -- the installation's exceptions ---------------------------------------------------------------------------

_LABEL = re.compile(r"^(?!-)[a-z0-9-]{1,63}(?<!-)$")
_CIDR = re.compile(r"^[0-9A-Fa-f:.]+/[0-9]+$")


def _host_name(entry: str) -> str | None:
    """`entry` as a host name (lower case, no trailing dot), or None when it is not one."""
    name = entry.lower().rstrip(".")
    labels = name.split(".")
    if not name or len(name) > 253 or not all(_LABEL.match(label) for label in labels):
        return None
    if all(label.isdigit() for label in labels):
        return None  # 10.0.0 or 2130706433: an address written wrong, not a name
    return name


@dataclass(frozen=True)
class AllowList:
    """CEPTOAR_OUTBOUND_ALLOW: networks, single addresses and host names that may be reached although they
    are not public addresses. `*.example.jp` allows every name under example.jp (not example.jp itself)."""

    networks: tuple[IPNetwork, ...] = ()
    names: frozenset[str] = frozenset()
    domains: tuple[str, ...] = ()  # from `*.example.jp`: ".example.jp"

    @classmethod
    def parse(cls, entries: Iterable[str]) -> AllowList:
        """Raises ValueError naming the first entry that is neither a network, an address nor a host name."""
        networks: list[IPNetwork] = []
        names: set[str] = set()
        domains: list[str] = []
        for raw in entries:
            entry = raw.strip()
            if not entry:
                continue
            if _CIDR.match(entry):
                try:
                    networks.append(ipaddress.ip_network(entry, strict=True))
                except ValueError as error:
                    raise ValueError(
                        f"{entry!r} is not a network ({error}); write it as 10.0.0.0/8"
                    ) from None
                continue
            try:
                networks.append(ipaddress.ip_network(entry.strip("[]")))
                continue
            except ValueError:
                pass
            wildcard = entry.startswith("*.")
            name = _host_name(entry[2:] if wildcard else entry)
            if name is None:
                raise ValueError(
                    f"{entry!r} is neither a network (10.0.0.0/8), an address (192.0.2.10, 2001:db8::1) "
                    "nor a host name (hooks.example.jp, *.example.jp)"
                )
            if wildcard:
                domains.append("." + name)
            else:
                names.add(name)
        return cls(tuple(networks), frozenset(names), tuple(domains))

    def allows_name(self, host: str) -> bool:
        name = host.lower().rstrip(".")
        return name in self.names or any(name.endswith(domain) for domain in self.domains)

    def allows_address(self, address: IPAddress) -> bool:
        candidates = [address]
        if address.version == 6 and (embedded := _embedded_ipv4(address)) is not None:
            candidates.append(embedded)
        return any(
            candidate in network
            for candidate in candidates
            for network in self.networks
            if network.version == candidate.version
        )


@lru_cache(maxsize=8)
def _parsed(entries: tuple[str, ...]) -> AllowList:
    return AllowList.parse(entries)


def allow_list() -> AllowList:
    """The installation's allow list (settings.CEPTOAR_OUTBOUND_ALLOW, checked when settings load)."""
    from django.conf import settings

    return _parsed(tuple(getattr(settings, "CEPTOAR_OUTBOUND_ALLOW", ())))


# -- refusals ------------------------------------------------------------------------------------------------


class Refused(OSError):
    """A host that resolves to an address the policy refuses. An OSError, so that a library connecting on
    its own (urllib3 under Apprise) treats it as a connection that failed."""

    def __init__(self, host: str, address: IPAddress, kind: str) -> None:
        self.host, self.address, self.kind = host, address, kind
        super().__init__(str(self))

    @property
    def is_literal(self) -> bool:
        """Whether the host was written as this address (in whatever spelling) rather than as a name."""
        return _literal(self.host) == self.address

    def __str__(self) -> str:
        # For the operators (stored with the delivery): names the address the name resolved to.
        where = (
            f"{self.address} is" if self.is_literal else f"{self.host} resolves to {self.address}, which is"
        )
        return f"{where} not a public address ({self.kind}) and not in CEPTOAR_OUTBOUND_ALLOW"

    def message(self) -> str:
        """For the person who typed the address, in their language. It names the host as they typed it and
        the kind of range, not the address an internal name resolved to: that is the operators' to read."""
        values = {"host": self.host, "kind": KIND_LABELS[self.kind]}
        if self.is_literal:
            return (
                gettext(
                    "%(host)s is not a public internet address (%(kind)s). Alerts are sent there only if the "
                    "platform's operators allow it."
                )
                % values
            )
        return (
            gettext(
                "%(host)s resolves to an address that is not a public internet address (%(kind)s). Alerts are "
                "sent there only if the platform's operators allow it."
            )
            % values
        )


class Unresolvable(OSError):
    """The name does not resolve (now)."""

    def __init__(self, host: str, reason: object) -> None:
        self.host = host
        super().__init__(f"{host} does not resolve: {reason}")


def _literal(host: str) -> IPAddress | None:
    try:
        return ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return None


def resolve(host: str) -> list[IPAddress]:
    """Every address `host` resolves to, in the resolver's order (once each)."""
    literal = _literal(host)
    if literal is not None:
        return [literal]
    try:
        infos = resolver(host, None, 0, socket.SOCK_STREAM)
    except (OSError, UnicodeError) as error:
        raise Unresolvable(host, error) from None
    addresses = list(dict.fromkeys(_addresses(infos)))
    if not addresses:
        raise Unresolvable(host, "no IPv4 or IPv6 address")
    return addresses


def _addresses(infos) -> Iterator[IPAddress]:
    for family, _type, _proto, _name, sockaddr in infos:
        if family in (socket.AF_INET, socket.AF_INET6):
            yield ipaddress.ip_address(sockaddr[0])


def check(host: str, addresses: Iterable[IPAddress], allow: AllowList | None = None) -> None:
    """Raise Refused unless every address is public or allowed (by network, or the host by name)."""
    allow = allow_list() if allow is None else allow
    if allow.allows_name(host):
        return
    for address in addresses:
        kind = refused_kind(address)
        if kind is not None and not allow.allows_address(address):
            raise Refused(host, address, kind)


def checked_addresses(host: str, allow: AllowList | None = None) -> list[IPAddress]:
    """Resolve `host` once and check it: the addresses a sender then connects to, and only to."""
    addresses = resolve(host)
    check(host, addresses, allow)
    return addresses


def check_if_resolvable(host: str, allow: AllowList | None = None) -> None:
    """The check made when an address is saved: a name that does not resolve now passes (it may be made
    later, and a closed network may resolve it only from the worker); sending checks it again."""
    try:
        addresses = resolve(host)
    except Unresolvable:
        return
    check(host, addresses, allow)


# -- chat URLs (Apprise) -------------------------------------------------------------------------------------

# The Apprise schemes a chat channel may use, by the host each one reaches, as Apprise 2.2's plugins build
# their requests. Only network services: syslog://, dbus://, windows://, macosx://, glib://, kde://,
# mailto:// (an SMTP server of the member's choosing) and the like act on the worker's own machine or
# reach hosts no URL names, and are refused.
# The host written in the URL: self-hosted services and generic receivers.
CHAT_SCHEMES_TO_URL_HOST = (
    "json",
    "jsons",
    "xml",
    "xmls",
    "form",
    "forms",
    "mmost",
    "mmosts",
    "rocket",
    "rockets",
    "matrix",
    "matrixs",
    "ntfy",
    "ntfys",
    "gotify",
    "gotifys",
    "nctalk",
    "nctalks",
    "workflow",
    "workflows",
    "http",
    "https",
)
# A public service at a fixed address, whatever the URL holds (its "host" is a token).
CHAT_SCHEMES_TO_FIXED_SERVICE = ("slack", "discord", "tgram", "gchat")
# zulip://bot@ORGANISATION/token reaches ORGANISATION.zulipchat.com, or ORGANISATION itself when it is a
# host name with dots (a self-hosted Zulip).
_ZULIP_CLOUD = "zulipchat.com"


class UnusableChatUrl(ValueError):
    def __init__(self, url: str, scheme: str, has_host: bool = True) -> None:
        self.url, self.scheme, self.has_host = url, scheme, has_host
        super().__init__(
            f"{scheme}:// is not a chat scheme the platform can check" if has_host else "no host"
        )

    def message(self) -> str:
        if not self.has_host:
            return gettext("%(value)s names no host to send to.") % {"value": self.url}
        return gettext(
            "Chat URLs beginning %(scheme)s:// cannot be used: the platform sends chat messages only to "
            "network services whose address it can check (%(schemes)s)."
        ) % {"scheme": self.scheme, "schemes": chat_schemes_text()}


def chat_schemes_text() -> str:
    schemes = sorted(set(CHAT_SCHEMES_TO_URL_HOST + CHAT_SCHEMES_TO_FIXED_SERVICE + ("zulip",)))
    return ", ".join(f"{scheme}://" for scheme in schemes)


def chat_host(url: str) -> str | None:
    """The host a chat URL makes the worker connect to; None for a public service at a fixed address.
    Raises UnusableChatUrl for every other scheme, and for a URL that names no host."""
    try:
        parts = urlsplit(url.strip())
        host = parts.hostname
    except ValueError:
        raise UnusableChatUrl(url, "", has_host=False) from None
    scheme = parts.scheme.lower()
    if scheme in CHAT_SCHEMES_TO_FIXED_SERVICE:
        return None
    if scheme not in CHAT_SCHEMES_TO_URL_HOST and scheme != "zulip":
        raise UnusableChatUrl(url, scheme)
    if not host:
        raise UnusableChatUrl(url, scheme, has_host=False)
    if scheme == "zulip" and "." not in host:
        return f"{host}.{_ZULIP_CLOUD}"
    return host


# -- checking what a library resolves by itself --------------------------------------------------------------


@dataclass
class Guard:
    allow: AllowList
    refused: list[Refused] = field(default_factory=list)


_active_guard: ContextVar[Guard | None] = ContextVar("ceptoar_outbound_guard", default=None)
_install_lock = threading.Lock()
_installed = False


def _guarded_getaddrinfo(host, port, *args, **kwargs):
    guard = _active_guard.get()
    if guard is None:
        return _system_getaddrinfo(host, port, *args, **kwargs)
    infos = resolver(host, port, *args, **kwargs)
    name = host.decode() if isinstance(host, bytes) else (host or "localhost")
    try:
        check(name, _addresses(infos), guard.allow)
    except Refused as refused:
        guard.refused.append(refused)
        raise
    return infos


def _install() -> None:
    """Route socket.getaddrinfo through the guard, once per process. Apprise's plugins post with requests,
    which resolves through socket.getaddrinfo as it connects: checking there checks the very addresses
    the connection uses, redirects and discovered servers (Matrix's .well-known) included. Outside a
    `guarded()` block the wrapper only passes the call on."""
    global _installed
    with _install_lock:
        if not _installed:
            socket.getaddrinfo = _guarded_getaddrinfo
            _installed = True


@contextlib.contextmanager
def guarded(allow: AllowList | None = None) -> Iterator[Guard]:
    """Within the block, every name this context resolves (and threads started with a copy of it, as
    Apprise's are) is checked; a refused one fails to connect, and is kept in the guard's `refused`."""
    _install()
    guard = Guard(allow_list() if allow is None else allow)
    token = _active_guard.set(guard)
    try:
        yield guard
    finally:
        _active_guard.reset(token)
