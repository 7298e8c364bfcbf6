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
