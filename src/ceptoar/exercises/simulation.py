"""A simulated drill (模擬訓練): a complete cross-sector exercise run on the demo population, with members
played by a random generator, to see what the measures of a real one look like and how long the platform
takes over the whole population (`ceptoar exercise run --simulate`).

Everything the platform has is real: the hub plans, starts and sends the inject through the exercise
services; the ministries, the CEPTOARs and their sub-groups and relay hubs relay it by standing relay rules;
the deliveries are sent by the send tasks (the worker's own code) to a real SMTP server on loopback;
escalation is the escalation job; the measures are the exercise's own. Only the members are simulated. Of
each hop (hub → ministries, ministries → CEPTOARs, CEPTOARs → relay hubs and members, relay hubs → members
…), exactly round(share × n) recipient organisations confirm receipt — chosen at random, spread over the
CEPTOARs in proportion — after a log-normal delay; each either clicks the acknowledgement link of an e-mail
it received (read from the SMTP server) or, when it has a user account, confirms on the portal. The others
never answer, and escalation chases them.

Time is simulated: the drill runs on a clock that starts when the inject is published and jumps from one
event (an acknowledgement, a due escalation step) to the next, so two simulated hours take seconds.
Acknowledgements and escalation steps carry simulated times; messages are sent, and stamped sent, at once.
"""

from __future__ import annotations

import math
import random
import sys
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from urllib.parse import urlsplit

from django.utils.translation import gettext as _

from ceptoar.demo import sandbox

DEFAULT_ACK_SHARE = 0.9
DEFAULT_SEED = 1
# Time to acknowledge: log-normal, median 4 minutes; with this spread about 5 % answer after T1 (30 min by
# default: confirmed late, after the backup contacts were written to), 1 % after T2 and a few after T3.
MEDIAN_ACK_S = 240.0
ACK_SIGMA = 1.2
MIN_ACK_S = 5.0
# Of the organisations that have a user account, this share confirms on the portal, the rest by e-mail.
PORTAL_SHARE = 0.5
ORGANISER = "demo-hub"
INJECT_TITLE = "VPN 装置の脆弱性 (CVE-2026-0001) の悪用（想定）"
INJECT_BODY = (
    "## 状況付与\n\n"
    "広く使われている VPN 装置に、認証を経ずに任意のコードを実行される脆弱性が公表され、"
    "悪用が確認されたとの想定です。\n\n"
    "## 訓練で行うこと\n\n"
    "1. 受領を確認してください（メールのリンク、またはポータル）。\n"
    "2. 所属する構成員へ伝達してください。\n"
)
EMAIL_LINK, PORTAL = "email_link", "portal"


class SimulationError(ValueError):
    """Options the drill cannot run with; the message says which and why."""


def exact_count(share: float, total: int) -> int:
    """How many of `total` acknowledge: share × total rounded half up (not Python's half-to-even)."""
    return int(math.floor(share * total + 0.5))


def check_options(ack_share: float, ceptoars: list[str] | None) -> None:
    """What can be checked before any work: the share, and the CEPTOAR codes against the demo population
    that the drill is run on."""
    if not (isinstance(ack_share, int | float) and 0.0 <= ack_share <= 1.0):
        raise SimulationError(
            _(
                "--ack-share must be a number from 0 to 1 (the share of organisations that confirm "
                "receipt), not %(value)s."
            )
            % {"value": ack_share}
        )
    if ceptoars is not None:
        from ceptoar.demo.seed_map import CEPTOARS

        known = [ceptoar.code for ceptoar in CEPTOARS]
        _check_codes(ceptoars, known)


def _check_codes(ceptoars: list[str], known: list[str]) -> None:
    if not ceptoars:
        raise SimulationError(_("--ceptoars names no CEPTOAR; leave it out to run the drill on all of them."))
    unknown = [code for code in ceptoars if code not in known]
    if unknown:
        raise SimulationError(
            _("--ceptoars: no CEPTOAR with the code %(codes)s. Known codes: %(known)s.")
            % {"codes": ", ".join(unknown), "known": ", ".join(sorted(known))}
        )


# -- the command's way: a throw-away workspace ----------------------------------------------------------


