"""Helpers of the MISP tests: the fixture events and the row counts that show a refused import stored
nothing."""

from __future__ import annotations

import json
from pathlib import Path

from ceptoar.intel.models import ExchangeImport, IndicatorSet, Observable, Sighting
from ceptoar.sharing.models import Audience

EVENTS = Path(__file__).parent / "misp_events"


def event_path(name: str) -> Path:
    return EVENTS / name


def event_json(name: str) -> dict:
    return json.loads(event_path(name).read_text(encoding="utf-8"))


def as_bytes(document) -> bytes:
    return json.dumps(document, ensure_ascii=False).encode()


def row_counts() -> tuple[int, ...]:
    return (
        ExchangeImport.objects.count(),
        IndicatorSet.objects.count(),
        Observable.objects.count(),
        Sighting.objects.count(),
        Audience.objects.count(),
    )


def minimal_event(*attributes, objects=(), tags=("tlp:green",)) -> dict:
    return {
        "Event": {
            "uuid": "5f1c1c3e-0000-4000-8000-000000000001",
            "info": "Test event",
            "Tag": [{"name": name} for name in tags],
            "Attribute": list(attributes),
            "Object": list(objects),
        }
    }
