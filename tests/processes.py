"""Installations of their own for tests that run the real `ceptoar` processes (worker, demo, serve):
a var directory, and a database that is neither the developer's nor the test run's.

On SQLite the database is a file in the var directory; on the PostgreSQL run (DATABASE_URL set) it is a
dedicated database named after the run's own, so helpers running side by side do not collide."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

CEPTOAR = str(Path(sys.executable).with_name("ceptoar"))


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def dedicated_database(purpose: str) -> str | None:
    url = os.environ.get("DATABASE_URL")
    if not url:
        return None
    import psycopg

    base, name = url.rsplit("/", 1)
    name = f"{name}_{purpose}"
    with psycopg.connect(f"{base}/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    return f"{base}/{name}"


def answers_health(port: int) -> bool:
    """Whether a `ceptoar serve` on this loopback port answers its health check."""
    import urllib.request

    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=5) as response:  # noqa: S310
            return response.status == 200
    except OSError:
        return False


def wait_for(condition, timeout: float, what: str, interval: float = 0.1):
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        time.sleep(interval)


class Installation:
    def __init__(self, var_dir: Path, purpose: str) -> None:
        self.var_dir = Path(var_dir)
        self.env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "CEPTOAR_DEBUG")}
        self.env["CEPTOAR_VAR_DIR"] = str(self.var_dir)
        database_url = dedicated_database(purpose)
        if database_url:
            self.env["DATABASE_URL"] = database_url
        self.processes: list[subprocess.Popen] = []

    def run(self, *arguments: str, timeout: float = 300, **env) -> subprocess.CompletedProcess:
        return subprocess.run(
            [CEPTOAR, *arguments],
            env={**self.env, **env},
            capture_output=True,
            text=True,
            timeout=timeout,
            check=True,
        )

    def load_demo(self) -> None:
        self.run("demo", "--no-serve")

    def shell(self, code: str, **env):
        """Run Python in the installation (Django set up) and return what it printed last, read as JSON."""
        output = self.run("shell", "-c", code, timeout=120, **env).stdout
        return json.loads(output.strip().splitlines()[-1])

    def start(self, *arguments: str, log: str, **env) -> subprocess.Popen:
        """Start a long-running `ceptoar` command; its output goes to <var>/<log>.log."""
        with open(self.var_dir / f"{log}.log", "ab") as output:
            process = subprocess.Popen(
                [CEPTOAR, *arguments],
                env={**self.env, "PYTHONUNBUFFERED": "1", **env},
                stdout=output,
                stderr=subprocess.STDOUT,
            )
        process.log_path = self.var_dir / f"{log}.log"
        self.processes.append(process)
        return process

    def log(self, process: subprocess.Popen) -> str:
        return process.log_path.read_text(errors="replace")

    def stop(self, process: subprocess.Popen, timeout: float = 30) -> int:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
                raise AssertionError(
                    f"{process.args} did not stop on SIGTERM:\n{self.log(process)}"
                ) from None
        return process.returncode

    def stop_all(self) -> None:
        for process in self.processes:
            if process.poll() is None:
                process.kill()
                process.wait()
