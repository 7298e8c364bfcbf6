"""Helpers of the STIX tests (no tests of its own): the shared ATT&CK bundle, the validator's findings, and
row counts to prove that a refused import stored nothing."""

from __future__ import annotations

import os
from collections import Counter
from pathlib import Path

import pytest

from ceptoar.intel.models import (
    ExchangeImport,
    IndicatorSet,
    Observable,
    Sighting,
    StixObject,
    Technique,
)
from ceptoar.sharing.models import Audience

ATTACK_NAME = "stix/ics-attack-18.1.json"


def shared_dir() -> Path:
    configured = os.environ.get("CEPTOAR_SHARED_DIR")
    if configured:
        return Path(configured)
    return (Path(__file__).resolve().parents[2] / ".." / "shared").resolve()


def attack_bundle() -> Path:
    """The ICS ATT&CK bundle of ../shared/data; the test is skipped without it, except under CI=true."""
    path = shared_dir() / "data" / ATTACK_NAME
    if not path.is_file():
        if os.environ.get("CI") == "true":
            pytest.fail(f"{path} is missing: CI must provide the shared data (../shared/data/{ATTACK_NAME})")
        pytest.skip(f"{path} not found: set CEPTOAR_SHARED_DIR to the shared directory to run this test")
    return path


def findings(text: str) -> tuple[list[str], Counter]:
    """The validator's errors, and its warnings counted by message (ids left out, as they differ between two
    bundles of the same content only where the content differs)."""
    from stix2validator import ValidationOptions, validate_string

    results = validate_string(text, ValidationOptions())
    errors = [str(error) for error in results.errors or ()]
    warnings = Counter(str(warning) for warning in results.warnings or ())
    return errors, warnings


def row_counts() -> dict[str, int]:
    return {
        model.__name__: model.objects.count()
        for model in (ExchangeImport, StixObject, Technique, Observable, Sighting, IndicatorSet, Audience)
    }


def sight(item_field: str, item, observables: list[tuple[str, str]], *, removed=(), organisation=None):
    """Sightings of (type, value) on an item, made here rather than by extraction (another part of the area):
    the export reads only the rows."""
    from django.utils import timezone

    from ceptoar.intel.models import Sighting, SightingSource, observable_key

    rows = []
    for kind, value in observables:
        observable, _created = Observable.objects.get_or_create(
            key=observable_key(kind, value), defaults={"type": kind, "value": value}
        )
        rows.append(
            Sighting.objects.create(
                observable=observable,
                organisation=organisation or getattr(item, "origin_organisation", None) or item.organisation,
                seen_at=timezone.now(),
                source=SightingSource.REPORTED,
                removed=(kind, value) in removed,
                **{item_field: item},
            )
        )
    return rows
