"""The map's downloads (CSV and XLSX, from the page and from `ceptoar map`) write every registry text as
text: a sector, CEPTOAR, council or secretariat named like a formula, and a profile whose scope, members,
information or features read like one, come out with a quote (CSV) or as quote-prefixed string cells
(XLSX), in Japanese and in English, and the map keeps its merged cells."""

from __future__ import annotations

import datetime
import io

import pytest
from django.core.management import call_command
from django.urls import reverse
from openpyxl import load_workbook

from ceptoar.registry.models import CeptoarProfile, Organisation, OrganisationKind, Sector
from tests.inert import assert_csv_inert, assert_xlsx_inert, payload, read_csv, xlsx_text

pytestmark = pytest.mark.django_db


@pytest.fixture
def hostile():
    """A new CEPTOAR on the map, every text of its column a formula, and the finance council (merged
    over four columns) renamed to one. Returns {(where, language): text}."""
    texts = {}

    def text(index: int, where: str, language: str = "ja") -> str:
        value = payload(index) + f" {where}"
        texts[(where, language)] = value
        return value

    sector = Sector.objects.create(
        code="x-sector", name=text(0, "sector"), name_en=text(1, "sector", "en"), position=99
    )
    ceptoar = Organisation.objects.create(
        code="x-ceptoar",
        name=text(2, "ceptoar"),
        name_en=text(3, "ceptoar", "en"),
        kind=OrganisationKind.CEPTOAR,
        sector=sector,
    )
    secretariat = Organisation.objects.create(
        code="x-secretariat",
        name=text(4, "secretariat"),
        name_en=text(5, "secretariat", "en"),
        kind=OrganisationKind.MEMBER,
        sector=sector,
    )
    # No members: the description alone fills the members cell, so it begins the cell.
    CeptoarProfile.objects.create(
        ceptoar=ceptoar,
        secretariat=secretariat,
        business_scope=text(0, "scope"),
        established_on=datetime.date(2020, 4, 1),
        poc_started_on=datetime.date(2020, 4, 1),
        information_shared=text(1, "information"),
        member_description=text(2, "members"),
        features=text(3, "features"),
        map_position=99,
    )
    Organisation.objects.filter(code="finance-council").update(
        name=text(4, "council"), name_en=text(5, "council", "en")
    )
    for (where, language), value in list(texts.items()):
        if language == "ja" and (where, "en") not in texts:
            texts[(where, "en")] = value  # profile texts have one language
    return texts


def _expected(texts, language):
    return [value for (_where, lang), value in texts.items() if lang == language]


def test_csv_from_the_page_and_the_command(client_as, hostile, tmp_path):
    response = client_as("demo-member").get(reverse("registry:map_csv"))
    assert response.status_code == 200
    rows = read_csv(response.content)
    assert_csv_inert(rows, _expected(hostile, "ja"))
    # The council's name is repeated in each of its four columns, each time inert.
    assert rows[2].count("'" + hostile[("council", "ja")]) == 4

    printed = io.StringIO()
    call_command("map", "--format", "csv", stdout=printed)
    assert "\ufeff" + printed.getvalue() == response.content.decode()
    target = tmp_path / "map.csv"
    call_command("map", "--format", "csv", "--language", "en", "--output", str(target))
    assert_csv_inert(read_csv(target.read_bytes()), _expected(hostile, "en"))


def test_xlsx_from_the_page_keeps_its_layout(client_as, hostile):
    response = client_as("demo-member").get(reverse("registry:map_xlsx"))
    assert response.status_code == 200
    assert_xlsx_inert(response.content, _expected(hostile, "ja"))
    sheet = load_workbook(io.BytesIO(response.content)).active
    # The council still spans its four columns, as one quote-prefixed string cell.
    assert "D3:G3" in {str(cell_range) for cell_range in sheet.merged_cells.ranges}
    assert sheet["D3"].value == xlsx_text(hostile[("council", "ja")]) and sheet["D3"].quotePrefix
    assert sheet["A1"].font.b and sheet["A1"].fill.fgColor.rgb.endswith("E8EEF4")
    assert sheet.freeze_panes == "B2"
    last = sheet.cell(row=1, column=sheet.max_column)
    assert last.value == xlsx_text(hostile[("sector", "ja")]) and last.font.b


def test_xlsx_from_the_command_in_english(hostile, tmp_path):
    target = tmp_path / "map.xlsx"
    call_command("map", "--format", "xlsx", "--language", "en", "--output", str(target))
    assert_xlsx_inert(target.read_bytes(), _expected(hostile, "en"))
