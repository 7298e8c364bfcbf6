"""The Japanese font the after-action PDF embeds, and the check that stops the site when it is missing.

The PDF embeds a subset of a TrueType font, so it reads the same on any PC, including a Windows one whose
reader has no Japanese font pack (a CID font named but not embedded shows as blanks or boxes there). The
font is IPAexGothic (IPA Font License: embedding and redistribution allowed), from Debian's
`fonts-ipaexfont-gothic`, which `make install` installs; `CEPTOAR_PDF_FONT` names another TrueType file
on other systems. Nothing is fetched at run time: the platform runs on closed networks.

reportlab embeds TrueType outlines only: an OpenType font with PostScript (CFF) outlines, such as the
Noto Sans CJK files, is refused by `TTFont`, hence IPAex rather than Noto.
"""

from __future__ import annotations

from pathlib import Path

from django.conf import settings
from django.core import checks

DEBIAN_PACKAGE = "fonts-ipaexfont-gothic"
# Where the IPAexGothic packages of Debian / Ubuntu and of Fedora / RHEL put the file.
KNOWN_PATHS = (
    Path("/usr/share/fonts/opentype/ipaexfont-gothic/ipaexg.ttf"),
    Path("/usr/share/fonts/truetype/ipaexfont-gothic/ipaexg.ttf"),
    Path("/usr/share/fonts/ipa-ex-gothic-fonts/ipaexg.ttf"),
)


class FontMissing(RuntimeError):
    """No Japanese TrueType font for the PDF: says what to install or set."""


def font_path() -> Path:
    """The font file the PDF embeds: `CEPTOAR_PDF_FONT` when set, else the first installed known path."""
    configured = getattr(settings, "CEPTOAR_PDF_FONT", "")
    if configured:
        path = Path(configured)
        if not path.is_file():
            raise FontMissing(f"CEPTOAR_PDF_FONT={configured}: no such file (a Japanese TrueType .ttf font)")
        return path
    for path in KNOWN_PATHS:
        if path.is_file():
            return path
    raise FontMissing(
        f"the after-action PDF's Japanese font is not installed: run `make install`, or "
        f"`apt-get install {DEBIAN_PACKAGE}` (Debian, Ubuntu), or set CEPTOAR_PDF_FONT to a Japanese "
        f"TrueType .ttf file (looked for {', '.join(str(path) for path in KNOWN_PATHS)})"
    )


@checks.register()
def check_pdf_font(app_configs=None, **kwargs) -> list[checks.CheckMessage]:
    """Stop the site at start rather than at the first report download."""
    try:
        path = font_path()
    except FontMissing as error:
        return [checks.Error(str(error), id="exercises.E001")]
    with path.open("rb") as file:
        head = file.read(4)
    # TrueType outlines start 00 01 00 00 (or "true"); "OTTO" is PostScript outlines, which reportlab
    # cannot embed; "ttcf" is a collection, which it cannot read either.
    if head not in (b"\x00\x01\x00\x00", b"true"):
        return [
            checks.Error(
                f"{path}: not a TrueType font with glyf outlines (starts {head!r}); the PDF needs a .ttf "
                f"such as IPAexGothic ({DEBIAN_PACKAGE})",
                id="exercises.E002",
            )
        ]
    return []
