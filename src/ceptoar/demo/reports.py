"""Demo incident reports and failure cases, so that the triage queue, the case library and the statistics of a
fresh demo have something in them. Written through the same services as the pages (start, save, submit,
forward, make a case, approve, publish), by synthetic points of contact and secretariats whose accounts
cannot log in. Deterministic: the same seed gives the same reports.

Not part of `load_demo()`, which the test suite loads: tests start from a registry without reports.
"""

from __future__ import annotations

import random
from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from ceptoar.accounts.models import Role, RoleGrant, User
from ceptoar.demo.relays import RELAY_ACCOUNT_PREFIX
from ceptoar.intel.index import index_report
from ceptoar.notifications.services import portal_only
from ceptoar.registry.models import Contact, ContactKind, Membership, Organisation
from ceptoar.reports.models import Cause, ConsentScope, EventType, HopLevel, Report, ReportVersion, Stage
from ceptoar.reports.services.cases import approve_case, create_case, publish_case, send_for_approval
from ceptoar.reports.services.drafts import DraftContent, save_draft, start_follow_up, start_report
from ceptoar.reports.services.routing import forward
from ceptoar.reports.services.submission import submit
from ceptoar.reports.tracking import levels_within, organisations_at_level
from ceptoar.reports.versions import draft_of

SEED = 20090301
# CEPTOARs whose members report in the demo (codes of the seed map), and how many reports each.
REPORTING_CEPTOARS = {
    "banks": 14,
    "water": 6,
    "electricity": 6,
    "railway": 5,
    "local-government": 5,
    "medical": 4,
}

