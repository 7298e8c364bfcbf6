"""What an import refuses before reading any record: files, records and fields over their limits, JSON nested
too deep or repeating a key, unknown columns. Each refusal names what was wrong and where, and leaves every
stored row as it was. Also: a header may use the Japanese column names of docs/import-format.md."""

from __future__ import annotations

import io
import json
import re
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import override_settings

from ceptoar.registry.importer import CSV_COLUMNS, CSV_JAPANESE_COLUMNS, RegistryImportError, import_registry
from ceptoar.registry.importer.text import MAX_FIELD_CHARS, MAX_JSON_DEPTH
from ceptoar.registry.models import Contact, Membership, Organisation
from tests.registry.member_lists import TUNING
from tests.registry.registry_state import registry_state

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]


def refused(data, **kwargs) -> list[str]:
    """The problems of an import that must be refused, after checking that it changed nothing."""
    before = registry_state()
    with pytest.raises(RegistryImportError) as caught:
        import_registry(data, **kwargs)
    assert registry_state() == before
    return [str(problem) for problem in caught.value.problems]


# A file that would change stored rows if it were let through: the refusals below are about something else.
RENAME = {"organisations": [{"code": "banks-0001", "name": "改名された銀行"}]}


# -- sizes ----------------------------------------------------------------------------------------------------


@override_settings(CEPTOAR_IMPORT_MAX_BYTES=2048)
def test_a_file_over_the_size_limit_is_refused_naming_the_limit(tmp_path):
    text = json.dumps({**RENAME, "organisations": [{"code": "banks-0001", "notes": "備考" * 1000}]})
    expected = [
        f"The file is {len(text.encode()):,} bytes; an import reads at most 2,048 bytes "
        "(CEPTOAR_IMPORT_MAX_BYTES). Split the file."
    ]
    assert refused(text.encode()) == expected
    assert refused(text) == expected
    path = tmp_path / "big.json"
    path.write_text(text, encoding="utf-8")
    err = io.StringIO()
    with pytest.raises(CommandError, match="Nothing was imported"):
        call_command("import", "registry", str(path), stderr=err)
    assert err.getvalue().strip() == expected[0]
    assert import_registry(json.dumps(RENAME)).updated("organisations") == 1  # a small file passes


@override_settings(CEPTOAR_IMPORT_MAX_RECORDS=3)
def test_a_file_with_more_records_than_the_limit_is_refused():
    message = "The file holds more than 3 records, the most an import takes (CEPTOAR_IMPORT_MAX_RECORDS). Split the file."
    memberships = [{"ceptoar": "banks", "member": f"banks-000{i}"} for i in range(1, 4)]
    assert refused({**RENAME, "memberships": memberships}) == [message]
    rows = "".join(f"banks-000{i},,banks\n" for i in range(1, 5))
    assert refused("code,name,ceptoar\n" + rows, format="csv") == [f"line 5: {message}"]
    assert import_registry("code,name,ceptoar\n" + rows[: rows.index("banks-0004")], format="csv")


def test_a_field_longer_than_any_the_registry_holds_is_refused_where_it_is():
    long_text = "あ" * (MAX_FIELD_CHARS + 1)
    document = {
        "organisations": [{"code": "banks-0001", "notes": "ok"}, {"code": "banks-0002", "notes": long_text}],
        "contacts": [
            {"organisation": "banks-0001", "name": "x", "channels": [{"kind": "email", "value": long_text}]}
        ],
    }
    too_long = (
        f"This text is {MAX_FIELD_CHARS + 1:,} characters long; a field holds at most {MAX_FIELD_CHARS:,}."
    )
    assert refused(json.dumps(document, ensure_ascii=False).encode()) == [
        f'organisations[1] field "notes": {too_long}',
        f'contacts[0].channels[0] field "value": {too_long}',
    ]
    csv_text = f"code,name,ceptoar\nbanks-0001,{'x' * (MAX_FIELD_CHARS + 1)},banks\n"
    assert refused(csv_text, format="csv") == [f'line 2 column "name": {too_long}']
    # Python's csv reader stops at 131,072 characters itself.
    csv_text = f"code,name,ceptoar\nbanks-0001,ok,banks\nbanks-0002,{'x' * 140_000},banks\n"
    assert refused(csv_text, format="csv") == [
        f"line 3: A cell on this line is longer than {MAX_FIELD_CHARS:,} characters, the most a field holds."
    ]


