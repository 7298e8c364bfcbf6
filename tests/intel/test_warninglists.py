"""Warning lists: the shipped lists mark what never correlates; an installation's folder adds and replaces
lists without code; a broken file is named and skipped; `ceptoar intel warninglists` marks stored values."""

from __future__ import annotations

import json
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from ceptoar.intel import warninglists
from ceptoar.intel.models import Observable


@pytest.fixture(autouse=True)
def fresh_lists():
    warninglists.reload()
    yield
    warninglists.reload()


@pytest.mark.parametrize(
    ("type_", "value", "expected"),
    [
        ("ipv4-addr", "10.1.2.3", "private-ranges"),
        ("ipv4-addr", "192.168.0.0/24", "private-ranges"),
        ("ipv4-addr", "127.0.0.1", "loopback-link-local"),
        ("ipv6-addr", "fe80::1", "loopback-link-local"),
        ("ipv4-addr", "100.64.3.4", "reserved-ranges"),
        ("ipv4-addr", "239.1.1.1", "multicast"),
        ("ipv4-addr", "203.0.113.9", "documentation-ranges"),
        ("ipv6-addr", "2001:db8::1", "documentation-ranges"),
        ("ipv4-addr", "8.8.8.8", "public-resolvers"),
        ("ipv6-addr", "2606:4700:4700::1111", "public-resolvers"),
        ("domain-name", "www.example.co.jp", "well-known-domains"),
        ("domain-name", "yahoo.co.jp", "well-known-domains"),
        ("domain-name", "download.windowsupdate.com", "well-known-domains"),
        ("url", "https://attack.mitre.org/techniques/T0886/", "well-known-urls"),
        ("md5", "d41d8cd98f00b204e9800998ecf8427e", "empty-file-hashes"),
        # What is a real indicator stays unmarked.
        ("ipv4-addr", "45.77.12.9", ""),
        ("ipv4-addr", "8.8.0.0/16", ""),
        ("domain-name", "notexample.com", ""),
        ("domain-name", "evil-updates.top", ""),
        ("url", "https://drive.google.com/file/d/abc", ""),
        ("email-addr", "attacker@gmail.com", ""),
        ("cve", "CVE-2024-3400", ""),
    ],
)
def test_shipped_lists(type_, value, expected):
    assert warninglists.match(type_, value) == expected


def test_every_shipped_file_parses():
    assert warninglists.problems() == ()
    names = {warning_list.name for warning_list in warninglists.lists()}
    assert {"private-ranges", "documentation-ranges", "public-resolvers", "well-known-domains"} <= names


def write(folder, file_name, **data):
    (folder / file_name).write_text(json.dumps(data), encoding="utf-8")


def test_installation_folder_adds_and_replaces(tmp_path, settings):
    write(tmp_path, "ours.json", name="our-scanners", description="", type="cidr", values=["45.77.12.0/24"])
    write(
        tmp_path, "dns.json", name="public-resolvers", description="only one", type="cidr", values=["9.9.9.9"]
    )
    settings.CEPTOAR_WARNING_LISTS_DIR = str(tmp_path)
    warninglists.reload()
    assert warninglists.match("ipv4-addr", "45.77.12.9") == "our-scanners"
    assert warninglists.match("ipv4-addr", "9.9.9.9") == "public-resolvers"
    # The shipped list of the same name is replaced, not merged.
    assert warninglists.match("ipv4-addr", "8.8.8.8") == ""


@pytest.mark.parametrize(
    ("content", "words"),
    [
        ("{not json", "not JSON"),
        (json.dumps({"name": "x", "type": "regex", "values": []}), '"type" is'),
        (json.dumps({"name": "x", "type": "cidr", "values": ["10.0.0.0/8", "nonsense"]}), "value 2"),
        (json.dumps({"type": "cidr", "values": []}), '"name"'),
        (json.dumps({"name": "x", "type": "domain", "values": "example.com"}), '"values"'),
    ],
)
def test_broken_file_is_named_and_skipped(tmp_path, settings, content, words):
    (tmp_path / "broken.json").write_text(content, encoding="utf-8")
    settings.CEPTOAR_WARNING_LISTS_DIR = str(tmp_path)
    warninglists.reload()
    assert len(warninglists.problems()) == 1
    assert "broken.json" in warninglists.problems()[0] and words in warninglists.problems()[0]
    assert warninglists.match("ipv4-addr", "10.0.0.1") == "private-ranges"


@pytest.mark.django_db
def test_command_marks_stored_observables_again(tmp_path, settings):
    plain = Observable.objects.create(type="ipv4-addr", value="45.77.12.9")
    private = Observable.objects.create(type="ipv4-addr", value="10.0.0.1", warning_list="stale-name")
    write(tmp_path, "ours.json", name="our-scanners", description="", type="cidr", values=["45.77.12.0/24"])
    settings.CEPTOAR_WARNING_LISTS_DIR = str(tmp_path)
    out = StringIO()
    call_command("intel", "warninglists", stdout=out)
    plain.refresh_from_db()
    private.refresh_from_db()
    assert plain.warning_list == "our-scanners"
    assert private.warning_list == "private-ranges"
    assert "our-scanners: 1" in out.getvalue()
    assert "marks changed: 2" in out.getvalue()


@pytest.mark.django_db
def test_command_names_a_broken_file(tmp_path, settings):
    (tmp_path / "typo.json").write_text("{", encoding="utf-8")
    settings.CEPTOAR_WARNING_LISTS_DIR = str(tmp_path)
    with pytest.raises(CommandError, match="typo.json"):
        call_command("intel", "warninglists", stdout=StringIO())
