import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError

# How long the worker may take to finish the batch it is sending when the demo stops.
_STOP_GRACE_S = 20
_LOOPBACK = {"127.0.0.1", "localhost", "::1"}


class _Stop(Exception):
    """Ctrl+C or SIGTERM: stop every part of the demo."""


class Command(BaseCommand):
    help = (
        "Load the demo population of the seeds' March 2009 CEPTOAR map, print the demo logins, then run "
        "the demo: the web server, the background worker (sends alert e-mails, runs escalations) and a "
        "local mail server that keeps every e-mail for the demo mailbox page. Ctrl+C stops all three."
    )

    def add_arguments(self, parser):
        parser.add_argument("--no-serve", action="store_true", help="load and print the logins, then stop")
        parser.add_argument("--reset", action="store_true", help="empty the database first, then load afresh")
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument("--no-worker", action="store_true", help="serve only; nothing is sent")
        parser.add_argument(
            "--no-mailbox",
            action="store_true",
            help="no local mail server: e-mails go to CEPTOAR_SMTP_HOST:CEPTOAR_SMTP_PORT",
        )

    def handle(self, *args, no_serve: bool, reset: bool, host: str, port: int, **options):
        from ceptoar.demo import population
        from ceptoar.demo.relays import load_demo_relay_chain
        from ceptoar.demo.reports import load_demo_reports

        call_command("migrate", verbosity=0, interactive=False)
        if reset:
            call_command("flush", verbosity=0, interactive=False)
        started = time.monotonic()
        summary = population.load_demo()
        if summary.already_loaded:
            self.stdout.write("The demo is already loaded (use --reset to load it afresh).")
        else:
            self.stdout.write(
                self.style.SUCCESS(
                    f"Loaded the demo in {time.monotonic() - started:.1f} s: {summary.organisations:,} organisations, "
                    f"{summary.members:,} members, {summary.contacts:,} points of contact, {summary.channels:,} channels."
                )
            )
        added = population.add_missing_accounts()
        if added:
            self.stdout.write(f"Added the demo logins {', '.join(added)}.")
        chain = load_demo_relay_chain()
        if chain.ministries or chain.ceptoars:
            self.stdout.write(
                f"Relay rules: {chain.ministries} ministries relay what the hub sends them to their CEPTOARs, "
                f"{chain.ceptoars} CEPTOARs relay what their ministry sends to their members."
            )
        reports = load_demo_reports()
        if reports:
            self.stdout.write(
                f"Wrote {reports} demo incident reports, some forwarded and some published as failure cases."
            )
        base_url = os.environ.get("CEPTOAR_BASE_URL") or f"http://{_url_host(host)}:{port}"
        self._print_logins(summary.users, base_url)
        if not no_serve:
            self._run(host, port, base_url, worker=not options["no_worker"], mail=not options["no_mailbox"])

    def _print_logins(self, accounts, base_url):
        from ceptoar.accounts.models import MFA_REQUIRED_ROLES, Role
        from ceptoar.demo.population import DEMO_PASSWORD

        write = self.stdout.write
        write("")
        write(f"Demo logins — open {base_url}/ ; every password is: {DEMO_PASSWORD}")
        for account in accounts:
            mfa = "TOTP" if account.role in MFA_REQUIRED_ROLES else "    "
            write(
                f"  {account.username:<18} {mfa}  {Role(account.role).label:<28} {account.organisation_code}"
            )
        write("Accounts marked TOTP ask for a one-time code after the password. Get the current one with:")
        write("  .venv/bin/ceptoar totp demo-hub        (or any other demo account name)")
        write("")

    # -- running the three parts ---------------------------------------------------------------------

    def _run(self, host: str, port: int, base_url: str, *, worker: bool, mail: bool) -> None:
        from ceptoar.demo import mailbox

        _require_free(host, port, "the web server")
        env = dict(os.environ)
        # The links in e-mails must lead to this server, whatever port it was given.
        env["CEPTOAR_BASE_URL"] = base_url
        sink = None
        if mail and settings.EMAIL_HOST not in _LOOPBACK:
            self.stdout.write(
                f"E-mails go to the mail server {settings.EMAIL_HOST}:{settings.EMAIL_PORT} "
                "(CEPTOAR_SMTP_HOST); the demo mailbox is off."
            )
        elif mail:
            _require_free("127.0.0.1", settings.EMAIL_PORT, "the demo mail server (CEPTOAR_SMTP_PORT)")
            sink = mailbox.SmtpSink(mailbox.directory(), "127.0.0.1", settings.EMAIL_PORT).start()
            env["CEPTOAR_DEMO_MAILBOX"] = "1"
        children: dict[str, subprocess.Popen] = {}
        # Set explicitly: a shell that starts the demo in the background would have it ignore SIGINT.
        previous = {number: signal.signal(number, _raise_stop) for number in (signal.SIGINT, signal.SIGTERM)}
        try:
            if worker:
                children["worker"] = _start(["worker", "--no-reload", "--verbosity", "0"], env)
            children["web server"] = _start(["serve", "--host", host, "--port", str(port)], env)
            self._wait_until_serving(f"http://{_url_host(host)}:{port}", children)
            self._print_running(base_url, children, sink)
            self._supervise(children)
        except _Stop:
            self.stdout.write("\nStopping the demo…")
        finally:
            for number, handler in previous.items():
                signal.signal(number, handler)
            _stop_all(children)
            if sink is not None:
                sink.stop()

    def _wait_until_serving(self, local_url: str, children) -> None:
        # Straight to the server just started, never through a proxy from the environment.
        opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            _check_alive(children)
            try:
                with opener.open(f"{local_url}/health", timeout=2):
                    return
            except OSError:
                time.sleep(0.2)
        raise CommandError(f"The web server did not answer at {local_url}/health within a minute.")

    def _print_running(self, base_url: str, children, sink) -> None:
        from django.urls import NoReverseMatch, reverse

        write = self.stdout.write
        if "worker" in children:
            write(
                f"The worker is running (process {children['worker'].pid}): it sends alert e-mails and "
                "runs escalations."
            )
        else:
            write(self.style.WARNING("No worker (--no-worker): alerts are published but nothing is sent."))
        if sink is not None:
            try:
                page = base_url + reverse("demo:mailbox")
            except NoReverseMatch:
                page = None
            write(f"E-mails go to the demo mail server on 127.0.0.1:{sink.port}, kept in {sink.path}.")
            if page:
                write(self.style.SUCCESS(f"Read them (logged in) in the demo mailbox: {page}"))
            else:
                write(self.style.WARNING("The demo mailbox page is not in the site's URLs."))
        write("Ctrl+C stops the web server, the worker and the mail server.")
        self.stdout.flush()

    def _supervise(self, children) -> None:
        while True:
            _check_alive(children)
            time.sleep(0.5)


