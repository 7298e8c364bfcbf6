"""Situation summaries (情勢判断): drafted and edited by the coordinator's organisation, then published as an
alert of category "other" through `alerts.services`, so that it is delivered, acknowledged, escalated and
tracked like any other alert. Each operation is one transaction; errors are ValidationErrors keyed by the
field concerned, and a refused operation leaves everything as it was."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from ceptoar.accounts.access import ceptoars_overseen_by, ceptoars_served_by
from ceptoar.accounts.models import User
from ceptoar.alerts.models import Alert, Category, Severity
from ceptoar.alerts.preview import SendPreview, preview_new, require_preview
from ceptoar.alerts.services import drafts, publication
from ceptoar.alerts.services.audience import AudienceSpec
from ceptoar.analysis import access
from ceptoar.analysis.models import TITLE_MAX_LENGTH, TITLE_PREFIX, SituationSummary, SummaryStatus
from ceptoar.registry.models import OrganisationKind
from ceptoar.sharing.models import Tlp

# A summary goes to organisations (its CEPTOARs' members, the CEPTOARs a ministry oversees, the community);
# TLP:RED goes to named people only, so a summary is never RED.
SUMMARY_TLPS = (Tlp.CLEAR, Tlp.GREEN, Tlp.AMBER, Tlp.AMBER_STRICT)


def _require_writer(user: User) -> None:
    if not access.can_write_summaries(user):
        raise PermissionDenied(
            _("Situation summaries are written by coordinators, secretariats, ministries and the hub.")
        )


def _require_editor(user: User, summary: SituationSummary) -> None:
    if not access.can_edit_summary(user, summary):
        raise PermissionDenied(_("Only the summary's own organisation may change it."))


def _cleaned(title: str, body: str, tlp: str) -> tuple[str, str, str]:
    title, body = (title or "").strip(), (body or "").strip()
    errors: dict[str, list[str]] = {}
    if not title:
        errors["title"] = [_("Give the summary a title.")]
    elif len(title) > TITLE_MAX_LENGTH:
        errors["title"] = [
            _("The title may have at most %(limit)d characters (it has %(count)d).")
            % {"limit": TITLE_MAX_LENGTH, "count": len(title)}
        ]
    if not body:
        errors["body"] = [_("Write the situation summary.")]
    if tlp not in SUMMARY_TLPS:
        errors["tlp"] = [
            _("A situation summary is marked %(allowed)s, not “%(value)s”.")
            % {"allowed": ", ".join(Tlp(value).label for value in SUMMARY_TLPS), "value": tlp}
        ]
    if errors:
        raise ValidationError(errors)
    return title, body, tlp


def _locked_draft(user: User, summary: SituationSummary) -> SituationSummary:
    summary = SituationSummary.objects.select_for_update().get(pk=summary.pk)
    _require_editor(user, summary)
    if summary.status != SummaryStatus.DRAFT:
        raise ValidationError(
            {"status": _("This summary has already been published; write a new one to update it.")}
        )
    return summary


@transaction.atomic
def create_draft(user: User, *, title: str, body: str, tlp: str = Tlp.AMBER) -> SituationSummary:
    """A new draft in the name of the user's organisation, seen only inside it until published."""
    _require_writer(user)
    title, body, tlp = _cleaned(title, body, tlp)
    return SituationSummary.objects.create(
        organisation_id=user.organisation_id, author=user, title=title, body=body, tlp=tlp
    )


@transaction.atomic
def update_draft(
    user: User, summary: SituationSummary, *, title: str, body: str, tlp: str
) -> SituationSummary:
    summary = _locked_draft(user, summary)
    summary.title, summary.body, summary.tlp = _cleaned(title, body, tlp)
    summary.save(update_fields=["title", "body", "tlp", "updated_at"])
    return summary


def default_audience(user: User) -> AudienceSpec:
    """The members of the CEPTOARs the user serves; for a ministry, the CEPTOARs it oversees; for the hub,
    the community. Empty for anyone else (then the audience must be chosen)."""
    served = list(ceptoars_served_by(user).order_by("code").values_list("code", flat=True))
    if served:
        return AudienceSpec(ceptoars=served)
    overseen = list(ceptoars_overseen_by(user).order_by("code").values_list("code", flat=True))
    if overseen:
        return AudienceSpec(ceptoars=overseen)
    organisation = getattr(user, "organisation", None)
    if organisation is not None and organisation.kind == OrganisationKind.HUB:
        return AudienceSpec(community=True)
    return AudienceSpec()


def alert_title(summary: SituationSummary) -> str:
    return f"{TITLE_PREFIX}{summary.title}"


def _draft_alert(user: User, summary: SituationSummary, spec: AudienceSpec, severity: str) -> Alert:
    return drafts.create_draft(
        user,
        title=alert_title(summary),
        body=summary.body,
        category=Category.OTHER,
        severity=severity,
        tlp=summary.tlp,
        audience=spec,
    )


@transaction.atomic
def publish_as_alert(
    user: User,
    summary: SituationSummary,
    audience_spec: AudienceSpec | None = None,
    *,
    severity: str = Severity.MEDIUM,
    confirm: str | None = None,
) -> Alert:
    """Publish the summary as an alert of category "other" titled 【情勢判断】<title>, with its body and TLP,
    to `audience_spec` (by default `default_audience(user)`), and link it to the summary. `confirm` is the
    token of the preview the person confirmed (`preview_publication`): a summary, audience or reach that
    changed since raises `alerts.preview.StalePreview` (with the new preview) and nothing is written."""
    summary = _locked_draft(user, summary)
    _cleaned(summary.title, summary.body, summary.tlp)
    spec = default_audience(user) if audience_spec is None else audience_spec
    alert = _draft_alert(user, summary, spec, severity)
    require_preview(alert, confirm, new=True, reader=user)
    alert = publication.submit(alert, user)
    summary.status, summary.published_alert = SummaryStatus.PUBLISHED, alert
    summary.save(update_fields=["status", "published_alert", "updated_at"])
    return alert


@transaction.atomic
def preview_publication(
    user: User,
    summary: SituationSummary,
    *,
    title: str,
    body: str,
    tlp: str,
    audience_spec: AudienceSpec | None = None,
    severity: str = Severity.MEDIUM,
) -> SendPreview:
    """Save the edits (the summary stays a draft) and show what publishing it to `audience_spec` would do:
    the alert's preview (`alerts.preview`), whose token `publish_as_alert` asks for. An audience the
    services refuse is refused here, and the edits are not saved then either."""
    summary = update_draft(user, summary, title=title, body=body, tlp=tlp)
    spec = default_audience(user) if audience_spec is None else audience_spec
    return preview_new(
        lambda: publication.check_publishable(_draft_alert(user, summary, spec, severity)), user
    )