# (event type, causes, title, what happened, countermeasures). {org}, {person}, {email}, {ip}, {host}, {phone}
# are filled in per report, so the anonymisation of the cases has real work to do.
SCENARIOS = [
    (
        EventType.UNAVAILABILITY,
        [Cause.POWER_OUTAGE],
        "データセンターの停電による業務システム停止",
        "{org}の本店データセンターで停電が発生し、無停電電源装置の切替に失敗したため業務システムが約2時間停止した。"
        "システム部の{person}（{email}、{phone}）が監視アラートで検知した。",
        "電源切替手順を見直し、非常用発電機の月次点検を追加した。",
    ),
    (
        EventType.UNAVAILABILITY,
        [Cause.DOS],
        "DDoS攻撃によるインターネットサービスの利用困難",
        "{org}の公開Webサイトに大量のアクセスがあり、インターネットサービスが利用困難となった。"
        "送信元は国外の多数のアドレスで、{host}（{ip}）の負荷が上限に達した。担当は{person}。",
        "上流の通信事業者にフィルタリングを依頼し、CDNを導入した。",
    ),
    (
        EventType.MALWARE,
        [Cause.SUSPICIOUS_MAIL, Cause.OPERATOR_ERROR],
        "標的型メールの添付ファイル実行によるマルウェア感染",
        "{org}の職員が取引先を装ったメールの添付ファイルを開き、端末{host}（{ip}）がマルウェアに感染した。"
        "不審な通信を{person}（{email}）が検知し、端末をネットワークから切り離した。"
        "添付ファイルは{file}（SHA-256: {hash}）、通信先は{c2}。",
        "全職員に注意喚起し、添付ファイルのマクロ実行を既定で禁止した。",
    ),
    (
        EventType.PRECURSOR,
        [Cause.VULNERABILITY_EXPLOITED],
        "VPN装置の脆弱性を狙った不審な通信の検知",
        "{org}のVPN装置{host}に対し、公表済みの脆弱性（{cve}）を狙った通信が繰り返し観測された。"
        "送信元は{scanner}など。侵入の痕跡はない。{person}（{phone}）が確認した。",
        "修正版を適用し、管理画面へのアクセス元を限定した。",
    ),
    (
        EventType.UNAVAILABILITY,
        [Cause.SOFTWARE_DEFECT],
        "システム更改後の不具合による窓口業務の停止",
        "{org}で基幹システムを更改した翌朝、プログラムの不具合により窓口端末が起動せず、業務が約3時間停止した。"
        "委託先と{person}が原因を調査した。",
        "更改時の移行判定基準に業務端末での確認を加えた。",
    ),
    (
        EventType.LEAK,
        [Cause.MANAGEMENT_ERROR],
        "メール誤送信による個人情報の漏えい",
        "{org}の担当者がお客さま情報を含むファイルを誤った宛先に送信した。{person}（{email}）が翌日に気付き、"
        "受信者に削除を依頼した。",
        "外部宛てメールの送信前確認と添付ファイルの暗号化を必須とした。",
    ),
    (
        EventType.INTRUSION,
        [Cause.IMPERSONATION],
        "盗まれた認証情報によるクラウドサービスへの不正ログイン",
        "{org}の業務用クラウドサービスに、漏えいしたIDとパスワードで海外から不正ログインがあった。"
        "{person}が監査ログで検知し、{ip}からのアクセスを遮断した。ログイン元は{scanner}。",
        "多要素認証を全利用者に適用した。",
    ),
    (
        EventType.UNAVAILABILITY,
        [Cause.NATURAL_DISASTER, Cause.SPILLOVER],
        "地震に伴う通信回線の断による監視システムの停止",
        "地震により通信事業者の回線が断となり、{org}の遠隔監視システムが約5時間利用できなかった。"
        "{person}（{phone}）が現地で手動監視に切り替えた。",
        "別経路の回線を追加契約した。",
    ),
    (
        EventType.DESTRUCTION,
        [Cause.HARDWARE_FAILURE],
        "ストレージ装置の故障によるデータ破損",
        "{org}のファイルサーバ{host}でストレージ装置が故障し、一部のデータが破損した。"
        "前日のバックアップから復元した。担当は{person}。",
        "装置の保守契約を見直し、バックアップの復元訓練を四半期ごとに行うこととした。",
    ),
    (
        EventType.MALICIOUS_CODE,
        [Cause.VULNERABILITY_EXPLOITED],
        "Webサイトの改ざんによる不正コードの埋め込み",
        "{org}のWebサイトで、CMSの脆弱性を突かれて不正なスクリプトが埋め込まれた。"
        "利用者からの通報を受けて{person}（{email}）が確認し、サイトを一時停止した。",
        "CMSを更新し、改ざん検知の仕組みを導入した。",
    ),
]
# A campaign the demo's reporters see from several sectors, written as analysts write them (defanged), so
# that the intel pages have something to correlate and a signal to show. The IP addresses are in the
# documentation range (RFC 5737), so no real host is named: they show how a warning-listed value is marked
# and never correlates. The hashes are of made-up files.
CAMPAIGN = {
    "file": ["請求書_2026.xlsm", "invoice_0423.zip", "update.exe"],
    "c2": [
        "hxxps://cdn-update-check[.]net/api/v2",
        "update-check[.]jp-cdn[.]top",
        "hxxp://185[.]174[.]101[.]27/gate.php",
    ],
    "cve": ["CVE-2024-21762", "CVE-2023-46805", "CVE-2024-3400"],
    "scanner": ["198[.]51[.]100[.]27", "203.0.113.45", "192.0.2.61"],
    "hash": [
        "5f98b0bc139b8746c2a88f5c62c91a99efad5c8d60d2102125ac162cf90e4398",
        "d34738586c33f80185f49ebd2af9103cc1afb9dbaae7d5a93f6cb1f08927d4a4",
    ],
}
FAMILY_NAMES = ["佐藤", "鈴木", "高橋", "田中", "伊藤", "渡辺", "山本", "中村", "小林", "加藤"]
GIVEN_NAMES = ["太郎", "花子", "健一", "美咲", "大輔", "直子", "翔太", "由美"]


def _account(username: str, organisation: Organisation, role: str) -> User:
    user, created = User.objects.get_or_create(
        username=username,
        defaults={"organisation": organisation, "display_name": username, "is_demo": True},
    )
    if created:
        user.set_unusable_password()  # the demo's reports need authors; nobody logs in as them
        user.save(update_fields=["password"])
        RoleGrant.objects.create(user=user, role=role)
    return user


def _secretariat_of(ceptoar: Organisation) -> User:
    # Not the account in whose name the demo's relay rules act (`demo.relays`): it relays, it writes no case.
    existing = (
        User.objects.filter(organisation=ceptoar, role_grants__role=Role.SECRETARIAT)
        .exclude(username__startswith=RELAY_ACCOUNT_PREFIX)
        .first()
    )
    return existing or _account(f"demo-secretariat-{ceptoar.code}", ceptoar, Role.SECRETARIAT)


def _reporter(member: Organisation) -> User:
    existing = User.objects.filter(organisation=member, role_grants__role=Role.MEMBER_POC).first()
    return existing or _account(f"demo-poc-{member.code}", member, Role.MEMBER_POC)


