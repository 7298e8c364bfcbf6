"""Every page of the site works under its Content-Security-Policy (script and style from the site's own
files only): no page carries an inline <script>, a <style> element, a style="…" attribute, an event handler
attribute (onclick=…), a javascript: URL, a data: image, or an htmx attribute that htmx would have to
evaluate as code (it runs with allowEval off).

The walk covers every URL pattern of the site: each is a page (opened as every demo role and anonymously,
with demo data made here, and at least one of them must get it), an htmx fragment, an action that only
answers POST, or a download. A pattern in none of these tables fails the test: a new page must be added
here, and so gets checked. The admin's patterns are walked as a superuser and the staff roles.
"""

from __future__ import annotations

import mailbox as maildir
import re
from dataclasses import dataclass, field
from datetime import timedelta
from html.parser import HTMLParser
from pathlib import Path

import pytest
from django.contrib import admin
from django.core.files.base import ContentFile
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone

import ceptoar
from ceptoar.accounts.models import Role, RoleGrant, User
from ceptoar.agreements.models import Agreement
from ceptoar.agreements.services import lifecycle
from ceptoar.alerts.links import make_ack_token
from ceptoar.alerts.models import AlertAttachment, RelayRule
from ceptoar.alerts.services import drafts, publication, relay_approval
from ceptoar.alerts.services.audience import AudienceSpec
from ceptoar.analysis import services as analysis_services
from ceptoar.api import services as api_services
from ceptoar.channels.models import Delivery
from ceptoar.exercises.services import running as exercise_running
from ceptoar.intel.misp import import_event_file
from ceptoar.intel.models import IndicatorSet
from ceptoar.intel.services.indicator_sets import do_create_indicator_set
from ceptoar.notifications.models import Notification
from ceptoar.registry.models import Contact, Organisation, OrganisationKind
from ceptoar.reports.services.analysis import do_forward_for_analysis, do_submit_analysis
from ceptoar.reports.services.cases import approve_case, create_case, publish_case, send_for_approval
from ceptoar.reports.services.drafts import start_report
from tests.agreements.helpers import in_force, staff_of, term
from tests.agreements.helpers import spec as agreement_spec
from tests.alerts.pages import published
from tests.analysis.support import forward, send_report
from tests.exercises.support import plan, run
from tests.intel.misp_support import EVENTS as MISP_EVENTS
from tests.reports.analysis_support import analysis_term, sent_report
from tests.reports.test_case_support import submitted_report
from tests.signin import sign_in

pytestmark = pytest.mark.django_db

ROLES = [
    "demo-hub",
    "demo-auditor",
    "demo-ministry",
    "demo-secretariat",
    "demo-coordinator",
    "demo-member",
    "demo-analyst",
    "demo-water",
]
ANONYMOUS = None
# A member's account without a password of its own (allauth's "set a password" page is for it).
NO_PASSWORD = "no-password"
STAFF = ["superuser", "demo-secretariat", "demo-auditor"]


# -- what a page may not contain ------------------------------------------------------------------------

# <script> elements that hold data, not code: the browser never runs them.
DATA_SCRIPT_TYPES = {"application/json", "application/ld+json"}
URL_ATTRIBUTES = {"href", "src", "action", "formaction", "xlink:href", "poster", "data"}


class InlineFinder(HTMLParser):
    """Collects everything in a page that the Content-Security-Policy would refuse."""

    def __init__(self, data_images: bool = False) -> None:
        super().__init__(convert_charrefs=True)
        self.data_images = data_images
        self.problems: list[str] = []
        self._in_script = False

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        where = f"<{tag} {' '.join(f'{k}={v!r}' for k, v in attrs)[:120]}>"
        if tag == "script":
            kind = (attributes.get("type") or "").strip().lower()
            if not attributes.get("src") and kind not in DATA_SCRIPT_TYPES:
                self.problems.append(f"inline script {where}")
            elif attributes.get("src") and not _same_site(attributes["src"]):
                self.problems.append(f"script from elsewhere {where}")
        if tag == "style":
            self.problems.append(f"<style> element {where}")
        if (
            tag == "link"
            and "stylesheet" in (attributes.get("rel") or "")
            and not _same_site(attributes["href"])
        ):
            self.problems.append(f"stylesheet from elsewhere {where}")
        for name, value in attrs:
            value = (value or "").strip()
            if name == "style":
                self.problems.append(f"style attribute {where}")
            elif re.fullmatch(r"on[a-z]+", name):
                self.problems.append(f"event handler attribute {name} {where}")
            elif name in URL_ATTRIBUTES and re.match(r"(?i)\s*javascript:", value):
                self.problems.append(f"javascript: URL {where}")
            elif (
                tag == "img" and name == "src" and value.lower().startswith("data:") and not self.data_images
            ):
                self.problems.append(f"data: image {where}")
            elif name.startswith(("hx-on", "data-hx-on")) or name in ("hx-vars", "data-hx-vars"):
                self.problems.append(f"htmx attribute evaluated as code {where}")
            elif name in ("hx-trigger", "data-hx-trigger") and "[" in value:
                self.problems.append(f"htmx trigger filter (evaluated as code) {where}")
            elif name in ("hx-vals", "data-hx-vals") and value.startswith(("js:", "javascript:")):
                self.problems.append(f"htmx js: values {where}")


