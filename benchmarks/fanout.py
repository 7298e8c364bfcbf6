"""One hub alert relayed automatically through the ministries, all 14 CEPTOARs and their sub-groups and relay
hubs to every member's points of contact by e-mail, into a real SMTP sink on loopback (issue 3). Targets on
PostgreSQL, 2 cores: every delivery row committed within 2 s of publishing; e-mail throughput at least half
that of a plain smtplib loop sending the same number of messages of the same size to the same sink with the
same parallelism.

Steps: load the demo into a database of its own; give every ministry and CEPTOAR a sender and a relay rule (the
sub-groups and relay hubs have theirs from the demo); publish the hub alert (timed until the last delivery row
of the relay tree is committed); start W `ceptoar worker` processes and wait until the sink has accepted every
e-mail; then W processes with one `smtplib.SMTP` connection each send as many messages, of the real messages'
average size, to the same sink.

Throughput is counted from the moment the senders are ready to work — for ours when the first worker has
started its loop (Django loaded), for the baseline when its processes are released — to the sink's last
acceptance, so neither side is charged its interpreter start. `all_accepted_s` runs from the workers' launch
and so includes their start; `ours_msgs_per_s_incl_start` is the throughput over that.
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

from benchmarks import _harness
from ceptoar.demo import sandbox

ROWS_TARGET_S = 2.0
RATIO_TARGET = 0.5
# db_worker logs this (INFO) when its loop starts, i.e. once Django is loaded and the worker can take tasks.
_WORKER_READY = r"Starting worker"


def delivery_outcome(root_id: int) -> dict:
    """Phase: what became of the tree's e-mail deliveries."""
    from django.db.models import Count

    from ceptoar.channels.models import Delivery, DeliveryKind

    rows = (
        Delivery.objects.filter(alert_id__in=_harness.tree_alert_ids(root_id), kind=DeliveryKind.EMAIL)
        .values("status")
        .annotate(n=Count("pk"))
    )
    return {row["status"]: row["n"] for row in rows}


def unfinished_tasks() -> dict:
    """Phase: send tasks not yet done, by status (a pending delivery with none left is orphaned)."""
    from django.db.models import Count
    from django_tasks_db.models import DBTaskResult

    rows = DBTaskResult.objects.exclude(status="SUCCESSFUL").values("status").annotate(n=Count("pk"))
    return {row["status"]: row["n"] for row in rows}


def _profile_args(profile_dir: Path | None, name: str) -> list[str]:
    return ["-m", "cProfile", "-o", str(profile_dir / f"{name}.prof")] if profile_dir else []


