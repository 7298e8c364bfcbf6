"""A CEPTOAR drill as its users run it, in the (default) Japanese UI, on the real platform (`ceptoar demo
--no-serve`, `ceptoar serve`, Chromium): the secretariat plans a drill of three banks with one inject,
starts it and sends the inject now; a participating bank sees it marked 【訓練/EXERCISE】 and confirms
receipt on the portal; the secretariat's scoreboard, left open, shows the new rate without a reload; the
secretariat ends the drill and opens the after-action report with its charts, and downloads the PDF."""

from __future__ import annotations

import datetime
import re
import uuid
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import expect

from tests.browser.test_report_round_trip import LOCAL, _nav, _session

pytestmark = pytest.mark.browser

MARK = "【訓練/EXERCISE】"
PARTICIPANTS = "banks-0001, banks-0002, banks-0003"


def test_drill_scoreboard_and_after_action_report(browser, served_demo):
    marker = uuid.uuid4().hex[:6]
    name = f"銀行等セプター 情報共有訓練 {marker}"
    inject_title = f"不正送金マルウェアの検知（想定） {marker}"
    now = datetime.datetime.now(ZoneInfo("Asia/Tokyo")).replace(second=0, microsecond=0)

    secretariat_context, secretariat = _session(browser, served_demo, "demo-secretariat", with_totp=True)

    # -- 1. The secretariat plans the drill -------------------------------------------------------------
    _nav(secretariat, "/exercises/")
    expect(secretariat.locator("h1")).to_contain_text("訓練")
    secretariat.locator("#new-exercise").click()
    secretariat.wait_for_url("**/exercises/new/")
    secretariat.fill("input[name=name]", name)
    secretariat.locator("input[name=kind][value=ceptoar_drill]").check()
    secretariat.fill("input[name=starts_at]", (now - datetime.timedelta(minutes=5)).strftime(LOCAL))
    secretariat.fill("input[name=ends_at]", (now + datetime.timedelta(hours=3)).strftime(LOCAL))
    secretariat.fill("[name=organisations]", PARTICIPANTS)
    secretariat.locator("main form button[type=submit]").click()
    secretariat.wait_for_url(re.compile(r"/exercises/\d+/$"))
    detail_url = secretariat.url
    expect(secretariat.locator("main")).to_contain_text(MARK)
    expect(secretariat.locator("#participant-counts [data-role=participant] dd")).to_have_text("3")

    secretariat.get_by_role("link", name="状況付与を追加").click()
    secretariat.fill("input[name=title]", inject_title)
    secretariat.fill("textarea[name=body]", "訓練用の想定情報です。受領確認をお願いします。")
    secretariat.fill("input[name=scheduled_at]", (now + datetime.timedelta(hours=1)).strftime(LOCAL))
    secretariat.locator("main form button[type=submit]").click()
    secretariat.wait_for_url(detail_url)

    # -- 2. It starts, and the inject goes out now rather than in an hour ------------------------------
    secretariat.locator("#start-exercise").click()
    secretariat.wait_for_url(detail_url)
    expect(secretariat.locator("#exercise-status")).to_have_text("実施中")
    secretariat.locator("#injects form[action$='/send/'] button").click()
    secretariat.wait_for_url(detail_url)
    expect(secretariat.locator("#injects a[href*='/alerts/']")).to_have_count(1)
    rate = secretariat.locator("#scoreboard-headline [data-figure=confirmed_rate]")
    expect(rate).to_contain_text("0 / 3")
    # Left open from here on: a reload would reset this.
    secretariat.evaluate("window.__scoreboardNotReloaded = true")

    # -- 3. A participating bank sees it marked, and confirms receipt ----------------------------------
    member_context, member = _session(browser, served_demo, "demo-member", with_totp=False)
    member.goto("/alerts/")
    item = member.locator("main a", has_text=inject_title)
    expect(item).to_contain_text(MARK)
    item.click()
    expect(member.locator("h1")).to_contain_text(MARK)
    expect(member.locator("main")).to_contain_text("これは訓練です")
    member.locator("form[action$='/acknowledge/'] button").click()
    expect(member.locator("main")).to_contain_text("ポータル")

    # -- 4. The scoreboard shows it by itself -----------------------------------------------------------
    expect(rate).to_contain_text("33.3%", timeout=40_000)
    expect(rate).to_contain_text("1 / 3")
    assert secretariat.evaluate("window.__scoreboardNotReloaded === true"), "the page was reloaded"
    expect(secretariat.locator("#scoreboard-statuses [data-status=confirmed] dd")).to_have_text("1")

    # -- 5. The drill ends; the after-action report and its PDF ----------------------------------------
    secretariat.locator("#finish-exercise").click()
    secretariat.wait_for_url("**/finish/")
    secretariat.locator("#confirm-finish").click()
    secretariat.wait_for_url(detail_url)
    expect(secretariat.locator("#exercise-status")).to_have_text("終了")
    expect(secretariat.locator("#flagged-contacts")).to_be_visible()
    secretariat.locator("#report-link").click()
    secretariat.wait_for_url("**/report/")
    expect(secretariat.locator("#report-mark")).to_contain_text(MARK)
    expect(secretariat.locator("#report-kind")).to_have_attribute("data-final", "true")
    expect(secretariat.locator("#confirmed-rate")).to_contain_text("33.3%")
    expect(secretariat.locator("svg#chart-ack-curve circle.point").first).to_be_attached()
    expect(secretariat.locator("svg#chart-rates g.bar[data-key='ceptoar-member']")).to_have_count(1)
    row = secretariat.locator("#table-hops tr[data-hop='ceptoar-member']")
    expect(row.locator("td.acknowledged")).to_have_text("1")
    expect(row.locator("td.total")).to_have_text("3")
    expect(secretariat.locator("#table-unreached tr[data-organisation]")).to_have_count(2)
    with secretariat.expect_download() as download_info:
        secretariat.locator("a#report-pdf-link").click()
    download = download_info.value
    assert re.fullmatch(r"exercise-\d+-after-action\.pdf", download.suggested_filename)
    with open(download.path(), "rb") as pdf:
        content = pdf.read()
    assert content.startswith(b"%PDF-") and content.rstrip().endswith(b"%%EOF")

    member_context.close()
    secretariat_context.close()