def _same_site(url: str) -> bool:
    return url.startswith("/") and not url.startswith("//")


def inline_problems(html: str, data_images: bool = False) -> list[str]:
    finder = InlineFinder(data_images)
    finder.feed(html)
    finder.close()
    return finder.problems


def test_the_finder_finds_each_kind_of_inline_code():
    page = (
        '<script>alert(1)</script><script src="/static/a.js"></script><script src="https://cdn.example/x.js">'
        '</script><script type="application/json" id="d">{"a": 1}</script><style>p{}</style>'
        '<p style="color:red">x</p><button onclick="go()">x</button><a href=" JavaScript:go()">x</a>'
        '<img src="data:image/png;base64,AAAA"><svg><rect style="fill:red"/><rect fill="red"/></svg>'
        '<div hx-on:click="go()" hx-trigger="every 5s [x]"></div><div hx-trigger="every 5s"></div>'
        '<link rel="stylesheet" href="/static/core/site.css">'
    )
    problems = inline_problems(page)
    assert len(problems) == 10, problems
    kinds = " | ".join(problems)
    for kind in (
        "inline script",
        "script from elsewhere",
        "<style> element",
        "style attribute",
        "event handler attribute onclick",
        "javascript: URL",
        "data: image",
        "htmx attribute evaluated as code",
        "htmx trigger filter",
    ):
        assert kind in kinds, kind
    assert inline_problems('<img src="data:image/png;base64,AAAA">', data_images=True) == []


# -- the templates themselves --------------------------------------------------------------------------

TEMPLATE_PATTERNS = {
    "inline script": re.compile(r"<script(?![^>]*\bsrc=)(?![^>]*type=\"application/json\")[^>]*>", re.I),
    "<style> element": re.compile(r"<style\b", re.I),
    "style attribute": re.compile(r"\sstyle=", re.I),
    "event handler attribute": re.compile(r"\son[a-z]+=", re.I),
    "javascript: URL": re.compile(r"javascript:", re.I),
    "htmx attribute evaluated as code": re.compile(r"\s(?:data-)?hx-(?:on\b|vars=)", re.I),
    "htmx trigger filter": re.compile(r"hx-trigger=\"[^\"]*\[", re.I),
}


def test_no_template_of_the_platform_has_inline_code():
    """Also templates the walk below cannot reach with demo data (error branches, rare states)."""
    package = Path(ceptoar.__file__).parent
    templates = [path for path in package.rglob("*.html") if "templates" in path.parts]
    assert len(templates) > 50
    found = [
        f"{path.relative_to(package)}: {kind}"
        for path in templates
        for kind, pattern in TEMPLATE_PATTERNS.items()
        if pattern.search(path.read_text())
    ]
    assert not found, found


# -- demo data for every page ---------------------------------------------------------------------------


@dataclass
class World:
    """Something to open on every page with arguments: made through the services, as the pages would."""

    ids: dict = field(default_factory=dict)

    def __getattr__(self, name):
        try:
            return self.ids[name]
        except KeyError:
            raise AttributeError(name) from None


