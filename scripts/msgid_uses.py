"""List the English strings used in more than one place, each use with its line, to review for collisions.

One msgid has one Japanese translation. When the same English word means two things ("Published" as an alert's
status and as the column of its date; "not yet" under a receipt time and under a recovery time), the Japanese
of one place is wrong in the other. This script extracts the catalogue afresh (with locations, into a
temporary copy: the project's django.po is left alone) and prints every msgid without a context used in more
than one file, with the source line of each use, so a reviewer can split the ones whose meanings differ
with `pgettext` / `{% translate "…" context "…" %}`.

    PYTHONPATH=src .venv/bin/python scripts/msgid_uses.py [--max-words N] [--all]

By default only short strings (labels, at most 3 words) are listed: they are the ones that collide.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
from pathlib import Path

import django
import polib
from django.conf import settings
from django.core.management import call_command


def _extract(package: Path, into: Path) -> polib.POFile:
    copy = into / "ceptoar"
    shutil.copytree(package, copy, ignore=shutil.ignore_patterns("__pycache__", "locale", "migrations"))
    (copy / "locale").mkdir()
    previous = os.getcwd()
    os.chdir(copy)
    try:
        settings.LOCALE_PATHS = [str(copy / "locale")]
        call_command("makemessages", locale=["ja"], verbosity=0)
    finally:
        os.chdir(previous)
    return polib.pofile(str(copy / "locale" / "ja" / "LC_MESSAGES" / "django.po")), copy


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--max-words", type=int, default=3, help="list msgids of at most this many words")
    parser.add_argument("--all", action="store_true", help="list msgids used more than once in one file too")
    arguments = parser.parse_args()

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ceptoar.settings")
    django.setup()
    import ceptoar

    package = Path(ceptoar.__file__).resolve().parent
    catalogue = polib.pofile(str(package / "locale" / "ja" / "LC_MESSAGES" / "django.po"))
    japanese = {(e.msgctxt, e.msgid): e.msgstr for e in catalogue}
    with tempfile.TemporaryDirectory() as temporary:
        extracted, copy = _extract(package, Path(temporary))
        for entry in sorted(extracted, key=lambda e: e.msgid.lower()):
            if entry.msgctxt or entry.msgid_plural or len(entry.msgid.split()) > arguments.max_words:
                continue
            files = {path for path, _ in entry.occurrences}
            if len(entry.occurrences) < 2 or (len(files) < 2 and not arguments.all):
                continue
            print(f"{entry.msgid!r} → {japanese.get((None, entry.msgid), '(untranslated)')!r}")
            for path, line in entry.occurrences:
                try:
                    text = (copy / path).read_text(encoding="utf-8").splitlines()[int(line) - 1].strip()
                except (OSError, IndexError, ValueError):
                    text = ""
                print(f"    {path}:{line}  {text[:150]}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
