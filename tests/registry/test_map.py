"""The CEPTOAR map regenerated from the registry matches the NISC map of March 2009 (seed 001).

The seed comparison reads the published table from ../shared/seeds; the core expectations (names,
secretariats, member counts) are also kept here, so those assertions run even without the seeds.
"""

from __future__ import annotations

import csv
import datetime
import io
import json
import os
import re
from pathlib import Path

import pytest
from django.core.management import call_command
from django.urls import reverse

from ceptoar.registry.ceptoar_map import build_ceptoar_map, japanese_era_month, map_to_csv
from ceptoar.registry.models import Membership, MemberUnit, Organisation, OrganisationKind

pytestmark = pytest.mark.django_db

SEED_NAME = "001_466aada88774bee6.txt"
MAP_ROW_LABELS = (
    "重要インフラ分野",
    "事業の範囲",
    "名称",
    "事務局",
    "整備状況等",
    "構成員 (主な事業者等)",
    "緊急窓口(POC)",
    "情報の取扱いルール",
    "情報と連絡手段",
    "特徴",
)
# Rows where an empty seed cell continues the merged cell on its left.
MERGED_SEED_ROWS = {"重要インフラ分野", "名称", "整備状況等", "緊急窓口(POC)"}

FINANCE_COUNCIL = "金融CEPTOAR連絡協議会"
EXPECTED_NAMES = [
    "T-CEPTOAR",
    "放送における情報共有体制",
    FINANCE_COUNCIL,
    FINANCE_COUNCIL,
    FINANCE_COUNCIL,
    FINANCE_COUNCIL,
    "航空分野におけるCEPTOAR",
    "鉄道CEPTOAR",
    "電力におけるIT障害に係る情報共有・分析機能",
    "GAS CEPTOAR",
    "自治体CEPTOAR",
    "医療CEPTOAR",
    "水道CEPTOAR",
    "物流CEPTOAR",
]
EXPECTED_SECRETARIATS = [
    "財団法人マルチメディア振興センター",
    "総務省情報通信政策局地上放送課",
    "全国銀行協会事務システム部",
    "日本証券業協会IT管理室",
    "社団法人生命保険協会総務部組織人事グループ",
    "社団法人日本損害保険協会業務企画部企画安全グループ",
    "国土交通省航空局 航空安全推進課 航空保安対策室",
    "国土交通省鉄道局危機管理室",
    "電気事業連合会 情報通信部",
    "社団法人日本ガス協会 保安技術グループ",
    "財団法人地方自治情報センター 自治体セキュリティ支援室",
    "厚生労働省",
    "社団法人日本水道協会 総務部庶務課",
    "社団法人日本物流団体連合会",
]
EXPECTED_COUNTS = [
    {"社・団体": 29},
    {"社・団体": 195},
    {"社": 1738},
    {"社": 317, "機関": 10},
    {"社": 41},
    {"社": 28},
    {"グループ": 2, "機関": 3},
    {"社": 22, "団体": 1, "機関": 1},
    {"社": 12, "機関": 2},
    {"社": 10},
    {"団体": 1863},
    {"グループ": 1, "機関": 2},
    {"水道事業者": 1393},
    {"社": 16, "団体": 6},
]
EXPECTED_OBSERVERS = [0, 0, 0, 0, 0, 3, 0, 0, 0, 0, 0, 0, 0, 0]

_COUNT_RE = re.compile(r"([0-9][0-9,]*)\s*(社・団体|水道事業者|グループ|団体|機関|社)")
_PARENTHESES_RE = re.compile(r"[(（][^)）]*[)）]")
_OBSERVERS_RE = re.compile(r"含む\D*?([0-9][0-9,]*)")


def parse_counts(cell: str) -> tuple[dict[str, int], int]:
    """'28社(含むオプザバー-3社) (情報…)' → ({'社': 28}, 3). The description after ' (' is not counted."""
    head = cell.split(" (")[0]
    observers = _OBSERVERS_RE.search(head)
    counts: dict[str, int] = {}
    for number, unit in _COUNT_RE.findall(_PARENTHESES_RE.sub("", head)):
        counts[unit] = counts.get(unit, 0) + int(number.replace(",", ""))
    return counts, int(observers.group(1)) if observers else 0


