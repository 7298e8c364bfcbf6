"""Publishing a new version of a CEPTOAR's or a council's handling rules, and asking those bound by them to
accept it: the members of a CEPTOAR, the CEPTOARs seated in a council.

A version takes effect on its `enacted_on` day. From then on, an organisation that has not accepted it is no
longer sent AMBER and above (`sharing.policy`), so a secretariat that wants no gap publishes ahead of the day:
members may accept a version before it takes effect.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from ceptoar.accounts import access
from ceptoar.registry.models import HandlingRules, Organisation
from ceptoar.registry.queries import latest_rules, organisations_bound_by_rules_of, poc_email_addresses
from ceptoar.registry.signals import rules_published


@dataclass(frozen=True)
class RulesDraft:
    """A new version as the secretariat writes it; the version number follows the last one."""

    title: str
    text: str
    change_summary: str
    enacted_on: datetime.date | None
    highest_tlp_shared: str | None = None


@transaction.atomic
def do_publish_rules(user, owner: Organisation, draft: RulesDraft, today: datetime.date | None = None):
    """Publish `draft` as the next version of `owner`'s rules and e-mail the points of contact of everyone
    bound by them (on commit). Returns (rules, the addresses notified). Refused with a ValidationError by
    field (nothing written), or PermissionDenied for someone who does not publish these rules."""
    if not access.may_publish_rules_for(user, owner):
        raise PermissionDenied(
            _("You may not publish handling rules for %(organisation)s.") % {"organisation": owner.name}
        )
    # Two secretaries publishing at once must not both take the same version number.
    Organisation.objects.select_for_update().filter(pk=owner.pk).first()
    today = today or timezone.localdate()
    previous = latest_rules(owner)
    errors: dict[str, list[str]] = {}
    if not (draft.title or "").strip():
        errors["title"] = [_("Give the rules a title.")]
    if not (draft.text or "").strip():
        errors["text"] = [_("Write the text of the rules.")]
    if previous is not None and not (draft.change_summary or "").strip():
        errors["change_summary"] = [
            _("Say what changed since version %(version)s: members read this before they accept again.")
            % {"version": previous.version}
        ]
    if draft.enacted_on is None:
        errors["enacted_on"] = [_("Give the day the new version takes effect.")]
    elif draft.enacted_on < today:
        errors["enacted_on"] = [
            _("A new version cannot take effect in the past: choose today or a later day.")
        ]
    elif previous is not None and draft.enacted_on < previous.enacted_on:
        errors["enacted_on"] = [
            _("Version %(version)s takes effect on %(date)s; the new version cannot take effect earlier.")
            % {"version": previous.version, "date": previous.enacted_on.isoformat()}
        ]
    if errors:
        raise ValidationError(errors)
    rules = HandlingRules(
        ceptoar=owner,
        version=(previous.version + 1) if previous is not None else 1,
        title=draft.title.strip(),
        text=draft.text.strip(),
        change_summary=(draft.change_summary or "").strip(),
        enacted_on=draft.enacted_on,
        published_by=user,
        published_at=timezone.now(),
    )
    if draft.highest_tlp_shared:
        rules.highest_tlp_shared = draft.highest_tlp_shared
    elif previous is not None:
        rules.highest_tlp_shared = previous.highest_tlp_shared
    rules.full_clean()
    rules.save()
    # The notifications area listens (it sits above the registry): the people who accept are told, and the
    # points of contact are e-mailed, once this transaction commits.
    rules_published.send(sender=HandlingRules, rules=rules, owner=owner, lead=_notice(owner, rules))
    return rules, poc_email_addresses(organisations_bound_by_rules_of(owner))


def _notice(owner: Organisation, rules: HandlingRules) -> str:
    # In the installation's language: the recipients' own choice is not known here.
    with translation.override(settings.LANGUAGE_CODE):
        lines = [
            _("%(owner)s has published version %(version)s of its information handling rules:")
            % {"owner": owner.name, "version": rules.version},
            "",
            f"  {rules.title} (v{rules.version})",
            _("  Takes effect on: %(date)s") % {"date": rules.enacted_on.isoformat()},
            "",
        ]
        if rules.change_summary:
            lines += [_("What changed:"), rules.change_summary, ""]
        lines += [
            _(
                "A point of contact of your organisation is asked to read and accept it on the portal. From "
                "the day it takes effect until your organisation accepts it, AMBER information is not sent "
                "to you."
            ),
        ]
    return "\n".join(lines)
