"""The registry pages: tree, organisation list and detail, contact freshness — for every demo role."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from ceptoar.demo.seed_map import CEPTOARS
from ceptoar.registry.models import Membership, Organisation, OrganisationKind, Sector

DEMO_USERS = [
    "demo-hub",
    "demo-auditor",
    "demo-ministry",
    "demo-secretariat",
    "demo-coordinator",
    "demo-member",
    "demo-analyst",
    "demo-member2",
    "demo-water",
]

PAGES = [
    ("registry:tree", []),
    ("registry:organisation_list", []),
    ("registry:organisation_detail", ["banks"]),
    ("registry:organisation_detail", ["banks-0001"]),
    ("registry:organisation_detail", ["water-hub-kanto"]),
    ("registry:organisation_detail", ["finance-council"]),
    ("registry:organisation_detail", ["fsa"]),
    ("registry:freshness", []),
]


def html(response) -> str:
    return response.content.decode()


@pytest.mark.django_db
@pytest.mark.parametrize("username", DEMO_USERS)
@pytest.mark.parametrize(("name", "args"), PAGES)
def test_every_page_renders_for_every_role(client_as, username, name, args):
    response = client_as(username).get(reverse(name, args=args))
    assert response.status_code == 200
    assert "<main" in html(response)


@pytest.mark.django_db
def test_pages_require_login(client):
    response = client.get(reverse("registry:tree"))
    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]


# -- tree ----------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_tree_shows_every_ceptoar_with_its_membership_count(client_as):
    page = html(client_as("demo-member").get(reverse("registry:tree")))
    shown = dict(re.findall(r'<tr id="ceptoar-([a-z0-9-]+)" data-member-count="(\d+)"', page))
    assert len(shown) == len(CEPTOARS) == 14
    for ceptoar in Organisation.objects.ceptoars():
        assert int(shown[ceptoar.code]) == Membership.objects.filter(ceptoar=ceptoar).count(), ceptoar.code
    assert shown["banks"] == "1738"
    assert shown["local-government"] == "1863"


@pytest.mark.django_db
def test_tree_shows_sectors_ministries_secretariats_and_subgroup_counts(client_as):
    page = html(client_as("demo-hub").get(reverse("registry:tree")))
    for sector in Sector.objects.all():
        assert f'id="sector-{sector.code}"' in page
    assert "金融庁" in page
    assert "全国銀行協会事務システム部" in page
    assert "金融CEPTOAR連絡協議会" in page
    subgroups = dict(re.findall(r'<li id="subgroup-([a-z0-9-]+)" data-member-count="(\d+)"', page))
    assert subgroups["water-hub-kanto"] == "330"
    assert subgroups["t-ceptoar-sg1"] == "9"
    assert len(subgroups) == Organisation.objects.filter(kind=OrganisationKind.SUBGROUP).count()
    # Members are linked, never listed: the page must stay small with ~5,700 members.
    assert "banks-0001" not in page
    assert f"{reverse('registry:organisation_list')}?ceptoar=water&amp;via=water-hub-kanto" in page


@pytest.mark.django_db
def test_tree_uses_a_fixed_small_number_of_queries(client_as, django_assert_max_num_queries):
    client = client_as("demo-secretariat")
    # 12 for the tree, 3 for the header's to-do badges (site.todo: one query of counts and two it starts
    # from for a secretariat, whatever the number of items), 1 for the navigation's count of unread
    # notifications.
    with django_assert_max_num_queries(16):
        response = client.get(reverse("registry:tree"))
    assert response.status_code == 200


# -- organisation list -------------------------------------------------------------------------


def list_url(**params) -> str:
    from urllib.parse import urlencode

    return f"{reverse('registry:organisation_list')}?{urlencode(params)}"


@pytest.mark.django_db
def test_list_search_finds_a_member_by_code_and_by_part_of_its_name(client_as):
    client = client_as("demo-analyst")
    banks_0001 = Organisation.objects.get(code="banks-0001")

    by_code = client.get(list_url(q="banks-0001"))
    assert [o.code for o in by_code.context["page"]] == ["banks-0001"]

    part = banks_0001.name[1:-1]
    by_name = client.get(list_url(q=part))
    codes = [o.code for o in by_name.context["page"]]
    assert "banks-0001" in codes
    assert all(part in o.name or part in o.code or part in o.name_en for o in by_name.context["page"])
    assert banks_0001.name in html(by_name)


@pytest.mark.django_db
def test_list_filters_by_kind_sector_ceptoar_and_subgroup(client_as):
    client = client_as("demo-hub")
    ministries = client.get(list_url(kind="ministry")).context["page"]
    assert {o.code for o in ministries} == {"mic", "fsa", "mlit", "meti", "mhlw"}

    banks = client.get(list_url(ceptoar="banks")).context["page"]
    assert banks.paginator.count == Membership.objects.filter(ceptoar__code="banks").count() == 1738

    kanto = client.get(list_url(ceptoar="water", via="water-hub-kanto")).context["page"]
    assert kanto.paginator.count == 330
    assert Membership.objects.filter(member__code=kanto[0].code, via__code="water-hub-kanto").exists()

    # A sub-group of another CEPTOAR has no members in this one.
    assert client.get(list_url(ceptoar="banks", via="water-hub-kanto")).context["page"].paginator.count == 0

    finance = client.get(list_url(sector="finance", kind="ceptoar")).context["page"]
    assert {o.code for o in finance} == {"banks", "securities", "life-insurance", "non-life-insurance"}


@pytest.mark.django_db
def test_list_paginates_by_50_and_keeps_filters_in_the_links(client_as):
    client = client_as("demo-secretariat")
    first = client.get(list_url(ceptoar="banks"))
    page = first.context["page"]
    assert len(page.object_list) == 50
    assert page.paginator.num_pages == 35  # 1,738 members
    assert 'href="?ceptoar=banks&amp;page=2"' in html(first)

    second = client.get(list_url(ceptoar="banks", page=2))
    codes_first = {o.code for o in page}
    codes_second = {o.code for o in second.context["page"]}
    assert codes_first.isdisjoint(codes_second)
    assert codes_second == {f"banks-{n:04d}" for n in range(51, 101)}

    last = client.get(list_url(ceptoar="banks", page=35)).context["page"]
    assert len(last.object_list) == 1738 - 34 * 50


@pytest.mark.django_db
def test_list_uses_no_query_per_row(client_as, django_assert_max_num_queries):
    client = client_as("demo-hub")
    with django_assert_max_num_queries(16):
        response = client.get(list_url(ceptoar="water"))
    rows = response.context["page"].object_list
    assert len(rows) == 50
    # The CEPTOAR and relay hub of each row are on the page, fetched with the rows.
    assert html(response).count("水道CEPTOAR") >= 50


@pytest.mark.django_db
def test_list_rejects_an_unknown_filter_with_a_clear_message(english, client_as):
    response = client_as("demo-member").get(list_url(sector="no-such-sector"))
    assert response.status_code == 400
    assert "There is no sector with the code “no-such-sector”." in html(response)
    assert response.context["page"].paginator.count == 0


# -- organisation detail -----------------------------------------------------------------------


@pytest.mark.django_db
def test_ceptoar_detail_shows_profile_subgroups_and_rules(english, client_as):
    page = html(client_as("demo-hub").get(reverse("registry:organisation_detail", args=["water"])))
    assert "Japan Water Works Association, General Affairs Department" in page  # secretariat, in English
    assert "Ministry of Health, Labour and Welfare" in page  # ministry
    assert "関東地方支部長都市 中継拠点" in page
    assert "?ceptoar=water&amp;via=water-hub-kanto" in page
    assert "2008-04-01" in page  # POC in operation since
    assert "Versions of this CEPTOAR&#x27;s rules" in page or "Versions of this CEPTOAR's rules" in page
    assert "v2" in page and "in force" in page


@pytest.mark.django_db
def test_member_detail_shows_membership_and_rules_acceptance(english, client_as):
    page = html(client_as("demo-member").get(reverse("registry:organisation_detail", args=["water-0001"])))
    assert "Water CEPTOAR" in page  # the membership is public structure (named in English here)

    page = html(client_as("demo-water").get(reverse("registry:organisation_detail", args=["water-0001"])))
    assert "Acceptance by this organisation" in page
    assert re.search(r"Current version (not )?accepted", page)


# -- freshness -------------------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("bad", ["abc", "0", "-5", "1.5", "99999999"])
def test_freshness_rejects_bad_days_with_a_clear_message(english, client_as, bad):
    response = client_as("demo-secretariat").get(reverse("registry:freshness"), {"days": bad})
    assert response.status_code == 400
    page = html(response)
    assert "Not verified for (days):" in page
    assert "days (the default) instead" in page
    assert response.context["days"] == 180


@pytest.mark.django_db
def test_freshness_days_changes_what_counts_as_stale(client_as):
    client = client_as("demo-secretariat")
    default = client.get(reverse("registry:freshness")).context["stale_page"].paginator.count
    recent = client.get(reverse("registry:freshness"), {"days": "1"}).context["stale_page"].paginator.count
    ancient = (
        client.get(reverse("registry:freshness"), {"days": "3650"}).context["stale_page"].paginator.count
    )
    assert ancient < default < recent
    assert ancient == 0
