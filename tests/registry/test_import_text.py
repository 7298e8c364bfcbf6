"""An import file is read in its own encoding or refused naming the line: UTF-8, plausible Shift_JIS, or the
encoding --encoding names. EUC-JP that merely decodes as cp932 must never overwrite stored names."""

from __future__ import annotations

import io
import re

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from ceptoar.registry.importer import RegistryImportError, import_registry
from ceptoar.registry.importer.text import UnreadableText, decode, encoding_named
from ceptoar.registry.models import Contact, Organisation
from tests.registry.member_lists import HELD_OUT, TUNING
from tests.registry.registry_state import registry_state

pytestmark = pytest.mark.usefixtures("english")

LISTS = {**TUNING, **HELD_OUT}


def encodable(text: str, encoding: str) -> bool:
    try:
        text.encode(encoding)
    except UnicodeEncodeError:
        return False
    return True


def lists_in(encoding: str) -> list[str]:
    return [name for name, text in LISTS.items() if encodable(text, encoding)]


def refusal(data: bytes, encoding: str | None = None, **kwargs) -> UnreadableText:
    with pytest.raises(UnreadableText) as caught:
        decode(data, encoding, **kwargs)
    return caught.value


def first_japanese_line(text: str) -> int:
    return next(number for number, line in enumerate(text.split("\n"), 1) if not line.isascii())


# -- the member lists in every encoding -------------------------------------------------------------------


@pytest.mark.parametrize("name", LISTS)
def test_utf8_with_and_without_a_byte_order_mark_reads_as_written(name):
    assert decode(LISTS[name].encode("utf-8")) == LISTS[name]
    assert decode(LISTS[name].encode("utf-8-sig")) == LISTS[name]


@pytest.mark.parametrize("name", lists_in("cp932"))
def test_shift_jis_reads_as_written_with_and_without_naming_it(name):
    data = LISTS[name].encode("cp932")
    assert decode(data) == LISTS[name]
    assert decode(data, "cp932") == LISTS[name]


def test_windows_characters_are_shift_jis_only():
    # ① ㈱ № (NEC) and 髙 﨑 (IBM) are what Windows users type; EUC-JP proper has none of them.
    text = LISTS["windows-extensions"]
    assert {"①", "㈱", "№", "髙", "﨑"} <= set(text)
    assert not encodable(text, "euc_jp")
    assert decode(text.encode("cp932")) == text


@pytest.mark.parametrize("name", lists_in("euc_jp"))
def test_euc_jp_is_refused_at_its_first_japanese_line_and_read_when_named(name):
    text = LISTS[name]
    data = text.encode("euc_jp")
    error = refusal(data)
    assert "it reads as EUC-JP. Give --encoding euc-jp" in error.message
    assert error.line == first_japanese_line(text)
    assert decode(data, "euc-jp") == text


@pytest.mark.parametrize("name", lists_in("iso2022_jp"))
def test_iso_2022_jp_is_refused_by_name(name):
    text = LISTS[name]
    error = refusal(text.encode("iso2022_jp"))
    assert error.message == "The file is ISO-2022-JP (JIS) text. Save it as UTF-8 and import it again."
    assert error.line == first_japanese_line(text)


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-le", "utf-16-be"])
@pytest.mark.parametrize("name", LISTS)
def test_utf16_with_or_without_a_byte_order_mark_is_refused_by_name(name, encoding):
    error = refusal(LISTS[name].encode(encoding))
    assert error.message == "The file is UTF-16 text. Save it as UTF-8 and import it again."


@pytest.mark.parametrize("name", lists_in("latin-1"))
def test_latin1_is_refused_naming_where_each_reading_goes_wrong(name):
    text = LISTS[name]
    error = refusal(text.encode("latin-1"))
    first = next(number for number, line in enumerate(text.split("\n"), 1) if not line.isascii())
    assert re.match(
        rf"The file is neither UTF-8 nor Shift_JIS \(cp932\) text: read as UTF-8 it goes wrong on line {first}, "
        r"read as Shift_JIS on line \d+\.",
        error.message,
    )
    assert error.line >= first


def test_utf8_with_one_character_from_another_encoding_names_that_line():
    data = LISTS["banks"].encode().replace("ひまわり".encode(), "ひまわり".encode() + b"\xe9")  # é in Latin-1
    error = refusal(data)
    assert error.line == 4
    assert error.message.startswith("This line is not UTF-8 text, though the rest of the file is")


def test_a_file_half_utf8_half_shift_jis_is_refused_at_the_line_where_it_changes():
    lines = LISTS["banks"].splitlines(keepends=True)
    data = "".join(lines[:3]).encode("utf-8") + "".join(lines[3:]).encode("cp932")
    assert refusal(data).line == 4


def test_valid_utf8_that_is_really_euc_jp_is_refused():
    # 夕平村 in EUC-JP is the UTF-8 of "ͼʿ¼": valid, and nonsense.
    data = "code,name,ceptoar\nlocal-government-0001,夕平村,local-government\n".encode("euc_jp")
    data.decode("utf-8")
    assert "it reads as EUC-JP" in refusal(data).message


def test_european_names_in_utf8_are_not_mistaken_for_anything_else():
    for name in ("Łódź Sp. z o.o.", "Ærø Fragt", "naïve café", "© 2025 Foo", "Ωmega"):
        text = f"code,name\nx-1,{name}\n"
        assert decode(text.encode("utf-8")) == text


def test_half_width_katakana_no_one_could_type_is_not_shift_jis():
    # A voiced mark after a kana that takes none, a small kana that follows nothing: bytes from elsewhere.
    for name in ("ｱﾞｲ", "ｯﾃｽﾄ"):
        data = f"code,name\nbanks-0001,{name}\n".encode("cp932")
        assert refusal(data).line == 2


