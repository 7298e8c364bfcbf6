"""Names that resolve where a test says, for the outbound policy: the machine's own resolver knows only
localhost, and a re-bound name (public when saved, internal when sent) cannot be made with it. Every other
name goes to the real resolver, and every connection is real."""

from __future__ import annotations

import ipaddress
import socket
from collections import Counter

import pytest

from ceptoar.utilities import outbound


class FakeDns:
    def __init__(self) -> None:
        self.answers: dict[str, list[list[str]]] = {}
        self.asked: Counter[str] = Counter()

    def add(self, name: str, *addresses: str) -> None:
        """From now on `name` resolves to these addresses."""
        self.answers[self._key(name)] = [list(addresses)]

    def rebind(self, name: str, *answers: list[str]) -> None:
        """`name` gives these answers in turn, the last one from then on."""
        self.answers[self._key(name)] = [list(answer) for answer in answers]

    @staticmethod
    def _key(name: str) -> str:
        return name.lower().rstrip(".")

    def __call__(self, host, port, family=0, type=0, proto=0, flags=0):
        name = self._key(host.decode() if isinstance(host, bytes) else host or "")
        if name not in self.answers:
            return outbound._system_getaddrinfo(host, port, family, type, proto, flags)
        self.asked[name] += 1
        answers = self.answers[name]
        addresses = answers.pop(0) if len(answers) > 1 else answers[0]
        if not addresses:
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        results = []
        for address in addresses:
            if ipaddress.ip_address(address).version == 6:
                results.append((socket.AF_INET6, socket.SOCK_STREAM, 6, "", (address, port or 0, 0, 0)))
            else:
                results.append((socket.AF_INET, socket.SOCK_STREAM, 6, "", (address, port or 0)))
        return results


@pytest.fixture(name="fake_dns")
def fake_dns_fixture(monkeypatch) -> FakeDns:
    """Import this into a test module to use the `fake_dns` fixture."""
    dns = FakeDns()
    monkeypatch.setattr(outbound, "resolver", dns)
    return dns