def run(
    ack_share: float = DEFAULT_ACK_SHARE,
    seed: int = DEFAULT_SEED,
    ceptoars: list[str] | None = None,
    progress=None,
) -> dict:
    """Load the demo population into a database of its own (as the benchmarks do: a SQLite file, or a
    PostgreSQL database of its own when DATABASE_URL names a server), run the drill there in a subprocess,
    and drop the database. The installation's own database is never touched."""
    check_options(ack_share, ceptoars)
    say = progress or (lambda message: None)
    started = time.perf_counter()
    with sandbox.workspace("simulate_smoke" if ceptoars else "simulate") as space:
        say(
            _("Loading the demo population into a throw-away database (%(database)s)…")
            % {"database": space.database}
        )
        demo_load_s = sandbox.load_demo(space)
        say(_("Running the simulated drill…"))
        try:
            result = sandbox.run_phase(
                space, "ceptoar.exercises.simulation.phase", ack_share=ack_share, seed=seed, ceptoars=ceptoars
            )
        except RuntimeError as error:
            raise SimulationError(str(error)) from error
        database = space.database
    result["database"] = database
    result["seconds"].update(
        {"demo_load": round(demo_load_s, 2), "total": round(time.perf_counter() - started, 2)}
    )
    return result


def phase(ack_share: float, seed: int, ceptoars: list[str] | None) -> dict:
    """The workspace subprocess's part: the drill, with progress on its stderr."""
    return simulate(ack_share, seed, ceptoars, progress=lambda message: print(message, file=sys.stderr))


# -- the drill, in the current database ----------------------------------------------------------------


@dataclass
class _Member:
    """One recipient organisation of one alert of the relay tree (a Recipient row)."""

    recipient_id: int
    alert_id: int
    organisation_id: int
    code: str
    published_at: datetime
    hop: tuple[int, int]
    ceptoar: str
    answers_at: datetime | None = None
    way: str = ""


@dataclass
class _Inbox:
    """The acknowledgement links the SMTP server received, by recipient address, with the simulated time
    at which they arrived."""

    links: dict[str, list[tuple[datetime, str]]] = field(default_factory=lambda: defaultdict(list))

    def receive(self, received: list[tuple[str, str]], at: datetime) -> None:
        for address, link in received:
            self.links[address].append((at, link))

    def links_for(self, addresses: list[str], by: datetime) -> list[str]:
        return [link for address in addresses for at, link in self.links.get(address, []) if at <= by]


def simulate(
    ack_share: float = DEFAULT_ACK_SHARE,
    seed: int = DEFAULT_SEED,
    ceptoars: list[str] | None = None,
    progress=None,
) -> dict:
    """Run one simulated drill in the current database, which must hold the demo population (and no other
    pending escalation: the escalation job runs on the simulated clock for everything due). Returns the
    figures as one JSON-ready dict."""
    from django.test.utils import override_settings

    from ceptoar.registry.models import Organisation

    check_options(ack_share, None)
    if ceptoars is not None:
        _check_codes(ceptoars, list(Organisation.objects.ceptoars().values_list("code", flat=True)))
    say = progress or (lambda message: None)
    started = time.perf_counter()
    rng = random.Random(seed)
    # A random generator of its own for which of an organisation's e-mails is clicked: it changes no
    # figure, and must not shift the draws that do.
    clicks = random.Random(f"{seed}:links")

    exercise, root = _send_drill(ceptoars)
    t0 = root.published_at
    # The test runner's in-memory mail backend, or the installation's relay, would not be the sink.
    smtp = {"EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend", "EMAIL_TIMEOUT": 10}
    with (
        sandbox.SmtpSink(keep_links=True) as sink,
        override_settings(**smtp, EMAIL_HOST="127.0.0.1", EMAIL_PORT=sink.port),
    ):
        inbox = _Inbox()
        tasks = _run_send_tasks()
        inbox.receive(sink.take_links(), t0)
        say(_("Inject sent: the SMTP server accepted %(count)d e-mails.") % {"count": sink.accepted})
        members, tree_ids = _members(root)
        users = _users_by_organisation({member.organisation_id for member in members})
        answering = _choose(members, ack_share, rng, users)
        ways, clock, escalation_runs, tasks = _play(
            answering, tree_ids, inbox, sink, users, clicks, t0, tasks
        )
        accepted = sink.accepted
    end = max(clock, t0) + timedelta(minutes=1)
    say(
        _("%(minutes)d simulated minutes played; ending the exercise.")
        % {"minutes": round((end - t0).total_seconds() / 60)}
    )
    from ceptoar.exercises.services import running

    exercise = running.finish(exercise, now=end)
    return _figures(
        exercise,
        tree_ids,
        ack_share=ack_share,
        seed=seed,
        ceptoars=ceptoars,
        ways=ways,
        chosen=len(answering),
        accepted=accepted,
        tasks=tasks,
        escalation_runs=escalation_runs,
        simulated_s=(end - t0).total_seconds(),
        seconds=time.perf_counter() - started,
    )