def shared_dir() -> Path:
    configured = os.environ.get("CEPTOAR_SHARED_DIR")
    if configured:
        return Path(configured)
    return (Path(__file__).resolve().parents[2] / ".." / "shared").resolve()


@pytest.fixture(scope="module")
def seed_table() -> dict[str, list[str]]:
    """The published map, row label → 14 cells, merged cells expanded."""
    path = shared_dir() / "seeds" / SEED_NAME
    if not path.is_file():
        pytest.skip(f"seed map {path} not found: set CEPTOAR_SHARED_DIR to the shared directory to compare")
    table: dict[str, list[str]] = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        fields = line.split("\t")
        # The map is the first tab-separated block; a later 名称/事務局 block describes T-CEPTOAR alone.
        if fields[0] in MAP_ROW_LABELS and fields[0] not in table and len(fields) > 2:
            cells = [cell.strip() for cell in fields[1:]]
            if fields[0] in MERGED_SEED_ROWS:
                for index in range(1, len(cells)):
                    cells[index] = cells[index] or cells[index - 1]
            table[fields[0]] = cells
    assert list(table) == list(MAP_ROW_LABELS), "seed table rows not found as expected"
    return table


@pytest.fixture
def ja_map():
    return build_ceptoar_map(language="ja")


def test_expected_counts_parse_from_own_text():
    # Guards the parser the comparisons rely on: the seed's OCR typo and nested parentheses.
    assert parse_counts("28社(含むオプザバー-3社) (情報システム委員会参加会社)") == ({"社": 28}, 3)
    assert parse_counts("22社1団体 1機関 (鉄道事業者22社、1団体及び官庁(鉄道局))") == (
        {"社": 22, "団体": 1, "機関": 1},
        0,
    )
    assert parse_counts("1,863団体 (都道府県及び市区町村)") == ({"団体": 1863}, 0)


def test_columns_are_the_fourteen_ceptoars_in_map_order(ja_map):
    assert [column.code for column in ja_map.columns][:3] == ["t-ceptoar", "broadcasting", "banks"]
    assert ja_map.row("name").texts == EXPECTED_NAMES
    assert ja_map.row("secretariat").texts == EXPECTED_SECRETARIATS


def test_member_counts_match_the_published_numbers(ja_map):
    parsed = [parse_counts(text) for text in ja_map.row("members").texts]
    assert [counts for counts, _observers in parsed] == EXPECTED_COUNTS
    assert [observers for _counts, observers in parsed] == EXPECTED_OBSERVERS


def test_member_cells_use_the_published_notation(ja_map):
    members = ja_map.row("members").texts
    assert members[2] == "1,738社 (銀行、信用金庫、信用組合、労金、商工中金、農協等)"
    assert members[3] == "317社 10機関 (証券会社、取引所等証券関係機関)"
    assert members[5] == "28社(含むオブザーバー3社) (情報システム委員会参加会社)"
    assert members[7] == "22社1団体 1機関 (鉄道事業者22社、1団体及び官庁(鉄道局))"
    assert members[12] == "1,393水道事業者 (全国の会員水道事業者)"
    assert members[0].startswith("29社・団体 (")


def test_names_and_secretariats_equal_the_seed_cell_by_cell(ja_map, seed_table):
    assert len(seed_table["名称"]) == 14
    assert ja_map.row("name").texts == seed_table["名称"]
    assert ja_map.row("secretariat").texts == seed_table["事務局"]


def test_member_counts_equal_the_seed(ja_map, seed_table):
    ours = [parse_counts(text) for text in ja_map.row("members").texts]
    published = [parse_counts(text) for text in seed_table["構成員 (主な事業者等)"]]
    assert ours == published


def test_descriptive_rows_equal_the_seed(ja_map, seed_table):
    for key, label in [
        ("sector", "重要インフラ分野"),
        ("business_scope", "事業の範囲"),
        ("handling_rules", "情報の取扱いルール"),
        ("information_and_means", "情報と連絡手段"),
        ("features", "特徴"),
    ]:
        assert ja_map.row(key).texts == seed_table[label], key


