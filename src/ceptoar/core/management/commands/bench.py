import inspect
import json

from django.core.management.base import BaseCommand, CommandError

BENCHMARKS = {
    "demo": "ceptoar.bench.demo_load",
    "fanout": "ceptoar.bench.fanout",
    "acks": "ceptoar.bench.acks",
}


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
        parser.add_argument("--timeout", type=float, help="fanout, acks: seconds before giving up")
        parser.add_argument(
            "--profile", metavar="DIR", help="fanout, acks: write cProfile files of the measured code to DIR"
        )

    def handle(self, *args, name: str, **options):
        import importlib

        run = importlib.import_module(BENCHMARKS[name]).run
        given = {
            "workers": options["workers"],
            "clients": options["clients"],
            "limit": [code.strip() for code in options["limit"].split(",") if code.strip()]
            if options["limit"]
            else None,
            "timeout": options["timeout"],
            "profile": options["profile"],
        }
        given = {key: value for key, value in given.items() if value is not None}
        accepted = inspect.signature(run).parameters
        unknown = sorted(set(given) - set(accepted))
        if unknown:
            raise CommandError(f"`ceptoar bench {name}` takes no --{', --'.join(unknown)}")
        result = run(**given)
        self.stdout.write(json.dumps(result, ensure_ascii=False))
