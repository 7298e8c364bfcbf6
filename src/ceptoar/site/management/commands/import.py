"""`ceptoar import registry FILE`: load registry records from JSON or CSV, all or nothing.
`ceptoar import stix FILE` and `ceptoar import misp FILE`: a STIX 2.1 bundle or a MISP event, all or nothing
(`ceptoar.intel.stix.importer`, `ceptoar.intel.misp`).

In the site shell because one command name serves several areas: each target hands the file to its own
area's importer, so no area imports another's for it."""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from ceptoar.registry import importer
from ceptoar.registry.importer import text as import_text

# What can be imported; the first argument names it so that later imports (reports, cases) fit beside it.
TARGETS = ("registry", "stix", "misp")
# The exchange formats, imported by the intel area; the rest of the options are the registry's.
EXCHANGE_TARGETS = ("stix", "misp")


class Command(BaseCommand):
    help = (
        "Import records from a file. `import registry FILE` loads organisations, memberships, points of "
        "contact, handling rules and acceptances from JSON or CSV (docs/import-format.md); `import stix FILE` "
        "a STIX 2.1 bundle and `import misp FILE` a MISP JSON event, kept object for object with their "
        "provenance. Nothing is written unless the whole file is valid."
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
        parser.add_argument(
            "--organisation",
            metavar="CODE",
            help="stix, misp: the importing organisation (its code); the indicators become a draft "
            "indicator set of it. Without it, only the objects (and ATT&CK techniques) are stored",
        )

    def handle(
        self,
        *args,
        target: str,
        file: str,
        format: str | None,
        encoding: str | None,
        dry_run: bool,
        organisation: str | None = None,
        **options,
    ):
        path = Path(file)
        if target in EXCHANGE_TARGETS:
            return self.import_exchange(target, path, organisation, dry_run)
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
            raise self.refused(file, error.problems) from error
        for line in summary.lines():
            self.stdout.write(line)

    def refused(self, file, problems) -> CommandError:
        """Every problem on standard error, then the error that says nothing was imported."""
        for problem in problems:
            self.stderr.write(str(problem))
        count = len(problems)
        return CommandError(
            ngettext(
                "Nothing was imported from %(file)s: %(count)d problem.",
                "Nothing was imported from %(file)s: %(count)d problems.",
                count,
            )
            % {"file": file, "count": count}
        )

    def import_exchange(self, target: str, path: Path, organisation_code: str | None, dry_run: bool) -> None:
        # Imported here: the intel area sits above the registry, and only these targets need it.
        from ceptoar.intel.problems import ImportRefused
        from ceptoar.registry.models import Organisation

        organisation = None
        if organisation_code:
            organisation = Organisation.objects.filter(code=organisation_code).first()
            if organisation is None:
                raise CommandError(_("No organisation has the code %(code)s.") % {"code": organisation_code})
        try:
            if target == "stix":
                from ceptoar.intel.stix import importer as stix_importer

                if dry_run:
                    summary = stix_importer.preview(stix_importer.read_source(path)[0])
                    self.stdout.write(
                        _("%(file)s is a valid STIX 2.1 bundle of %(count)s objects; nothing was stored.")
                        % {"file": path, "count": summary["objects"]}
                    )
                    return
                source_import = stix_importer.import_bundle(path, organisation=organisation, user=None)
            else:
                try:
                    from ceptoar.intel.misp import import_event_file
                except ImportError:
                    raise CommandError(_("MISP import is not available in this installation.")) from None
                source_import = import_event_file(path, organisation=organisation, user=None)
        except OSError as error:
            raise CommandError(
                _("Cannot import %(file)s: %(error)s") % {"file": path, "error": error}
            ) from None
        except ImportRefused as error:
            raise self.refused(path, error.problems) from error
        self.stdout.write(
            ngettext(
                "Imported %(file)s as import %(id)s: %(count)d object.",
                "Imported %(file)s as import %(id)s: %(count)d objects.",
                source_import.object_count,
            )
            % {"file": path, "id": source_import.pk, "count": source_import.object_count}
        )
