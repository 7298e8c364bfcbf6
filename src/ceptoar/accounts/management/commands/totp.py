from django.core.management.base import BaseCommand, CommandError


class Command(BaseCommand):
    help = "Print the current TOTP code of a demo account (refuses real accounts)."

    def add_arguments(self, parser):
        parser.add_argument("username")

    def handle(self, *args, username: str, **options):
        from ceptoar.accounts.services import current_totp_code

        try:
            code, seconds_left = current_totp_code(username)
        except ValueError as error:
            raise CommandError(str(error)) from None
        self.stdout.write(f"{code}  (valid for {seconds_left} more seconds)")