def load_demo_reports(now=None) -> int:
    """Write the demo's reports and cases; returns how many reports. Does nothing if there are reports."""
    if Report.objects.exists():
        return 0
    rng = random.Random(SEED)
    now = now or timezone.now()
    written = 0
    # The demo's past is told in the portal, not mailed (`portal_only`).
    with transaction.atomic(), portal_only():
        for ceptoar_code, count in REPORTING_CEPTOARS.items():
            ceptoar = Organisation.objects.filter(code=ceptoar_code).first()
            if ceptoar is None:
                continue
            secretariat = _secretariat_of(ceptoar)
            members = list(
                Organisation.objects.filter(
                    pk__in=Membership.objects.filter(ceptoar=ceptoar).values("member_id")
                ).order_by("code")[:40]
            )
            for index in range(count):
                member = members[index % len(members)]
                _write_report(rng, now, ceptoar, member, secretariat, publish=index % 3 == 0)
                written += 1
    return written


def _write_report(rng, now, ceptoar, member, secretariat, publish: bool) -> None:
    event_type, causes, title, happened, countermeasures = rng.choice(SCENARIOS)
    contact = (
        Contact.objects.filter(organisation=member, kind=ContactKind.PERSON).order_by("position").first()
    )
    person = contact.name if contact else rng.choice(FAMILY_NAMES) + rng.choice(GIVEN_NAMES)
    fill = {
        "org": member.name,
        "person": person,
        "email": f"{rng.choice(['it', 'soc', 'admin'])}{rng.randint(1, 9)}@{member.domain or 'example.co.jp'}",
        "phone": f"03-{rng.randint(1000, 9999)}-{rng.randint(1000, 9999)}",
        "ip": f"10.{rng.randint(0, 255)}.{rng.randint(0, 255)}.{rng.randint(1, 254)}",
        "host": f"srv-{rng.randint(10, 99)}.corp.local",
    }
    # Drawn from a generator of their own, so the rest of the demo stays as it was.
    campaign = random.Random(f"{SEED}:{member.code}:{title}")
    fill.update({key: campaign.choice(values) for key, values in CAMPAIGN.items()})
    occurred = now - timedelta(days=rng.randint(3, 360), hours=rng.randint(0, 23))
    detected = occurred + timedelta(minutes=rng.randint(5, 240))
    scope = rng.choice([ConsentScope.SECRETARIAT, ConsentScope.MINISTRY, ConsentScope.HUB])
    reporter = _reporter(member)
    report = start_report(reporter, ceptoar, scope=scope)
    draft = draft_of(report)
    values = {
        "title": title,
        "event_type": event_type,
        "causes": list(causes),
        "occurred_at": occurred,
        "detected_at": detected,
        "recovered_at": detected + timedelta(hours=rng.randint(1, 12)),
        "incident_status": "recovered",
        "description": happened.format(**fill),
        "countermeasures": countermeasures,
    }
    service = {
        "name": rng.choice(["インターネットサービス", "窓口業務", "監視システム", "基幹システム"]),
        "people_affected": rng.choice([None, 120, 3400, 25000]),
        "duration_minutes": rng.choice([30, 120, 300]),
        "continuity_level_breached": rng.random() < 0.3,
    }
    save_draft(reporter, draft, DraftContent(values=values, affected_services=[service]))
    submit(reporter, draft)
    # Sent when it happened, not when the demo was loaded, so the deadlines read as they would have.
    first_sent = detected + timedelta(hours=rng.randint(1, 30))
    ReportVersion.objects.filter(pk=draft.pk).update(submitted_at=first_sent)
    Report.objects.filter(pk=report.pk).update(first_submitted_at=first_sent)
    if rng.random() < 0.5:
        final = start_follow_up(reporter, report)
        submit(reporter, final, stage=Stage.FINAL)
        ReportVersion.objects.filter(pk=final.pk).update(
            submitted_at=first_sent + timedelta(hours=rng.randint(20, 90))
        )
    report.refresh_from_db()
    # Its observables were recorded when it was sent, dated now: dated again as sent, so the signals page
    # counts the demo's past by when it happened.
    index_report(report)
    # The secretariat forwards each report as far as its reporter allowed (where someone is registered there).
    levels = [
        level
        for level in (HopLevel.MINISTRY, HopLevel.HUB)
        if level in levels_within(report.scope) and organisations_at_level(report, level).exists()
    ]
    if levels:
        forward(secretariat, report, levels)
    if publish:
        case = create_case(secretariat, report)
        send_for_approval(secretariat, case)
        approve_case(reporter, case)
        publish_case(secretariat, case)
