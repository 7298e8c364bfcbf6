"""`ceptoar anonymize FILE [--json] [--reporter ORG_CODE]`: the redaction of docs/anonymisation.md on a
text file, against the registry in the database.

`ceptoar anonymize --score PATH …`: recall and precision on labelled files (the format of
`ceptoar.reports.anonymisation.evaluation`), e.g. `--score tests/reports/heldout`."""

from __future__ import annotations

import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from ceptoar.reports.anonymisation import Lexicon, anonymise
from ceptoar.reports.anonymisation.evaluation import LabelError, labelled_files, measure


class Command(BaseCommand):
    help = (
        "Print a report's text with organisations, people, e-mail addresses, phone numbers, postal "
        "addresses, internal hosts, private IP addresses and the reporter's URLs replaced. With --json, "
        "print every redaction with its span in the original text, kind and replacement."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", nargs="?", help="a UTF-8 text file")
        parser.add_argument(
            "--json", action="store_true", dest="as_json", help="print the text and the redactions as JSON"
        )
        parser.add_argument(
            "--reporter", metavar="ORG_CODE", help="code of the reporting organisation (it becomes A社)"
        )
        parser.add_argument(
            "--score",
            nargs="+",
            metavar="PATH",
            help="labelled files or directories of them: print recall per label, overall and for names, "
            "precision per kind, and every miss and needless redaction",
        )

    def handle(self, *args, file: str | None, as_json: bool, reporter: str | None, score, **options):
        if score:
            self._score([Path(path) for path in score])
            return
        if file is None:
            raise CommandError(_("Name a text file to anonymise, or labelled files after --score."))
        text = _read_text(file)
        lexicon = Lexicon.from_registry()
        if reporter is not None and reporter not in lexicon.organisations:
            raise CommandError(
                _("No organisation with the code %(code)s in the registry.") % {"code": reporter}
            )
        result = anonymise(text, lexicon=lexicon, reporter=reporter)
        if as_json:
            document = {"text": result.text, "redactions": [r.as_dict() for r in result.redactions]}
            self.stdout.write(json.dumps(document, ensure_ascii=False, indent=2))
        else:
            self.stdout.write(result.text, ending="" if result.text.endswith("\n") else "\n")

    def _score(self, paths: list[Path]) -> None:
        try:
            files = labelled_files(*paths)
            result, problems = measure(files, Lexicon.from_registry())
        except (LabelError, OSError) as error:
            raise CommandError(str(error)) from None
        self.stdout.write(f"{len(files)} labelled files\n{result.table()}")
        for problem in problems:
            self.stdout.write(problem)


def _read_text(file: str) -> str:
    try:
        return Path(file).read_text(encoding="utf-8")
    except FileNotFoundError:
        raise CommandError(_("Cannot read %(file)s: no such file.") % {"file": file}) from None
    except UnicodeDecodeError as error:
        raise CommandError(
            _("Cannot read %(file)s: it is not UTF-8 text (byte %(position)d).")
            % {"file": file, "position": error.start}
        ) from None
    except OSError as error:
        raise CommandError(
            _("Cannot read %(file)s: %(error)s") % {"file": file, "error": error.strerror}
        ) from None
