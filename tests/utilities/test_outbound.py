"""The outbound policy on its own: which addresses are refused, the allow list, chat schemes, and the guard
that checks what a library resolves by itself."""

from __future__ import annotations

import ipaddress
import os
import socket
import subprocess
from urllib.parse import urlsplit

import apprise
import pytest
from apprise.manager_plugins import NotificationManager
from django.core.exceptions import ImproperlyConfigured

from ceptoar.config import env_outbound_allow
from ceptoar.utilities import outbound
from tests.fake_dns import fake_dns_fixture  # noqa: F401 - the fake_dns fixture
from tests.processes import CEPTOAR

NONE = outbound.AllowList()


@pytest.mark.parametrize(
    ("address", "kind"),
    [
        ("127.0.0.1", "loopback"),
        ("127.8.9.10", "loopback"),
        ("::1", "loopback"),
        ("169.254.169.254", "link-local"),
        ("fe80::1", "link-local"),
        ("10.1.2.3", "private"),
        ("172.16.0.1", "private"),
        ("192.168.1.1", "private"),
        ("fd12:3456::1", "private"),
        ("100.64.0.1", "shared"),
        ("224.0.0.1", "multicast"),
        ("ff02::1", "multicast"),
        ("240.0.0.1", "reserved"),
        ("255.255.255.255", "reserved"),
        ("192.0.2.10", "reserved"),  # documentation
        ("198.18.0.1", "reserved"),  # benchmarking
        ("2001:db8::1", "reserved"),
        ("0.0.0.0", "unspecified"),  # noqa: S104 - an address refused, not bound
        ("::", "unspecified"),
        # IPv6 addresses that reach an IPv4 address: judged by the address they reach.
        ("::ffff:127.0.0.1", "loopback"),
        ("::ffff:10.0.0.1", "private"),
        ("2002:a00:1::", "private"),  # 6to4 of 10.0.0.1
        ("64:ff9b::a9fe:a9fe", "link-local"),  # NAT64 of 169.254.169.254
    ],
)
def test_every_kind_of_internal_address_is_refused(address, kind):
    assert outbound.refused_kind(ipaddress.ip_address(address)) == kind
    with pytest.raises(outbound.Refused) as refused:
        outbound.checked_addresses(address, NONE)
    assert refused.value.kind == kind


@pytest.mark.parametrize("address", ["8.8.8.8", "133.242.0.1", "2606:4700::1111", "::ffff:8.8.8.8"])
def test_public_addresses_pass(address):
    assert outbound.refused_kind(ipaddress.ip_address(address)) is None
    assert outbound.checked_addresses(address, NONE) == [ipaddress.ip_address(address)]


def test_a_name_is_judged_by_every_address_it_resolves_to(fake_dns):
    fake_dns.add("mixed.example.jp", "8.8.8.8", "10.0.0.7")
    with pytest.raises(outbound.Refused) as refused:
        outbound.checked_addresses("mixed.example.jp", NONE)
    assert (refused.value.host, str(refused.value.address), refused.value.kind) == (
        "mixed.example.jp",
        "10.0.0.7",
        "private",
    )
    # The operators' text names the address; the person who typed the name reads only the kind.
    assert "10.0.0.7" in str(refused.value)
    assert "10.0.0.7" not in refused.value.message() and "mixed.example.jp" in refused.value.message()


def test_localhost_and_odd_spellings_of_loopback_are_refused_through_the_real_resolver():
    for host in ("localhost", "2130706433", "127.1"):
        with pytest.raises(outbound.Refused) as refused:
            outbound.checked_addresses(host, NONE)
        assert refused.value.kind == "loopback", host


def test_an_unresolvable_name_passes_when_saved_but_not_when_sent(fake_dns):
    fake_dns.add("gone.example.jp")  # no address
    outbound.check_if_resolvable("gone.example.jp", NONE)
    with pytest.raises(outbound.Unresolvable):
        outbound.checked_addresses("gone.example.jp", NONE)


# -- the allow list ------------------------------------------------------------------------------------------


def test_the_allow_list_admits_networks_addresses_and_names(fake_dns):
    allow = outbound.AllowList.parse(
        ["10.20.0.0/16", " 192.168.5.9 ", "hooks.intra.example.jp", "*.corp.example.jp", "fd00::/8", ""]
    )
    fake_dns.add("hooks.intra.example.jp", "172.16.9.9")
    fake_dns.add("a.b.corp.example.jp", "127.0.0.1")
    fake_dns.add("corp.example.jp", "10.99.0.1")
    fake_dns.add("other.example.jp", "10.20.3.4", "10.21.0.1")
    assert outbound.checked_addresses("10.20.3.4", allow)
    assert outbound.checked_addresses("[::ffff:10.20.3.4]", allow)
    assert outbound.checked_addresses("192.168.5.9", allow)
    assert outbound.checked_addresses("fd12::1", allow)
    assert outbound.checked_addresses("HOOKS.intra.example.jp.", allow)  # a name, whatever it resolves to
    assert outbound.checked_addresses("a.b.corp.example.jp", allow)
    for host in ("192.168.5.10", "corp.example.jp", "other.example.jp"):
        with pytest.raises(outbound.Refused):
            outbound.checked_addresses(host, allow)