@pytest.fixture
def world(demo_user, settings, tmp_path) -> World:
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.CEPTOAR_DEMO_MAILBOX = True
    settings.CEPTOAR_DEMO_MAILBOX_DIR = tmp_path / "mailbox"
    hub, secretariat, member = demo_user("demo-hub"), demo_user("demo-secretariat"), demo_user("demo-member")
    ids = {}

    # An alert from the hub to the finance sector, with an attachment, relayed by the banks CEPTOAR.
    alert = published(hub)
    attachment = AlertAttachment.objects.create(
        alert=alert,
        file=ContentFile(b"%PDF-1.7", name="advisory.pdf"),
        name="advisory.pdf",
        content_type="application/pdf",
        size=8,
        sha256="0" * 64,
    )
    relay = publication.relay(alert, secretariat, note="会員各位へ転送します。")
    delivery = Delivery.objects.filter(
        recipient__alert=relay, recipient__organisation__code="banks-0001"
    ).first()
    rule = RelayRule.objects.create(organisation=secretariat.organisation, created_by=secretariat)
    ids.update(alert=alert.pk, relay=relay.pk, attachment=attachment.pk, rule=rule.pk)
    # A post of the banks CEPTOAR to the finance liaison council: the council page lists it with receipts.
    published(secretariat, title="協議会への共有", audience=AudienceSpec(organisations=["finance-council"]))
    ids["ack_token"] = make_ack_token(delivery.pk)
    # An alert whose relay waits for the originator: the FSA has asked; one refused, one waiting.
    guarded = published(hub, relay_needs_originator_approval=True)
    refused = relay_approval.do_ask(guarded, demo_user("demo-ministry"))
    relay_approval.do_refuse(refused, hub, reason="公表まで待ってください。")
    relay_approval.do_ask(guarded, demo_user("demo-ministry"), note="至急")
    ids["guarded"] = guarded.pk
    # A draft of the hub's (its send preview) and one a colleague wrote, awaiting the hub's approval.
    ids["draft"] = drafts.create_draft(
        hub,
        title="下書き",
        body="",
        category="malware",
        severity="high",
        tlp="green",
        audience=AudienceSpec(ceptoars=["banks"]),
    ).pk
    colleague = User.objects.create_user("csp-hub-colleague", organisation=hub.organisation)
    RoleGrant.objects.create(user=colleague, role=Role.HUB_STAFF)
    awaiting_alert = drafts.create_draft(
        colleague,
        title="承認待ち",
        body="",
        category="malware",
        severity="high",
        tlp="green",
        audience=AudienceSpec(ceptoars=["banks"]),
        requires_approval=True,
    )
    ids["awaiting_alert"] = publication.submit(awaiting_alert, colleague).pk

    # Reports: a draft being written, a sent one, one in the case review, one published as a case.
    draft_report = start_report(member, Organisation.objects.get(code="banks"))
    sent = submitted_report(member)
    in_review = create_case(secretariat, submitted_report(member, title="ATM 停止 (2)"))
    to_publish = create_case(secretariat, submitted_report(member, title="ATM 停止 (3)"))
    send_for_approval(secretariat, to_publish)
    approve_case(member, to_publish)
    publish_case(secretariat, to_publish)
    awaiting = create_case(secretariat, submitted_report(member, title="ATM 停止 (4)"))
    send_for_approval(secretariat, awaiting)
    # One the reporter let go to the hub, forwarded there: the situation page's heat map has a cell.
    shared = send_report(
        member, scope="hub", event_type="unavailability", causes=["intentional.dos"], title="DDoS"
    )
    forward(secretariat, shared, "ministry", "hub")
    ids.update(draft_report=draft_report.pk, report=sent.pk, case=in_review.pk)
    ids.update(published_case=to_publish.pk, awaiting_case=awaiting.pk)
    ids["redaction"] = in_review.redactions.first().pk

    # A report forwarded, with its reporter's consent, to an analysis partner (made here, under an agreement
    # of its own with the banks CEPTOAR), and the analysis it returned.
    ids.update(_analysis_partner_world(secretariat, member))

    # A situation summary being drafted by the hub.
    ids["summary"] = analysis_services.create_draft(hub, title="金融分野の情勢", body="## 概況").pk

    # Exercises of the banks CEPTOAR: one planned, one running, one finished.
    planned = plan(secretariat, name="計画中の訓練", organisations=["banks-0001", "banks-0002"])
    running = run(secretariat, name="実施中の訓練", organisations=["banks-0001", "banks-0002"])
    finished = run(secretariat, name="終了した訓練", organisations=["banks-0001", "banks-0002"])
    exercise_running.finish(finished, secretariat, now=timezone.now() + timedelta(minutes=5))
    ids.update(planned=planned.pk, running=running.pk, finished=finished.pk)
    ids["planned_inject"] = planned.injects.first().pk

    # A contact of the member, an API token, a message in the demo mailbox.
    ids["contact"] = Contact.objects.filter(organisation__code="banks-0001").first().pk
    ids["token"] = api_services.create_token(member, "csp walk")[0].pk
    # Agreements: the demo's finance liaison (in force), a proposal waiting for the banks CEPTOAR, and one
    # the banks CEPTOAR suspended.
    ids["agreement"] = Agreement.objects.get(code="finance-liaison").pk
    ids["proposal"] = lifecycle.do_propose(
        staff_of("electricity"), agreement_spec(["electricity", "banks"], [term("electricity", "banks")])
    ).pk
    suspended = in_force(["banks", "gas"], [term("gas", "banks")])
    lifecycle.do_suspend(suspended, secretariat, secretariat.organisation, "調査中")
    ids["suspended"] = suspended.pk
    # Indicator sets of the banks CEPTOAR: one made by hand, one from a MISP event.
    ids["indicator_set"] = do_create_indicator_set(
        secretariat, title="指標セット", tlp="amber", values="203.0.113.5\nevil.example.net"
    ).pk
    imported = import_event_file(MISP_EVENTS / "ics_intrusion.json", user=secretariat)
    ids["imported_set"] = imported.indicator_set.pk
    # Intel: two banks' reports sharing an address (a signal for the secretariat), and an incident of them.
    ids.update(_intel_world(demo_user))
    box = maildir.Maildir(tmp_path / "mailbox", create=True)
    ids["mail"] = box.add(b"From: ceptoar@localhost\nTo: poc@banks-0001.example.jp\nSubject: test\n\nbody\n")
    return World(ids)


