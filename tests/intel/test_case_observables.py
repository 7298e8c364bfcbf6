"""A failure case keeps the observables of its report that survive redaction, and never those that identify
the reporter (its own domain, its contacts' mail domain, its internal addresses), which the anonymiser
redacts in the case's text like any other name."""

from __future__ import annotations

import pytest

from ceptoar.intel.models import Sighting, SightingSource
from ceptoar.reports.services.cases import create_case, update_case
from ceptoar.reports.services.redactions import add_manual_redaction, set_redaction_accepted
from tests.reports.pages import submitted_report

pytestmark = pytest.mark.django_db

# The reporter is banks-0001, whose registered domain is banks-0001.example.jp.
DESCRIPTION = (
    "当行のWebサーバ www.banks-0001.example.jp（社内 10.1.2.3）に対し、203.0.113.50 および 45.77.12.9 から"
    "不正アクセスがあった。攻撃者は hxxps://evil-bank-login[.]top/kit から不正ツール dropper.exe"
    "（MD5 5d41402abc4b2a76b9719d911017c592）を配布し、CVE-2024-3400 を悪用した。"
    "担当 taro@banks-0001.example.jp、社内手順は https://portal.banks-0001.example.jp/manual/ir を参照。"
)
STRUCTURED = [
    {"type": "ipv4-addr", "value": "45.77.12.9"},
    {"type": "domain-name", "value": "evil-bank-login.top"},
    {"type": "email-addr", "value": "attacker@evil-bank-login.top"},
    {"type": "ipv4-addr", "value": "192.168.5.5"},
    {"type": "domain-name", "value": "banks-0001.example.jp"},
    {"type": "url", "value": "https://portal.banks-0001.example.jp/login"},
]
SURVIVING = {
    ("ipv4-addr", "45.77.12.9"),
    ("url", "https://evil-bank-login.top/kit"),
    ("domain-name", "evil-bank-login.top"),
    ("file-name", "dropper.exe"),
    ("md5", "5d41402abc4b2a76b9719d911017c592"),
    ("cve", "CVE-2024-3400"),
    ("email-addr", "attacker@evil-bank-login.top"),
}
IDENTIFYING = {
    "www.banks-0001.example.jp",
    "banks-0001.example.jp",
    "10.1.2.3",
    "192.168.5.5",
    "taro@banks-0001.example.jp",
    "https://portal.banks-0001.example.jp/login",
    "https://portal.banks-0001.example.jp/manual/ir",
    "portal.banks-0001.example.jp",
}


def case_values(case) -> dict[tuple[str, str], str]:
    return {
        (sighting.observable.type, sighting.observable.value): sighting.source
        for sighting in Sighting.objects.filter(case=case).select_related("observable")
    }


@pytest.fixture
def case(demo_user):
    report = submitted_report(demo_user("demo-member"), description=DESCRIPTION, observables=STRUCTURED)
    made = create_case(demo_user("demo-secretariat"), report)
    # The secretariat also hides one attacker address by hand.
    add_manual_redaction(demo_user("demo-secretariat"), made, "203.0.113.50", "〔IPアドレス〕")
    made.refresh_from_db()
    return made


def test_the_case_keeps_exactly_the_surviving_values(case, demo_user):
    found = case_values(case)
    assert set(found) == SURVIVING
    assert set(found.values()) == {SightingSource.CARRIED}
    # The report itself keeps everything, the identifying values included.
    report_values = {
        s.observable.value for s in Sighting.objects.filter(report=case.report).select_related("observable")
    }
    assert IDENTIFYING | {"203.0.113.50"} <= report_values
    # A case's sightings are the publishing CEPTOAR's, never the reporter's (the case is anonymous).
    assert {s.organisation_id for s in Sighting.objects.filter(case=case)} == {case.origin_organisation_id}


def test_the_anonymiser_redacts_what_identifies_the_reporter(case):
    for value in ("banks-0001.example.jp", "10.1.2.3", "taro@", "portal.banks"):
        assert value not in case.body
    assert "45.77.12.9" in case.body and "203.0.113.50" not in case.body


def test_values_follow_the_redactions_and_the_lessons(case, demo_user):
    secretariat = demo_user("demo-secretariat")
    manual = case.redactions.get(replacement="〔IPアドレス〕")
    set_redaction_accepted(secretariat, manual, False)
    assert ("ipv4-addr", "203.0.113.50") in case_values(case)
    # Undoing the redaction of the contact's address shows it in the text, but the case never records it.
    email = case.redactions.get(kind="email")
    set_redaction_accepted(secretariat, email, False)
    case.refresh_from_db()
    assert "taro@banks-0001.example.jp" in case.body
    assert not any(value in IDENTIFYING for _type, value in case_values(case))

    update_case(
        secretariat,
        case,
        title=case.title,
        lessons="参考: https://nvd.nist.gov/vuln/detail/CVE-2024-3400",
        tlp=case.tlp,
        audience="members",
    )
    found = case_values(case)
    assert found[("url", "https://nvd.nist.gov/vuln/detail/CVE-2024-3400")] == SightingSource.EXTRACTED
    assert found[("cve", "CVE-2024-3400")] == SightingSource.CARRIED
