"""Registry import: organisations, memberships, points of contact, handling rules and their acceptance
from one file, all or nothing (docs/import-format.md). Callers import the entry points from here."""

from ceptoar.registry.importer.csv_format import CSV_COLUMNS, CSV_JAPANESE_COLUMNS
from ceptoar.registry.importer.entry_points import FORMATS, format_for, import_registry, import_registry_file
from ceptoar.registry.importer.problems import ImportProblem, ImportSummary, RegistryImportError

__all__ = [
    "CSV_COLUMNS",
    "CSV_JAPANESE_COLUMNS",
    "FORMATS",
    "ImportProblem",
    "ImportSummary",
    "RegistryImportError",
    "format_for",
    "import_registry",
    "import_registry_file",
]