def _intel_world(demo_user) -> dict:
    from ceptoar.intel.services import incidents
    from tests.intel import factories_corr as intel_make

    banks = Organisation.objects.get(code="banks")
    reports = []
    for name in ("demo-member", "demo-member2"):
        report = intel_make.report(demo_user(name), ceptoar=banks, hops=[(banks, "secretariat")])
        intel_make.sight(report, "ipv4-addr", "198.51.100.7")
        reports.append(report)
    incident = incidents.do_create_incident(demo_user("demo-secretariat"), "同一アドレス", reports)
    observable = intel_make.observable("ipv4-addr", "198.51.100.7")
    return {
        "intel_incident": incident.pk,
        "intel_report": reports[0].pk,
        "intel_observable": observable.pk,
    }


def _analysis_partner_world(secretariat, member) -> dict:
    banks = Organisation.objects.get(code="banks")
    partner = Organisation.objects.create(
        code="csp-analysis-partner",
        name="分析機関（試験）",
        kind=OrganisationKind.RELATED_BODY,
        sector=banks.sector,
    )
    analyst = User.objects.create_user("csp-analysis-analyst", organisation=partner)
    RoleGrant.objects.create(user=analyst, role=Role.MEMBER_ANALYST)
    in_force(["banks", partner.code], [analysis_term("banks", partner.code)])
    report = sent_report(member, consent=True, triaged_by=secretariat, ceptoar="banks")
    forwarded = do_forward_for_analysis(secretariat, report, partner, tlp="amber")
    analysis = do_submit_analysis(
        analyst, [forwarded], title="分析", text="本文", tlp="amber", attachments=[("memo.txt", b"memo")]
    )
    return {
        "analysis_report": report.pk,
        "analysis_forward": forwarded.pk,
        "partner_analysis": analysis.pk,
        "analysis_attachment": analysis.attachments.get().pk,
    }


# -- every URL pattern, by what it is -------------------------------------------------------------------

