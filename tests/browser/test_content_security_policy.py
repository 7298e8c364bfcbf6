"""The pages in Chromium under the site's Content-Security-Policy: nothing is refused. Each page is opened
with a listener for `securitypolicyviolation` and the console, and the test fails on any report: the
log-in with a second factor, the main pages of each area, the failure-case review (its script), the
enrolment of an authenticator (the QR code), the API documentation (Swagger UI) and a live htmx page that
updates itself. The demo runs as `make demo` runs it (`ceptoar demo --no-serve`, `ceptoar serve`)."""

from __future__ import annotations

import re
import uuid

import pytest
from playwright.sync_api import expect

from tests.browser.test_registry_browser import _log_in

pytestmark = pytest.mark.browser

# Runs before anything of the page, outside its policy (Playwright injects it), and keeps what the browser
# reports: every refusal of the policy fires this event on the document.
WATCH = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", (event) => {
  window.__cspViolations.push(
    `${event.effectiveDirective} refused ${event.blockedURI || "inline"} at ${event.sourceFile || ""}:` +
    `${event.lineNumber} (${(event.sample || "").slice(0, 80)})`
  );
});
"""


class Watched:
    """A browser context whose pages record every policy violation and every console error."""

    def __init__(self, browser, base_url: str) -> None:
        self.context = browser.new_context(base_url=base_url, locale="ja-JP", timezone_id="Asia/Tokyo")
        self.context.add_init_script(WATCH)
        self.page = self.context.new_page()
        self.page.set_default_timeout(30_000)
        self.console: list[str] = []
        self.page.on("console", self._console)
        self.page.on("pageerror", lambda error: self.console.append(f"page error: {error}"))

    def _console(self, message) -> None:
        source = (message.location or {}).get("url", "")
        if message.type == "error" and not source.endswith("/favicon.ico"):  # the site has no icon
            self.console.append(f"console error on {self.page.url} ({source}): {message.text}")

    def problems(self) -> list[str]:
        found = [f"{self.page.url}: {v}" for v in self.page.evaluate("window.__cspViolations || []")]
        return found + self.console

    def visit(self, path: str) -> None:
        response = self.page.goto(path)
        assert response is not None and response.status == 200, (path, response and response.status)
        self.page.wait_for_load_state("load")
        self.assert_clean()

    def assert_clean(self) -> None:
        problems = self.problems()
        assert not problems, "\n".join(problems)
        # Only the site's stylesheets style the page: htmx injected no <style> of its own.
        assert self.page.evaluate("document.querySelectorAll('style').length") == 0, self.page.url

    def close(self) -> None:
        self.context.close()


@pytest.fixture
def watched(browser, served_demo):
    sessions = []

    def open_session() -> Watched:
        session = Watched(browser, served_demo)
        sessions.append(session)
        return session

    yield open_session
    for session in sessions:
        session.close()


def test_the_watch_sees_what_the_policy_refuses(watched):
    # The policy is really enforced, and a refusal is really reported: an inline script added to a page
    # does not run, and the test hears of it.
    session = watched()
    session.page.goto("/accounts/login/")
    session.page.evaluate(
        "() => { const s = document.createElement('script'); s.textContent = 'window.__ran = true';"
        " document.body.appendChild(s); }"
    )
    session.page.wait_for_function("window.__cspViolations.length > 0")
    assert session.page.evaluate("window.__ran") is None
    assert "script-src" in session.problems()[0]


def test_staff_pages_log_in_with_totp_and_the_api_docs(watched):
    session = watched()
    page = session.page
    # The log-in itself: password, then the one-time code.
    page.goto("/")
    session.assert_clean()
    _log_in(page, "demo-secretariat", with_totp=True)
    session.assert_clean()
    for path in (
        "/",
        "/alerts/",
        "/alerts/new/",
        "/alerts/relay-rules/",
        "/reports/triage/",
        "/reports/triage/deadlines/",
        "/reports/library/",
        "/reports/statistics/",
        "/registry/tree/",
        "/registry/organisations/",
        "/registry/organisations/banks-0001/",
        "/registry/freshness/",
        "/exercises/",
        "/exercises/new/",
        "/escalation/calls/",
        "/escalation/plan/",
        "/api/tokens/",
        "/accounts/2fa/",
        "/admin/",
        "/admin/registry/contact/",
    ):
        session.visit(path)

    # An admin form with its scripts at work: the organisation autocomplete (select2), another row of
    # channels (inlines), the calendar of a date field.
    page.locator("#result_list tbody a").first.click()
    page.wait_for_url(re.compile(r"/admin/registry/contact/\d+/change/"))
    session.assert_clean()
    page.locator(".select2-selection").first.click()
    expect(page.locator(".select2-results")).to_be_visible()
    page.keyboard.press("Escape")
    page.locator(".add-row a").first.click()
    calendar = page.locator("a[id^='calendarlink']")
    if calendar.count():
        calendar.first.click()
    session.assert_clean()

    # The map's row headings stay in view while the table scrolls: its rules came from a static file.
    session.visit("/registry/map/")
    position = page.evaluate(
        "getComputedStyle(document.querySelector('table.ceptoar-map th[scope=row]')).position"
    )
    assert position == "sticky"

    # A failure case made from a report in the triage queue: the review page's own script (a static file)
    # copies a phrase selected in the original into the form.
    session.visit("/reports/triage/")
    links = [a.get_attribute("href") for a in page.locator("main table a[href^='/reports/']").all()][:15]
    for link in links:
        session.visit(link)
        if page.locator("form.triage-case button").count():
            page.locator("form.triage-case button").click()
            page.wait_for_url(re.compile(r"/reports/cases/\d+/review/$"))
            if page.locator("#id_phrase").count():  # a new case (a report with one opens that one)
                break
    else:
        pytest.fail(f"none of the reports {links} made a new failure case to review")
    session.assert_clean()
    page.locator("#original-text").select_text()
    page.locator("#original-text").dispatch_event("mouseup")
    assert page.input_value("#id_phrase").strip()
    session.assert_clean()

    # The API documentation: Swagger UI draws the operations, from the site's own files.
    session.visit("/api/docs")
    expect(page.locator(".swagger-ui .opblock").first).to_be_visible()
    session.assert_clean()


def test_the_hubs_pages(watched):
    session = watched()
    _log_in(session.page, "demo-hub", with_totp=True)
    session.visit("/analysis/")
    session.visit("/reports/received/")
    session.visit("/alerts/")


def test_a_member_enrols_an_authenticator_and_sees_the_qr_code(watched):
    session = watched()
    page = session.page
    _log_in(page, "demo-member", with_totp=False)
    for path in ("/", "/alerts/", "/reports/", "/reports/new/", "/reports/library/"):
        session.visit(path)
    # allauth asks for the password again before the authenticator page.
    page.goto("/accounts/2fa/totp/activate/")
    if page.locator("input[name=password]").count():
        page.fill("input[name=password]", "ceptoar-demo")
        page.locator("main form button[type=submit]").first.click()
        page.wait_for_url("**/accounts/2fa/totp/activate/")
    session.assert_clean()
    qr = page.locator(".totp-qr svg")
    expect(qr).to_be_visible()
    box = qr.bounding_box()
    assert box["width"] > 100 and box["height"] > 100  # drawn at its size by the stylesheet


def test_a_live_tracking_page_updates_itself_within_the_policy(watched):
    session = watched()
    page = session.page
    _log_in(page, "demo-secretariat", with_totp=True)
    title = f"CSP の確認 {uuid.uuid4().hex[:6]}"
    page.goto("/alerts/new/")
    page.fill("input[name=title]", title)
    page.fill("textarea[name=body]", "## 概要\n\n確認用です。")
    page.select_option("select[name=category]", "financial_crime")
    page.check("input[name=tlp][value=green]")
    page.fill("textarea[name=organisations]", "banks-0001")
    page.locator("button[name=action][value=publish]").click()
    # Saved as a draft; its send preview says who gets it, and the second click publishes.
    page.wait_for_url(re.compile(r"/alerts/\d+/submit/$"))
    page.locator("#confirm-send").click()
    page.wait_for_url(re.compile(r"/alerts/\d+/$"))
    session.assert_clean()
    alert_id = re.search(r"/alerts/(\d+)/$", page.url).group(1)

    # htmx runs as configured: no code evaluated, no style injected.
    session.visit(f"/alerts/{alert_id}/tracking/")
    config = page.evaluate(
        "[htmx.config.allowEval, htmx.config.includeIndicatorStyles, htmx.config.allowScriptTags]"
    )
    assert config == [False, False, False]
    # The live part asks the server again by itself, and the answer is swapped in without a refusal.
    with page.expect_response(lambda r: r.url.endswith(f"/alerts/{alert_id}/tracking/live/"), timeout=30_000):
        pass
    page.wait_for_timeout(500)
    session.assert_clean()
    expect(page.locator("#tracking-live")).to_be_visible()
    # The progress bars are SVG, coloured by the stylesheet.
    bar = page.locator("svg.track-bar").first
    expect(bar).to_be_visible()
    assert bar.bounding_box()["width"] > 50

    # While the tab is hidden it asks nothing (htmx-live.js, in place of the trigger filter htmx would have
    # had to evaluate); once the tab is back in view it asks again.
    live = []
    page.on("request", lambda r: live.append(r.url) if r.url.endswith("/tracking/live/") else None)
    page.evaluate("Object.defineProperty(document, 'visibilityState', {value: 'hidden', configurable: true})")
    page.wait_for_timeout(500)
    live.clear()
    page.wait_for_timeout(12_000)  # more than two polling periods
    assert live == []
    page.evaluate(
        "Object.defineProperty(document, 'visibilityState', {value: 'visible', configurable: true})"
    )
    with page.expect_request(lambda r: r.url.endswith(f"/alerts/{alert_id}/tracking/live/"), timeout=30_000):
        pass
    session.assert_clean()
