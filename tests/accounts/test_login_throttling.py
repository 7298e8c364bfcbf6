"""Log-in throttling holds across processes (issue 13, point 2).

allauth counts failed log-ins in Django's cache. A cache in each process's memory lets an attacker who is
spread over N `ceptoar serve` processes try N times as many passwords. The platform's cache is a table of the
database every process shares: this test runs two real server processes on one database and spreads the
failed attempts over both.
"""

from __future__ import annotations

import http.cookiejar
import re
import urllib.parse
import urllib.request

import pytest
from django.conf import settings

from tests.processes import Installation, answers_health, free_port, wait_for

USERNAME = "throttled-person"
PASSWORD = "the-right-passphrase-42"
# allauth's default: five failed log-ins of one account within five minutes, then refused.
FAILED_LOGINS_ALLOWED = 5
TOO_MANY = "Too many failed login attempts"
SITE = "127.0.0.1"


class _Browser:
    """One visitor of one server: keeps its cookies and sends the form's CSRF token, as a browser does."""

    def __init__(self, port: int) -> None:
        self.base = f"http://127.0.0.1:{port}"
        self.cookies = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.cookies))
        # English pages, so that the assertions read allauth's own words.
        self.cookies.set_cookie(
            http.cookiejar.Cookie(
                0,
                settings.LANGUAGE_COOKIE_NAME,
                "en",
                None,
                False,
                "127.0.0.1",
                False,
                False,
                "/",
                True,
                False,
                None,
                True,
                None,
                None,
                {},
            )
        )

    def _open(self, request) -> str:
        if isinstance(request, str):
            request = urllib.request.Request(request)  # noqa: S310 - http://127.0.0.1 only
        # Behind a load balancer every process is asked for the same site name (allauth counts failures per
        # site and account), whatever port the process itself listens on.
        request.add_header("Host", SITE)
        with self.opener.open(request, timeout=60) as response:
            return response.read().decode()

    def log_in(self, password: str) -> str:
        form = self._open(f"{self.base}/accounts/login/")
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', form).group(1)
        body = urllib.parse.urlencode(
            {"csrfmiddlewaretoken": token, "login": USERNAME, "password": password}
        ).encode()
        request = urllib.request.Request(  # noqa: S310 - http://127.0.0.1 only
            f"{self.base}/accounts/login/", data=body, headers={"Referer": f"{self.base}/accounts/login/"}
        )
        return self._open(request)


@pytest.fixture
def two_servers(tmp_path):
    installation = Installation(tmp_path, "throttle")
    installation.run("migrate", "--verbosity", "0")
    installation.shell(
        "from ceptoar.accounts.models import User; "
        f"User.objects.create_user({USERNAME!r}, password={PASSWORD!r}); print('true')"
    )
    ports = [free_port(), free_port()]
    for index, port in enumerate(ports):
        installation.start("serve", "--port", str(port), "--processes", "1", log=f"serve-{index}")
    for port in ports:
        wait_for(
            lambda port=port: answers_health(port), timeout=90, what=f"the server on {port}", interval=0.3
        )
    yield installation, ports
    installation.stop_all()


def test_failed_log_ins_spread_over_two_processes_are_counted_together(two_servers):
    installation, ports = two_servers
    browsers = [_Browser(port) for port in ports]

    # Alternate between the processes: each sees only half of the attempts itself.
    for attempt in range(FAILED_LOGINS_ALLOWED):
        page = browsers[attempt % 2].log_in("a-wrong-password")
        assert TOO_MANY not in page, f"refused too early, at attempt {attempt + 1}"
        assert "not correct" in page or "incorrect" in page.lower()

    # The sixth attempt is refused on either process, even with the right password.
    for browser in browsers:
        page = browser.log_in(PASSWORD)
        assert TOO_MANY in page

    # The counts live in the shared table that `migrate` created, not in a process's memory.
    count = f"SELECT COUNT(*) FROM {settings.CACHE_TABLE}"  # noqa: S608 - the setting's table name
    rows = installation.shell(
        "from django.db import connection\n"
        "with connection.cursor() as cursor:\n"
        f"    cursor.execute({count!r})\n"
        "    print(cursor.fetchone()[0])"
    )
    assert rows >= 1
