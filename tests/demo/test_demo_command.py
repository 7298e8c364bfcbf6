"""`ceptoar demo` (what `make demo` runs), as a real process: the web server, the worker and the demo mail
server together; an alert's e-mail lands in the demo mailbox and its acknowledgement link works on the
site; Ctrl+C stops all three; a worker that dies is reported and stops the demo."""

from __future__ import annotations

import html
import http.cookiejar
import os
import re
import signal
import socket
import subprocess
import urllib.parse
import urllib.request

import pytest

from tests.processes import Installation, free_port, wait_for

PUBLISH = """
import json
from ceptoar.accounts.models import User
from ceptoar.alerts.services import drafts, publication
from ceptoar.alerts.services.audience import AudienceSpec
user = User.objects.get(username="demo-secretariat")
draft = drafts.create_draft(
    user, title="デモ: 受領確認リンクの確認", body="本文です。", category="malware", severity="high",
    tlp="green", audience=AudienceSpec(organisations=["banks-0001"]),
)
print(json.dumps(publication.submit(draft, user).pk))
"""

ACKNOWLEDGED = """
import json, os
from ceptoar.alerts.models import Recipient
recipient = Recipient.objects.get(alert_id=int(os.environ["ALERT"]), organisation__code="banks-0001")
ack = getattr(recipient, "acknowledgement", None)
print(json.dumps(ack.via if ack else None))
"""


@pytest.fixture(scope="module")
def installation(tmp_path_factory):
    platform = Installation(tmp_path_factory.mktemp("demo-command"), "demo_command")
    platform.load_demo()
    yield platform
    platform.stop_all()


def start_demo(installation):
    port, smtp_port = free_port(), free_port()
    demo = installation.start(
        "demo", "--port", str(port), log=f"demo-{port}", CEPTOAR_SMTP_PORT=str(smtp_port)
    )
    wait_for(
        lambda: "Ctrl+C stops" in installation.log(demo) or demo.poll() is not None,
        120,
        "the demo to start",
    )
    assert demo.poll() is None, installation.log(demo)
    return demo, f"http://127.0.0.1:{port}", smtp_port


def gone(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    return False


def listening(port: int) -> bool:
    with socket.socket() as probe:
        return probe.connect_ex(("127.0.0.1", port)) == 0


class Browser:
    """Just enough of a browser: cookies, and the CSRF token of the page last read."""

    def __init__(self, base_url: str) -> None:
        self.base_url = base_url
        self.opener = urllib.request.build_opener(
            urllib.request.ProxyHandler({}), urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar())
        )
        self.page = ""

    def get(self, path: str) -> str:
        with self.opener.open(self.base_url + path, timeout=30) as response:  # noqa: S310 - loopback
            self.page = response.read().decode()
        return self.page

    def post(self, path: str, **fields) -> str:
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', self.page).group(1)
        data = urllib.parse.urlencode({"csrfmiddlewaretoken": token, **fields}).encode()
        request = urllib.request.Request(  # noqa: S310 - loopback
            self.base_url + path, data=data, headers={"Referer": self.base_url + path}
        )
        with self.opener.open(request, timeout=30) as response:  # noqa: S310 - loopback
            self.page = response.read().decode()
        return self.page


def test_the_demo_mails_to_its_mailbox_and_the_link_in_the_mail_acknowledges(installation):
    demo, base_url, smtp_port = start_demo(installation)
    output = installation.log(demo)
    # The mailbox page is announced after the logins.
    assert output.index("demo-member") < output.index(f"demo mailbox: {base_url}/demo/mailbox/")
    worker_pid = int(re.search(r"The worker is running \(process (\d+)\)", output).group(1))

    alert = installation.shell(PUBLISH)
    maildir = installation.var_dir / "mailbox" / "new"
    wait_for(lambda: maildir.exists() and any(maildir.iterdir()), 60, "the worker to send the e-mail")

    browser = Browser(base_url)
    browser.get("/accounts/login/")
    browser.post("/accounts/login/", login="demo-member", password="ceptoar-demo")
    listing = browser.get("/demo/mailbox/?q=" + urllib.parse.quote("受領確認リンク"))
    message_path = re.search(r'href="(/demo/mailbox/[^"/]+/)"', listing).group(1)
    message = browser.get(message_path)
    assert "デモ: 受領確認リンクの確認" in message and "本文です。" in message
    links = [html.unescape(h) for h in re.findall(r'<a href="([^"]+)" rel="noopener noreferrer">', message)]
    # The links lead to this demo server, whatever port it was given.
    [ack_link] = [link for link in links if link.startswith(f"{base_url}/alerts/ack/")]
    assert f"{base_url}/alerts/{alert}/" in links

    ack_path = ack_link.removeprefix(base_url)
    browser.get(ack_path)
    assert installation.shell(ACKNOWLEDGED, ALERT=str(alert)) is None
    browser.post(ack_path)
    assert installation.shell(ACKNOWLEDGED, ALERT=str(alert)) == "email_link"

    # Ctrl+C stops the web server, the worker and the mail server, and the demo exits cleanly.
    demo.send_signal(signal.SIGINT)
    assert demo.wait(60) == 0, installation.log(demo)
    assert "Stopping the demo" in installation.log(demo)
    assert not listening(int(base_url.rsplit(":", 1)[1])) and not listening(smtp_port)
    assert gone(worker_pid)


def test_a_worker_that_dies_is_reported_and_stops_the_demo(installation):
    demo, base_url, smtp_port = start_demo(installation)
    worker_pid = int(re.search(r"The worker is running \(process (\d+)\)", installation.log(demo)).group(1))
    os.kill(worker_pid, signal.SIGKILL)
    try:
        code = demo.wait(60)
    except subprocess.TimeoutExpired:
        raise AssertionError(installation.log(demo)) from None
    assert code != 0
    assert "The worker stopped unexpectedly (was killed by signal 9" in installation.log(demo)
    assert not listening(int(base_url.rsplit(":", 1)[1])) and not listening(smtp_port)