# Pages: name → the arguments to open it with (a list for several states of the same page).
PAGES = {
    "home": {},
    "account_login": {},
    "account_logout": {},
    "account_inactive": {},
    "account_signup": {},
    "account_reauthenticate": {},
    "account_email": {},
    "account_email_verification_sent": {},
    "account_change_password": {},
    "account_set_password": {},
    "account_reset_password": {},
    "account_confirm_email": lambda w: {"key": "not-a-real-key"},
    "account_reset_password_from_key_done": {},
    "account_reset_password_from_key": lambda w: {"uidb36": "1", "key": "not-a-real-key"},
    "account_reset_password_done": {},
    "mfa_index": {},
    "mfa_reauthenticate": {},
    "mfa_activate_totp": {},
    "mfa_deactivate_totp": {},
    "mfa_view_recovery_codes": {},
    "mfa_generate_recovery_codes": {},
    "registry:tree": {},
    "registry:organisation_list": {},
    "registry:organisation_detail": [{"code": "banks-0001"}, {"code": "banks"}, {"code": "nisc"}],
    "registry:council_detail": [{"code": "ceptoar-council"}, {"code": "finance-council"}],
    "registry:map": {},
    "registry:freshness": {},
    "registry:organisation_rules": [{"code": "banks-0001"}, {"code": "banks"}, {"code": "finance-council"}],
    "registry:rules_publish": {"code": "banks"},
    "registry:contact_add": lambda w: {"code": "banks-0001"},
    "registry:contact_edit": lambda w: {"pk": w.contact},
    "registry:contact_deactivate": lambda w: {"pk": w.contact},  # asks for confirmation
    "alerts:inbox": {},
    "alerts:new": {},
    "alerts:relay_rules": {},
    "alerts:detail": lambda w: [{"pk": w.alert}, {"pk": w.relay}, {"pk": w.guarded}],
    "alerts:relay_approval_ask": lambda w: {"pk": w.guarded},
    "alerts:relay": lambda w: {"pk": w.alert},
    "alerts:tracking": lambda w: {"pk": w.alert},
    "alerts:ack_link": lambda w: {"token": w.ack_token},
    # The confirmation pages of publishing, approving and closing (the action itself is their POST).
    "alerts:submit": lambda w: {"pk": w.draft},
    "alerts:approve": lambda w: {"pk": w.awaiting_alert},
    "alerts:close": lambda w: {"pk": w.alert},
    "alerts:correct": lambda w: {"pk": w.alert},
    "reports:list": {},
    "reports:new": {},
    "reports:detail": lambda w: {"pk": w.report},
    "reports:edit": lambda w: {"pk": w.draft_report},
    "reports:triage_queue": {},
    "reports:deadlines": {},
    "reports:received": {},
    "reports:case_review": lambda w: [{"pk": w.case}, {"pk": w.awaiting_case}],
    "reports:case_approval": lambda w: {"pk": w.awaiting_case},
    "reports:library": {},
    "reports:case_detail": lambda w: {"pk": w.published_case},
    "reports:statistics": {},
    "reports:analysis_forward_new": lambda w: {"pk": w.analysis_report},
    "reports:analysis_inbox": {},
    "reports:analysis_forward": lambda w: {"pk": w.analysis_forward},
    "reports:analysis_returned": {},
    "reports:analysis_detail": lambda w: {"pk": w.partner_analysis},
    "analysis:situation": {},
    "analysis:summary_new": {},
    "analysis:summary_edit": lambda w: {"pk": w.summary},
    "exercises:list": {},
    "exercises:new": {},
    "exercises:detail": lambda w: [{"pk": w.planned}, {"pk": w.running}, {"pk": w.finished}],
    "exercises:edit": lambda w: {"pk": w.planned},
    "exercises:inject_new": lambda w: {"pk": w.planned},
    "exercises:inject_edit": lambda w: {"pk": w.planned, "inject_pk": w.planned_inject},
    "exercises:report": lambda w: {"pk": w.finished},
    "exercises:finish": lambda w: {"pk": w.running},  # asks for confirmation
    "sharing:audit": {},
    "agreements:list": {},
    "agreements:new": {},
    "agreements:dry_run": {},
    "agreements:detail": lambda w: [{"pk": w.agreement}, {"pk": w.proposal}, {"pk": w.suspended}],
    # The confirmation pages of a party's actions (the action itself is their POST).
    "agreements:accept": lambda w: {"pk": w.proposal},
    "agreements:suspend": lambda w: {"pk": w.agreement},
    "agreements:revoke": lambda w: [{"pk": w.agreement}, {"pk": w.proposal}],
    "agreements:resume": lambda w: {"pk": w.suspended},
    "escalation:call_list": {},
    "escalation:broken_channels": {},
    "escalation:plan": {},
    "api_tokens:list": {},
    "api:openapi-view": {},  # Swagger UI: its page may show data: images (its stylesheet's icons)
    "demo:mailbox": {},
    "demo:mailbox_message": lambda w: {"key": w.mail},
    "notifications:list": {},
    "notifications:settings": {},
    "intel:indicator_sets": {},
    "intel:indicator_set_new": {},
    "intel:indicator_set_detail": lambda w: [{"pk": w.indicator_set}, {"pk": w.imported_set}],
    "intel:indicator_set_withdraw": lambda w: {"pk": w.indicator_set},  # asks for confirmation
    "intel:misp_upload": {},
    "intel:stix_imports": {},
    "intel:item_observables": lambda w: [
        {"kind": "alert", "pk": w.alert},
        {"kind": "report", "pk": w.report},
        {"kind": "case", "pk": w.case},
    ],
    "intel:home": {},
    "intel:signals": {},
    "intel:check": {},
    "intel:incident_list": {},
    "intel:incident_new": {},
    "intel:incident_from_signal": lambda w: {"observable_pk": w.intel_observable},
    "intel:incident_detail": lambda w: {"pk": w.intel_incident},
    "intel:incident_timeline": lambda w: {"pk": w.intel_incident},
    "intel:incident_unlink": lambda w: {"pk": w.intel_incident, "report_pk": w.intel_report},
    "intel:incident_close": lambda w: {"pk": w.intel_incident},
}

