"""Registry import: all or nothing, every problem reported with its place in the file, re-import changes nothing."""

from __future__ import annotations

import copy
import datetime
import io
import json

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from ceptoar.registry.importer import RegistryImportError, import_registry, import_registry_file
from ceptoar.registry.models import (
    CeptoarProfile,
    Contact,
    ContactChannel,
    CouncilSeat,
    HandlingRules,
    Membership,
    Organisation,
    Oversight,
    RulesAcceptance,
)

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]

MODELS = (
    Organisation,
    CeptoarProfile,
    Oversight,
    CouncilSeat,
    Membership,
    Contact,
    ContactChannel,
    HandlingRules,
    RulesAcceptance,
)


def row_counts() -> dict[str, int]:
    return {model.__name__: model.objects.count() for model in MODELS}


def problems_of(data, **kwargs) -> list[str]:
    with pytest.raises(RegistryImportError) as caught:
        import_registry(data, **kwargs)
    return [str(problem) for problem in caught.value.problems]


# A new CEPTOAR with everything a file can say about it. The sub-group comes before its CEPTOAR on
# purpose: references may point forward.
NEW_CEPTOAR = {
    "organisations": [
        {
            "code": "drone-sg1",
            "name": "ドローンSG1",
            "kind": "subgroup",
            "sector": "logistics",
            "parent": "drone",
        },
        {
            "code": "drone",
            "name": "ドローンCEPTOAR",
            "kind": "ceptoar",
            "sector": "logistics",
            "profile": {
                "business_scope": "無人航空機",
                "secretariat": "mlit",
                "established_on": "2025-04-01",
                "poc_started_on": "2025-05-01",
                "communication_means": ["email", "phone"],
            },
            "ministries": ["mlit"],
            "councils": ["ceptoar-council", {"code": "finance-council", "shown_on_map": False}],
        },
        {"code": "drone-0001", "name": "空撮株式会社", "kind": "member", "sector": "logistics"},
        {"code": "drone-0002", "name": "配送ドローン株式会社", "kind": "member", "sector": "logistics"},
    ],
    "memberships": [
        {
            "ceptoar": "drone",
            "member": "drone-0001",
            "via": "drone-sg1",
            "unit": "company",
            "joined_on": "2025-05-01",
        },
        {"ceptoar": "drone", "member": "drone-0002", "unit": "company", "is_observer": True},
    ],
    "contacts": [
        {
            "organisation": "drone-0001",
            "name": "空野 一郎",
            "role": "primary",
            "availability": "always",
            "last_verified_on": "2025-06-01",
            "channels": [
                {"kind": "email", "value": "sora@drone-0001.example.jp"},
                {"kind": "mobile", "value": "090-1111-2222"},
            ],
        },
        {
            "organisation": "drone-0001",
            "name": "空野 二郎",
            "role": "backup",
            "channels": [{"kind": "phone", "value": "03-1111-2222"}],
        },
        {
            "organisation": "drone",
            "name": "事務局窓口",
            "kind": "role_mailbox",
            "role": "desk_24x7",
            "channels": [
                {"kind": "email", "value": "desk@drone.example.jp"},
                {"kind": "webhook", "value": "https://hooks.drone.example.jp/alerts"},
            ],
        },
    ],
    "rules": [
        {
            "ceptoar": "drone",
            "version": 1,
            "title": "情報取扱いルール",
            "text": "第1条 …",
            "enacted_on": "2025-04-01",
        }
    ],
    "acceptances": [
        {
            "organisation": "drone-0001",
            "ceptoar": "drone",
            "version": 1,
            "accepted_on": "2025-04-15",
            "accepted_by_name": "空野 一郎",
        }
    ],
}


