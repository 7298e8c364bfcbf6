"""Helpers for the organiser's page tests: form data as a browser sends it, in Japan time."""

from __future__ import annotations

import html
import re
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from django.utils import timezone

JAPAN = ZoneInfo("Asia/Tokyo")
PARTICIPANTS = ["banks-0001", "banks-0002", "banks-0003"]


def local(moment: datetime) -> str:
    """What <input type="datetime-local"> sends for `moment`, in Japan time."""
    return timezone.localtime(moment, JAPAN).strftime("%Y-%m-%dT%H:%M")


def exercise_data(**overrides) -> dict:
    now = timezone.now()
    data = {
        "name": "銀行等セプター 情報共有訓練 2025",
        "kind": "ceptoar_drill",
        "description": "不正送金マルウェアを想定した連絡網の疎通確認",
        "starts_at": local(now - timedelta(minutes=1)),
        "ends_at": local(now + timedelta(hours=4)),
        "organisations": ", ".join(PARTICIPANTS),
    }
    data.update(overrides)
    return {name: value for name, value in data.items() if value is not None}


def inject_data(exercise, **overrides) -> dict:
    data = {
        "title": "不正送金マルウェアの検知（想定1）",
        "body": "訓練用の想定情報です。**受領確認**をお願いします。",
        "category": "malware",
        "severity": "high",
        "tlp": "green",
        "scheduled_at": local(exercise.starts_at),
    }
    data.update(overrides)
    return data


def field_errors(page: str, name: str) -> list[str]:
    """The error messages shown on one field of an exercise or inject form."""
    match = re.search(rf'id="field-{re.escape(name)}"(.*?)(?=id="field-|</fieldset>|$)', page, re.S)
    assert match is not None, f"no field {name} on the page"
    return [html.unescape(m) for m in re.findall(r'<span class="field-error">([^<]*)</span>', match.group(1))]


def participant_errors(page: str) -> list[str]:
    """The errors shown above the participant fields (those concerning the participants as a whole)."""
    block = page.split('id="audience"', 1)[1].split('id="field-', 1)[0]
    return [html.unescape(m) for m in re.findall(r'<span class="field-error">([^<]*)</span>', block)]


def text(fragment: str) -> str:
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", fragment)).split())
