"""The PDF's Japanese font: found where Debian's fonts-ipaexfont-gothic puts it or where CEPTOAR_PDF_FONT
says, and a system check that stops the site, naming what to install, when it is missing or unusable."""

from __future__ import annotations

from ceptoar.exercises import fonts


def test_the_installed_font_passes_the_check():
    assert fonts.font_path().is_file()
    assert fonts.check_pdf_font() == []


def test_a_missing_font_stops_the_site_naming_the_package_and_the_setting(settings, tmp_path, monkeypatch):
    monkeypatch.setattr(fonts, "KNOWN_PATHS", (tmp_path / "ipaexg.ttf",))
    [error] = fonts.check_pdf_font()
    assert error.id == "exercises.E001" and error.is_serious()
    assert "fonts-ipaexfont-gothic" in error.msg and "CEPTOAR_PDF_FONT" in error.msg
    settings.CEPTOAR_PDF_FONT = str(tmp_path / "nowhere.ttf")
    [error] = fonts.check_pdf_font()
    assert error.msg.startswith(f"CEPTOAR_PDF_FONT={tmp_path / 'nowhere.ttf'}: no such file")


def test_a_font_with_postscript_outlines_is_refused(settings, tmp_path):
    """reportlab cannot embed CFF outlines (Noto Sans CJK's .otf): said at start, not at the first PDF."""
    otf = tmp_path / "NotoSansCJKjp-Regular.otf"
    otf.write_bytes(b"OTTO" + bytes(60))
    settings.CEPTOAR_PDF_FONT = str(otf)
    [error] = fonts.check_pdf_font()
    assert error.id == "exercises.E002" and str(otf) in error.msg