# -- naming the encoding ---------------------------------------------------------------------------------------


def test_encoding_names_and_their_aliases():
    assert {encoding_named(n) for n in ("utf-8", "UTF8", "utf_8")} == {"utf-8"}
    assert {encoding_named(n) for n in ("cp932", "Shift_JIS", "sjis", "Windows-31J", "MS932")} == {"cp932"}
    assert {encoding_named(n) for n in ("euc-jp", "EUC_JP", "eucjp")} == {"euc-jp"}
    for name in ("latin-1", "iso-2022-jp", "utf-16", ""):
        with pytest.raises(ValueError, match=r"Unknown encoding .*; give one of utf-8, cp932, euc-jp\."):
            encoding_named(name)


def test_a_named_encoding_refuses_a_byte_that_does_not_decode_naming_the_line():
    data = LISTS["banks"].encode("cp932")
    error = refusal(data, "utf-8")
    assert error.line == 2
    assert re.fullmatch(
        r"This line is not utf-8 text: byte 0x[0-9A-F]{2} \(byte \d+ of the line\) does not decode\.",
        error.message,
    )
    error = refusal("code,name\nbanks-0001,みらい銀行\n".encode("cp932") + b"x,\x81\x20\n", "cp932")
    assert error.line == 3 and "byte 0x81 (byte 3 of the line)" in error.message
    # EUC-JP from Linux (eucJP-ms) writes ① as AD A1, which EUC-JP proper lacks.
    error = refusal(b"code,name\nbanks-0001,\xad\xa1\n", "euc-jp")
    assert error.line == 2 and "byte 0xAD" in error.message


def test_control_characters_are_refused_whatever_the_encoding():
    # PostgreSQL refuses NUL in text: it must never reach the writing.
    for data in (b"code,name\nbanks-0001,A\x00B\n", "code,name\nbanks-0001,A\x1bB\n".encode("cp932")):
        error = refusal(data)
        assert error.line == 2 and "control character U+00" in error.message
        assert refusal(data, "cp932").line == 2


# -- the case, through the import ---------------------------------------------------------------------


@pytest.mark.django_db
def test_an_euc_jp_member_list_changes_nothing_and_imports_when_its_encoding_is_named():
    stored = Organisation.objects.get(code="banks-0001")
    text = f"code,name,ceptoar\nbanks-0001,{stored.name}（新名称）,banks\n"
    data = text.encode("euc_jp")
    data.decode("cp932")  # decodes "successfully": the old importer stored the result
    before = registry_state()
    with pytest.raises(RegistryImportError) as caught:
        import_registry(data, format="csv")
    [problem] = caught.value.problems
    assert str(problem).startswith(
        "line 2: The file is neither UTF-8 nor Shift_JIS (cp932) text; it reads as EUC-JP."
    )
    assert registry_state() == before

    summary = import_registry(data, format="csv", encoding="euc-jp")
    assert summary.updated("organisations") == 1
    assert Organisation.objects.get(code="banks-0001").name == f"{stored.name}（新名称）"


@pytest.mark.django_db
def test_the_command_takes_an_encoding_and_refuses_unknown_ones(tmp_path):
    path = tmp_path / "members.csv"
    path.write_bytes("code,name,ceptoar\nbanks-0001,ユーロ銀行,banks\n".encode("euc_jp"))
    err = io.StringIO()
    with pytest.raises(CommandError, match="Nothing was imported"):
        call_command("import", "registry", str(path), stderr=err)
    assert (
        "line 2: The file is neither UTF-8 nor Shift_JIS (cp932) text; it reads as EUC-JP" in err.getvalue()
    )

    with pytest.raises(CommandError, match=r"Unknown encoding latin-1; give one of utf-8, cp932, euc-jp\."):
        call_command("import", "registry", str(path), "--encoding", "latin-1")

    out = io.StringIO()
    call_command("import", "registry", str(path), "--encoding", "EUC-JP", stdout=out)
    assert "Organisations: 0 created, 1 updated" in out.getvalue()
    assert Organisation.objects.get(code="banks-0001").name == "ユーロ銀行"


@pytest.mark.django_db
def test_json_is_utf8_unless_the_encoding_is_named():
    data = '{"organisations": [\n{"code": "banks-0001", "name": "㈱髙橋銀行"}]}'.encode("cp932")
    with pytest.raises(RegistryImportError) as caught:
        import_registry(data)
    assert [str(p) for p in caught.value.problems] == [
        "line 2: This line is not UTF-8 text, and a JSON file is UTF-8. Save the file as UTF-8, or name its "
        "encoding with --encoding."
    ]
    assert import_registry(data, encoding="cp932").updated("organisations") == 1
    assert Organisation.objects.get(code="banks-0001").name == "㈱髙橋銀行"


@pytest.mark.django_db
def test_every_name_in_the_demo_registry_reads_right_as_shift_jis_and_is_refused_as_euc_jp():
    """Thousands of real-looking names, one per file (the least text to judge by)."""
    names = set(Organisation.objects.values_list("name", flat=True))
    names |= set(Contact.objects.values_list("name", flat=True))
    names |= set(Contact.objects.values_list("title", flat=True))
    names = sorted(name for name in names if not name.isascii())
    assert len(names) > 5000
    refused_as_euc_jp = 0
    for name in names:
        text = f"code,name\nx-0001,{name}\n"
        assert decode(text.encode("cp932")) == text, name
        if encodable(text, "euc_jp"):
            error = refusal(text.encode("euc_jp"))
            refused_as_euc_jp += "it reads as EUC-JP" in error.message
    # The rest are refused too, only without the hint.
    assert refused_as_euc_jp >= 0.99 * len(names)
