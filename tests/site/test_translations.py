"""Every user-visible string of the platform has a Japanese translation, and the compiled catalogue is current."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import polib
import pytest
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


# -- one English word, two meanings -----------------------------------------------------------------------
# "Published" is an alert's status and the label of its date; "not yet" stands under a time that has not
# come, and which time it is decides the Japanese. Each meaning has its own msgctxt; these tests read the pages
# in Japanese (no `english` fixture) and fail if one meaning's Japanese shows in the other's place.


def _dd_after(html: str, label: str) -> str:
    """The text of the <dd> that follows the <dt> reading `label`."""
    import re

    match = re.search(rf"<dt>{re.escape(label)}</dt>\s*<dd[^>]*>(.*?)</dd>", html, re.S)
    assert match, f"no <dt>{label}</dt> on the page"
    return re.sub(r"<[^>]+>", "", match.group(1)).strip()


def test_a_word_with_two_meanings_has_two_japanese_translations():
    from django.utils import translation

    with translation.override("ja"):
        assert translation.pgettext("status", "Published") == "発信済み"
        assert translation.gettext("Published") == "発信日時"
        assert translation.pgettext("receipt not confirmed", "not yet") == "未確認"
        assert translation.pgettext("not recovered", "not yet") == "未復旧"
        assert translation.gettext("not yet") == "未発信"
        # An agreement's history says what happened (一時停止); its status says how it stands (一時停止中).
        from ceptoar.agreements.models import AgreementEvent, AgreementStatus

        assert str(AgreementEvent.Action.SUSPENDED.label) == "一時停止"
        assert str(AgreementStatus.SUSPENDED.label) == "一時停止中"


@pytest.mark.django_db
def test_an_alert_s_status_reads_published_and_its_date_is_labelled_as_a_date(client_as, demo_user):
    from django.urls import reverse

    from tests.alerts.pages import published

    alert = published(demo_user("demo-hub"))
    hub = client_as("demo-hub")
    html = hub.get(reverse("alerts:detail", args=[alert.pk])).content.decode()
    assert _dd_after(html, "状態") == "発信済み"
    assert _dd_after(html, "発信日時").startswith(alert.published_at.astimezone().strftime("%Y-"))
    # The recipients who have not confirmed receipt: 未確認, not "not yet published".
    receipts = html.split('id="receipts"', 1)[1].split("</section>", 1)[0]
    assert "未確認" in receipts
    assert "未発信" not in receipts
    # The inbox's status filter offers the status, not a date.
    inbox = hub.get(reverse("alerts:inbox")).content.decode()
    assert '<option value="published">発信済み</option>' in inbox
    assert ">発信日時</option>" not in inbox


@pytest.mark.django_db
def test_a_report_not_yet_recovered_says_so_and_never_not_yet_published(client_as, demo_user):
    from django.urls import reverse

    from tests.reports.pages import submitted_report

    report = submitted_report(demo_user("demo-member"), recovered_at=None)
    html = client_as("demo-member").get(reverse("reports:detail", args=[report.pk])).content.decode()
    assert _dd_after(html, "復旧日時") == "未復旧"
    assert "未発信" not in html