def _send_drill(ceptoars: list[str] | None):
    """The hub plans a cross-sector exercise (all sectors, or the given CEPTOARs), starts it and sends its
    one inject now; the ministries, CEPTOARs and relay hubs relay it by their standing rules."""
    from django.utils import timezone

    from ceptoar.accounts.models import User
    from ceptoar.alerts.services.audience import AudienceSpec
    from ceptoar.exercises.models import ExerciseKind
    from ceptoar.exercises.services import injects, planning, running
    from ceptoar.registry.models import Sector

    sandbox.set_up_relay_chain(ceptoars)
    hub = User.objects.get(username=ORGANISER)
    now = timezone.now()
    spec = (
        AudienceSpec(ceptoars=list(ceptoars))
        if ceptoars
        else AudienceSpec(sectors=list(Sector.objects.order_by("position").values_list("code", flat=True)))
    )
    exercise = planning.create_exercise(
        hub,
        name=_("Simulated drill"),
        kind=ExerciseKind.CROSS_SECTOR,
        starts_at=now,
        ends_at=now + timedelta(days=1),
        participants=spec,
        description=_("Simulated members (ceptoar exercise run --simulate)."),
    )
    inject = planning.add_inject(
        exercise,
        hub,
        title=INJECT_TITLE,
        body=INJECT_BODY,
        category=sandbox.RELAY_CATEGORY,
        severity=sandbox.RELAY_SEVERITY,
        tlp="green",
        scheduled_at=now,
    )
    running.start(exercise, hub, now=now)
    inject = injects.send_inject(inject, hub)
    if inject.alert is None:
        raise SimulationError(_("The inject was not sent: %(error)s") % {"error": inject.error})
    _complete_relay_tree(inject.alert)
    return exercise, inject.alert


def _complete_relay_tree(root) -> None:
    """Relay rules run when the publishing transaction commits. Inside a caller's transaction (the test
    suite's) that commit does not come during the drill, so the same rules are applied here, hop by hop, as
    the commit would; outside one they have run already and there is nothing to do."""
    from django.db import connection

    from ceptoar.alerts.models import Alert
    from ceptoar.alerts.services.publication import apply_relay_rules

    if not connection.in_atomic_block:
        return
    queue = [root.pk]
    while queue:
        alert_id = queue.pop(0)
        apply_relay_rules(alert_id)
        queue += list(Alert.objects.filter(parent_id=alert_id).order_by("pk").values_list("pk", flat=True))


def _run_send_tasks() -> int:
    """Run every send task that is ready, as `ceptoar worker` would (its own task runner, in this
    process); returns how many ran. Each sends its deliveries to the SMTP server and stamps them sent."""
    from django.db import transaction
    from django_tasks_db.management.commands.db_worker import Worker
    from django_tasks_db.models import DBTaskResult

    worker = Worker(
        queue_names=["*"],
        interval=0,
        batch=True,
        backend_name="default",
        startup_delay=False,
        max_tasks=None,
        worker_id="simulated-drill",
        excluded_queue_names=[],
    )
    ran = 0
    while True:
        with transaction.atomic():
            result = DBTaskResult.objects.ready().filter(backend_name="default").get_locked()
            if result is None:
                return ran
            result.claim(worker.worker_id)
        worker.run_task(result)
        ran += 1


