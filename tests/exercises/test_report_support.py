"""Helpers for the after-action report tests: finished drills of the same four banks with chosen
acknowledgements, and a reader of the PDF that decodes its page streams itself (no PDF library is a
dependency), so assertions are on the text actually drawn: each string through the ToUnicode map of the
embedded font it is set in, as a PDF reader's copy and search do."""

from __future__ import annotations

import base64
import re
import zlib
from datetime import timedelta

import pytest

from ceptoar.alerts.models import Recipient
from ceptoar.alerts.services.acknowledgements import acknowledge
from ceptoar.exercises.services import running
from tests.exercises.support import run

BANKS = ["banks-0001", "banks-0002", "banks-0003", "banks-0004"]


def drill(user, acknowledging: dict[str, int], *, name: str, finish: bool = True):
    """A drill of `BANKS` by `user` in which each organisation of `acknowledging` confirms receipt that
    many minutes after the inject went out (set afterwards: a test cannot wait for minutes)."""
    exercise = run(user, name=name, organisations=BANKS)
    for recipient in Recipient.objects.filter(
        alert__exercise=exercise, organisation__code__in=list(acknowledging)
    ).select_related("alert", "organisation"):
        acknowledgement, _created = acknowledge(recipient, via="portal")
        minutes = acknowledging[recipient.organisation.code]
        type(acknowledgement).objects.filter(pk=acknowledgement.pk).update(
            acknowledged_at=recipient.alert.published_at + timedelta(minutes=minutes)
        )
    if finish:
        exercise = running.finish(exercise, user)
    return exercise


@pytest.fixture
def secretariat(demo_user):
    return demo_user("demo-secretariat")


# -- reading a PDF back --------------------------------------------------------------------------


def _decoded(dictionary: bytes, data: bytes) -> bytes:
    """A stream's data with reportlab's filters (ASCII85 then Flate) undone."""
    if b"ASCII85Decode" in dictionary:
        data = base64.a85decode(data.strip().removesuffix(b"~>"))
    if b"FlateDecode" in dictionary:
        data = zlib.decompress(data)
    return data


_STREAM = rb"<<((?:(?!<<|stream).)*?)>>\s*stream\r?\n"


def _streams(content: bytes) -> list[bytes]:
    """Every stream, decoded: its /Length bytes, as a reader takes them (an embedded font's binary data
    may end in bytes that look like white space, or hold any other byte)."""
    found = []
    for match in re.finditer(_STREAM, content, re.S):
        length = int(re.search(rb"/Length (\d+)", match.group(1)).group(1))
        found.append(_decoded(match.group(1), content[match.end() : match.end() + length]))
    return found


def pdf_objects(content: bytes) -> dict[int, bytes]:
    return {
        int(match.group(1)): match.group(2)
        for match in re.finditer(rb"(\d+) 0 obj\s*(.*?)endobj", content, re.S)
    }


def _unicode_maps(objects: dict[int, bytes]) -> dict[bytes, dict[int, str]]:
    """For each font resource name (/F2+0 …), its code → text map, read from its ToUnicode CMap."""
    maps = {}
    for body in objects.values():
        name = re.search(rb"/Name /(\S+)", body)
        to_unicode = re.search(rb"/ToUnicode (\d+) 0 R", body)
        if not (name and to_unicode and b"/Type /Font" in body):
            continue
        [cmap] = _streams(objects[int(to_unicode.group(1))])
        maps[name.group(1)] = {
            int(code, 16): bytes.fromhex(text.decode()).decode("utf-16-be")
            for code, text in re.findall(
                rb"<([0-9A-Fa-f]+)>\s*<([0-9A-Fa-f]+)>", cmap.split(b"beginbfchar", 1)[-1]
            )
            if int(text, 16)
        }
    return maps


_ESCAPES = {
    b"n": b"\n",
    b"r": b"\r",
    b"t": b"\t",
    b"b": b"\b",
    b"f": b"\f",
    b"(": b"(",
    b")": b")",
    b"\\": b"\\",
}


def _literal(raw: bytes) -> bytes:
    out, index = bytearray(), 0
    while index < len(raw):
        byte = raw[index : index + 1]
        if byte == b"\\":
            following = raw[index + 1 : index + 2]
            if following in _ESCAPES:
                out += _ESCAPES[following]
                index += 2
                continue
            octal = re.match(rb"[0-7]{1,3}", raw[index + 1 : index + 4])
            if octal:
                out.append(int(octal.group(0), 8))
                index += 1 + len(octal.group(0))
                continue
            index += 1
            continue
        out += byte
        index += 1
    return bytes(out)


def fonts_drawn_with(content: bytes) -> set[bytes]:
    """The font resource names (/F1+0 …) some text is shown in. Tables and charts also select reportlab's
    default Helvetica as their initial state, with no text in it: not counted."""
    used = set()
    for stream in _streams(content):
        font = None
        for match in re.finditer(rb"/(\S+) [\d.]+ Tf|\((?:[^()\\]|\\.)*\)\s*Tj", stream, re.S):
            if match.group(1) is not None:
                font = match.group(1)
            else:
                used.add(font)
    return used


def pdf_text(content: bytes) -> str:
    """The text shown on the pages, a line per line drawn: every string of every text operation through
    its font's ToUnicode map (a font without one, reportlab's standard Helvetica, is Latin-1). A line set
    in two subsets of the font is two strings with a change of font between them, joined here."""
    maps = _unicode_maps(pdf_objects(content))
    lines = []
    for stream in _streams(content):
        font, line = None, []
        operations = rb"/(\S+) [\d.]+ Tf|(\((?:[^()\\]|\\.)*\))\s*Tj|\s(T\*|Td|TD|Tm|ET)\s"
        for match in re.finditer(operations, stream, re.S):
            if match.group(1) is not None:
                font = match.group(1)
            elif match.group(2) is not None:
                raw = _literal(match.group(2)[1:-1])
                mapping = maps.get(font)
                line.append(
                    raw.decode("latin-1")
                    if mapping is None
                    else "".join(mapping.get(byte, "\ufffd") for byte in raw)
                )
            elif line:
                lines.append("".join(line))
                line = []
        if line:
            lines.append("".join(line))
    return "\n".join(lines)


def pdf_pages(content: bytes) -> int:
    return len(re.findall(rb"/Type /Page[^s]", content))