# Parts of pages that htmx fetches: (method, arguments, POST data).
FRAGMENTS = {
    "alerts:tracking_live": ("get", lambda w: {"pk": w.alert}, None),
    "exercises:scoreboard": ("get", lambda w: {"pk": w.running}, None),
    "reports:autosave": ("post", lambda w: {"pk": w.draft_report}, {"title": "書きかけ"}),
    "reports:case_redaction_toggle": (
        "post",
        lambda w: {"pk": w.case, "redaction_pk": w.redaction},
        {"accepted": "0"},
    ),
}

# Answer only POST: a GET is refused (405) and renders nothing; what they answer to POST is a redirect to
# one of the pages above, or one of them with the form's errors.
ACTIONS = [
    "alerts:relay_rule_deactivate",
    "alerts:withdraw",
    "alerts:acknowledge",
    "registry:contact_verify",
    "registry:rules_accept",
    "alerts:relay_approval_decide",
    "reports:submit",
    "reports:follow_up",
    "reports:comment",
    "reports:set_status",
    "reports:forward",
    "reports:case_create",
    "reports:case_redaction_add",
    "reports:analysis_share",
    "analysis:summary_publish",
    "exercises:start",
    "exercises:inject_delete",
    "exercises:inject_send",
    "escalation:log_call",
    "escalation:clear_broken_channel",
    "api_tokens:revoke",
    "api:acknowledge",
    "notifications:mark_read",
    "intel:indicator_set_add_values",
    "intel:indicator_set_remove_value",
    "intel:stix_import_confirm",
    "intel:technique_tag",
    "intel:technique_untag",
    "intel:observable_remove",
    "intel:observable_retype",
    "intel:incident_link",
]

# Not HTML: files, data and the API, whose answers still carry the policy.
DOWNLOADS = {
    "health": {},
    "set_language": {},  # a redirect (it changes the language only when posted)
    "registry:my_rules": {},  # a redirect to the rules page of the user's organisation
    "registry:map_csv": {},
    "registry:map_xlsx": {},
    "alerts:attachment": lambda w: {"pk": w.alert, "attachment_pk": w.attachment},
    "alerts:tracking_csv": lambda w: {"pk": w.alert},
    "reports:attachment": lambda w: {"pk": w.report, "attachment_pk": 1},
    "reports:statistics_csv": {},
    "reports:analysis_attachment": lambda w: {
        "pk": w.partner_analysis,
        "attachment_pk": w.analysis_attachment,
    },
    "exercises:report_pdf": lambda w: {"pk": w.finished},
    "exercises:measures_csv": lambda w: {"pk": w.finished},
    "exercises:measures_xlsx": lambda w: {"pk": w.finished},
    "admin_login": {},  # a redirect to the site's log-in (or a refusal for a signed-in non-staff account)
    "sharing:audit_csv": {},
    "api:openapi-json": {},
    "api:list_alerts": {},
    "api:get_alert": lambda w: {"alert_id": w.alert},
    "api:receipt_state": lambda w: {"alert_id": w.alert},
    "api:api-root": {},
    "mfa_download_recovery_codes": {},
    "intel:stix_download": lambda w: [
        {"kind": "alert", "pk": w.alert},
        {"kind": "case", "pk": w.published_case},
    ],
    "intel:stix_import_download": lambda w: {"pk": _stix_import().pk},
    # A redirect to the item (its page asks the policy again), for the notification's own person only.
    "notifications:open": lambda w: {
        "pk": Notification.objects.order_by("pk").values_list("pk", flat=True).first()
    },
    # MISP event files (JSON, sandboxed): a set, an import as it came, an alert.
    "intel:misp_download": lambda w: [
        {"kind": "indicator-set", "pk": w.indicator_set},
        {"kind": "import", "pk": IndicatorSet.objects.get(pk=w.imported_set).source_import_id},
        {"kind": "alert", "pk": w.alert},
    ],
}