def _runs(texts: list[str]) -> list[str]:
    return [text for index, text in enumerate(texts) if index == 0 or text != texts[index - 1]]


def test_set_up_and_poc_blocks_equal_the_seed(ja_map, seed_table):
    # The seed's tabs start the 平成20年 block one column early, at 自治体CEPTOAR; its own text says only
    # the new sectors (医療, 水道, 物流) started in 2008, so the blocks are compared by value and the
    # 11 + 3 layout is checked in test_rows_follow_the_seed_and_merge_where_it_does.
    for key, label in [("established", "整備状況等"), ("poc", "緊急窓口(POC)")]:
        assert _runs(ja_map.row(key).texts) == _runs(seed_table[label]), key


def test_rows_follow_the_seed_and_merge_where_it_does(ja_map):
    assert len(ja_map.rows) == len(MAP_ROW_LABELS)
    assert [cell.colspan for cell in ja_map.row("sector").cells] == [2, 0, 4, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1]
    assert [cell.colspan for cell in ja_map.row("name").cells] == [1, 1, 4, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1]
    assert [cell.colspan for cell in ja_map.row("established").cells] == [11] + [0] * 10 + [3, 0, 0]
    assert ja_map.row("established").texts[0] == "平成19年3月末に整備"
    assert ja_map.row("poc").texts[-1] == "平成20年4月より運用開始"
    # Rows the seed never merges stay one cell per column even where neighbours agree.
    assert all(cell.colspan == 1 for cell in ja_map.row("handling_rules").cells)


def test_map_is_built_in_a_fixed_number_of_queries(django_assert_max_num_queries):
    with django_assert_max_num_queries(4):
        build_ceptoar_map(language="ja")


@pytest.mark.parametrize(
    ("day", "expected"),
    [
        (datetime.date(2007, 3, 31), "平成19年3月"),
        (datetime.date(1989, 1, 7), "昭和64年1月"),
        (datetime.date(1989, 1, 8), "平成元年1月"),
        (datetime.date(2019, 4, 30), "平成31年4月"),
        (datetime.date(2019, 5, 1), "令和元年5月"),
        (datetime.date(2024, 10, 1), "令和6年10月"),
    ],
)
def test_japanese_era_months(day, expected):
    assert japanese_era_month(day) == expected


def test_map_reflects_the_registry(ja_map):
    gas = Organisation.objects.get(code="gas")
    newcomer = Organisation.objects.create(
        code="gas-9999", name="新規ガス株式会社", kind=OrganisationKind.MEMBER, sector=gas.sector
    )
    Membership.objects.create(ceptoar=gas, member=newcomer, unit=MemberUnit.COMPANY)
    gas_column = [column.code for column in ja_map.columns].index("gas")
    assert parse_counts(ja_map.row("members").texts[gas_column])[0] == {"社": 10}
    updated = build_ceptoar_map(language="ja")
    assert parse_counts(updated.row("members").texts[gas_column])[0] == {"社": 11}
    assert updated.columns[gas_column].member_counts == {MemberUnit.COMPANY: 11}


def test_english_map_uses_english_words():
    english = build_ceptoar_map(language="en")
    assert english.row("sector").label == "Critical-infrastructure sector"
    assert english.row("established").texts[0] == "Set up by end of March 2007"
    assert english.row("poc").texts[-1] == "POC in operation since April 2008"
    assert english.row("handling_rules").texts[0] == "Enacted January 2007"
    assert english.row("members").texts[3].startswith("317 companies, 10 institutions (")
    assert english.row("members").texts[5].startswith("28 companies (including 3 observers) (")
    assert (
        "E-mail, Telephone, Mobile phone, FAX, Web, Meetings" in english.row("information_and_means").texts[8]
    )


