import json

from django.core.management.base import BaseCommand

BENCHMARKS = {
    "demo": "ceptoar.bench.demo_load",
}


class Command(BaseCommand):
    help = "Run a benchmark and print its figures as one JSON object. Results go in docs/benchmarks.md."

    def add_arguments(self, parser):
        parser.add_argument("name", choices=sorted(BENCHMARKS))

    def handle(self, *args, name: str, **options):
        import importlib

        result = importlib.import_module(BENCHMARKS[name]).run()
        self.stdout.write(json.dumps(result, ensure_ascii=False))