# -- JSON structure -------------------------------------------------------------------------------------------


def test_json_nested_a_hundred_thousand_deep_is_a_problem_not_a_traceback(tmp_path):
    limit = f"The JSON is nested deeper than {MAX_JSON_DEPTH} levels"
    assert refused("[" * 100_000) == [f"{limit} (line 1, column {MAX_JSON_DEPTH + 1})."]
    assert refused(b"{" * 100_000) == [f"{limit} (line 1, column {MAX_JSON_DEPTH + 1})."]
    record = '{"code": "banks-0001", "profile": {"business_scope": ' + "[" * 50 + "]" * 50 + "}}"
    # Four levels (document, section, record, profile) before the first "[".
    column = record.index("[") + 1 + MAX_JSON_DEPTH - 4
    assert refused('{"organisations": [\n' + record + "]}") == [
        f"organisations[0]: {limit} (line 2, column {column})."
    ]

    path = tmp_path / "deep.json"
    path.write_text("[" * 100_000, encoding="utf-8")
    err = io.StringIO()
    with pytest.raises(CommandError, match="Nothing was imported"):
        call_command("import", "registry", str(path), stderr=err)
    assert limit in err.getvalue()


def test_a_key_repeated_in_any_json_object_is_refused_naming_it_and_its_line():
    text = (
        '{"organisations": [\n'
        '  {"code": "banks-0001", "name": "A銀行",\n'
        '   "name": "B銀行"}],\n'
        ' "contacts": [{"organisation": "banks-0001", "name": "x", "channels": [\n'
        '   {"kind": "email", "value": "a@b.example.jp", "kind": "phone"}]}],\n'
        ' "organisations": []}'
    )
    assert refused(text.encode()) == [
        'field "organisations": This field appears more than once in the same object (line 6, column 2).',
        'organisations[0] field "name": This field appears more than once in the same object (line 3, column 4).',
        'contacts[0].channels[0] field "kind": This field appears more than once in the same object '
        "(line 5, column 49).",
    ]
    # The same key written with an escape is the same key.
    assert refused('{"organisations": [], "organi\\u0073ations": []}') == [
        'field "organisations": This field appears more than once in the same object (line 1, column 23).'
    ]


def test_a_string_that_never_ends_is_refused_as_invalid_json():
    # The structure scan stops at it (rather than look for its end from every later quote).
    assert refused('{"organisations": [{"code": "banks-0001", "name": "' + '\\"' * 200_000) == [
        "line 1: This is not valid JSON: Unterminated string starting at (column 51)."
    ]


def test_what_json_loads_would_take_but_json_is_not_is_refused():
    assert refused('{"rules": [{"ceptoar": "banks", "version": NaN}]}') == [
        "This is not valid JSON: NaN is not a JSON value."
    ]
    [problem] = refused('{"rules": [{"ceptoar": "banks", "version": 1' + "0" * 5000 + "}]}")
    assert problem.startswith(
        "This is not valid JSON: Exceeds the limit (4300 digits) for integer string conversion"
    )


# -- Japanese column names ------------------------------------------------------------------------------------


def test_a_member_list_with_japanese_column_names_imports():
    text = TUNING["water"]
    assert text.startswith("組織コード,名称,セプター,数え方,窓口 氏名,部署・役職,役割,電子メール,電話\n")
    summary = import_registry(text.encode("cp932"), format="csv")
    assert summary.created("organisations") == 3 and summary.created("contacts") == 3
    mizuno = Contact.objects.get(organisation__code="water-9201")
    assert (mizuno.name, mizuno.title, mizuno.role) == ("水野 花子", "浄水課 課長補佐", "primary")
    assert [(c.kind, c.value) for c in mizuno.channels.order_by("position")] == [
        ("email", "mizuno@midori-water.example.jp"),
        ("phone", "048-000-0001"),
    ]
    assert Membership.objects.get(member__code="water-9201").unit == "water_utility"


