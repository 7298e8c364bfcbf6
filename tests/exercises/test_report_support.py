"""Helpers for the after-action report tests: finished drills of the same four banks with chosen
acknowledgements, and a reader of the PDF that decodes its page streams itself (no PDF library is a
dependency), so assertions are on the text actually drawn."""

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


def _streams(content: bytes) -> list[bytes]:
    """Every content stream, with reportlab's filters (ASCII85 then Flate) undone."""
    found = []
    for match in re.finditer(rb"<<((?:(?!<<|stream).)*?)>>\s*stream\r?\n(.*?)\s*endstream", content, re.S):
        dictionary, data = match.group(1), match.group(2).strip()
        if b"ASCII85Decode" in dictionary:
            data = base64.a85decode(data.removesuffix(b"~>"))
        if b"FlateDecode" in dictionary:
            data = zlib.decompress(data)
        found.append(data)
    return found


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


def pdf_text(content: bytes) -> str:
    """The text shown on the pages: every string of every text operation, in the CID font's UTF-16BE."""
    pieces = []
    for stream in _streams(content):
        for match in re.finditer(rb"\((?:[^()\\]|\\.)*\)\s*Tj", stream, re.S):
            raw = _literal(match.group(0)[1 : match.group(0).rindex(b")")])
            pieces.append(raw.decode("utf-16-be", errors="replace"))
    return "\n".join(pieces)


def pdf_pages(content: bytes) -> int:
    return len(re.findall(rb"/Type /Page[^s]", content))
