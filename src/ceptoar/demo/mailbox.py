"""The demo's mailbox: a local SMTP server that keeps every message it accepts in a Maildir, and the helpers
that read it back for the demo mailbox page.

In the demo, alert e-mails go to invented addresses; this stands in for the recipients' mail systems, so
that one can read what a member's point of contact received and click its acknowledgement link. It is on
only when CEPTOAR_DEMO_MAILBOX is true (`ceptoar demo` sets it); never in a real installation.
"""

from __future__ import annotations

import email.policy
import mailbox
import os
import re
import socket
import threading
from dataclasses import dataclass
from datetime import UTC, datetime
from email.message import EmailMessage
from email.parser import BytesParser
from pathlib import Path

from django.conf import settings
from django.utils.html import escape, format_html
from django.utils.safestring import SafeString, mark_safe

# -- settings -----------------------------------------------------------------------------------------


def enabled() -> bool:
    return bool(getattr(settings, "CEPTOAR_DEMO_MAILBOX", False))


def directory() -> Path:
    return Path(getattr(settings, "CEPTOAR_DEMO_MAILBOX_DIR", None) or settings.VAR_DIR / "mailbox")


# -- the SMTP side --------------------------------------------------------------------------------------


class MaildirHandler:
    """aiosmtpd handler: every accepted message becomes one file in the Maildir, exactly as sent, with the
    envelope written on top the way a mail delivery agent does (Return-Path, Delivered-To)."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        # Maildir writes to tmp/ then renames into new/: a reader never sees half a message.
        self.maildir = mailbox.Maildir(self.path, create=True)

    async def handle_DATA(self, server, session, envelope) -> str:
        envelope_lines = [f"Return-Path: <{envelope.mail_from}>"]
        envelope_lines += [f"Delivered-To: {address}" for address in envelope.rcpt_tos]
        head = "\n".join(envelope_lines).encode("utf-8", "replace") + b"\n"
        self.maildir.add(head + envelope.content.replace(b"\r\n", b"\n"))
        return "250 Message accepted for delivery"


class SmtpSink:
    """The demo's mail server on a loopback port, running in a thread of the calling process."""

    def __init__(self, path: Path, host: str = "127.0.0.1", port: int = 8025) -> None:
        self.path, self.host, self.port = Path(path), host, port
        self._controller = None

    def start(self) -> SmtpSink:
        from aiosmtpd.controller import Controller

        # Fail with the port's own error before aiosmtpd's thread does it less readably.
        socket.create_server((self.host, self.port)).close()
        self._controller = Controller(
            MaildirHandler(self.path), hostname=self.host, port=self.port, enable_SMTPUTF8=True
        )
        self._controller.start()
        return self

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None


# -- the reading side ---------------------------------------------------------------------------------

_parser = BytesParser(policy=email.policy.default)


@dataclass(frozen=True)
class Summary:
    key: str
    received: datetime  # when the sink stored it
    sender: str
    to: str
    subject: str
    date: datetime | None  # the Date header, as the sender wrote it
    message_id: str

    def matches(self, words: str) -> bool:
        haystack = f"{self.sender}\n{self.to}\n{self.subject}\n{self.message_id}".casefold()
        return all(word in haystack for word in words.casefold().split())


@dataclass(frozen=True)
class Captured:
    summary: Summary
    text: str  # the plain-text body, decoded from its transfer encoding and charset
    is_html_source: bool  # no text part: `text` is the HTML part's source
    headers: list[tuple[str, str]]
    attachments: list[str]


def _header(message, name: str) -> str:
    try:
        return str(message.get(name) or "").strip()
    except Exception:  # noqa: BLE001 - one malformed header must not hide the whole message
        return ""


def _date(message) -> datetime | None:
    try:
        header = message.get("Date")
        moment = header.datetime if header is not None else None
    except Exception:  # noqa: BLE001 - an unreadable Date header is simply not shown
        return None
    # "-0000" means "zone not stated" and parses naive; Django's mail writes UTC that way.
    return moment.replace(tzinfo=UTC) if moment is not None and moment.tzinfo is None else moment


