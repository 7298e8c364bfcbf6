"""Acknowledgements of receipt over HTTP (issue 3): one per recipient organisation of a hub alert that reached
every member, POSTed to the e-mail's acknowledgement link on the platform served as `make demo` serves it
(`ceptoar serve`: waitress, one process per core, 4 threads each). Target: at least 5,700 acknowledgements in 15 s, none lost.

Steps: load the demo into a database of its own; relay one hub alert to every member (the relay chain of the
fan-out benchmark: a relay rule for every ministry, CEPTOAR, sub-group and relay hub); for every recipient
organisation of the relay tree — the 5,692 members, and the ministries, CEPTOARs, sub-groups and relay hubs
that relayed it, 5,734 in all — take the
acknowledgement link of its first e-mail delivery, as the e-mail carries it; start `ceptoar serve`; POST
every link from `clients` threads, each on one keep-alive connection; stop the server and count the
acknowledgements stored. Nothing is sent by e-mail here: the links are made exactly as the worker makes
them (`make_ack_token(delivery id)`), so no worker competes for the two cores while the server is timed.

`lost` = requests answered 200 whose acknowledgement is not in the database + requests that failed (an
error status, or no answer).
"""

from __future__ import annotations

import http.client
import json
import threading
import time
import urllib.request
from pathlib import Path

from benchmarks import _harness
from ceptoar.demo import sandbox
from ceptoar.site.management.commands.serve import THREADS as SERVE_THREADS
from ceptoar.site.management.commands.serve import default_processes

TARGET_ACKS = 5700
TARGET_SECONDS = 15.0


def ack_links(root_id: int, out: str) -> dict:
    """Phase: for every recipient organisation of the tree, the link of its first e-mail delivery."""
    from django.urls import reverse

    from ceptoar.alerts.links import make_ack_token
    from ceptoar.alerts.models import Recipient
    from ceptoar.channels.models import Delivery, DeliveryKind
    from ceptoar.registry.models import OrganisationKind

    alert_ids = _harness.tree_alert_ids(root_id)
    first = {}
    for recipient_id, delivery_id in (
        Delivery.objects.filter(alert_id__in=alert_ids, kind=DeliveryKind.EMAIL, recipient__isnull=False)
        .order_by("-pk")
        .values_list("recipient_id", "pk")
    ):
        first[recipient_id] = delivery_id
    recipients = dict(
        Recipient.objects.filter(alert_id__in=alert_ids).values_list("pk", "organisation__kind")
    )
    links = [
        {
            "recipient": recipient_id,
            "path": reverse("alerts:ack_link", args=[make_ack_token(first[recipient_id])]),
        }
        for recipient_id in sorted(recipients)
        if recipient_id in first
    ]
    Path(out).write_text(json.dumps(links))
    return {
        "recipients": len(recipients),
        "links": len(links),
        "recipients_without_email": len(recipients) - len(links),
        "member_recipients": sum(1 for kind in recipients.values() if kind == OrganisationKind.MEMBER),
    }


def stored_acknowledgements(recipients_file: str) -> dict:
    """Phase: which of these recipients' acknowledgements are in the database, and how they came."""
    from django.db.models import Count

    from ceptoar.alerts.models import Acknowledgement

    ids = json.loads(Path(recipients_file).read_text())
    stored = Acknowledgement.objects.filter(recipient_id__in=ids)
    return {
        "stored": sorted(stored.values_list("recipient_id", flat=True)),
        "by_via": dict(stored.values_list("via").annotate(n=Count("pk")).values_list("via", "n")),
        "with_contact": stored.exclude(by_contact=None).count(),
    }


def profile_view(links_file: str, out: str, count: int = 600) -> dict:
    """Phase: the acknowledgement link POSTed through Django's WSGI handler as waitress calls it, in one
    thread, for `count` links whose acknowledgements are first removed (so each POST records one anew):
    half timed plainly, half under cProfile."""
    import cProfile
    import io
    import sys
    from wsgiref.util import setup_testing_defaults

    from ceptoar.alerts.models import Acknowledgement
    from ceptoar.wsgi import application

    links = json.loads(Path(links_file).read_text())[:count]
    Acknowledgement.objects.filter(recipient_id__in=[link["recipient"] for link in links]).delete()

    def post(path: str) -> str:
        environ = {
            "REQUEST_METHOD": "POST",
            "PATH_INFO": path,
            "CONTENT_LENGTH": "0",
            "wsgi.input": io.BytesIO(b""),
            "wsgi.errors": sys.stderr,
        }
        setup_testing_defaults(environ)
        environ["HTTP_HOST"] = "127.0.0.1"
        statuses = []
        body = application(environ, lambda status, headers, exc_info=None: statuses.append(status))
        for _chunk in body:
            pass
        body.close()
        return statuses[0]

    post(links[0]["path"])  # the first request pays for imports and URL resolver set-up
    half = len(links) // 2
    started = time.perf_counter()
    plain = [post(link["path"]) for link in links[1:half]]
    plain_seconds = time.perf_counter() - started
    profiler = cProfile.Profile()
    started = time.perf_counter()
    profiled = [profiler.runcall(post, link["path"]) for link in links[half:]]
    seconds = time.perf_counter() - started
    profiler.dump_stats(out)
    return {
        "requests": len(plain) + len(profiled),
        "ok": (plain + profiled).count("200 OK"),
        "ms_per_request_in_process": round(plain_seconds * 1000 / max(len(plain), 1), 2),
        "ms_per_request_under_profiler": round(seconds * 1000 / max(len(profiled), 1), 2),
    }


