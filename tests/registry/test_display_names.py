"""Sector and organisation names follow the page's language: the registry's English name on English pages
(where it has one), the registered Japanese name otherwise, on the pages and on the CEPTOAR map."""

from __future__ import annotations

import pytest
from django.urls import reverse
from django.utils import translation

from ceptoar.registry.ceptoar_map import build_ceptoar_map
from ceptoar.registry.models import Organisation, Sector

pytestmark = pytest.mark.django_db


def test_display_name_is_the_english_name_in_english_and_falls_back_to_the_japanese():
    finance, banks = Sector.objects.get(code="finance"), Organisation.objects.get(code="banks")
    member = Organisation.objects.get(code="banks-0001")
    assert banks.name_en and not member.name_en  # the demo names CEPTOARs in English, not members
    with translation.override("ja"):
        assert (finance.display_name, banks.display_name) == (finance.name, banks.name)
        assert member.display_name == member.name
    with translation.override("en"):
        assert (finance.display_name, banks.display_name) == ("Finance", "Banks CEPTOAR")
        assert member.display_name == member.name
        # An organisation's __str__ stays the registered name (logs, exports and stored texts carry it); a
        # sector is only ever a label, and its __str__ follows the language.
        assert str(banks) == banks.name
        assert str(finance) == "Finance"


@pytest.mark.parametrize("language", ["ja", "en"])
def test_the_organisation_filter_offers_sectors_and_ceptoars_in_the_page_s_language(client_as, language):
    client = client_as("demo-member")
    client.cookies["ceptoar_language"] = language
    html = client.get(reverse("registry:organisation_list")).content.decode()
    finance, banks = Sector.objects.get(code="finance"), Organisation.objects.get(code="banks")
    if language == "en":
        assert '<option value="finance">Finance</option>' in html
        assert '<option value="banks">Banks CEPTOAR</option>' in html
    else:
        assert f'<option value="finance">{finance.name}</option>' in html
        assert f'<option value="banks">{banks.name}</option>' in html


@pytest.mark.parametrize("language", ["ja", "en"])
def test_the_sector_tree_names_sectors_and_ceptoars_in_the_page_s_language(client_as, language):
    client = client_as("demo-member")
    client.cookies["ceptoar_language"] = language
    html = client.get(reverse("registry:tree")).content.decode()
    finance, banks = Sector.objects.get(code="finance"), Organisation.objects.get(code="banks")
    if language == "en":
        assert '<h2>Finance <span class="muted" lang="ja">金融</span></h2>' in html
        assert ">Banks CEPTOAR</a>" in html
        assert f">{banks.name}</a>" not in html
    else:
        assert f'<h2>{finance.name} <span class="muted" lang="en">Finance</span></h2>' in html
        assert f">{banks.name}</a>" in html
        assert ">Banks CEPTOAR</a>" not in html


@pytest.mark.parametrize("language", ["ja", "en"])
def test_an_organisation_s_page_is_titled_in_the_page_s_language(client_as, language):
    client = client_as("demo-member")
    client.cookies["ceptoar_language"] = language
    banks = Organisation.objects.get(code="banks")
    html = client.get(reverse("registry:organisation_detail", args=["banks"])).content.decode()
    title, other = ("Banks CEPTOAR", banks.name) if language == "en" else (banks.name, "Banks CEPTOAR")
    assert f"<h1>{title} " in html
    assert (
        f'lang="{"ja" if language == "en" else "en"}">{other}</dd>' in html
    )  # the other name, marked as such
    assert ("Finance</a>" in html) == (language == "en")


def test_the_map_names_sectors_ceptoars_and_secretariats_in_english_in_english():
    english, japanese = build_ceptoar_map(language="en"), build_ceptoar_map(language="ja")
    assert english.row("sector").texts[0] == "Information and communications"
    assert japanese.row("sector").texts[0] == "情報通信"
    assert english.row("secretariat").texts[0] == "Foundation for MultiMedia Communications"
    assert japanese.row("secretariat").texts[0] == "財団法人マルチメディア振興センター"
    # Every secretariat of the demo has an English name: no Japanese name is left in that row in English.
    assert all(text.isascii() for text in english.row("secretariat").texts), english.row("secretariat").texts