def test_json_creates_a_whole_ceptoar_and_reimport_changes_nothing():
    before = row_counts()
    summary = import_registry(copy.deepcopy(NEW_CEPTOAR))

    assert summary.created("organisations") == 4
    assert summary.created("memberships") == 2
    assert summary.created("contacts") == 3
    assert summary.created("rules") == 1 and summary.created("acceptances") == 1
    after = row_counts()
    assert after["Organisation"] - before["Organisation"] == 4
    assert after["ContactChannel"] - before["ContactChannel"] == 5
    assert after["CouncilSeat"] - before["CouncilSeat"] == 2

    drone = Organisation.objects.get(code="drone")
    assert Organisation.objects.get(code="drone-sg1").parent == drone
    assert drone.ceptoar_profile.secretariat.code == "mlit"
    assert list(drone.overseen_by.values_list("ministry__code", flat=True)) == ["mlit"]
    membership = Membership.objects.get(member__code="drone-0001")
    assert membership.via.code == "drone-sg1" and membership.joined_on == datetime.date(2025, 5, 1)
    assert Membership.objects.get(member__code="drone-0002").is_observer is True
    primary = Contact.objects.get(organisation__code="drone-0001", name="空野 一郎")
    assert [(c.kind, c.value) for c in primary.channels.order_by("position")] == [
        ("email", "sora@drone-0001.example.jp"),
        ("mobile", "090-1111-2222"),
    ]
    assert RulesAcceptance.objects.filter(organisation__code="drone-0001", rules__ceptoar=drone).exists()

    again = import_registry(json.dumps(NEW_CEPTOAR).encode())
    assert row_counts() == after
    for kind in (
        "organisations",
        "ceptoar_profiles",
        "oversights",
        "council_seats",
        "memberships",
        "contacts",
        "rules",
        "acceptances",
    ):
        assert again.created(kind) == 0 and again.updated(kind) == 0, kind
    assert again.unchanged("contacts") == 3


def test_json_updates_existing_records_by_their_keys():
    member = Organisation.objects.get(code="banks-0001")
    primary = member.contacts.filter(role="primary").first()
    old_channels = list(primary.channels.order_by("position"))
    document = {
        "organisations": [{"code": "banks-0001", "name": "改称銀行"}],
        "memberships": [{"ceptoar": "banks", "member": "banks-0001", "is_observer": True}],
        "contacts": [
            {
                "organisation": "banks-0001",
                "name": primary.name,
                "title": "新しい部署",
                "channels": [
                    {"kind": "phone", "value": "03-9999-0000"},
                    {"kind": "email", "value": "new@banks-0001.example.jp"},
                ],
            },
            {"organisation": "banks-0001", "name": "追加 担当", "role": "head"},
        ],
    }
    summary = import_registry(document)

    assert summary.updated("organisations") == 1
    assert summary.updated("memberships") == 1
    assert summary.updated("contacts") == 1 and summary.created("contacts") == 1
    member.refresh_from_db()
    assert member.name == "改称銀行" and member.kind == "member" and member.sector.code == "finance"
    primary.refresh_from_db()
    assert primary.title == "新しい部署" and primary.role == "primary"
    channels = list(primary.channels.order_by("position"))
    assert [(c.kind, c.value) for c in channels] == [
        ("phone", "03-9999-0000"),
        ("email", "new@banks-0001.example.jp"),
    ]
    assert {c.pk for c in channels} <= {c.pk for c in old_channels}  # rewritten in place, surplus removed
    added = Contact.objects.get(organisation=member, name="追加 担当")
    assert added.position > max(c.position for c in member.contacts.exclude(pk=added.pk))
    assert Membership.objects.get(ceptoar__code="banks", member=member).is_observer is True