def _wait_until_serving(base: str, server: _harness.Child, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not server.alive():
            raise RuntimeError(f"`ceptoar serve` stopped:\n{server.tail()}")
        try:
            with urllib.request.urlopen(f"{base}/health", timeout=2):  # noqa: S310 - our own server
                return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"`ceptoar serve` did not answer at {base}/health within {timeout} s")


class _Client:
    """POSTs links from a shared list on one keep-alive HTTP/1.1 connection, recording every outcome."""

    def __init__(self, port: int, links: list[dict], lock: threading.Lock, outcome: dict) -> None:
        self.port, self.links, self.lock, self.outcome = port, links, lock, outcome

    def _next(self) -> dict | None:
        with self.lock:
            return self.links.pop() if self.links else None

    def run(self) -> None:
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
        while (link := self._next()) is not None:
            try:
                connection.request("POST", link["path"], body=b"", headers={"Content-Length": "0"})
                response = connection.getresponse()
                response.read()
                status = response.status
            except (OSError, http.client.HTTPException) as error:
                status = f"{type(error).__name__}: {error}"
                connection.close()
                connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
            with self.lock:
                if status == 200:
                    self.outcome["ok"].append(link["recipient"])
                else:
                    self.outcome["failed"].append({"recipient": link["recipient"], "status": status})
            if self.outcome["deadline"] and time.monotonic() > self.outcome["deadline"]:
                break
        connection.close()


def post_links(port: int, links: list[dict], clients: int, timeout: float) -> dict:
    pending = list(reversed(links))
    outcome = {"ok": [], "failed": [], "deadline": time.monotonic() + timeout}
    lock = threading.Lock()
    threads = [
        threading.Thread(target=_Client(port, pending, lock, outcome).run, daemon=True)
        for _ in range(clients)
    ]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    outcome["seconds"] = time.perf_counter() - started
    outcome["not_sent"] = len(pending)
    return outcome


def run(
    clients: int = 8,
    limit: list[str] | None = None,
    timeout: float = 300.0,
    profile: str | None = None,
) -> dict:
    """`limit` restricts the alert to these CEPTOARs (and their ministries): a small run for tests."""
    result: dict = {"benchmark": "acks", "machine": _harness.machine()}
    with sandbox.workspace("acks_smoke" if limit else "acks") as space:
        result["database"] = space.database
        if space.database == "postgresql":
            result["postgresql"] = sandbox.postgres_version(space.env["DATABASE_URL"])
        result["demo_load_s"] = round(sandbox.load_demo(space), 2)
        published = _harness.run_phase(space, "fanout.profiled_publish", ceptoars=limit)
        if published["members_reached"] != published["member_organisations"]:
            raise AssertionError(f"the alert did not reach every member: {published}")
        links_file = space.path("links.json")
        found = _harness.run_phase(
            space, "acks.ack_links", root_id=published["alert_id"], out=str(links_file)
        )
        links = json.loads(links_file.read_text())

        port = sandbox.free_port()
        base = f"http://127.0.0.1:{port}"
        server = _harness.start_child(
            "server",
            sandbox.ceptoar_command("serve", "--host", "127.0.0.1", "--port", str(port)),
            {**space.env, "CEPTOAR_BASE_URL": base},
        )
        try:
            _wait_until_serving(base, server)
            # One request first, as any browser would have made: the server's imports and URL set-up are
            # not what is measured. Its link is then posted again in the run, as a second click would be.
            warm = post_links(port, links[:1], 1, 30)
            outcome = post_links(port, links, clients, timeout)
        finally:
            server.stop()
        recipients_file = space.path("recipients.json")
        recipients_file.write_text(json.dumps([link["recipient"] for link in links]))
        stored = _harness.run_phase(
            space, "acks.stored_acknowledgements", recipients_file=str(recipients_file)
        )
        if profile:
            profile_dir = Path(profile).resolve()
            profile_dir.mkdir(parents=True, exist_ok=True)
            result["profile"] = _harness.run_phase(
                space, "acks.profile_view", links_file=str(links_file), out=str(profile_dir / "ack-view.prof")
            )
            result["profile"]["file"] = str(profile_dir / "ack-view.prof")

    stored_ids = set(stored["stored"])
    ok = outcome["ok"]
    lost = sum(1 for recipient in ok if recipient not in stored_ids) + len(outcome["failed"])
    seconds = outcome["seconds"]
    result.update(
        {
            "acks": len(ok),
            "seconds": round(seconds, 3),
            "lost": lost,
            "requests_per_s": round((len(ok) + len(outcome["failed"])) / seconds, 1),
            "requests": len(ok) + len(outcome["failed"]),
            "failed": len(outcome["failed"]),
            "failures": outcome["failed"][:10],
            "not_sent_before_timeout": outcome["not_sent"],
            "stored": len(stored_ids),
            "stored_via": stored["by_via"],
            "stored_with_point_of_contact": stored["with_contact"],
            "warm_up_ok": len(warm["ok"]),
            "recipient_organisations": found["recipients"],
            "member_recipients": found["member_recipients"],
            "organisations_reached": published["organisations_reached"],
            "member_organisations": published["member_organisations"],
            "clients": clients,
            "server": f"ceptoar serve (waitress, {default_processes()} processes x {SERVE_THREADS} threads)",
            "targets": {
                "acks": TARGET_ACKS,
                "seconds": TARGET_SECONDS,
                "within_target": len(ok) >= TARGET_ACKS and seconds <= TARGET_SECONDS and lost == 0,
            },
        }
    )
    if limit:
        result["limited_to"] = limit
    return result
