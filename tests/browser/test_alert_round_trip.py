"""The round trip a new user makes on `make demo`: publish an alert, read the e-mail in the demo mailbox,
click its link and confirm receipt as the member would, and watch the sender's tracking page change by
itself. Everything real: `ceptoar demo` with its web server, worker and mail server, and Chromium."""

from __future__ import annotations

import re
import time
import urllib.request
import uuid

import pytest

from tests.browser.conftest import serve
from tests.browser.test_registry_browser import _log_in
from tests.processes import Installation, free_port

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def full_demo(tmp_path_factory):
    """`ceptoar demo` as `make demo` runs it (web server, worker, mail server), on ports of its own."""
    installation = Installation(tmp_path_factory.mktemp("round-trip-var"), "round_trip")
    base_url, demo = serve(installation, "demo", log="demo", CEPTOAR_SMTP_PORT=str(free_port()))
    yield base_url
    assert installation.stop(demo) == 0
    output = installation.log(demo)
    assert "Traceback" not in output, output


def test_publish_mail_link_acknowledge_and_tracking(browser, full_demo):
    title = f"インターネットバンキングを狙う不正送金 {uuid.uuid4().hex[:6]}"
    sender_context = browser.new_context(base_url=full_demo, locale="en-US")
    sender = sender_context.new_page()
    sender.set_default_timeout(30_000)

    # The banks CEPTOAR's secretariat publishes to one member.
    _log_in(sender, "demo-secretariat", with_totp=True)
    sender.goto("/alerts/new/")
    sender.fill("input[name=title]", title)
    sender.fill("textarea[name=body]", "## 概要\n\n不審な送金指示に注意してください。")
    sender.select_option("select[name=category]", "financial_crime")
    sender.check("input[name=tlp][value=green]")
    sender.fill("textarea[name=organisations]", "banks-0001")
    sender.locator("button[name=action][value=publish]").click()
    # Saved as a draft; its send preview says who gets it, and the second click publishes.
    sender.wait_for_url(re.compile(r"/alerts/\d+/submit/$"))
    sender.locator("#confirm-send").click()
    sender.wait_for_url(re.compile(r"/alerts/\d+/$"))
    alert_id = re.search(r"/alerts/(\d+)/$", sender.url).group(1)

    # The tracking page, left open: nobody has confirmed yet.
    sender.locator("#tracking-link a").click()
    sender.wait_for_url(f"**/alerts/{alert_id}/tracking/")
    confirmed = sender.locator("#tracking-statuses .track-status-confirmed dd")
    assert confirmed.inner_text().strip() == "0"

    # The worker sends the e-mail; the demo mailbox shows it.
    mailbox_context = browser.new_context(base_url=full_demo, locale="en-US")
    mailbox = mailbox_context.new_page()
    mailbox.set_default_timeout(30_000)
    _log_in(mailbox, "demo-member", with_totp=False)  # the mailbox page stands in for their mail client
    deadline = time.monotonic() + 60
    while True:
        mailbox.goto("/demo/mailbox/?q=" + urllib.request.quote(title))
        links = mailbox.locator("table.mailbox a", has_text=title)
        if links.count():
            break
        assert time.monotonic() < deadline, "the alert's e-mail did not reach the demo mailbox in a minute"
        time.sleep(1)
    links.first.click()
    body = mailbox.locator("pre.mail-body")
    assert title in body.inner_text()
    ack_link = body.locator("a[href*='/alerts/ack/']").first.get_attribute("href")

    # The member's point of contact opens the link from their mail client: no log-in.
    member_context = browser.new_context(base_url=full_demo, locale="en-US")
    member = member_context.new_page()
    member.set_default_timeout(30_000)
    member.goto(ack_link)
    # Japanese, as every page is by default; opening the link has confirmed nothing.
    assert "受領を確認しました" not in member.locator("main").inner_text()
    member.locator("main form button[type=submit]").click()
    member.wait_for_load_state()
    assert "受領を確認しました" in member.locator("main").inner_text()

    # The sender's page changes by itself (htmx every 5 s), without a reload.
    sender.wait_for_function(
        "() => document.querySelector('#tracking-statuses .track-status-confirmed dd').innerText.trim() === '1'",
        timeout=20_000,
    )
    assert sender.url.endswith(f"/alerts/{alert_id}/tracking/")
    for context in (sender_context, mailbox_context, member_context):
        context.close()