def _members(root) -> tuple[list[_Member], list[int]]:
    """Every recipient organisation of the relay tree, with its hop and CEPTOAR as the measures count
    them, in a fixed order (so that one seed always draws the same)."""
    from ceptoar.alerts import tracking
    from ceptoar.alerts.models import Recipient

    tree = tracking.subtree(root)
    order = tracking._GROUP_ORDER
    members = []
    rows = Recipient.objects.filter(alert_id__in=list(tree.nodes)).values_list(
        "pk", "alert_id", "organisation_id", "organisation__code", "organisation__kind"
    )
    for recipient_id, alert_id, organisation_id, code, kind in rows:
        node = tree.nodes[alert_id]
        hop = (
            order.index(tracking.kind_group(node.origin_organisation.kind)),
            order.index(tracking.kind_group(kind)),
        )
        members.append(
            _Member(
                recipient_id=recipient_id,
                alert_id=alert_id,
                organisation_id=organisation_id,
                code=code,
                published_at=node.published_at,
                hop=hop,
                ceptoar=node.ceptoar.code if node.ceptoar is not None else "",
            )
        )
    members.sort(key=lambda m: (m.hop, m.ceptoar, m.code, tree.nodes[m.alert_id].origin_organisation.code))
    return members, list(tree.nodes)


def _users_by_organisation(organisation_ids: set[int]) -> dict[int, list]:
    from ceptoar.accounts.models import User

    users = defaultdict(list)
    for user in User.objects.filter(organisation_id__in=organisation_ids, is_active=True).order_by(
        "username"
    ):
        users[user.organisation_id].append(user)
    return users


def _choose(members: list[_Member], share: float, rng: random.Random, users: dict) -> list[_Member]:
    """Exactly round(share × n) of each hop's n recipients answer, spread over its CEPTOARs by largest
    remainder (so each CEPTOAR's rate is the share to within one organisation); each gets a delay and a
    way to answer. Returns them in the order they answer."""
    by_hop: dict[tuple, dict[str, list[_Member]]] = defaultdict(lambda: defaultdict(list))
    for member in members:
        by_hop[member.hop][member.ceptoar].append(member)
    answering = []
    for hop in sorted(by_hop):
        strata = by_hop[hop]
        total = sum(len(group) for group in strata.values())
        wanted = exact_count(share, total)
        quotas = {key: share * len(group) for key, group in strata.items()}
        counts = {key: min(len(strata[key]), math.floor(quota)) for key, quota in quotas.items()}
        for key in sorted(strata, key=lambda k: (-(quotas[k] - math.floor(quotas[k])), k)):
            if sum(counts.values()) >= wanted:
                break
            if counts[key] < len(strata[key]):
                counts[key] += 1
        for key in sorted(strata):
            answering += rng.sample(strata[key], counts[key])
    mu = math.log(MEDIAN_ACK_S)
    for member in answering:
        delay = max(MIN_ACK_S, rng.lognormvariate(mu, ACK_SIGMA))
        member.answers_at = member.published_at + timedelta(seconds=round(delay, 1))
        on_portal = rng.random() < PORTAL_SHARE
        member.way = PORTAL if users.get(member.organisation_id) and on_portal else EMAIL_LINK
    answering.sort(key=lambda m: (m.answers_at, m.recipient_id))
    return answering


def _play(answering, tree_ids, inbox, sink, users, clicks, t0, tasks):
    """The simulated clock: acknowledgements and due escalation steps in time order. Before each run of the
    escalation job, every acknowledgement due by then is made; the job's new messages go to the SMTP server
    at once and arrive in the inbox at that simulated time."""
    from django.db.models import Min

    from ceptoar.escalation.models import FollowUp, FollowUpState
    from ceptoar.escalation.services import run_due_follow_ups

    pending = FollowUp.objects.filter(recipient__alert_id__in=tree_ids, state=FollowUpState.PENDING)
    ways: Counter = Counter()
    clock, runs, index = t0, 0, 0
    while True:
        due = pending.aggregate(first=Min("due_at"))["first"]
        while index < len(answering) and (due is None or answering[index].answers_at <= due):
            member = answering[index]
            ways[_acknowledge(member, inbox, users, clicks)] += 1
            clock = max(clock, member.answers_at)
            index += 1
        if due is None:
            return ways, clock, runs, tasks
        if run_due_follow_ups(now=due):
            tasks += _run_send_tasks()
            inbox.receive(sink.take_links(), due)
        clock, runs = max(clock, due), runs + 1


