"""The failure-case library: what each person finds, Japanese search, filters, similar cases, and that
nothing of the original report leaks into it."""

from __future__ import annotations

import datetime

import pytest
from django.urls import reverse

from ceptoar.reports import cases
from ceptoar.reports.models import CaseStatus
from ceptoar.reports.services.cases import approve_case, create_case, send_for_approval
from ceptoar.search.services import matching_ids
from tests.reports.test_case_support import (
    CONTACT_NAME,
    REPORTER_NAME,
    TOKYO,
    published_case,
    submitted_report,
)

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]

LIBRARY = "reports:library"

PHISHING = (
    "営業部の職員宛てに、取引先を装った不審メールが届いた。添付ファイルを開いた端末がマルウェアに感染し、"
    "認証情報が窃取された。"
)
DDOS = "インターネットバンキングに大量のアクセスが集中し、サービスが3時間利用しにくくなった。"


def on(year: int, month: int, day: int = 10) -> datetime.datetime:
    return datetime.datetime(year, month, day, 10, 0, tzinfo=TOKYO)


@pytest.fixture
def people(demo_user):
    return demo_user("demo-secretariat"), demo_user("demo-member")


def library_html(client, **params) -> str:
    response = client.get(reverse(LIBRARY), params)
    assert response.status_code == 200, response.content.decode()[:2000]
    return response.content.decode()


def listed_titles(html: str) -> list[str]:
    rows = html.split("<tbody>")[1].split("</tbody>")[0] if "<tbody>" in html else ""
    return [part.split("</a>")[0].split(">")[-1] for part in rows.split('<td><a href="')[1:]]


def test_search_for_a_japanese_word_without_spaces_finds_the_case(client_as, people):
    power = published_case(*people, title="本店の停電によるATM停止")
    published_case(
        *people, title="不審メールによる感染", description=PHISHING, causes=("intentional.suspicious_mail",)
    )
    assert list(cases.library_cases(people[1]).filter(pk__in=matching_ids("case", "停電"))) == [power]
    html = library_html(client_as("demo-member2"), q="停電")
    assert listed_titles(html) == ["本店の停電によるATM停止"]
    assert "Cases found: 1" in html


def test_newest_first_and_paginated(client_as, people):
    made = [published_case(*people, title=f"事例{number:02d}", description=DDOS) for number in range(22)]
    html = library_html(client_as("demo-member"))
    titles = listed_titles(html)
    assert len(titles) == 20 and titles[0] == "事例21" and titles[-1] == "事例02"
    assert "Cases found: 22" in html
    second = listed_titles(library_html(client_as("demo-member"), page=2))
    assert second == ["事例01", "事例00"]
    # Searching pages the same way, each page a ranked search among the matches.
    assert len(listed_titles(library_html(client_as("demo-member"), q="アクセス"))) == 20
    assert len(listed_titles(library_html(client_as("demo-member"), q="アクセス", page=2))) == 2
    assert len(made) == 22


def test_search_orders_by_relevance(client_as, people):
    published_case(*people, title="停電の一件", description="停電が一度あった。" + DDOS)
    published_case(*people, title="停電続き", description="停電、停電、また停電。停電で停止した。")
    titles = listed_titles(library_html(client_as("demo-member"), q="停電"))
    assert titles[0] == "停電続き"
    assert "Most relevant first." in library_html(client_as("demo-member"), q="停電")


def test_filters_by_sector_event_type_cause_and_period(client_as, demo_user, people):
    published_case(*people, title="停電A", occurred_at=on(2024, 1))
    published_case(
        *people,
        title="不審メールB",
        description=PHISHING,
        event_type="malware",
        causes=("intentional.suspicious_mail",),
        occurred_at=on(2024, 3),
    )
    published_case(
        *people,
        title="攻撃C",
        description=DDOS,
        event_type="unavailability",
        causes=("intentional.dos",),
        occurred_at=on(2024, 5, 31),
    )
    client = client_as("demo-member")
    assert listed_titles(library_html(client, event_type="malware")) == ["不審メールB"]
    assert listed_titles(library_html(client, cause="intentional.dos")) == ["攻撃C"]
    assert listed_titles(library_html(client, cause="class:intentional")) == ["攻撃C", "不審メールB"]
    assert listed_titles(library_html(client, cause="class:environmental")) == ["停電A"]
    assert listed_titles(library_html(client, occurred_from="2024-03", occurred_to="2024-05")) == [
        "攻撃C",
        "不審メールB",
    ]
    assert listed_titles(library_html(client, occurred_to="2024-02")) == ["停電A"]
    assert listed_titles(library_html(client, sector="finance")) == ["攻撃C", "不審メールB", "停電A"]
    assert "No case matches these filters." in library_html(client, sector="water")


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"occurred_from": "2024-13"}, "Enter a month as YYYY-MM"),
        ({"occurred_from": "2024-05", "occurred_to": "2024-01"}, "The end month is before the start month."),
        ({"sector": "nowhere"}, "There is no sector with that code."),
        ({"q": "！？"}, "Enter at least one letter, digit, kana or kanji"),
    ],
)
def test_bad_filters_say_what_is_wrong(client_as, people, params, message):
    published_case(*people)
    response = client_as("demo-member").get(reverse(LIBRARY), params)
    assert response.status_code == 400
    html = response.content.decode()
    assert "The list could not be filtered" in html
    assert message in html
    assert "<tbody>" not in html