def _stix_import():
    """A STIX import of the banks member (its verbatim download is the member's)."""
    from ceptoar.intel.models import ExchangeImport

    return ExchangeImport.objects.create(
        format="stix",
        source_id="bundle--6f1d7c3e-2b59-4c8a-9a57-3f0e8d2c41b7",
        organisation=Organisation.objects.get(code="banks-0001"),
    )


# Reached only in the middle of a log-in, so opened by logging in (see `_second_factor_page`).
LOG_IN_STEPS = {"mfa_authenticate", "account_confirm_login_code"}


def url_names() -> list[tuple[str, str]]:
    """(name with namespace, route) of every named URL pattern of the site."""
    found = []

    def walk(patterns, prefix="", namespace=""):
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                inner = namespace
                if pattern.namespace:
                    inner = f"{namespace}:{pattern.namespace}" if namespace else pattern.namespace
                walk(pattern.url_patterns, prefix + str(pattern.pattern), inner)
            elif isinstance(pattern, URLPattern) and pattern.name:
                name = f"{namespace}:{pattern.name}" if namespace else pattern.name
                found.append((name, prefix + str(pattern.pattern)))

    walk(get_resolver().url_patterns)
    return found


def _arguments(spec, world) -> list[dict]:
    value = spec(world) if callable(spec) else spec
    return value if isinstance(value, list) else [value]


@dataclass
class Walk:
    problems: list[str] = field(default_factory=list)

    def check(self, response, label: str, data_images: bool = False) -> None:
        policy = response.headers.get("Content-Security-Policy", "")
        if "script-src 'self'" not in policy and "default-src 'none'" not in policy:
            self.problems.append(f"{label}: no Content-Security-Policy ({policy!r})")
        if "unsafe-" in policy:
            self.problems.append(f"{label}: the policy allows unsafe- sources ({policy!r})")
        if response.headers.get("Content-Type", "").startswith("text/html") and not response.streaming:
            for problem in inline_problems(response.content.decode(), data_images):
                self.problems.append(f"{label}: {problem}")


def _client(username: str | None, demo_user, superuser) -> Client:
    client = Client()
    if username is None:
        return client
    if username == "superuser":
        user = superuser
    elif username == NO_PASSWORD:
        user = User.objects.create_user(NO_PASSWORD, organisation=Organisation.objects.get(code="banks-0003"))
        user.set_unusable_password()
        user.save()
        RoleGrant.objects.create(user=user, role=Role.MEMBER_POC)
    else:
        user = demo_user(username)
    sign_in(client, user)
    # As if the person had just confirmed their password again: allauth's pages that manage the second
    # factor ask for that first (they are opened here, not the confirmation in front of them).
    session = client.session
    records = session["account_authentication_methods"]
    session["account_authentication_methods"] = [*records, {**records[0], "reauthenticated": True}]
    session.save()
    return client


def test_every_url_pattern_is_walked_or_named_here():
    known = set(PAGES) | set(FRAGMENTS) | set(ACTIONS) | set(DOWNLOADS) | LOG_IN_STEPS
    unknown = [
        (name, route) for name, route in url_names() if name not in known and not name.startswith("admin:")
    ]
    assert not unknown, (
        f"URL patterns missing from the tables of {__name__}: add each to PAGES, FRAGMENTS, ACTIONS or "
        f"DOWNLOADS: {unknown}"
    )
    stale = known - {name for name, _route in url_names()}
    assert not stale, f"names in the tables that are no URL pattern: {sorted(stale)}"


