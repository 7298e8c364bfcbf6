"""Helpers shared by the failure-case and library tests (no tests of its own): submitted reports made
with the reporter's own services, and cases taken through review, approval and publication."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from ceptoar.reports import access, cases
from ceptoar.reports.models import Case, Report
from ceptoar.reports.services.cases import (
    approve_case,
    create_case,
    publish_case,
    send_for_approval,
    update_case,
)
from ceptoar.reports.services.drafts import DraftContent, save_draft, start_report
from ceptoar.reports.services.submission import submit
from ceptoar.reports.versions import draft_of

TOKYO = ZoneInfo("Asia/Tokyo")

# The reporter (banks-0001) is 株式会社松見銀行; 渡辺 陽子 is one of its registered contacts.
REPORTER_NAME = "株式会社松見銀行"
CONTACT_NAME = "渡辺 陽子"
POWER_CUT_DESCRIPTION = (
    "3月31日、株式会社松見銀行の本店で停電が発生し、勘定系システムが停止した。"
    "当行の渡辺 陽子が非常用発電機の起動を確認したが、UPSのバッテリー劣化により切替に失敗した。"
    "松見銀行のシステム部（連絡先 taro@banks-0001.example.jp、10.1.2.3）が復旧作業にあたった。"
)


def submitted_report(
    user,
    *,
    title: str = "本店の停電によるATM停止",
    description: str = POWER_CUT_DESCRIPTION,
    services: list[dict] | None = None,
    countermeasures: str = "UPSのバッテリーを交換し、発電機への切替訓練を毎月行うこととした。",
    event_type: str = "unavailability",
    causes: tuple[str, ...] = ("environmental.power_outage", "accidental.hardware_failure"),
    occurred_at: datetime | None = None,
) -> Report:
    """A report of `user`'s organisation, sent as its first version to the first CEPTOAR it may report to."""
    occurred_at = occurred_at or datetime(2024, 3, 31, 9, 30, tzinfo=TOKYO)
    ceptoar = access.ceptoars_reportable_by(user).order_by("code").first()
    report = start_report(user, ceptoar)
    version = draft_of(report)
    save_draft(
        user,
        version,
        DraftContent(
            values={
                "title": title,
                "description": description,
                "countermeasures": countermeasures,
                "event_type": event_type,
                "causes": list(causes),
                "occurred_at": occurred_at,
                "detected_at": occurred_at,
            },
            affected_services=services
            if services is not None
            else [{"name": "ATMサービス", "impact": "全店舗のATMが2時間停止した。"}],
        ),
    )
    submit(user, version)
    report.refresh_from_db()
    return report


def published_case(
    secretariat, reporter, approver=None, *, lessons: str = "", audience: str = "", **report
) -> Case:
    """A case of a new report by `reporter`, made, approved by `approver` (default the reporter) and
    published by `secretariat`."""
    case = create_case(secretariat, submitted_report(reporter, **report))
    if lessons or audience:
        update_case(
            secretariat,
            case,
            title=case.title,
            lessons=lessons,
            tlp=case.tlp,
            audience=audience or cases.AUDIENCE_MEMBERS,
        )
    send_for_approval(secretariat, case)
    approve_case(approver or reporter, case)
    return publish_case(secretariat, case)