def _acknowledge(member: _Member, inbox: _Inbox, users: dict, clicks: random.Random) -> str:
    """Confirm receipt as the member would: the link of one of its e-mails (the link page's POST, through
    the same code), or the portal's button as one of its users. Returns how, or "" if it could not."""
    from django.urls import resolve

    from ceptoar.alerts import links
    from ceptoar.alerts.models import AcknowledgementVia, Alert
    from ceptoar.alerts.services import acknowledgements
    from ceptoar.channels.models import Delivery, DeliveryKind, DeliveryStatus
    from ceptoar.sharing import policy

    if member.way == EMAIL_LINK:
        addresses = list(
            Delivery.objects.filter(
                recipient_id=member.recipient_id, kind=DeliveryKind.EMAIL, status=DeliveryStatus.SENT
            ).values_list("address", flat=True)
        )
        mine = []
        for link in inbox.links_for(addresses, member.answers_at):
            token = resolve(urlsplit(link).path).kwargs["token"]
            delivery = links.delivery_for_token(token)
            # An address may also have had messages for another alert (a member of two CEPTOARs).
            if delivery.recipient_id == member.recipient_id:
                mine.append(delivery)
        if mine:
            delivery = clicks.choice(mine)
            acknowledgements.acknowledge(
                delivery.recipient,
                AcknowledgementVia.EMAIL_LINK,
                by_contact_id=delivery.contact_id,
                at=member.answers_at,
            )
            return EMAIL_LINK
    # The portal: with a user account (also when no e-mail reached the organisation).
    alert = Alert.objects.get(pk=member.alert_id)
    for user in users.get(member.organisation_id, []):
        recipient = acknowledgements.recipient_of(alert, user)
        if recipient is not None and policy.may_see(user, alert):
            acknowledgements.acknowledge(
                recipient, AcknowledgementVia.PORTAL, by_user=user, at=member.answers_at
            )
            return PORTAL
    return ""


def _figures(exercise, tree_ids, *, ways, chosen, accepted, tasks, escalation_runs, **given) -> dict:
    from django.db.models import Count

    from ceptoar.channels.models import Delivery

    measures = exercise.final_measures
    deliveries = Delivery.objects.filter(alert_id__in=tree_ids)
    by_status = dict(deliveries.values_list("status").annotate(n=Count("pk")).values_list("status", "n"))
    by_step = dict(
        deliveries.values_list("escalation_step").annotate(n=Count("pk")).values_list("escalation_step", "n")
    )
    ceptoars = given["ceptoars"]
    return {
        "organisations": measures["organisations"],
        "recipients": measures["recipients"],
        "acknowledged": measures["acknowledged"],
        "confirmed_rate": measures["confirmed_rate"],
        "overall_rate": measures["overall_rate"],
        "hops": [
            {
                "from": hop["from"],
                "to": hop["to"],
                "recipients": hop["total"],
                "acknowledged": hop["acknowledged"],
                "confirmed_rate": hop["confirmed_rate"],
                "statuses": hop["statuses"],
            }
            for hop in measures["hops"]
        ],
        "relay_time": [
            {key: entry[key] for key in ("at", "count", "never", "median_s", "p90_s", "max_s")}
            for entry in measures["relay_time"]
        ],
        "relay_hubs": measures["relay_hubs"],
        "by_ceptoar": {group["name"]: group["confirmed_rate"] for group in measures["by_ceptoar"]},
        "median_ack_s": measures["ack_time"]["median_s"],
        "p90_ack_s": measures["ack_time"]["p90_s"],
        "max_ack_s": measures["ack_time"]["max_s"],
        "median_delivery_s": measures["delivery_time"]["median_s"],
        "statuses": measures["statuses"],
        "escalations": measures["escalations"],
        "flagged_contacts": measures["flagged_contacts"],
        "ack_share": given["ack_share"],
        "seed": given["seed"],
        "ceptoars": list(ceptoars) if ceptoars else "all",
        "chosen_to_acknowledge": chosen,
        "acknowledged_via": {EMAIL_LINK: ways[EMAIL_LINK], PORTAL: ways[PORTAL]},
        "could_not_acknowledge": ways[""],
        "deliveries": {
            "total": deliveries.count(),
            "by_status": by_status,
            "escalation": {step: n for step, n in by_step.items() if step},
        },
        "messages_accepted_by_sink": accepted,
        "send_tasks_run": tasks,
        "escalation_job_runs": escalation_runs,
        "exercise_id": exercise.pk,
        "alerts_in_relay_tree": len(tree_ids),
        "simulated_minutes": round(given["simulated_s"] / 60, 1),
        "seconds": {"simulation": round(given["seconds"], 2)},
    }
