"""`ceptoar serve` as `make demo` runs it: several waitress processes share one port, and stopping the
parent stops them all."""

from __future__ import annotations

import os
import signal
import socket
from pathlib import Path

import pytest

from tests.processes import Installation, answers_health, free_port, wait_for


def _children(pid: int) -> list[int]:
    path = Path(f"/proc/{pid}/task/{pid}/children")
    return [int(child) for child in path.read_text().split()] if path.exists() else []


def _gone(pid: int) -> bool:
    status = Path(f"/proc/{pid}/status")
    return not status.exists() or "zombie" in status.read_text()


@pytest.fixture
def installation(tmp_path):
    installation = Installation(tmp_path, "serve")
    installation.run("migrate", "--verbosity", "0")
    yield installation
    installation.stop_all()


def test_processes_share_the_port_and_stop_together(installation):
    port = free_port()
    server = installation.start("serve", "--port", str(port), "--processes", "2", log="serve")
    wait_for(lambda: answers_health(port), timeout=60, what="the server to answer", interval=0.3)
    children = _children(server.pid)
    assert len(children) == 2
    assert all(answers_health(port) for _ in range(20))

    assert installation.stop(server) == 0, installation.log(server)
    assert all(_gone(child) for child in children)
    with socket.socket() as probe, pytest.raises(ConnectionRefusedError):
        probe.connect(("127.0.0.1", port))  # nobody listens any more


def test_a_server_process_that_dies_stops_the_rest_and_is_reported(installation):
    server = installation.start("serve", "--port", str(free_port()), "--processes", "2", log="serve")
    first, second = wait_for(
        lambda: len(_children(server.pid)) == 2 and _children(server.pid), 60, "2 processes"
    )
    os.kill(first, signal.SIGKILL)
    server.wait(timeout=20)
    assert server.returncode != 0
    assert "stopped unexpectedly" in installation.log(server)
    assert _gone(second)
