"""`ceptoar bench NAME`: run one of the benchmarks of the checkout's `benchmarks/` directory.

The benchmarks are not part of the installed package: they are found beside `src/` of the checkout this
`ceptoar` runs from, and an installation without one says so.
"""

import importlib
import inspect
import json
import sys
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

import ceptoar

BENCHMARKS = {
    "demo": "benchmarks.demo_load",
    "fanout": "benchmarks.fanout",
    "acks": "benchmarks.acks",
    "stix": "benchmarks.stix",
    "correlate": "benchmarks.correlate",
}


def checkout_benchmarks() -> Path:
    """The `benchmarks/` directory beside the `src/` that this `ceptoar` package is imported from."""
    source = Path(ceptoar.__file__).resolve().parents[1]
    directory = source.parent / "benchmarks"
    if source.name != "src" or not (directory / "__init__.py").is_file():
        raise CommandError(
            f"The benchmarks are not installed with the package: they live in the benchmarks/ directory of a "
            f"checkout of the repository, beside its src/. This ceptoar is imported from {source}, and "
            f"{directory} is not there. Run `ceptoar bench` from a checkout (`make install` in it)."
        )
    return directory


def load_benchmark(name: str):
    """The module of benchmark `name`, imported from the checkout's `benchmarks/` package."""
    directory = checkout_benchmarks()
    root = str(directory.parent)
    if sys.path[:1] != [root]:
        sys.path.insert(0, root)
    module = importlib.import_module(BENCHMARKS[name])
    found = Path(module.__file__).resolve().parent
    if found != directory:
        raise CommandError(f"`{BENCHMARKS[name]}` was imported from {found}, not from {directory}.")
    return module


class Command(BaseCommand):
    help = "Run a benchmark and print its figures as one JSON object. Results go in docs/benchmarks.md."

    def add_arguments(self, parser):
        parser.add_argument("name", choices=sorted(BENCHMARKS))
        parser.add_argument(
            "--workers", type=int, help="fanout: worker processes, and baseline senders (default: CPU count)"
        )
        parser.add_argument("--clients", type=int, help="acks: parallel HTTP connections (default: 8)")
        parser.add_argument(
            "--limit",
            help="fanout, acks: only these CEPTOARs (comma-separated codes), for a quick check of the harness",
        )
        parser.add_argument(
            "--sightings", type=int, help="correlate: stored sightings (default 1,000,000; SQLite: 20,000)"
        )
        parser.add_argument("--timeout", type=float, help="fanout, acks: seconds before giving up")
        parser.add_argument(
            "--profile", metavar="DIR", help="fanout, acks: write cProfile files of the measured code to DIR"
        )

    def handle(self, *args, name: str, **options):
        run = load_benchmark(name).run
        given = {
            "workers": options["workers"],
            "clients": options["clients"],
            "limit": [code.strip() for code in options["limit"].split(",") if code.strip()]
            if options["limit"]
            else None,
            "timeout": options["timeout"],
            "sightings": options["sightings"],
            "profile": options["profile"],
        }
        given = {key: value for key, value in given.items() if value is not None}
        accepted = inspect.signature(run).parameters
        unknown = sorted(set(given) - set(accepted))
        if unknown:
            raise CommandError(f"`ceptoar bench {name}` takes no --{', --'.join(unknown)}")
        result = run(**given)
        self.stdout.write(json.dumps(result, ensure_ascii=False))
