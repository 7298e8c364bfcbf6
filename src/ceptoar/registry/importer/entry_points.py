"""Registry import: organisations, memberships, points of contact, handling rules and their acceptance
from one file, all or nothing. The file format is described in docs/import-format.md.

JSON carries the whole registry; CSV the common case of a secretariat's member list. Both are first read
into the same records, so that checking and writing exist once. Every record is checked (the models'
own `full_clean()` and the rules that span records) before anything is written; one problem anywhere
means nothing is written. Records are matched to what is stored by their natural keys (organisation
code; CEPTOAR and member; organisation and contact name; CEPTOAR and rules version), so importing the
same file twice changes nothing the second time.
"""

from __future__ import annotations

from pathlib import Path

from django.utils.translation import gettext as _

from ceptoar.registry.importer import text as import_text
from ceptoar.registry.importer.csv_format import parse_csv
from ceptoar.registry.importer.json_format import parse_json
from ceptoar.registry.importer.problems import ImportSummary, RegistryImportError
from ceptoar.registry.importer.records import Document
from ceptoar.registry.importer.writer import run

FORMATS = ("json", "csv")


def parse(data: bytes | str | dict, format: str, encoding: str | None = None) -> Document:
    if format == "json":
        return parse_json(data, encoding)
    if format == "csv":
        if isinstance(data, dict):
            raise TypeError("CSV input must be bytes or text")
        return parse_csv(data, encoding)
    raise ValueError(f"unknown import format {format!r}; expected one of {', '.join(FORMATS)}")


def import_registry(
    data: bytes | str | dict, *, format: str = "json", dry_run: bool = False, encoding: str | None = None
) -> ImportSummary:
    """Check every record of `data` and, only if all pass, write them all in one transaction.

    `data` is the file's content (bytes or text) or, for JSON, the already parsed document. `encoding`
    (utf-8, cp932, euc-jp) names the encoding of bytes; without it they must be UTF-8 or, for CSV, read
    plausibly as Shift_JIS (text.py). Raises RegistryImportError listing every problem; nothing is
    written then. With `dry_run`, checks only.
    """
    document = parse(data, format, encoding)
    try:
        return run(document, dry_run)
    except RegistryImportError as error:
        raise RegistryImportError([document.named_as_in_file(p) for p in error.problems]) from None


def format_for(path: str | Path) -> str:
    suffix = Path(path).suffix.lower().lstrip(".")
    if suffix in FORMATS:
        return suffix
    raise ValueError(
        _("Cannot tell the format of %(file)s from its name; give --format json or csv.") % {"file": path}
    )


def import_registry_file(
    path: str | Path, *, format: str | None = None, dry_run: bool = False, encoding: str | None = None
) -> ImportSummary:
    """import_registry() on a file; the format comes from the file name unless given."""
    file_format = format or format_for(path)
    try:
        data = import_text.read_file(Path(path))
    except import_text.UnreadableText as error:
        raise RegistryImportError(Document().refused(error).problems) from None
    return import_registry(data, format=file_format, dry_run=dry_run, encoding=encoding)
