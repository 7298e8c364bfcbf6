"""`ceptoar import registry FILE`: load registry records from JSON or CSV, all or nothing."""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from ceptoar.registry import importer
from ceptoar.registry.importer import text as import_text

# What can be imported; the first argument names it so that later imports (reports, cases) fit beside it.
TARGETS = ("registry",)


class Command(BaseCommand):
    help = (
        "Import records from a file. `import registry FILE` loads organisations, memberships, points of "
        "contact, handling rules and acceptances from JSON or CSV (docs/import-format.md); nothing is "
        "written unless the whole file is valid."
    )

    def add_arguments(self, parser):
        parser.add_argument("target", choices=TARGETS, help="what the file holds")
        parser.add_argument("file", help="the file to import (.json or .csv)")
        parser.add_argument(
            "--format", choices=importer.FORMATS, help="the file's format, when its name does not say"
        )
        parser.add_argument(
            "--encoding",
            help="the file's encoding: utf-8, cp932 (Shift_JIS) or euc-jp; without it, UTF-8 or, for CSV, "
            "Shift_JIS when the text reads as Japanese",
        )
        parser.add_argument(
            "--dry-run", action="store_true", help="check the file and report, but write nothing"
        )

    def handle(
        self,
        *args,
        target: str,
        file: str,
        format: str | None,
        encoding: str | None,
        dry_run: bool,
        **options,
    ):
        path = Path(file)
        try:
            file_format = format or importer.format_for(path)
            encoding = import_text.encoding_named(encoding) if encoding is not None else None
        except ValueError as error:
            raise CommandError(
                _("Cannot import %(file)s: %(error)s") % {"file": file, "error": error}
            ) from None
        try:
            summary = importer.import_registry_file(
                path, format=file_format, dry_run=dry_run, encoding=encoding
            )
        except OSError as error:
            raise CommandError(
                _("Cannot import %(file)s: %(error)s") % {"file": file, "error": error}
            ) from None
        except importer.RegistryImportError as error:
            for problem in error.problems:
                self.stderr.write(str(problem))
            count = len(error.problems)
            raise CommandError(
                ngettext(
                    "Nothing was imported from %(file)s: %(count)d problem.",
                    "Nothing was imported from %(file)s: %(count)d problems.",
                    count,
                )
                % {"file": file, "count": count}
            ) from error
        for line in summary.lines():
            self.stdout.write(line)