def test_every_problem_is_reported_and_nothing_is_written():
    untouched = Organisation.objects.get(code="banks-0001")
    before = row_counts()
    document = {
        "organisations": [
            {"code": "banks-0001", "name": "書き換えてはいけない銀行"},  # valid on its own
            {"code": "banks-9999", "name": "", "kind": "member", "sector": "finance"},
            {"code": "banks-9998", "name": "A銀行", "kind": "member", "sector": "finance"},
            {"code": "banks-9998", "name": "B銀行", "kind": "member", "sector": "finance"},
            {"code": "banks-9997", "name": "所属なし銀行", "kind": "member", "sector": "finance"},
            {"code": "banks-9996", "name": "C銀行", "kind": "bank", "sector": "banking"},
            {"code": "banks-9995", "name": "D銀行", "kind": "member", "secter": "finance"},
        ],
        "memberships": [
            {"ceptoar": "banks", "member": "banks-9999", "unit": "company"},
            {"ceptoar": "banks", "member": "banks-9998", "unit": "company", "via": "t-ceptoar-sg1"},
            {"ceptoar": "banks", "member": "banks-9996", "unit": "company"},
            {"ceptoar": "banks", "member": "banks-9995", "unit": "company"},
            {"ceptoar": "banks", "member": "nobody-0001", "unit": "company"},
            {"ceptoar": "banks", "member": "fsa", "unit": "institution"},
        ],
        "contacts": [
            {
                "organisation": "banks-9998",
                "name": "山田 太郎",
                "role": "primary",
                "channels": [{"kind": "email", "value": "foo@"}, {"kind": "phone", "value": "03-1234-5678"}],
            },
            {"organisation": "banks-9994", "name": "誰か", "role": "primary"},
        ],
        "acceptances": [
            {
                "organisation": "water-0001",
                "ceptoar": "banks",
                "version": 1,
                "accepted_on": "2025-01-01",
                "accepted_by_name": "x",
            },
        ],
    }
    problems = problems_of(document)

    assert problems == [
        'organisations[1] (code=banks-9999) field "name": This field cannot be blank.',
        'organisations[3] (code=banks-9998) field "code": The organisation code banks-9998 appears twice in the '
        "file (first at organisations[2]).",
        "organisations[4] (code=banks-9997): A member operator must belong to a CEPTOAR: add a membership for "
        "banks-9997 to the file.",
        'organisations[5] (code=banks-9996) field "sector": Unknown sector code: banking',
        "organisations[5] (code=banks-9996) field \"kind\": Value 'bank' is not a valid choice.",
        'organisations[6] (code=banks-9995) field "secter": Unknown field.',
        'memberships[1] (code=banks-9998) field "via": This sub-group relays for another CEPTOAR.',
        # Follows from the unknown kind above, and is true: "bank" is not a kind that can be a member.
        'memberships[2] (code=banks-9996) field "member": A member is a member operator or a related body.',
        'memberships[4] (code=nobody-0001) field "member": Unknown organisation code: nobody-0001',
        'memberships[5] (code=fsa) field "member": A member is a member operator or a related body.',
        'contacts[0] (code=banks-9998) field "channels[0].value": foo@ is not an e-mail address.',
        'contacts[1] (code=banks-9994) field "organisation": Unknown organisation code: banks-9994',
        'acceptances[0] (code=water-0001) field "ceptoar": These rules belong to a CEPTOAR the organisation is not '
        "a member of.",
    ]
    assert row_counts() == before
    untouched_now = Organisation.objects.get(code="banks-0001")
    assert (untouched_now.name, untouched_now.updated_at) == (untouched.name, untouched.updated_at)


def test_an_organisation_with_memberships_cannot_stop_being_a_member_kind():
    problems = problems_of({"organisations": [{"code": "banks-0002", "kind": "ministry"}]})
    assert problems == [
        'organisations[0] (code=banks-0002) field "kind": banks-0002 is a member of banks, so it must stay a '
        "member operator or a related body."
    ]


def test_structure_rules_of_the_models_apply_to_records_created_by_the_same_file():
    problems = problems_of(
        {
            "organisations": [
                {"code": "new-ceptoar", "name": "新CEPTOAR", "kind": "ceptoar"},
                {"code": "new-sg", "name": "新SG", "kind": "subgroup"},
                {
                    "code": "new-member",
                    "name": "新構成員",
                    "kind": "member",
                    "sector": "finance",
                    "parent": "new-ceptoar",
                },
            ],
            "memberships": [
                {"ceptoar": "new-ceptoar", "member": "new-member", "unit": "company", "via": "banks-0001"}
            ],
        }
    )
    assert problems == [
        'organisations[0] (code=new-ceptoar) field "sector": A CEPTOAR belongs to a sector.',
        'organisations[1] (code=new-sg) field "parent": A sub-group or relay hub must name the CEPTOAR it relays for.',
        'organisations[2] (code=new-member) field "parent": Only a sub-group or relay hub has a parent CEPTOAR.',
        'memberships[0] (code=new-member) field "via": Must be a sub-group or relay hub.',
    ]


def test_file_level_problems_are_reported():
    assert problems_of(b'{"organisations": [}') == [
        "line 1: This is not valid JSON: Expecting value (column 20)."
    ]
    assert problems_of({"sectors": [], "contacts": {}, "rules": [{"ceptoar": "banks"}, 7]}) == [
        "sectors: Unknown section; the sections are organisations, memberships, contacts, rules, acceptances.",
        "contacts: Expected a list of records.",
        'rules[0] (code=banks) field "version": This field is required.',
        "rules[1]: Expected an object with named fields.",
    ]


def test_dry_run_reports_what_would_happen_and_writes_nothing():
    before = row_counts()
    summary = import_registry(copy.deepcopy(NEW_CEPTOAR), dry_run=True)
    assert summary.created("organisations") == 4 and summary.dry_run
    assert row_counts() == before


# -- CSV ----------------------------------------------------------------------------------------------------

