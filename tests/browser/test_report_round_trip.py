"""An incident report's whole way, as its users make it in the (default) Japanese UI: a member writes it
(saved as it is typed, one mistake caught on its field), sends 第1報; the secretariat triages it and makes
an anonymised failure case, checks the redactions side by side; the reporter approves it; it is published;
another bank finds it in the library without the reporter's name, and a water utility does not find it.
Everything real: `ceptoar demo --no-serve`, `ceptoar serve` and Chromium."""

from __future__ import annotations

import datetime
import re
import uuid
from urllib.parse import parse_qs
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import expect

from tests.browser.test_registry_browser import _log_in

pytestmark = pytest.mark.browser

EMAIL = "yamada@example.co.jp"
PRIVATE_IP = "10.1.2.3"
LOCAL = "%Y-%m-%dT%H:%M"  # what <input type="datetime-local"> takes


def _session(browser, base_url, username: str, with_totp: bool):
    context = browser.new_context(base_url=base_url, locale="ja-JP", timezone_id="Asia/Tokyo")
    page = context.new_page()
    page.set_default_timeout(20_000)
    _log_in(page, username, with_totp=with_totp)
    return context, page


def _nav(page, path: str):
    """Follow the main navigation's link to `path`."""
    page.locator(f"header nav a[href$='{path}']").click()
    page.wait_for_url(f"**{path}")


def _is_autosave_of(response, field: str, value: str) -> bool:
    if "/autosave/" not in response.url or response.request.method != "POST":
        return False
    # The form is multipart (it has a file field); htmx then posts multipart too.
    body = (response.request.post_data_buffer or b"").decode("utf-8", "replace")
    if "multipart/form-data" in (response.request.headers.get("content-type") or ""):
        return f'name="{field}"' in body and value in body
    return parse_qs(body).get(field) == [value]


