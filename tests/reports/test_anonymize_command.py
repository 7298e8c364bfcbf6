"""`ceptoar anonymize FILE [--json] [--reporter CODE]` and `ceptoar anonymize --score PATH…` against the demo
registry in the test database."""

from __future__ import annotations

import io
import json
import re

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import translation

from ceptoar.registry.models import Contact, Organisation


@pytest.fixture
def report_file(db, tmp_path):
    member = Organisation.objects.get(code="water-0001")
    contact = Contact.objects.filter(organisation=member, kind="person").order_by("position").first()
    text = (
        f"{member.name}の{contact.name}です。\n"
        f"浄水場の監視サーバ scada01（192.168.50.10）が停止しました。参考 https://www.ipa.go.jp/ \n"
        f"連絡先 {contact.name.split()[0]}課長 03-5550-1234 soc@{member.domain}\n"
    )
    path = tmp_path / "report.txt"
    path.write_text(text, encoding="utf-8")
    return path, text, member, contact


def run(*args) -> str:
    out = io.StringIO()
    with translation.override("en"):
        call_command("anonymize", *args, stdout=out)
    return out.getvalue()


def test_prints_the_sanitised_text(report_file):
    path, _, member, contact = report_file
    printed = run(str(path))
    assert printed.startswith("A社の甲氏です。\n")
    assert "監視サーバ 〔ホスト名1〕（〔IPアドレス1〕）" in printed
    assert "https://www.ipa.go.jp/" in printed
    assert "甲課長 〔電話番号1〕 〔メールアドレス1〕" in printed
    assert member.name not in printed and contact.name not in printed


def test_json_gives_every_redaction_with_its_span_in_the_original(report_file):
    path, text, member, _ = report_file
    document = json.loads(run(str(path), "--json", "--reporter", "water-0001"))
    assert set(document) == {"text", "redactions"}
    kinds = [r["kind"] for r in document["redactions"]]
    assert kinds == ["organisation", "person", "hostname", "ip_address", "person", "phone", "email"]
    for redaction in document["redactions"]:
        assert set(redaction) == {"start", "end", "kind", "original", "replacement"}
        assert text[redaction["start"] : redaction["end"]] == redaction["original"]
    assert document["redactions"][0] == {
        "start": 0,
        "end": len(member.name),
        "kind": "organisation",
        "original": member.name,
        "replacement": "A社",
    }


def test_json_keeps_japanese_readable(report_file):
    path, *_ = report_file
    assert "メールアドレス" in run(str(path), "--json")


def test_a_missing_file_is_named(db, tmp_path):
    missing = tmp_path / "no-such-report.txt"
    with translation.override("en"), pytest.raises(CommandError, match="no-such-report.txt: no such file"):
        call_command("anonymize", str(missing))


def test_a_file_that_is_not_utf8_is_named(db, tmp_path):
    path = tmp_path / "sjis.txt"
    path.write_bytes("障害報告".encode("shift_jis"))
    with translation.override("en"), pytest.raises(CommandError, match="sjis.txt: it is not UTF-8"):
        call_command("anonymize", str(path))


def test_an_unknown_reporter_is_refused(report_file):
    path, *_ = report_file
    with translation.override("en"), pytest.raises(CommandError, match="no-such-org"):
        call_command("anonymize", str(path), "--reporter", "no-such-org")


def test_score_prints_recall_and_precision_of_labelled_files(db, tmp_path):
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "one.txt").write_text(
        "reporter: gas-0003\n\n⟦org:{gas-0003.short}⟧の⟦contact:{gas-0003#1}⟧です。"
        "⟦person:TANAKA Hiroshi⟧ が ⟦host:vpn.example-gas.co.jp⟧ を停止。www.example.com は無関係。\n",
        encoding="utf-8",
    )
    printed = run("--score", str(tmp_path))
    assert printed.startswith("1 labelled files\n")
    assert re.search(r"^overall +4 +4 +1\.000$", printed, re.M)
    assert re.search(r"^names +2 +1\.000  \(contact \+ person\)$", printed, re.M)
    assert "precision 4/4 = 1.000" in printed


def test_score_names_a_file_with_a_bad_label(db, tmp_path):
    (tmp_path / "bad.txt").write_text("reporter: -\n\n⟦nickname:タナカ⟧ です\n", encoding="utf-8")
    with pytest.raises(CommandError, match="bad.txt: unknown label kind 'nickname'"):
        run("--score", str(tmp_path / "bad.txt"))
    with pytest.raises(CommandError, match="no-such-dir: no such file or directory"):
        run("--score", str(tmp_path / "no-such-dir"))


def test_without_a_file_or_score_the_command_says_what_it_needs(db):
    with pytest.raises(CommandError, match="Name a text file to anonymise"):
        run()
