import os
import signal
import socket

from django.core.management.base import BaseCommand, CommandError

from ceptoar.config import env_int

THREADS = env_int("CEPTOAR_SERVE_THREADS", 4, minimum=1)


def default_processes() -> int:
    return env_int("CEPTOAR_SERVE_PROCESSES", os.cpu_count() or 1, minimum=1)


class Command(BaseCommand):
    help = (
        "Serve the platform with the waitress WSGI server (what `make demo` runs). With --processes N "
        "(default: one per CPU core), N waitress processes share the listening socket: Python runs one "
        "request at a time per process, so one process would leave the other cores idle during a burst "
        "such as thousands of members confirming receipt at once."
    )

    def add_arguments(self, parser):
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8000)
        # Four: with more, the threads of one process mostly wait for Python's lock and SQLite's write lock
        # (bench acks: 8 threads 17.6 s, 4 threads 14.1-15.1 s, 2 threads 18.0 s, on 2 cores).
        parser.add_argument(
            "--threads",
            type=int,
            default=THREADS,
            help=f"threads per process (default: CEPTOAR_SERVE_THREADS, else 4; now {THREADS})",
        )
        parser.add_argument(
            "--processes",
            type=int,
            default=default_processes(),
            help="server processes sharing the port (default: CEPTOAR_SERVE_PROCESSES, else the CPU count)",
        )

    def handle(self, *args, host: str, port: int, threads: int, processes: int, **options):
        from django.db import connections

        if processes < 1:
            raise CommandError("--processes must be at least 1.")
        try:
            listener = socket.create_server((host, port), backlog=1024)
        except OSError as error:
            raise CommandError(
                f"cannot listen on {host}:{port}: {error.strerror}. Is another server running?"
            ) from None
        self.stdout.write(self.style.SUCCESS(f"Serving on http://{host}:{port}/ (Ctrl+C to stop)"))
        self.stdout.flush()
        # Each process opens its own database connections; none may be inherited across the fork.
        connections.close_all()
        if processes == 1:
            _serve(listener, threads)
            return
        children = []
        for _ in range(processes):
            pid = os.fork()
            if pid == 0:
                signal.signal(signal.SIGINT, signal.SIG_DFL)
                signal.signal(signal.SIGTERM, signal.SIG_DFL)
                try:
                    _serve(listener, threads)
                finally:
                    os._exit(0)
            children.append(pid)
        listener.close()
        _supervise(children)


def _serve(listener: socket.socket, threads: int) -> None:
    import waitress
    from django.conf import settings

    from ceptoar.wsgi import application

    options = {}
    if settings.SECURE_PROXY_SSL_HEADER:
        # waitress removes X-Forwarded-* and Forwarded from every request unless it trusts a proxy of its
        # own. Django is the one that decides here, from the single header CEPTOAR_PROXY_SSL_HEADER names
        # (the TLS proxy sets and overwrites it); the other forwarded headers mean nothing to Django.
        options["clear_untrusted_proxy_headers"] = False
    waitress.serve(application, sockets=[listener], threads=threads, ident="ceptoar", _quiet=True, **options)


def _supervise(children: list[int]) -> None:
    """Stop every process when asked to, or when one of them ends: a half-running server is a surprise."""

    def stop(signum, frame):
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, stop)
    exit_code = 0
    try:
        pid, status = os.wait()
        children.remove(pid)
        exit_code = os.waitstatus_to_exitcode(status) or 1
    except KeyboardInterrupt:
        pass
    finally:
        for pid in children:
            try:
                os.kill(pid, signal.SIGTERM)
            except ProcessLookupError:
                continue
        for pid in children:
            try:
                os.waitpid(pid, 0)
            except ChildProcessError:
                continue
    if exit_code:
        raise CommandError(
            f"a server process stopped unexpectedly (exit {exit_code}); the others were stopped"
        )
