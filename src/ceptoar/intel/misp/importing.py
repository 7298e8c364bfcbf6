"""Storing a MISP event that was read without problems: one import (the event kept verbatim, for the way
back), one draft indicator set of the importing organisation, and the event's values as its sightings, in
one transaction. A refused file stores nothing."""

from __future__ import annotations

import hashlib
from pathlib import Path

from django.db import transaction

from ceptoar.intel.misp.reading import ReadEvent, max_bytes, read_bytes
from ceptoar.intel.models import ExchangeFormat, ExchangeImport, IndicatorSet, SightingSource
from ceptoar.intel.problems import ImportRefused
from ceptoar.intel.services.indicator_sets import add_sightings
from ceptoar.sharing.models import Audience, Tlp

# An event without a TLP tag is marked AMBER: shared within the organisation and its members' need to know
# until someone decides otherwise, never wider than the source said.
DEFAULT_TLP = Tlp.AMBER


def import_event_file(path, *, organisation=None, user=None) -> ExchangeImport:
    """Import the MISP event in the file at `path` (`ceptoar import misp FILE`). The importing organisation
    is `organisation`, or the user's. Raises `ImportRefused` with every problem, storing nothing."""
    path = Path(path)
    try:
        size = path.stat().st_size
    except OSError as error:
        raise ImportRefused([f"{path}: cannot be read ({error.strerror})."]) from None
    if size > max_bytes():
        # Said before the file is read into memory.
        raise ImportRefused(
            [
                f"{path.name}: the file is {size:,} bytes, above the limit of {max_bytes():,} bytes "
                "(CEPTOAR_EXCHANGE_MAX_BYTES); nothing was read."
            ]
        )
    return import_event_bytes(path.read_bytes(), file_name=path.name, organisation=organisation, user=user)


def import_event_bytes(data: bytes, *, file_name: str = "", organisation=None, user=None) -> ExchangeImport:
    """Import one MISP event from a file's bytes (the upload page, after its preview)."""
    read = read_bytes(data)
    if organisation is None and user is not None:
        organisation = user.organisation
    if read.problems:
        raise ImportRefused(read.problems)
    return store(read, data, file_name=file_name, organisation=organisation, user=user)


def store(read: ReadEvent, data: bytes, *, file_name: str, organisation, user) -> ExchangeImport:
    with transaction.atomic():
        exchange = ExchangeImport.objects.create(
            format=ExchangeFormat.MISP,
            file_name=file_name[:300],
            sha256=hashlib.sha256(data).hexdigest(),
            source_id=read.uuid[:100],
            source_name=read.creator[:300],
            organisation=organisation,
            imported_by=user,
            object_count=read.attribute_count + read.object_count,
            envelope={
                "Event": read.event,
                # Said beside the event, for the set's page: which types were kept without an observable.
                "unmapped_types": dict(read.unmapped_types),
                "tlp_from_tags": read.tlp is not None,
            },
        )
        if organisation is None:
            # The operator at the command line, for no organisation: the event is kept, to export again,
            # but an indicator set needs an origin (as for a STIX bundle imported so).
            return exchange
        indicator_set = IndicatorSet.objects.create(
            title=(read.info.strip() or read.uuid or file_name)[:300],
            tlp=read.tlp or DEFAULT_TLP,
            audience=Audience.objects.create(),
            origin_organisation=organisation,
            author=user,
            source_import=exchange,
        )
        add_sightings(
            indicator_set,
            [(o.type, o.value, o.context) for o in read.observables],
            source=SightingSource.IMPORTED,
            user=user,
        )
    return exchange
