"""`ceptoar serve` as `make demo` runs it: several waitress processes share one port, and stopping the
parent stops them all."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

CEPTOAR = str(Path(sys.executable).with_name("ceptoar"))


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _env(var_dir) -> dict:
    """A SQLite file of its own: this is about processes, whichever database the suite runs on."""
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    env["CEPTOAR_VAR_DIR"] = str(var_dir)
    return env


def _children(pid: int) -> list[int]:
    path = Path(f"/proc/{pid}/task/{pid}/children")
    return [int(child) for child in path.read_text().split()] if path.exists() else []


def test_processes_share_the_port_and_stop_together(tmp_path):
    env = _env(tmp_path)
    subprocess.run([CEPTOAR, "migrate", "--verbosity", "0"], env=env, check=True, timeout=300)
    port = _free_port()
    server = subprocess.Popen(
        [CEPTOAR, "serve", "--port", str(port), "--processes", "2"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=2) as response:  # noqa: S310
                    assert response.status == 200
                    break
            except OSError:
                assert server.poll() is None and time.monotonic() < deadline, server.stdout.read().decode()
                time.sleep(0.3)
        children = _children(server.pid)
        assert len(children) == 2
        for _ in range(20):
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=5) as response:  # noqa: S310
                assert response.status == 200
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=20)
        assert server.returncode == 0, server.stdout.read().decode()
        for child in children:
            assert (
                not Path(f"/proc/{child}").exists() or "zombie" in Path(f"/proc/{child}/status").read_text()
            )
        with socket.socket() as probe, pytest.raises(ConnectionRefusedError):
            probe.connect(("127.0.0.1", port))  # nobody listens any more
    finally:
        if server.poll() is None:
            server.kill()


def test_a_server_process_that_dies_stops_the_rest_and_is_reported(tmp_path):
    env = _env(tmp_path)
    subprocess.run([CEPTOAR, "migrate", "--verbosity", "0"], env=env, check=True, timeout=300)
    port = _free_port()
    server = subprocess.Popen(
        [CEPTOAR, "serve", "--port", str(port), "--processes", "2"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + 60
        while len(_children(server.pid)) < 2:
            assert time.monotonic() < deadline
            time.sleep(0.2)
        first, second = _children(server.pid)
        os.kill(first, signal.SIGKILL)
        server.wait(timeout=20)
        output = server.stdout.read().decode()
        assert server.returncode != 0
        assert "stopped unexpectedly" in output
        assert not Path(f"/proc/{second}").exists() or "zombie" in Path(f"/proc/{second}/status").read_text()
    finally:
        if server.poll() is None:
            server.kill()