def _entries() -> dict[str, tuple[Path, int]]:
    """Every stored message: key → (file, time stored in ns). Maildir keys are file names up to ':'."""
    found = {}
    for sub in ("new", "cur"):
        try:
            scan = os.scandir(directory() / sub)
        except FileNotFoundError:
            continue
        with scan:
            for entry in scan:
                if entry.is_file() and not entry.name.startswith("."):
                    found[entry.name.split(":", 1)[0]] = (Path(entry.path), entry.stat().st_mtime_ns)
    return found


_cache: dict[tuple[str, int], Summary] = {}
_cache_lock = threading.Lock()


def _summary(key: str, path: Path, stored_ns: int) -> Summary:
    # Stored messages never change, so a parsed summary is good for as long as the file is there.
    cached = _cache.get((key, stored_ns))
    if cached is not None:
        return cached
    with path.open("rb") as file:
        message = _parser.parse(file, headersonly=True)
    summary = Summary(
        key=key,
        received=datetime.fromtimestamp(stored_ns / 1e9, tz=UTC),
        sender=_header(message, "From"),
        to=_header(message, "To") or ", ".join(message.get_all("Delivered-To", [])),
        subject=_header(message, "Subject"),
        date=_date(message),
        message_id=_header(message, "Message-ID"),
    )
    with _cache_lock:
        if len(_cache) > 100_000:
            _cache.clear()
        _cache[(key, stored_ns)] = summary
    return summary


def list_keys(entries: dict[str, tuple[Path, int]] | None = None) -> list[str]:
    """Keys of every stored message (of one scan, `entries`, or a new one), newest first."""
    entries = _entries() if entries is None else entries
    return sorted(entries, key=lambda key: (entries[key][1], key), reverse=True)


def summaries(keys: list[str] | None = None, search: str = "") -> list[Summary]:
    """Summaries of the given keys (default: all), newest first, keeping those that match `search`
    (every word found in the sender, recipient, subject or Message-ID)."""
    # One scan of the mailbox for both the keys and their files: the demo's mail server keeps writing while a
    # page reads, and a message that arrived between two scans would have a key but no file here.
    entries = _entries()
    ordered = list_keys(entries) if keys is None else [key for key in keys if key in entries]
    found = []
    for key in ordered:
        try:
            summary = _summary(key, *entries[key])
        except FileNotFoundError:  # removed in between
            continue
        if not search or summary.matches(search):
            found.append(summary)
    return found


def read(key: str) -> Captured:
    """One stored message, decoded for reading; KeyError if there is none by that key."""
    entries = _entries()
    if key not in entries:
        raise KeyError(key)
    path, stored_ns = entries[key]
    message: EmailMessage = _parser.parsebytes(path.read_bytes())
    body = message.get_body(preferencelist=("plain", "html"))
    text, is_html = "", False
    if body is not None:
        try:
            text = body.get_content()
        except (LookupError, ValueError):  # unknown charset or broken encoding: show what can be
            text = body.get_payload(decode=True).decode("utf-8", "replace")
        is_html = body.get_content_subtype() == "html"
    return Captured(
        summary=_summary(key, path, stored_ns),
        text=text,
        is_html_source=is_html,
        headers=[(name, str(value).strip()) for name, value in message.items()],
        attachments=[part.get_filename() or part.get_content_type() for part in message.iter_attachments()],
    )


# Stops at white space, quotes, angle brackets and the Japanese punctuation that ends a sentence.
_URL = re.compile(r"https?://[^\s<>\"'「」『』（）、。]+")
_TRAILING = ".,;:!?)]}"


def linkify(text: str) -> SafeString:
    """Escape the text and make its http(s) links clickable."""
    parts, position = [], 0
    for match in _URL.finditer(text):
        url = match.group(0).rstrip(_TRAILING)
        end = match.start() + len(url)
        parts.append(escape(text[position : match.start()]))
        parts.append(format_html('<a href="{}" rel="noopener noreferrer">{}</a>', url, url))
        position = end
    parts.append(escape(text[position:]))
    return mark_safe("".join(parts))  # noqa: S308 - every piece above is escaped