def test_every_page_works_within_the_content_security_policy(world, demo_user):
    superuser = User.objects.create_superuser(
        "csp-walk-admin", password="not-used-here", organisation=Organisation.objects.get(code="nisc")
    )
    clients = {name: _client(name, demo_user, superuser) for name in [*ROLES, NO_PASSWORD, ANONYMOUS]}
    walk = Walk()
    opened: dict[str, list[str]] = {}
    for name, spec in PAGES.items():
        for kwargs in _arguments(spec, world):
            url = reverse(name, kwargs=kwargs)
            for username, client in clients.items():
                response = client.get(url)
                walk.check(response, f"{url} as {username}", data_images=name == "api:openapi-view")
                if response.status_code == 200:
                    opened.setdefault(url, []).append(str(username))
            if url not in opened:
                walk.problems.append(f"{url} ({name}): no role could open it")

    for name, (method, spec, data) in FRAGMENTS.items():
        for kwargs in _arguments(spec, world):
            url = reverse(name, kwargs=kwargs)
            for username, client in clients.items():
                response = getattr(client, method)(url, data, headers={"HX-Request": "true"})
                walk.check(response, f"{method.upper()} {url} (htmx) as {username}")
                if response.status_code == 200:
                    opened.setdefault(url, []).append(str(username))
            if url not in opened:
                walk.problems.append(f"{url} ({name}): no role could fetch it")

    actions = {name: route for name, route in url_names() if name in ACTIONS}
    for name in ACTIONS:
        # Any number will do: a GET is refused before the view looks anything up.
        url = "/" + re.sub(r"<(?:\w+:)?(\w+)>", "1", actions[name])
        response = clients["demo-hub"].get(url)
        if response.status_code != 405:
            walk.problems.append(f"{url} ({name}) answered GET with {response.status_code}, not 405")

    for name, spec in DOWNLOADS.items():
        for kwargs in _arguments(spec, world):
            url = reverse(name, kwargs=kwargs)
            for username in ("demo-hub", "demo-secretariat", "demo-member", ANONYMOUS):
                walk.check(clients[username].get(url), f"{url} as {username}")

    walk.problems += _second_factor_page()
    walk.problems += _admin_pages(superuser, demo_user)
    assert not walk.problems, "\n".join(walk.problems)


def _second_factor_page() -> list[str]:
    """The code page of a staff log-in: log in with the password, then open what comes next."""
    client = Client()
    response = client.post(reverse("account_login"), {"login": "demo-hub", "password": "ceptoar-demo"})
    assert response.status_code == 302 and response["Location"] == reverse("mfa_authenticate")
    page = client.get(reverse("mfa_authenticate"))
    assert page.status_code == 200 and 'name="code"' in page.content.decode()
    walk = Walk()
    walk.check(page, f"{reverse('mfa_authenticate')} during a log-in")
    return walk.problems


def _admin_pages(superuser, demo_user) -> list[str]:
    """Every admin pattern: index, app lists, and each registered model's list, add, change, delete and
    history pages (on its first row), as the superuser and the staff roles."""
    walk = Walk()
    models = {f"{m._meta.app_label}_{m._meta.model_name}": m for m in admin.site._registry}
    urls = set()
    for name, _route in url_names():
        if not name.startswith("admin:"):
            continue
        short = name.removeprefix("admin:")
        if short in ("index", "login", "password_change", "password_change_done"):
            urls.add(reverse(name))
        elif short == "app_list":
            urls.update(
                reverse(name, kwargs={"app_label": label})
                for label in {m._meta.app_label for m in models.values()}
            )
        elif short.endswith(("_changelist", "_add")) and short.rsplit("_", 1)[0] in models:
            urls.add(reverse(name))
        elif short.endswith(("_change", "_delete", "_history")):
            model = models.get(short.rsplit("_", 1)[0])
            row = model.objects.order_by("pk").first() if model else None
            if row is not None:
                urls.add(reverse(name, kwargs={"object_id": row.pk}))
        elif short == "auth_user_password_change":
            urls.add(reverse(name, kwargs={"id": superuser.pk}))
        # The rest are no pages: logout (POST only), autocomplete (JSON), jsi18n (a script file),
        # view_on_site (a redirect) and the catch-all that redirects to the model list.
    assert reverse("admin:registry_contact_changelist") in urls
    for username in STAFF:
        client = _client(username, demo_user, superuser)
        opened = 0
        for url in sorted(urls):
            response = client.get(url)
            walk.check(response, f"{url} as {username}")
            opened += response.status_code == 200
        if not opened:
            walk.problems.append(f"the admin opened no page for {username}")
    return walk.problems