def test_report_triage_case_approval_library(browser, served_demo):
    marker = uuid.uuid4().hex[:6]
    title = f"インターネットバンキング停止 {marker}"
    now = datetime.datetime.now(ZoneInfo("Asia/Tokyo")).replace(second=0, microsecond=0)
    occurred = now - datetime.timedelta(hours=5)
    detected = occurred + datetime.timedelta(minutes=20)
    recovered = occurred + datetime.timedelta(hours=3)

    member_context, member = _session(browser, served_demo, "demo-member", with_totp=False)
    assert member.locator("html").get_attribute("lang") == "ja"

    # -- 1. The member writes the report ----------------------------------------------------------------
    _nav(member, "/reports/")
    expect(member.locator("h1")).to_contain_text("障害報告")
    org_name = member.locator("h1 span.code").inner_text().strip()
    assert len(org_name) >= 2, org_name
    description = (
        f"{org_name}の本店データセンターで停電が発生し、インターネットバンキングが利用できなくなった。"
        f"担当者 {EMAIL} が監視サーバ {PRIVATE_IP} のアラートで検知した。"
    )
    countermeasures = "非常用電源に切り替え、電源設備の点検を行った。"

    member.locator("#new-report").click()  # 新しい障害を報告する
    member.wait_for_url(re.compile(r"/reports/(new|\d+/edit)/$"))
    if member.url.endswith("/new/"):  # more than one CEPTOAR to choose from: the first one
        member.locator("input[name=ceptoar]").first.check()
        member.locator("main form button[type=submit]").click()
        member.wait_for_url(re.compile(r"/reports/\d+/edit/$"))
    edit_url = member.url
    report_id = re.search(r"/reports/(\d+)/edit/$", edit_url).group(1)

    member.get_by_label("表題", exact=True).fill(title)
    member.locator("#field-event_type").get_by_label("利用困難").check()
    causes = member.locator("#field-causes")
    causes.locator("input[value='environmental.power_outage']").check()
    causes.locator("input[value='accidental.hardware_failure']").check()
    # The two ticked causes sit under two different class headings.
    assert causes.locator("fieldset.cause-group:has(input:checked)").count() == 2
    member.fill("textarea[name=description]", description)
    member.fill("input[name=occurred_at]", occurred.strftime(LOCAL))
    member.fill("input[name=detected_at]", detected.strftime(LOCAL))
    member.fill("input[name=recovered_at]", recovered.strftime(LOCAL))
    member.select_option("select[name=incident_status]", "recovered")
    member.fill("input[name=services-0-name]", "インターネットバンキング")
    member.fill("input[name=services-0-impact]", "ログイン不可")
    member.fill("input[name=services-0-people_affected]", "12000")
    member.check("input[name=services-0-continuity_level_breached]")
    with member.expect_response(
        lambda response: _is_autosave_of(response, "countermeasures", countermeasures), timeout=15_000
    ) as saved:
        member.fill("textarea[name=countermeasures]", countermeasures)
    assert saved.value.ok
    status = member.locator("#autosave-status")
    expect(status).to_contain_text("に保存しました")
    expect(status).not_to_have_class(re.compile("autosave-partial"))

    # Drafts save as you go: a reload brings back what was typed.
    member.reload()
    assert member.input_value("input[name=title]") == title
    assert member.input_value("textarea[name=description]") == description
    assert member.input_value("input[name=services-0-name]") == "インターネットバンキング"

    # -- 2. One mistake on the way: recovered before it occurred -------------------------------------------
    too_early = occurred - datetime.timedelta(hours=1)
    member.fill("input[name=recovered_at]", too_early.strftime(LOCAL))
    member.get_by_role("button", name="送信", exact=True).click()
    member.wait_for_load_state()
    assert member.url.endswith(f"/reports/{report_id}/submit/")
    expect(member.locator("#report-errors")).to_be_visible()
    expect(member.locator("#field-recovered_at .field-error")).to_contain_text("発生より前に復旧")
    assert member.locator("#field-title .field-error").count() == 0
    # Everything else is as typed.
    assert member.input_value("input[name=title]") == title
    assert member.input_value("textarea[name=description]") == description
    assert member.input_value("textarea[name=countermeasures]") == countermeasures
    assert member.input_value("input[name=recovered_at]") == too_early.strftime(LOCAL)
    assert member.locator("input[value='environmental.power_outage']").is_checked()
    assert member.locator("input[value='accidental.hardware_failure']").is_checked()
    assert member.locator("#field-event_type").get_by_label("利用困難").is_checked()
    assert member.input_value("input[name=services-0-people_affected]") == "12000"
    assert member.locator("input[name=services-0-continuity_level_breached]").is_checked()

    member.fill("input[name=recovered_at]", recovered.strftime(LOCAL))
    member.get_by_role("button", name="送信", exact=True).click()
    member.wait_for_url(f"**/reports/{report_id}/")
    expect(member.locator("#latest h2")).to_contain_text("第1報")
    expect(member.locator("h1")).to_contain_text(title)

    # -- 3. The secretariat triages it and makes a case ------------------------------------------------------
    secretariat_context, secretariat = _session(browser, served_demo, "demo-secretariat", with_totp=True)
    _nav(secretariat, "/reports/triage/")
    row = secretariat.locator("table.triage-queue tr", has_text=title)
    if row.count() == 0:  # not on the first page: search for it, as a user would
        secretariat.fill("form.filters input[name=q]", marker)
        secretariat.locator("form.filters button[type=submit]").click()
        secretariat.wait_for_load_state()
    expect(row).to_have_count(1)
    expect(row).to_contain_text(org_name)
    row.locator("a").first.click()
    secretariat.wait_for_url(f"**/reports/{report_id}/")

    triage = secretariat.locator("#triage")
    triage.locator("form.triage-status select[name=status]").select_option("triaged")
    triage.locator("form.triage-status button[type=submit]").click()
    secretariat.wait_for_url(re.compile(rf"/reports/{report_id}/(#triage)?$"))
    expect(secretariat.locator("#triage .tag.status-triaged")).to_be_visible()

    secretariat.get_by_role("button", name="匿名化した事例を作成").click()
    secretariat.wait_for_url(re.compile(r"/reports/cases/\d+/review/$"))
    case_id = re.search(r"/cases/(\d+)/review/$", secretariat.url).group(1)

    # -- 4. Side by side: the sanitised text hides the reporter, the person and the internal address ------
    sanitised = secretariat.locator("#sanitised-text")
    text = sanitised.inner_text()
    for secret in (org_name, EMAIL, PRIVATE_IP):
        assert secret not in text, (secret, text)
    assert "A社" in text, text
    assert "停電" in text
    assert org_name in secretariat.locator("#original-text").inner_text()

    ip_row = secretariat.locator("#review-panes tbody tr", has_text=PRIVATE_IP)
    expect(ip_row).to_have_count(1)
    ip_row.get_by_role("button", name="取り消す").click()  # htmx swaps the panes
    expect(sanitised).to_contain_text(PRIVATE_IP)
    ip_row.get_by_role("button", name="適用する").click()
    expect(sanitised).not_to_contain_text(PRIVATE_IP)
    expect(ip_row.get_by_role("button", name="取り消す")).to_be_visible()

    secretariat.get_by_role("button", name="報告者に承認を依頼する").click()
    secretariat.wait_for_url(f"**/cases/{case_id}/review/")
    expect(secretariat.locator(".tag.status-awaiting_approval")).to_be_visible()
    case_title = secretariat.locator("h1").inner_text().split(":", 1)[1].strip()
    assert org_name not in case_title

    # -- 5. The reporter approves, from the report's page -----------------------------------------------
    member.goto(f"/reports/{report_id}/")
    member.locator(f"a[href$='/reports/cases/{case_id}/approval/']").click()
    member.wait_for_url(f"**/cases/{case_id}/approval/")
    approval_text = member.locator("#sanitised-text").inner_text()
    assert EMAIL not in approval_text and org_name not in approval_text and PRIVATE_IP not in approval_text
    member.get_by_role("button", name="承認する").click()
    member.wait_for_url(f"**/cases/{case_id}/approval/")
    expect(member.locator(".tag.status-approved")).to_be_visible()

    # -- 6. The secretariat publishes it ---------------------------------------------------------------------
    secretariat.reload()
    secretariat.get_by_role("button", name="ライブラリに公開する").click()
    secretariat.wait_for_url(f"**/library/{case_id}/")
    expect(secretariat.locator("h1")).to_have_text(case_title)

    # -- 7. Another bank finds it in the library, anonymised -----------------------------------------------
    other_context, other = _session(browser, served_demo, "demo-member2", with_totp=False)
    _nav(other, "/reports/library/")
    other.fill("form.filters input[name=q]", "停電")
    other.locator("form.filters button[type=submit]").click()
    other.wait_for_url(re.compile(r"/reports/library/\?.*q="))
    found = other.locator("table.cases a", has_text=case_title)
    expect(found).to_have_count(1)
    found.click()
    other.wait_for_url(f"**/library/{case_id}/")
    shown = other.locator("main").inner_text()
    assert "停電" in shown and "A社" in shown
    for secret in (org_name, EMAIL, PRIVATE_IP):
        assert secret not in shown, (secret, shown)

    # -- 8. A member of another CEPTOAR does not find it ------------------------------------------------------
    water_context, water = _session(browser, served_demo, "demo-water", with_totp=False)
    _nav(water, "/reports/library/")
    water.fill("form.filters input[name=q]", "停電")
    water.locator("form.filters button[type=submit]").click()
    water.wait_for_url(re.compile(r"/reports/library/\?.*q="))
    assert water.locator("table.cases a", has_text=case_title).count() == 0
    assert case_title not in water.locator("main").inner_text()
    response = water.goto(f"/reports/library/{case_id}/")
    assert response.status == 404

    for context in (member_context, secretariat_context, other_context, water_context):
        context.close()