def _mailbox_ack_link(mailbox, words: str) -> str:
    """The acknowledgement link of the first e-mail in the demo mailbox matching `words`, waiting for the
    worker to send it."""
    deadline = time.monotonic() + 90
    while True:
        mailbox.goto("/demo/mailbox/?q=" + urllib.request.quote(words))
        links = mailbox.locator("table.mailbox tbody a")
        if links.count():
            break
        assert time.monotonic() < deadline, f"no e-mail matching {words!r} reached the demo mailbox"
        time.sleep(1)
    links.first.click()
    return mailbox.locator("pre.mail-body a[href*='/alerts/ack/']").first.get_attribute("href")


def _confirmed(page) -> int:
    return int(
        page.locator("#tracking-statuses .track-status-confirmed dd").inner_text().strip().replace(",", "")
    )


def test_lateral_alert_from_banks_to_securities_relayed_to_its_members_acknowledged_and_tracked(
    browser, full_demo
):
    """Sharing by agreement: the banks CEPTOAR sends to the securities CEPTOAR under the finance liaison
    agreement; securities confirms receipt in the portal and relays to its members; a member confirms from
    its e-mail; both senders' tracking pages show the receipts."""
    title = f"証券会社を狙うフィッシング {uuid.uuid4().hex[:6]}"
    contexts = []

    def page_for(username: str | None, *, totp: bool = True):
        context = browser.new_context(base_url=full_demo, locale="en-US")
        contexts.append(context)
        page = context.new_page()
        page.set_default_timeout(30_000)
        if username:
            _log_in(page, username, with_totp=totp)
        return page

    banks = page_for("demo-secretariat")
    banks.goto("/alerts/new/")
    # The compose page says what the agreement lets flow to securities before anything is sent.
    assert "証券" in banks.locator("fieldset#audience").inner_text()
    banks.fill("input[name=title]", title)
    banks.fill("textarea[name=body]", "偽のログイン画面に誘導するメールが確認されています。")
    banks.select_option("select[name=category]", "vulnerability")
    banks.check("input[name=tlp][value=green]")
    banks.check("input[name=ceptoars][value=securities]")
    banks.locator("button[name=action][value=preview]").click()
    banks.wait_for_load_state()
    # The reach, before sending (pages are in Japanese): securities is delivered to now, and relays to its members.
    reach = banks.locator("main").inner_text()
    assert "ただちに配信され、受領確認まで追跡されます" in reach and "証券CEPTOAR が" in reach
    banks.locator("button[name=action][value=publish]").click()
    # Saved as a draft; its send preview says who gets it, and the second click publishes.
    banks.wait_for_url(re.compile(r"/alerts/\d+/submit/$"))
    banks.locator("#confirm-send").click()
    banks.wait_for_url(re.compile(r"/alerts/\d+/$"))
    alert_id = re.search(r"/alerts/(\d+)/$", banks.url).group(1)

    # The securities CEPTOAR's secretariat: the alert is delivered to it, it confirms and relays.
    securities = page_for("demo-securities")
    securities.goto(f"/alerts/{alert_id}/")
    securities.locator("main form[action$='/acknowledge/'] button[type=submit]").click()
    securities.wait_for_load_state()
    assert "受領を確認しました" in securities.locator("main").inner_text()
    securities.locator("a", has_text="自組織の送付先へ転送").click()
    securities.wait_for_url(f"**/alerts/{alert_id}/relay/")
    securities.locator("form.alert-form button[type=submit].primary").click()
    # The relay's send preview (nothing sent yet); its button relays.
    securities.locator("#confirm-send").click()
    securities.wait_for_url(re.compile(r"/alerts/\d+/$"))
    relay_id = re.search(r"/alerts/(\d+)/$", securities.url).group(1)
    assert relay_id != alert_id

    # A securities member confirms from its e-mail, without logging in.
    mailbox = page_for("demo-member", totp=False)
    ack_link = _mailbox_ack_link(mailbox, f"{title} securities-0001.example.jp")
    member = page_for(None)
    member.goto(ack_link)
    member.locator("main form button[type=submit]").click()
    member.wait_for_load_state()
    assert "受領を確認しました" in member.locator("main").inner_text()

    # Tracking: the securities relay counts its member's receipt; the banks' alert counts securities'.
    securities.goto(f"/alerts/{relay_id}/tracking/")
    assert _confirmed(securities) >= 1
    banks.goto(f"/alerts/{alert_id}/tracking/")
    assert _confirmed(banks) >= 1
    assert "証券" in banks.locator("main").inner_text()
    for context in contexts:
        context.close()