def test_similar_earlier_cases_are_listed_on_the_case_page(client_as, people):
    text = "UPSのバッテリー劣化で非常用発電機への切替に失敗し、停電で勘定系システムが停止した。"
    earlier = published_case(
        *people, title="以前の停電", description=text + "復旧に半日を要した。", occurred_at=on(2023, 6)
    )
    published_case(*people, title="不審メール", description=PHISHING, occurred_at=on(2023, 7))
    later = published_case(
        *people, title="後日の停電", description=text + "翌月にも発生した。", occurred_at=on(2024, 9)
    )
    current = published_case(*people, title="今回の停電", description=text, occurred_at=on(2024, 4))
    found = cases.similar_cases(people[1], current)
    assert found[0] == earlier
    assert later not in found  # it occurred after this one
    html = client_as("demo-member").get(reverse("reports:case_detail", args=[current.pk])).content.decode()
    similar = html.split('id="similar"')[1]
    assert reverse("reports:case_detail", args=[earlier.pk]) in similar
    assert reverse("reports:case_detail", args=[later.pk]) not in similar


def test_similar_cases_are_only_ones_the_reader_may_see(client_as, demo_user, people):
    text = "UPSのバッテリー劣化で非常用発電機への切替に失敗し、停電で勘定系システムが停止した。"
    members_only = published_case(*people, title="会員限定の停電", description=text, occurred_at=on(2023, 6))
    everyone = published_case(
        *people,
        title="全体向けの停電",
        description=text + "全体に共有。",
        occurred_at=on(2024, 4),
        audience="community",
    )
    assert cases.similar_cases(people[1], everyone) == [members_only]
    assert cases.similar_cases(demo_user("demo-water"), everyone) == []


def test_a_case_published_to_the_banks_members_is_not_seen_by_water(client_as, people):
    case = published_case(*people)
    assert listed_titles(library_html(client_as("demo-member2"))) == [case.title]
    water = client_as("demo-water")
    assert listed_titles(library_html(water)) == []
    assert listed_titles(library_html(water, q="停電")) == []
    assert water.get(reverse("reports:case_detail", args=[case.pk])).status_code == 404


def test_a_case_in_review_is_not_in_the_library(client_as, demo_user, people):
    secretariat, member = people
    case = create_case(secretariat, submitted_report(member))
    for username in ("demo-member", "demo-member2", "demo-secretariat"):
        client = client_as(username)
        assert listed_titles(library_html(client)) == []
        assert client.get(reverse("reports:case_detail", args=[case.pk])).status_code == 404
    send_for_approval(secretariat, case)
    approve_case(member, case)
    case.refresh_from_db()
    assert listed_titles(library_html(client_as("demo-member2"))) == []
    assert case.status == CaseStatus.APPROVED


def test_the_original_never_appears_in_library_pages_or_search(client_as, people):
    case = published_case(*people, lessons="UPSの定期点検を。")
    client = client_as("demo-member2")
    pages = [
        library_html(client),
        library_html(client, q="停電"),
        client.get(reverse("reports:case_detail", args=[case.pk])).content.decode(),
    ]
    for html in pages:
        for secret in (
            REPORTER_NAME,
            "松見銀行",
            CONTACT_NAME,
            "渡辺",
            "taro@banks-0001.example.jp",
            "10.1.2.3",
        ):
            assert secret not in html
        assert case.report.reference not in html  # the original report is never named or linked
    detail = pages[2]
    assert "A社の本店で停電が発生し" in detail and "UPSの定期点検を。" in detail
    assert "TLP:GREEN" in detail
    assert "Power or communications outage" in detail and "Unavailability" in detail
    # Searching for what was redacted finds nothing.
    for secret in ("松見銀行", "渡辺", "banks-0001"):
        assert listed_titles(library_html(client, q=secret)) == []
