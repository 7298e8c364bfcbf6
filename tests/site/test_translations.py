"""Every user-visible string of the platform has a Japanese translation, and the compiled catalogue is current."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import polib
from django.core.management import call_command
from django.test import override_settings

import ceptoar

PACKAGE = Path(ceptoar.__file__).resolve().parent
CATALOGUE = PACKAGE / "locale" / "ja" / "LC_MESSAGES"


def _key(entry) -> tuple[str | None, str]:
    return entry.msgctxt, entry.msgid


def test_every_extracted_string_has_a_japanese_translation(tmp_path):
    copy = tmp_path / "ceptoar"
    shutil.copytree(PACKAGE, copy, ignore=shutil.ignore_patterns("__pycache__", "locale", "migrations"))
    (copy / "locale").mkdir()
    previous = os.getcwd()
    os.chdir(copy)
    try:
        with override_settings(LOCALE_PATHS=[str(copy / "locale")]):
            call_command("makemessages", locale=["ja"], verbosity=0, no_location=True)
    finally:
        os.chdir(previous)
    extracted = polib.pofile(str(copy / "locale" / "ja" / "LC_MESSAGES" / "django.po"))
    assert len(extracted) > 100  # the extraction itself worked
    catalogue = polib.pofile(str(CATALOGUE / "django.po"))
    translated = {_key(e) for e in catalogue.translated_entries() if "fuzzy" not in e.flags}
    missing = [e.msgid for e in extracted if _key(e) not in translated]
    assert not missing, (
        f"{len(missing)} strings lack a Japanese translation in {CATALOGUE / 'django.po'}: {missing[:20]}"
    )


def test_the_compiled_catalogue_matches_the_source_catalogue():
    source = {
        _key(e): (e.msgstr, dict(e.msgstr_plural))
        for e in polib.pofile(str(CATALOGUE / "django.po")).translated_entries()
        if "fuzzy" not in e.flags
    }
    compiled = {
        _key(e): (e.msgstr, {int(k): v for k, v in e.msgstr_plural.items()})
        for e in polib.mofile(str(CATALOGUE / "django.mo"))
        if e.msgid
    }
    source = {k: (s, {int(i): v for i, v in p.items()}) for k, (s, p) in source.items()}
    assert compiled == source, (
        "django.mo is stale: run `cd src/ceptoar && ../../.venv/bin/ceptoar compilemessages`"
    )