def test_japanese_column_names_compare_regardless_of_width_and_spaces():
    text = "組織コード,名称,セプター,窓口　氏名,役割,ＦＡＸ, メール \nbanks-0001,,banks,新 窓口,backup,03-1111-2222,new@banks.example.jp\n"
    assert import_registry(text, format="csv").created("contacts") == 1
    contact = Contact.objects.get(organisation__code="banks-0001", name="新 窓口")
    assert [c.kind for c in contact.channels.order_by("position")] == ["fax", "email"]


def test_problems_name_the_columns_as_the_header_writes_them():
    text = "組織コード,名称,セプター,窓口 氏名,役割,電子メール\nbanks-9001,新銀行,banks,担当,chief,foo@\n"
    assert refused(text, format="csv") == [
        # 数え方 is not in the file, and named in the header's language all the same.
        'line 2 (code=banks-9001) column "数え方": This field cannot be blank.',
        "line 2 (code=banks-9001) column \"役割\": Value 'chief' is not a valid choice.",
        'line 2 (code=banks-9001) column "電子メール": foo@ is not an e-mail address.',
    ]


def test_an_unknown_japanese_column_is_refused_naming_it_and_the_japanese_columns():
    problems = refused("組織コード,セプター,ファックス番号\nbanks-0001,banks,03-0000-0000\n", format="csv")
    known = ", ".join(CSV_JAPANESE_COLUMNS[column][0] for column in CSV_COLUMNS)
    assert problems == [f'line 1 column "ファックス番号": Unknown column; the columns are {known}.']


def test_a_column_given_twice_under_two_names_is_refused():
    assert refused("code,組織コード,ceptoar\nbanks-0001,banks-0001,banks\n", format="csv") == [
        'line 1 column "組織コード": This column appears more than once.'
    ]
    assert refused("名称,セプター\n銀行,banks\n", format="csv") == [
        'line 1 column "組織コード": This column is required.'
    ]


def test_the_format_documentation_lists_the_japanese_column_names_the_import_accepts():
    text = (Path(__file__).resolve().parents[2] / "docs" / "import-format.md").read_text(encoding="utf-8")
    csv_table = text[text.index("## CSV") : text.index("## Checks")]
    documented = {}
    for row in re.findall(r"^\| `(\w+)` \| ([^|]+) \|", csv_table, re.MULTILINE):
        documented[row[0]] = tuple(name.strip() for name in row[1].split(" / "))
    assert documented == CSV_JAPANESE_COLUMNS


# -- nothing stored changes ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "data, options",
    [
        ("code,name,ceptoar\nbanks-0001,改名された銀行,banks\n".encode("euc_jp"), {"format": "csv"}),
        ("code,name,ceptoar\nbanks-0001,改名された銀行,banks\n".encode("utf-16"), {"format": "csv"}),
        (b"code,name,ceptoar\nbanks-0001,\xff\xfe,banks\n", {"format": "csv", "encoding": "utf-8"}),
        ("code,name,ceptoar,fax_number\nbanks-0001,改名された銀行,banks,1\n", {"format": "csv"}),
        (json.dumps(RENAME, ensure_ascii=False)[:-1] + ', "contacts": ' + "[" * 5000, {}),
        ('{"organisations": [{"code": "banks-0001", "name": "改名された銀行", "code": "banks-0002"}]}', {}),
        (json.dumps(RENAME, ensure_ascii=False).encode("cp932"), {}),
    ],
    ids=["euc-jp", "utf-16", "bad byte", "unknown column", "deep json", "repeated key", "json not utf-8"],
)
def test_a_refused_import_leaves_every_stored_row_as_it_was(data, options):
    name = Organisation.objects.get(code="banks-0001").name
    assert refused(data, **options)
    assert Organisation.objects.get(code="banks-0001").name == name
