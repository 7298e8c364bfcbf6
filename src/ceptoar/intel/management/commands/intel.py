"""`ceptoar intel warninglists`: mark the stored observables again after the warning lists changed (a file
added, updated or removed in CEPTOAR_WARNING_LISTS_DIR, or a new release's lists), and print how many
observables each list marks now."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from ceptoar.intel import warninglists
from ceptoar.intel.index import remark_observables


class Command(BaseCommand):
    help = "Intelligence upkeep: `warninglists` marks the stored observables again from the current lists."

    def add_arguments(self, parser):
        actions = parser.add_subparsers(dest="action", required=True, metavar="{warninglists}")
        actions.add_parser(
            "warninglists",
            help="read the warning lists again, mark every stored observable, print the counts",
        )

    def handle(self, *args, action: str, **options):
        if action == "warninglists":
            self._warninglists()

    def _warninglists(self) -> None:
        counts = remark_observables()
        changed = counts.pop("changed")
        unmarked = counts.pop("", 0)
        for warning_list in warninglists.lists():
            self.stdout.write(
                f"{warning_list.name}: {counts.get(warning_list.name, 0)} ({warning_list.source})"
            )
        self.stdout.write(f"on no list: {unmarked}")
        self.stdout.write(f"marks changed: {changed}")
        problems = warninglists.problems()
        if problems:
            raise CommandError(
                "These warning list files were skipped (the others were applied):\n" + "\n".join(problems)
            )