CSV_HEADER = "code,name,kind,sector,ceptoar,via,unit,observer,contact_name,contact_role,phone,email\n"


def test_csv_member_list_creates_members_contacts_and_channels_in_column_order():
    text = CSV_HEADER + (
        "t-ceptoar-9001,新通信株式会社,,,t-ceptoar,t-ceptoar-sg3,company_or_body,,通信 花子,primary,03-1000-0001,hanako@tc9001.example.jp\n"
        "t-ceptoar-9001,,,,t-ceptoar,,,,通信 次郎,backup,,jiro@tc9001.example.jp\n"
        "\n"
        "t-ceptoar-9002,第二通信株式会社,related_body,,t-ceptoar,,company_or_body,yes,窓口,desk_24x7,03-1000-0002,\n"
    )
    summary = import_registry(text.encode("cp932"), format="csv")  # as saved by a spreadsheet on Windows

    assert summary.created("organisations") == 2 and summary.created("contacts") == 3
    first = Organisation.objects.get(code="t-ceptoar-9001")
    assert (first.name, first.kind, first.sector.code) == (
        "新通信株式会社",
        "member",
        "information-communications",
    )
    second_link = Membership.objects.get(member__code="t-ceptoar-9002")
    assert second_link.is_observer is True and second_link.via is None
    assert Organisation.objects.get(code="t-ceptoar-9002").kind == "related_body"
    assert Membership.objects.get(member=first).via.code == "t-ceptoar-sg3"
    hanako = Contact.objects.get(organisation=first, name="通信 花子")
    # phone precedes email in the header, so it is tried first.
    assert [(c.kind, c.value) for c in hanako.channels.order_by("position")] == [
        ("phone", "03-1000-0001"),
        ("email", "hanako@tc9001.example.jp"),
    ]
    assert list(first.contacts.order_by("position").values_list("name", flat=True)) == [
        "通信 花子",
        "通信 次郎",
    ]

    again = import_registry(text, format="csv")
    assert again.created("organisations") == again.updated("organisations") == 0
    assert again.unchanged("contacts") == 3


def test_csv_problems_name_line_and_column_and_nothing_is_written():
    before = row_counts()
    text = CSV_HEADER.replace("\n", ",fax_number\n") + (
        "banks-9001,銀行A,,,banks,,company,,担当 一郎,primary,03-1000-0001,foo@\n"
    )
    assert problems_of(text, format="csv") == [
        'line 1 column "fax_number": Unknown column; the columns are code, name, name_en, kind, sector, ceptoar, '
        "via, unit, observer, joined_on, contact_name, contact_kind, contact_title, contact_role, "
        "contact_availability, verified_on, email, phone, mobile, fax, satellite_phone, webhook, chat."
    ]
    text = CSV_HEADER + (
        "banks-9001,銀行A,,,banks,,company,,担当 一郎,primary,03-1000-0001,foo@\n"
        "banks-9001,銀行B,,,banks,,company,,担当 二郎,chief,03-1000-0002,\n"
        "banks-9002,銀行C,,,banks,t-ceptoar-sg1,,maybe,,,,\n"
        "banks-9003,銀行D,,,bankz,,company,,,,,\n"
        ",銀行E,,,banks,,company,,,,,\n"
    )
    assert problems_of(text, format="csv") == [
        'line 2 (code=banks-9001) column "email": foo@ is not an e-mail address.',
        'line 3 (code=banks-9001) column "name": 銀行B differs from 銀行A on line 2 for the same organisation.',
        "line 3 (code=banks-9001) column \"contact_role\": Value 'chief' is not a valid choice.",
        'line 4 (code=banks-9002) column "observer": Use true or false.',
        'line 4 (code=banks-9002) column "unit": This field cannot be blank.',
        'line 4 (code=banks-9002) column "via": This sub-group relays for another CEPTOAR.',
        'line 5 (code=banks-9003) column "ceptoar": Unknown organisation code: bankz',
        "line 5 (code=banks-9003): A member operator must belong to a CEPTOAR: add a membership for banks-9003 "
        "to the file.",
        'line 6 column "code": This field is required.',
    ]
    assert row_counts() == before


