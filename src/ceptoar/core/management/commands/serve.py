from django.core.management.base import BaseCommand, CommandError


class Command(BaseCommand):
    help = "Serve the platform with the waitress WSGI server (what `make demo` runs)."

    def add_arguments(self, parser):
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument("--threads", type=int, default=8)

    def handle(self, *args, host: str, port: int, threads: int, **options):
        import socket

        import waitress

        from ceptoar.wsgi import application

        try:
            socket.create_server((host, port)).close()
        except OSError as error:
            raise CommandError(
                f"cannot listen on {host}:{port}: {error.strerror}. Is another server running?"
            ) from None
        self.stdout.write(self.style.SUCCESS(f"Serving on http://{host}:{port}/ (Ctrl+C to stop)"))
        self.stdout.flush()
        waitress.serve(application, host=host, port=port, threads=threads, ident="ceptoar", _quiet=True)