def run(
    workers: int | None = None,
    limit: list[str] | None = None,
    timeout: float = 600.0,
    profile: str | None = None,
) -> dict:
    """`limit` restricts the alert to these CEPTOARs (and their ministries): a small run for tests."""
    workers = workers or os.cpu_count() or 2
    profile_dir = Path(profile).resolve() if profile else None
    if profile_dir:
        profile_dir.mkdir(parents=True, exist_ok=True)
    result: dict = {"benchmark": "fanout", "machine": _harness.machine()}
    name = "fanout_smoke" if limit else "fanout"
    with sandbox.workspace(name) as space, sandbox.SmtpSink() as sink:
        result["database"] = space.database
        if space.database == "postgresql":
            result["postgresql"] = sandbox.postgres_version(space.env["DATABASE_URL"])
        result["demo_load_s"] = round(sandbox.load_demo(space), 2)
        space.env.update({"CEPTOAR_SMTP_HOST": "127.0.0.1", "CEPTOAR_SMTP_PORT": str(sink.port)})

        publish_env = {}
        if profile_dir:
            publish_env["CEPTOAR_BENCH_PROFILE"] = str(profile_dir / "publish.prof")
        published = _harness.run_phase(space, "fanout.profiled_publish", env=publish_env, ceptoars=limit)
        if published["alerts"] != published["expected_alerts"]:
            raise RuntimeError(f"the relay tree is incomplete: {published}")
        if published["members_reached"] != published["member_organisations"]:
            raise AssertionError(
                f"{published['member_organisations'] - published['members_reached']} member organisations "
                f"have no recipient row, e.g. {published['members_missing']}"
            )
        deliveries = published["email_deliveries"]

        worker_env = dict(space.env)
        options = ["--interval", "0.1", "--no-startup-delay", "--no-reload", "--verbosity", "1"]
        if _harness.worker_supports("--no-periodic", space):
            options.append("--no-periodic")
        launched = time.monotonic()
        children = [
            _harness.start_child(
                f"worker-{i}",
                [
                    sys.executable,
                    *_profile_args(profile_dir, f"worker-{i}"),
                    "-m",
                    "ceptoar.cli",
                    "worker",
                    *options,
                ],
                worker_env,
                ready_pattern=_WORKER_READY,
            )
            for i in range(workers)
        ]
        try:
            complete = sink.wait_for(
                deliveries, timeout, alive=lambda: all(child.alive() for child in children)
            )
            ours = sink.report()
        finally:
            for child in children:
                child.stop()
        if not complete:
            outcome = _harness.run_phase(space, "fanout.delivery_outcome", root_id=published["alert_id"])
            tasks = _harness.run_phase(space, "fanout.unfinished_tasks")
            logs = "\n".join(f"--- {c.name}:\n{c.tail(5)}" for c in children)
            orphaned = (
                "; deliveries are pending with no send task left to run them (orphaned)"
                if outcome.get("pending") and not tasks.get("READY") and not tasks.get("RUNNING")
                else ""
            )
            raise RuntimeError(
                f"the sink accepted {ours['accepted']} of {deliveries} e-mails within {timeout} s; "
                f"deliveries by status: {outcome}; unfinished tasks: {tasks}{orphaned}\n{logs}"
            )
        ready = [child.ready_at for child in children if child.ready_at is not None]
        first_ready = min(ready) if ready else launched
        outcome = _harness.run_phase(space, "fanout.delivery_outcome", root_id=published["alert_id"])

        sending_s = ours["last_accepted"] - first_ready
        all_accepted_s = ours["last_accepted"] - launched
        baseline = _harness.run_baseline(sink, deliveries, ours["size_avg"], workers, timeout)

    ours_rate = deliveries / sending_s
    result.update(
        {
            "deliveries": deliveries,
            "rows_committed_s": round(published["rows_committed_s"], 3),
            "all_accepted_s": round(all_accepted_s, 3),
            "ours_msgs_per_s": round(ours_rate, 1),
            "baseline_msgs_per_s": round(baseline["msgs_per_s"], 1),
            "ratio": round(ours_rate / baseline["msgs_per_s"], 3),
            "workers": workers,
            "workers_ready_s": round(first_ready - launched, 3),
            "ours_sending_s": round(sending_s, 3),
            "baseline_sending_s": round(baseline["seconds"], 3),
            "ours_msgs_per_s_incl_start": round(deliveries / all_accepted_s, 1),
            "ratio_incl_start": round(deliveries / all_accepted_s / baseline["msgs_per_s"], 3),
            "submit_returned_s": round(published["submit_returned_s"], 3),
            "publish_time": published["publish_time"],
            "alerts_in_relay_tree": published["alerts"],
            "recipients": published["recipients"],
            "organisations_reached": published["organisations_reached"],
            "member_organisations": published["member_organisations"],
            "delivery_rows": published["deliveries"],
            "deliveries_by_status": outcome,
            "sink_accepted": ours["accepted"],
            "sink_distinct_message_ids": ours["distinct_message_ids"],
            "message_size_avg": ours["size_avg"],
            "message_size_min": ours["size_min"],
            "message_size_max": ours["size_max"],
            "baseline_message_size_avg": baseline["sink"]["size_avg"],
            "targets": {
                "rows_committed_s": ROWS_TARGET_S,
                "ratio": RATIO_TARGET,
                "rows_within_target": published["rows_committed_s"] <= ROWS_TARGET_S,
                "ratio_within_target": ours_rate / baseline["msgs_per_s"] >= RATIO_TARGET,
            },
        }
    )
    if limit:
        result["limited_to"] = limit
    if profile_dir:
        result["profiles"] = sorted(str(p) for p in profile_dir.glob("*.prof"))
    return result


def profiled_publish(ceptoars: list[str] | None = None) -> dict:
    """Phase: publish, under cProfile when CEPTOAR_BENCH_PROFILE names an output file."""
    target = os.environ.get("CEPTOAR_BENCH_PROFILE")
    if not target:
        return _harness.publish_hub_alert(ceptoars)
    import cProfile

    profiler = cProfile.Profile()
    result = profiler.runcall(_harness.publish_hub_alert, ceptoars)
    profiler.dump_stats(target)
    return result