def test_csv_import_of_a_large_member_list_takes_a_bounded_number_of_queries(django_assert_max_num_queries):
    rows = [CSV_HEADER]
    for i in range(1, 2001):
        code = f"local-government-{8000 + i}"
        rows.append(
            f"{code},テスト市{i},,,local-government,,body,,担当 {i},primary,03-2000-{i:04d},poc{i}@{code}.example.jp\n"
        )
    before = row_counts()
    # Row by row would be well over 6,000 statements; batched, it is a few dozen (SQLite's 999-parameter
    # limit makes Django's batches smaller there than on PostgreSQL).
    with django_assert_max_num_queries(150):
        summary = import_registry("".join(rows), format="csv")
    assert summary.created("organisations") == 2000
    after = row_counts()
    assert after["Membership"] - before["Membership"] == 2000
    assert after["ContactChannel"] - before["ContactChannel"] == 4000


# -- the command ------------------------------------------------------------------------------------------


def test_command_imports_a_file_and_prints_the_summary(tmp_path):
    path = tmp_path / "drone.json"
    path.write_text(json.dumps(NEW_CEPTOAR, ensure_ascii=False), encoding="utf-8")
    out = io.StringIO()
    call_command("import", "registry", str(path), stdout=out)
    assert "Organisations: 4 created, 0 updated, 0 unchanged" in out.getvalue()
    assert Organisation.objects.filter(code="drone-0002").exists()


def test_command_refuses_a_bad_file_with_every_problem_and_a_failing_exit(tmp_path):
    path = tmp_path / "members.csv"
    path.write_text(
        CSV_HEADER + "banks-9001,銀行A,,,banks,,company,,担当,primary,03-1000-0001,foo@\n", encoding="utf-8"
    )
    err = io.StringIO()
    with pytest.raises(CommandError) as caught:
        call_command("import", "registry", str(path), stderr=err)
    assert caught.value.returncode != 0
    assert "Nothing was imported" in str(caught.value)
    assert 'line 2 (code=banks-9001) column "email": foo@ is not an e-mail address.' in err.getvalue()
    assert not Organisation.objects.filter(code="banks-9001").exists()


def test_command_asks_for_the_format_when_the_name_does_not_say(tmp_path):
    path = tmp_path / "members.txt"
    path.write_text("{}", encoding="utf-8")
    with pytest.raises(CommandError, match="format"):
        call_command("import", "registry", str(path))
    call_command("import", "registry", str(path), "--format", "json", stdout=io.StringIO())


def test_import_registry_file_reads_csv_by_its_suffix(tmp_path):
    path = tmp_path / "members.CSV"
    path.write_bytes((CSV_HEADER + "banks-9001,銀行A,,,banks,,company,,,,,\n").encode("utf-8-sig"))
    assert import_registry_file(path).created("memberships") == 1


def test_the_examples_in_the_format_documentation_import():
    from pathlib import Path

    text = (Path(__file__).resolve().parents[2] / "docs" / "import-format.md").read_text(encoding="utf-8")
    blocks = {}
    for chunk in text.split("```")[1::2]:
        language, _newline, body = chunk.partition("\n")
        if language in ("json", "csv"):
            blocks[language] = body  # the last one of each is the full example
    summary = import_registry(blocks["json"])
    assert summary.created("organisations") == 1 and summary.created("acceptances") == 1
    summary = import_registry(blocks["csv"], format="csv")
    assert summary.created("organisations") == 1 and summary.created("contacts") == 2
    assert Membership.objects.get(member__code="water-1394").via.code == "water-hub-kanto"


def test_an_import_may_not_take_away_the_last_emergency_poc():
    Contact.objects.filter(organisation__code="banks-0001", role="desk_24x7").update(is_active=False)
    primary = Contact.objects.get(organisation__code="banks-0001", role="primary")
    document = {
        "organisations": [{"code": "banks-0001", "name": "名称も変えない銀行"}],
        "contacts": [{"organisation": "banks-0001", "name": primary.name, "is_active": False}],
    }
    expected = [
        # The organisation is named as the file would have left it: the name the person importing wrote.
        "contacts[0] (code=banks-0001): 名称も変えない銀行 must keep at least one active primary POC or "
        "24/7 desk with a channel. Add or promote another one first."
    ]
    assert problems_of(document, dry_run=True) == expected
    assert problems_of(document) == expected
    primary.refresh_from_db()
    assert primary.is_active and primary.organisation.name != "名称も変えない銀行"


def test_text_with_a_byte_order_mark_is_read():
    assert (
        import_registry(
            "\ufeff" + CSV_HEADER + "banks-9001,銀行A,,,banks,,company,,,,,\n", format="csv"
        ).created("organisations")
        == 1
    )
    assert (
        import_registry('\ufeff{"organisations": [{"code": "banks-0001"}]}').unchanged("organisations") == 1
    )
