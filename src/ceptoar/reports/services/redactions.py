"""The secretariat's review of a failure case's redactions: accepting or undoing each one, and replacing
a phrase by hand. The case's body follows each change, in the same transaction."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from ceptoar.accounts.models import User
from ceptoar.reports.cases import sanitised_body, source_text_of
from ceptoar.reports.models import Case, Redaction, RedactionKind
from ceptoar.reports.services.case_observables import index_case_observables
from ceptoar.reports.services.cases import locked_case, require_case_editor


def _rebuild_body(case: Case, source: str | None = None) -> None:
    case.body = sanitised_body(case, source)
    case.save(update_fields=["body", "updated_at"])
    index_case_observables(case)


def _overlaps(start: int, end: int, other: Redaction) -> bool:
    return start < other.end and other.start < end


@transaction.atomic
def set_redaction_accepted(user: User, redaction: Redaction, accepted: bool) -> Redaction:
    """Accept (apply) or undo one redaction; the body follows."""
    case = locked_case(redaction.case)
    require_case_editor(user, case)
    redaction = Redaction.objects.get(pk=redaction.pk, case=case)
    if redaction.accepted == accepted:
        return redaction
    if accepted:
        source = source_text_of(case)
        for other in case.redactions.filter(accepted=True).exclude(pk=redaction.pk):
            if _overlaps(redaction.start, redaction.end, other):
                raise ValidationError(
                    _(
                        "“%(this)s” overlaps “%(other)s” (→ %(replacement)s), which is applied: undo that "
                        "one first."
                    )
                    % {
                        "this": source[redaction.start : redaction.end],
                        "other": source[other.start : other.end],
                        "replacement": other.replacement,
                    }
                )
    redaction.accepted = accepted
    redaction.save(update_fields=["accepted"])
    _rebuild_body(case)
    return redaction


@transaction.atomic
def add_manual_redaction(user: User, case: Case, phrase: str, replacement: str) -> list[Redaction]:
    """Replace every occurrence of `phrase` in the original with `replacement`. Refused, with nothing
    stored, if an occurrence overlaps a redaction that is applied; undone redactions it overlaps give way
    to it (they are deleted, as the secretariat's own choice supersedes them)."""
    case = locked_case(case)
    require_case_editor(user, case)
    errors: dict[str, list[str]] = {}
    if not phrase or not phrase.strip():
        errors["phrase"] = [_("Give the phrase to replace, exactly as it is written in the original.")]
    replacement = (replacement or "").strip()
    max_length = Redaction._meta.get_field("replacement").max_length
    if not replacement:
        errors["replacement"] = [_("Say what replaces the phrase (for example B社 or 〔製品名〕).")]
    elif len(replacement) > max_length:
        errors["replacement"] = [_("A replacement has at most %(max)d characters.") % {"max": max_length}]
    if errors:
        raise ValidationError(errors)
    source = source_text_of(case)
    spans = []
    position = source.find(phrase)
    while position != -1:
        spans.append((position, position + len(phrase)))
        position = source.find(phrase, position + len(phrase))
    if not spans:
        raise ValidationError(
            {"phrase": [_("“%(phrase)s” does not occur in the original.") % {"phrase": phrase}]}
        )
    existing = list(case.redactions.all())
    for start, end in spans:
        for other in existing:
            if other.accepted and _overlaps(start, end, other):
                raise ValidationError(
                    {
                        "phrase": [
                            _(
                                "“%(phrase)s” at character %(position)d overlaps “%(other)s” (→ %(replacement)s), "
                                "which is already replaced. Undo that redaction first, or choose a phrase that "
                                "does not overlap it. Nothing was changed."
                            )
                            % {
                                "phrase": phrase,
                                "position": start + 1,
                                "other": source[other.start : other.end],
                                "replacement": other.replacement,
                            }
                        ]
                    }
                )
    superseded = [other.pk for other in existing if any(_overlaps(s, e, other) for s, e in spans)]
    Redaction.objects.filter(pk__in=superseded).delete()
    rows = Redaction.objects.bulk_create(
        Redaction(
            case=case,
            start=start,
            end=end,
            kind=RedactionKind.MANUAL,
            replacement=replacement,
            accepted=True,
            automatic=False,
        )
        for start, end in spans
    )
    _rebuild_body(case, source)
    return rows
