"""The foundation as a new user meets it: log in with a second factor, switch language, open the map,
download the CSV. Runs Debian's Chromium against a server started the way `make demo` starts it."""

from __future__ import annotations

import csv
import io
import time

import pytest

pytestmark = pytest.mark.browser


# The period whose code each account last used: allauth refuses a code used once already (replay), so a
# second log-in of the same account within 30 s must wait for the next code.
_LAST_PERIOD: dict[str, int] = {}


def _totp_now(username: str) -> str:
    from allauth.mfa.totp.internal.auth import format_hotp_value, hotp_value

    from ceptoar.demo.population import demo_totp_secret

    # Wait out the last seconds of a period so the code cannot expire between typing and checking.
    if time.time() % 30 > 25:
        time.sleep(30 - time.time() % 30 + 0.5)
    if _LAST_PERIOD.get(username) == int(time.time()) // 30:
        time.sleep(30 - time.time() % 30 + 0.5)
    period = int(time.time()) // 30
    _LAST_PERIOD[username] = period
    return format_hotp_value(hotp_value(demo_totp_secret(username), period))


def _log_in(page, username: str, with_totp: bool) -> None:
    page.goto("/")
    page.fill("input[name=login]", username)
    page.fill("input[name=password]", "ceptoar-demo")
    page.locator("main form button[type=submit]").first.click()
    if with_totp:
        page.wait_for_selector("input[name=code]")
        page.fill("input[name=code]", _totp_now(username))
        page.locator("main form button[type=submit]").first.click()
    page.wait_for_url(lambda url: "/accounts/" not in url)


def test_secretariat_logs_in_switches_language_opens_map_and_downloads_csv(page):
    _log_in(page, "demo-secretariat", with_totp=True)
    # Japanese by default, whatever the browser's own language (this one says en-US).
    assert page.locator("html").get_attribute("lang") == "ja"
    assert page.locator("header").inner_text().count("セプター特性把握マップ") == 1

    page.locator("form.language-switch button").click()
    page.wait_for_load_state()
    assert page.locator("html").get_attribute("lang") == "en"
    assert "CEPTOAR map" in page.locator("header").inner_text()

    page.locator("header nav a", has_text="CEPTOAR map").click()
    page.wait_for_url("**/registry/map/")
    table_text = page.locator("table").first.inner_text()
    for name in ("T-CEPTOAR", "GAS CEPTOAR", "1,738", "1,863"):
        assert name in table_text

    with page.expect_download() as download_info:
        page.locator("a[href$='map.csv']").click()
    download = download_info.value
    assert download.suggested_filename.endswith(".csv")
    rows = list(csv.reader(io.StringIO(download.path().read_bytes().decode("utf-8-sig"))))
    assert len(rows[0]) == 15, rows[0]  # the label column and the 14 CEPTOARs
    flat = "\n".join(",".join(row) for row in rows)
    assert "T-CEPTOAR" in flat and "1,393" in flat


def test_member_logs_in_with_password_only_and_cannot_open_another_members_contacts(page):
    _log_in(page, "demo-member", with_totp=False)
    page.goto("/registry/organisations/banks-0002/")
    body = page.locator("main").inner_text()
    assert "@banks-0002.example.jp" not in body
    page.goto("/registry/organisations/banks-0001/")
    assert "@banks-0001.example.jp" in page.locator("main").inner_text()


def test_staff_login_refuses_a_wrong_second_factor(page):
    page.goto("/")
    page.fill("input[name=login]", "demo-hub")
    page.fill("input[name=password]", "ceptoar-demo")
    page.locator("main form button[type=submit]").first.click()
    page.wait_for_selector("input[name=code]")
    page.fill("input[name=code]", "000000" if _totp_now("demo-hub") != "000000" else "111111")
    page.locator("main form button[type=submit]").first.click()
    page.wait_for_load_state()
    assert "/accounts/" in page.url
    assert page.locator("input[name=code]").count() == 1
