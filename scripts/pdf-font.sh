#!/usr/bin/env bash
# `make install`: the Japanese TrueType font the exercise report's PDF embeds (src/ceptoar/exercises/fonts.py).
# Debian's fonts-ipaexfont-gothic (IPAexGothic, IPA Font License), unless CEPTOAR_PDF_FONT names another file.
set -euo pipefail
FONT=/usr/share/fonts/opentype/ipaexfont-gothic/ipaexg.ttf
PACKAGE=fonts-ipaexfont-gothic
if [ -n "${CEPTOAR_PDF_FONT:-}" ]; then
  [ -f "$CEPTOAR_PDF_FONT" ] && exit 0
  echo "CEPTOAR_PDF_FONT=$CEPTOAR_PDF_FONT: no such file (a Japanese TrueType .ttf font)" >&2
  exit 1
fi
[ -f "$FONT" ] && exit 0
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "installing $PACKAGE with apt-get (the PDF report's Japanese font)"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$PACKAGE" >/dev/null
  exit 0
fi
echo "missing the PDF report's Japanese font: install $PACKAGE (Debian: apt-get install $PACKAGE)," >&2
echo "or set CEPTOAR_PDF_FONT to a Japanese TrueType .ttf file" >&2
exit 1
