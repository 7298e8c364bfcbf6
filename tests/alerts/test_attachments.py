"""Attachment limits are checked on the bytes: size, allowed types, and content that matches the name."""

import pytest
from django.core.exceptions import ValidationError

from ceptoar.alerts.attachments import check_attachment

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32


def test_an_allowed_file_is_described():
    checked = check_attachment("../../etc/報告書.pdf", b"%PDF-1.7\n...")
    assert checked.name == "報告書.pdf"  # no path survives
    assert checked.content_type == "application/pdf"
    assert checked.size == 12
    assert len(checked.sha256) == 64


def test_an_oversized_file_is_refused_with_the_limit(settings):
    settings.CEPTOAR_ATTACHMENT_MAX_BYTES = 1024
    with pytest.raises(ValidationError, match="1,024") as error:
        check_attachment("big.txt", b"a" * 1025)
    assert error.value.code == "too_large"


@pytest.mark.parametrize("name", ["tool.exe", "page.html", "macro.xlsm", "noextension"])
def test_forbidden_types_are_refused(name):
    with pytest.raises(ValidationError) as error:
        check_attachment(name, b"hello")
    assert error.value.code == "forbidden_type"


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("report.pdf", b"MZ\x90\x00 an executable"),
        ("photo.png", b"%PDF-1.4"),
        ("notes.txt", b"\x7fELF\x02\x01"),
        ("data.csv", b"a,b\x00\x00\x00"),
    ],
)
def test_content_that_does_not_match_its_name_is_refused(name, content):
    with pytest.raises(ValidationError) as error:
        check_attachment(name, content)
    assert error.value.code == "mismatched_type"


def test_a_real_png_passes():
    assert check_attachment("screen.PNG", PNG).content_type == "image/png"