@pytest.mark.parametrize(
    ("entry", "says"),
    [
        ("10.0.0.1/8", "has host bits set"),
        ("10.0.0.0/33", "is not a network"),
        ("http://hooks.example.jp", "neither a network"),
        ("10.0.0", "neither a network"),
        ("hooks example jp", "neither a network"),
        ("*", "neither a network"),
        ("hooks_1.example.jp", "neither a network"),
    ],
)
def test_a_bad_allow_list_entry_fails_fast_naming_it(monkeypatch, entry, says):
    monkeypatch.setenv("CEPTOAR_OUTBOUND_ALLOW", f"10.0.0.0/8, {entry}")
    with pytest.raises(ImproperlyConfigured) as caught:
        env_outbound_allow("CEPTOAR_OUTBOUND_ALLOW")
    assert str(caught.value).startswith(f"CEPTOAR_OUTBOUND_ALLOW: {entry!r}") and says in str(caught.value)


def test_an_installation_with_a_bad_allow_list_does_not_start(tmp_path):
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    env.update(CEPTOAR_VAR_DIR=str(tmp_path), CEPTOAR_OUTBOUND_ALLOW="10.0.0.1/8")
    result = subprocess.run([CEPTOAR, "check"], env=env, capture_output=True, text=True, timeout=120)
    assert result.returncode != 0
    assert "CEPTOAR_OUTBOUND_ALLOW: '10.0.0.1/8' is not a network" in result.stderr


# -- chat URLs -----------------------------------------------------------------------------------------------

SAMPLE_URL_HOST_CHAT = {
    "json": "json://hooks.example.jp:8080/notify",
    "xmls": "xmls://user:pass@hooks.example.jp/notify",
    "form": "form://hooks.example.jp/notify",
    "mmost": "mmost://chat.example.jp/abcdefghijklmnop",
    "rocket": "rocket://user:password@chat.example.jp/#general",
    "matrix": "matrix://user:password@chat.example.jp/#room",
    "ntfy": "ntfy://push.example.jp/alerts",
    "gotify": "gotifys://push.example.jp/AbCdEfGhIjKlMn",
    "nctalk": "nctalks://user:password@cloud.example.jp/roomid",
    "workflow": "workflow://prod-01.japaneast.logic.azure.com:443/abc123/def456",
}


@pytest.mark.parametrize(("scheme", "url"), SAMPLE_URL_HOST_CHAT.items())
def test_chat_schemes_that_carry_their_host_reach_the_host_apprise_reaches(scheme, url):
    plugin = apprise.Apprise.instantiate(url)
    assert plugin is not None, url
    assert outbound.chat_host(url) == plugin.host == urlsplit(url).hostname


def test_every_accepted_chat_scheme_is_one_apprise_knows():
    accepted = outbound.CHAT_SCHEMES_TO_URL_HOST + outbound.CHAT_SCHEMES_TO_FIXED_SERVICE + ("zulip",)
    known = NotificationManager()
    unknown = [s for s in accepted if s not in ("http", "https") and s not in known]
    assert unknown == []


def test_fixed_services_have_no_host_to_check_and_zulip_reaches_its_cloud_or_own_host():
    assert outbound.chat_host("slack://tokenA/tokenB/tokenC") is None
    assert outbound.chat_host("discord://1234/abcd") is None
    assert outbound.chat_host("zulip://bot@apprise/token") == "apprise.zulipchat.com"
    assert outbound.chat_host("zulip://bot@zulip.example.jp/token") == "zulip.example.jp"


@pytest.mark.parametrize(
    "url",
    ["syslog://", "rsyslog://127.0.0.1", "dbus://", "windows://", "macosx://", "mailto://u:p@127.0.0.1"],
)
def test_chat_schemes_with_effects_on_the_worker_or_unchecked_hosts_are_refused(url):
    with pytest.raises(outbound.UnusableChatUrl) as refused:
        outbound.chat_host(url)
    scheme = url.split("://")[0]
    assert f"{scheme}://" in refused.value.message() and "json://" in refused.value.message()


# -- the guard -----------------------------------------------------------------------------------------------


def test_the_guard_checks_what_a_library_resolves_as_it_connects():
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen()
        port = server.getsockname()[1]
        socket.create_connection(("localhost", port), timeout=5).close()  # no guard: anything goes
        with outbound.guarded(NONE) as guard, pytest.raises(outbound.Refused):
            socket.create_connection(("localhost", port), timeout=5)
        assert [str(refused.address) for refused in guard.refused] == ["127.0.0.1"]
        allow = outbound.AllowList.parse(["127.0.0.0/8"])
        with outbound.guarded(allow) as guard:
            socket.create_connection(("localhost", port), timeout=5).close()
        assert guard.refused == []