def test_page_shows_the_map_with_merged_cells(client_as):
    response = client_as("demo-member").get(reverse("registry:map"))
    assert response.status_code == 200
    html = response.content.decode()
    assert f'colspan="4">{FINANCE_COUNCIL}</td>' in html
    assert 'colspan="11">平成19年3月末に整備</td>' in html
    assert reverse("registry:map_csv") in html and reverse("registry:map_xlsx") in html
    assert "317社 10機関" in html


def test_english_page_shows_english_labels(client_as):
    client = client_as("demo-member")
    client.cookies["ceptoar_language"] = "en"
    html = client.get(reverse("registry:map")).content.decode()
    assert "Critical-infrastructure sector" in html
    assert "Emergency point of contact (POC)" in html
    assert "Set up by end of March 2007" in html
    assert "平成19年3月末に整備" not in html


def test_map_needs_a_login(client):
    response = client.get(reverse("registry:map_csv"))
    assert response.status_code == 302


def _csv_rows(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text)))


def test_csv_download_parses_back_to_the_map(client_as, ja_map):
    response = client_as("demo-member").get(reverse("registry:map_csv"))
    assert response.status_code == 200
    assert response["Content-Disposition"] == 'attachment; filename="ceptoar-map.csv"'
    assert response.content.startswith("\ufeff".encode())
    rows = _csv_rows(response.content.decode("utf-8-sig"))
    assert rows == ja_map.as_table()
    assert rows[2][1:] == EXPECTED_NAMES
    assert [row[0] for row in rows] == [row.label for row in ja_map.rows]


def test_xlsx_download_has_merged_cells_and_the_same_values(client_as, ja_map):
    from openpyxl import load_workbook

    response = client_as("demo-member").get(reverse("registry:map_xlsx"))
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.content)).active
    merged = {str(cell_range) for cell_range in sheet.merged_cells.ranges}
    assert {"B1:C1", "D1:G1", "D3:G3", "B5:L5", "M5:O5", "B7:L7", "M7:O7"} <= merged
    values = [[cell.value for cell in row] for row in sheet.iter_rows(max_col=15)]
    for values_row, map_row in zip(values, ja_map.rows, strict=True):
        expected = [map_row.label] + [cell.text if cell.colspan else None for cell in map_row.cells]
        assert values_row == expected
    assert sheet["A1"].font.b
    assert sheet["B6"].alignment.wrap_text
    assert sheet.freeze_panes == "B2"


def test_xlsx_and_csv_follow_the_current_language(client_as):
    client = client_as("demo-member")
    client.cookies["ceptoar_language"] = "en"
    rows = _csv_rows(client.get(reverse("registry:map_csv")).content.decode("utf-8-sig"))
    assert rows[4][1] == "Set up by end of March 2007"
    from openpyxl import load_workbook

    sheet = load_workbook(io.BytesIO(client.get(reverse("registry:map_xlsx")).content)).active
    assert sheet["A1"].value == "Critical-infrastructure sector"


def test_command_prints_the_same_csv_as_the_download(client_as):
    output = io.StringIO()
    call_command("map", "--format", "csv", stdout=output)
    downloaded = client_as("demo-member").get(reverse("registry:map_csv")).content.decode("utf-8")
    assert not output.getvalue().startswith("\ufeff")
    assert "\ufeff" + output.getvalue() == downloaded


def test_command_writes_json_and_xlsx(tmp_path):
    output = io.StringIO()
    call_command("map", "--format", "json", "--language", "en", stdout=output)
    document = json.loads(output.getvalue())
    assert document["rows"][0]["label"] == "Critical-infrastructure sector"
    assert [cell["colspan"] for cell in document["rows"][0]["cells"]][:3] == [2, 0, 4]
    target = tmp_path / "map.xlsx"
    call_command("map", "--format", "xlsx", "--output", str(target))
    from openpyxl import load_workbook

    sheet = load_workbook(target).active
    assert sheet["B3"].value == "T-CEPTOAR"
    assert sheet["D3"].value == FINANCE_COUNCIL


def test_csv_repeats_merged_values_in_every_column(ja_map):
    rows = _csv_rows(map_to_csv(ja_map))
    assert rows[0][3:7] == ["金融"] * 4