def _url_host(host: str) -> str:
    if host in ("", "0.0.0.0", "::"):  # noqa: S104 - only turning "every interface" into a usable address
        return "127.0.0.1"
    return f"[{host}]" if ":" in host else host


def _require_free(host: str, port: int, what: str) -> None:
    try:
        socket.create_server((host, port)).close()
    except OSError as error:
        raise CommandError(
            f"{what} cannot listen on {host}:{port}: {error.strerror}. Is another demo running?"
        ) from None


def _raise_stop(signum, frame):
    raise _Stop


def _start(arguments: list[str], env: dict) -> subprocess.Popen:
    # A process group of its own: Ctrl+C reaches only the demo, which stops each part once, in order.
    command = [sys.executable, "-m", "ceptoar.cli", *arguments]
    return subprocess.Popen(command, env=env, process_group=0)  # noqa: S603 - our own entry point


def _check_alive(children: dict[str, subprocess.Popen]) -> None:
    for name, process in children.items():
        code = process.poll()
        if code is not None:
            how = f"was killed by signal {-code}" if code < 0 else f"exited with code {code}"
            raise CommandError(
                f"The {name} stopped unexpectedly ({how}); any messages it left are above. "
                "The demo stops with it: run `make demo` again to restart everything."
            )


def _stop_all(children: dict[str, subprocess.Popen]) -> None:
    running = [process for process in children.values() if process.poll() is None]
    for process in running:
        process.send_signal(signal.SIGTERM)
    deadline = time.monotonic() + _STOP_GRACE_S
    for process in running:
        try:
            process.wait(max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
