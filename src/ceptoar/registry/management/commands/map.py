"""ceptoar map --format csv|xlsx|json [--output FILE] [--language ja|en]"""

import json
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from ceptoar.registry.ceptoar_map import build_ceptoar_map, map_to_csv, map_to_json, map_to_xlsx
from ceptoar.utilities import exports


class Command(BaseCommand):
    help = "Print or save the CEPTOAR characteristics map regenerated from the registry."

    def add_arguments(self, parser):
        parser.add_argument("--format", choices=("csv", "xlsx", "json"), default="csv")
        parser.add_argument("--output", metavar="FILE", help="write to FILE instead of standard output")
        parser.add_argument(
            "--language", choices=[code for code, _name in settings.LANGUAGES], default=settings.LANGUAGE_CODE
        )

    def handle(self, *args, **options):
        output = options["output"]
        if options["format"] == "xlsx" and not output:
            raise CommandError("XLSX is a binary file: name it with --output FILE.")
        ceptoar_map = build_ceptoar_map(language=options["language"])
        if options["format"] == "xlsx":
            content: str | bytes = map_to_xlsx(ceptoar_map)
        elif options["format"] == "json":
            content = json.dumps(map_to_json(ceptoar_map), ensure_ascii=False, indent=2) + "\n"
        else:
            content = map_to_csv(ceptoar_map)
        if output:
            path = Path(output)
            try:
                if isinstance(content, bytes):
                    path.write_bytes(content)
                else:
                    # A file is meant for Excel as much as the download is, so it gets the same BOM.
                    path.write_text(
                        (exports.BOM if options["format"] == "csv" else "") + content, encoding="utf-8"
                    )
            except OSError as error:
                raise CommandError(f"Cannot write {path}: {error.strerror}") from error
            return
        self.stdout.write(content, ending="")
