"""MISP JSON events in and out (`ceptoar import misp FILE`, `ceptoar export misp`, the upload page).

- `reading`: every check of a file, each problem naming the attribute or object; nothing stored.
- `importing`: an import, its draft indicator set and the event's values as sightings, in one transaction.
- `exporting`: an import back as the same event; an alert, case or set as a new event (uuid5 ids).
- `mapping`: MISP types ↔ observable types, the TLP taxonomy, value normalisation.
"""

from __future__ import annotations

from ceptoar.intel.misp.exporting import ExportRefused, export_event
from ceptoar.intel.misp.importing import import_event_bytes, import_event_file

__all__ = ["ExportRefused", "export_event", "import_event_bytes", "import_event_file"]
