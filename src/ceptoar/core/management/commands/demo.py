import time

from django.core.management import call_command
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Load the demo population of the seeds' March 2009 CEPTOAR map, print the demo logins, then serve."

    def add_arguments(self, parser):
        parser.add_argument("--no-serve", action="store_true", help="load and print the logins, then stop")
        parser.add_argument("--reset", action="store_true", help="empty the database first, then load afresh")
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8000)

    def handle(self, *args, no_serve: bool, reset: bool, host: str, port: int, **options):
        from ceptoar.demo import population

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
        self._print_logins(summary.users, host, port)
        if not no_serve:
            call_command("serve", host=host, port=port)

    def _print_logins(self, accounts, host, port):
        from ceptoar.accounts.models import MFA_REQUIRED_ROLES, Role
        from ceptoar.demo.population import DEMO_PASSWORD

        write = self.stdout.write
        write("")
        write(f"Demo logins — open http://{host}:{port}/ ; every password is: {DEMO_PASSWORD}")
        for account in accounts:
            mfa = "TOTP" if account.role in MFA_REQUIRED_ROLES else "    "
            write(
                f"  {account.username:<18} {mfa}  {Role(account.role).label:<28} {account.organisation_code}"
            )
        write("Accounts marked TOTP ask for a one-time code after the password. Get the current one with:")
        write("  .venv/bin/ceptoar totp demo-hub        (or any other demo account name)")
        write("")
