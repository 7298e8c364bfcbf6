"""`ceptoar exercise run --simulate [--ack-share 0.9] [--seed N] [--ceptoars CODES]`: a simulated drill on
the demo population, its measures printed as one JSON object (see docs/exercises.md)."""

from __future__ import annotations

import json

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from ceptoar.exercises import simulation


class Command(BaseCommand):
    help = (
        "Run a simulated drill on the demo population, in a throw-away database, and print its measures as "
        "one JSON object."
    )

    def add_arguments(self, parser):
        parser.add_argument("action", choices=["run"])
        parser.add_argument(
            "--simulate", action="store_true", help="simulated members (the only kind of run from here)"
        )
        parser.add_argument(
            "--ack-share",
            type=float,
            default=simulation.DEFAULT_ACK_SHARE,
            help="share of each hop's recipient organisations that confirm receipt, 0 to 1 (default 0.9)",
        )
        parser.add_argument(
            "--seed", type=int, default=simulation.DEFAULT_SEED, help="random seed (default 1)"
        )
        parser.add_argument(
            "--ceptoars", help="only these CEPTOARs (comma-separated codes) instead of all sectors"
        )

    def handle(self, *args, action: str, simulate: bool, ack_share: float, seed: int, ceptoars, **options):
        if not simulate:
            raise CommandError(
                _(
                    "Only simulated drills run from the command line: add --simulate. Real exercises are "
                    "planned, started and ended on the exercise pages."
                )
            )
        codes = None
        if ceptoars is not None:
            codes = [code.strip() for code in ceptoars.split(",") if code.strip()]
        try:
            result = simulation.run(
                ack_share=ack_share, seed=seed, ceptoars=codes, progress=lambda line: self.stderr.write(line)
            )
        except simulation.SimulationError as error:
            raise CommandError(str(error)) from error
        self.stdout.write(json.dumps(result, ensure_ascii=False, indent=2))
