"""Failure-case pages: making a case of a report, the side-by-side review of its redactions, the
reporter's approval, publishing, and the library of published cases.

Thin: who may see a case is `sharing.policy`'s (never decided here), who may act on one
`reports.access`'s and `reports.cases`'s, and every change is made by `services.cases` and
`services.redactions`, whose errors go back onto the form. Library pages never show or link the original
report, nor what a redaction replaced.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from ceptoar.reports import access, cases
from ceptoar.reports.forms.cases import (
    CaseEditForm,
    LibraryFilterForm,
    ManualRedactionForm,
    RequestChangesForm,
)
from ceptoar.reports.models import Case, CaseStatus, Cause, Redaction, Report
from ceptoar.reports.services.cases import (
    approve_case,
    create_case,
    publish_case,
    reopen_case,
    request_changes,
    send_for_approval,
    update_case,
    withdraw_case,
)
from ceptoar.reports.services.redactions import add_manual_redaction, set_redaction_accepted
from ceptoar.search.services import ranked
from ceptoar.sharing import policy
from ceptoar.utilities.pagination import paginate
from ceptoar.utilities.refusals import REFUSED, attempt

PAGE_SIZE = 20
SIMILAR_SHOWN = 5


def _case_or_404(pk: int) -> Case:
    return get_object_or_404(
        Case.objects.select_related(
            "report__organisation", "source_version", "origin_organisation", "sector", "audience"
        ),
        pk=pk,
    )


def _is_htmx(request) -> bool:
    return request.headers.get("HX-Request") == "true"


# -- the original, with its redactions marked --------------------------------------------------------


@dataclass
class Segment:
    text: str
    redaction: Redaction | None = None


def marked_segments(source: str, redactions) -> list[Segment]:
    """The original cut into plain text and redacted spans (which never overlap), in order."""
    segments, position = [], 0
    for redaction in sorted(redactions, key=lambda r: (r.start, r.pk)):
        if redaction.start < position:
            continue
        if redaction.start > position:
            segments.append(Segment(source[position : redaction.start]))
        redaction.original = source[redaction.start : redaction.end]
        segments.append(Segment(redaction.original, redaction))
        position = redaction.end
    if position < len(source):
        segments.append(Segment(source[position:]))
    return segments


def sanitised_segments(source: str, redactions) -> list[Segment]:
    """The sanitised text cut the same way: accepted redactions show their replacement."""
    segments, position = [], 0
    for redaction in sorted((r for r in redactions if r.accepted), key=lambda r: r.start):
        if redaction.start < position:
            continue
        if redaction.start > position:
            segments.append(Segment(source[position : redaction.start]))
        segments.append(Segment(redaction.replacement, redaction))
        position = redaction.end
    if position < len(source):
        segments.append(Segment(source[position:]))
    return segments


# -- making a case ------------------------------------------------------------------------------------


@require_POST
def case_create(request, pk: int):
    report = get_object_or_404(Report.objects.select_related("ceptoar"), pk=pk)
    if not access.can_triage(request.user, report):
        raise PermissionDenied(
            _("Only the secretariat of the CEPTOAR the report was sent to makes cases of it.")
        )
    existing = cases.open_case_of(report)
    if existing is not None:
        messages.info(request, _("A failure case is already being made of this report; here it is."))
        return redirect("reports:case_review", pk=existing.pk)
    case = attempt(request, lambda: create_case(request.user, report))
    if case is REFUSED:
        back = request.META.get("HTTP_REFERER", "")
        safe = url_has_allowed_host_and_scheme(back, {request.get_host()}, request.is_secure())
        return redirect(back if safe else reverse("reports:library"))
    count = case.redactions.count()
    messages.success(
        request,
        _(
            "Failure case made. Automatic redactions: %(count)d. Check each one before sending it for approval."
        )
        % {"count": count},
    )
    return redirect("reports:case_review", pk=case.pk)


# -- the review -----------------------------------------------------------------------------------------


def _review_context(request, case: Case, **forms) -> dict:
    source = cases.source_text_of(case)
    redactions = list(case.redactions.all())
    editable = access.can_edit_case(request.user, case)
    return {
        "case": case,
        "editable": editable,
        "original": marked_segments(source, redactions),
        "sanitised": sanitised_segments(source, redactions),
        "redactions": sorted(redactions, key=lambda r: (r.start, r.pk)),
        "accepted_count": sum(1 for r in redactions if r.accepted),
        "edit_form": forms.get("edit_form") or CaseEditForm.for_case(case),
        "manual_form": forms.get("manual_form") or ManualRedactionForm(),
        "can_reopen": cases.can_reopen(request.user, case),
        "can_publish": access.can_publish_case(request.user, case),
        "can_withdraw": cases.can_withdraw(request.user, case),
        "review_error": forms.get("review_error"),
    }


def _review_case(request, pk: int) -> Case:
    case = _case_or_404(pk)
    if not cases.can_view_review(request.user, case):
        raise PermissionDenied(_("Only the secretariat of the CEPTOAR making this case reviews it."))
    return case


def case_review(request, pk: int):
    case = _review_case(request, pk)
    status = 200
    forms = {}
    if request.method == "POST":
        action = request.POST.get("action")
        try:
            if action == "save":
                form = CaseEditForm.for_case(case, request.POST)
                forms["edit_form"] = form
                if form.is_valid():
                    attempt(form, lambda: update_case(request.user, case, **form.cleaned_data))
                if not form.errors:
                    messages.success(request, _("Saved."))
                    return redirect("reports:case_review", pk=case.pk)
            elif action == "send":
                send_for_approval(request.user, case)
                messages.success(request, _("Sent to the reporting organisation for approval."))
                return redirect("reports:case_review", pk=case.pk)
            elif action == "reopen":
                reopen_case(request.user, case)
                messages.success(request, _("Back in review. The reporter will have to approve it again."))
                return redirect("reports:case_review", pk=case.pk)
            elif action == "publish":
                publish_case(request.user, case)
                messages.success(request, _("Published to the failure-case library."))
                return redirect("reports:case_detail", pk=case.pk)
            elif action == "withdraw":
                withdraw_case(request.user, case)
                messages.success(request, _("Withdrawn: no longer in the library or its search."))
                return redirect("reports:case_review", pk=case.pk)
            else:
                forms["review_error"] = _("Unknown action.")
        except ValidationError as error:
            forms["review_error"] = " ".join(error.messages)
        status = 400
        case = _case_or_404(pk)
    return render(request, "reports/case_review.html", _review_context(request, case, **forms), status=status)


@require_POST
def case_redaction_toggle(request, pk: int, redaction_pk: int):
    case = _review_case(request, pk)
    redaction = get_object_or_404(Redaction, pk=redaction_pk, case=case)
    accepted = request.POST.get("accepted") == "1"
    error = None
    try:
        set_redaction_accepted(request.user, redaction, accepted)
    except ValidationError as refused:
        error = " ".join(refused.messages)
    case = _case_or_404(pk)
    if _is_htmx(request):
        context = _review_context(request, case, review_error=error)
        # htmx swaps only successful responses: a refusal comes back as 200 with its message in the panes.
        return render(request, "reports/case_review_panes.html", context)
    if error:
        return render(
            request,
            "reports/case_review.html",
            _review_context(request, case, review_error=error),
            status=400,
        )
    return redirect(reverse("reports:case_review", args=[case.pk]) + "#panes")


@require_POST
def case_redaction_add(request, pk: int):
    case = _review_case(request, pk)
    form = ManualRedactionForm(request.POST)
    if form.is_valid():
        rows = attempt(
            form,
            lambda: add_manual_redaction(
                request.user, case, form.cleaned_data["phrase"], form.cleaned_data["replacement"]
            ),
        )
        if rows is not REFUSED:
            messages.success(
                request,
                _("Occurrences replaced with “%(replacement)s”: %(count)d.")
                % {"count": len(rows), "replacement": form.cleaned_data["replacement"].strip()},
            )
            return redirect(reverse("reports:case_review", args=[case.pk]) + "#panes")
    case = _case_or_404(pk)
    return render(
        request, "reports/case_review.html", _review_context(request, case, manual_form=form), status=400
    )


# -- the reporter's approval --------------------------------------------------------------------------------


def case_approval(request, pk: int):
    case = _case_or_404(pk)
    # The reporting organisation sees the page from the moment it is asked (the policy's rule), and may act
    # while the case awaits it.
    if (
        not policy.visible_cases(request.user)
        .filter(pk=case.pk, report__organisation_id=request.user.organisation_id)
        .exists()
    ):
        raise PermissionDenied(_("Only the reporting organisation approves this case."))
    can_approve = access.can_approve_case(request.user, case)
    form = RequestChangesForm()
    status = 200
    if request.method == "POST":
        if not can_approve:
            raise PermissionDenied(
                _("Only a point of contact of the reporting organisation approves this case.")
            )
        action = request.POST.get("action")
        if action == "approve":
            approve_case(request.user, case)
            messages.success(request, _("Approved. The secretariat may now publish the case."))
            return redirect("reports:case_approval", pk=case.pk)
        form = RequestChangesForm(request.POST)
        if action == "request_changes" and form.is_valid():
            sent = attempt(form, lambda: request_changes(request.user, case, form.cleaned_data["note"]))
            if sent is not REFUSED:
                messages.success(request, _("Sent back to the secretariat with your note."))
                return redirect("reports:case_approval", pk=case.pk)
        status = 400
    source = cases.source_text_of(case)
    redactions = list(case.redactions.filter(accepted=True))
    context = {
        "case": case,
        "can_approve": can_approve,
        "form": form,
        "original": marked_segments(source, redactions),
        "sanitised": sanitised_segments(source, redactions),
    }
    return render(request, "reports/case_approval.html", context, status=status)


# -- the library ----------------------------------------------------------------------------------------------


class RankedCases:
    """The filtered visible cases matching a search, in relevance order, as a sequence the paginator can
    slice: each page is one ranked search among them (`candidate_ids`), never more than a page of rows."""

    def __init__(self, query: str, queryset) -> None:
        self.query = query
        self.queryset = queryset

    def count(self) -> int:
        return self.queryset.count()

    def __len__(self) -> int:
        return self.count()

    def __getitem__(self, window: slice) -> list[Case]:
        start, stop = window.start or 0, window.stop
        if stop is None or stop <= start:
            return []
        hits = ranked(
            cases.SEARCH_KIND,
            self.query,
            candidate_ids=self.queryset.values("pk"),
            limit=stop - start,
            offset=start,
        )
        found = self.queryset.model.objects.select_related("sector").in_bulk([hit.object_id for hit in hits])
        return [found[hit.object_id] for hit in hits if hit.object_id in found]


def library(request):
    form = LibraryFilterForm(request.GET)
    cases_shown = cases.library_cases(request.user).select_related("sector")
    valid = form.is_valid()
    query = form.cleaned_data.get("q", "") if valid else ""
    cases_shown = form.filter(cases_shown) if valid else cases_shown.none()
    # Searching: most relevant first; otherwise newest first.
    listed = RankedCases(query, cases_shown) if query else cases_shown.order_by("-published_at", "-id")
    context = {
        "form": form,
        "valid": valid,
        "query": query,
        "page": paginate(request, listed, PAGE_SIZE),
        "filtered": any(request.GET.get(name) for name in form.fields),
    }
    return render(request, "reports/library.html", context, status=200 if valid else 400)


def case_detail(request, pk: int):
    case = get_object_or_404(
        policy.visible_cases(request.user)
        .filter(status=CaseStatus.PUBLISHED)
        .select_related("sector", "origin_organisation"),
        pk=pk,
    )
    causes = [Cause(code).label if code in Cause.values else code for code in case.causes]
    context = {
        "case": case,
        "causes": causes,
        "similar": cases.similar_cases(request.user, case, limit=SIMILAR_SHOWN),
        "can_withdraw": cases.can_withdraw(request.user, case),
    }
    return render(request, "reports/case_detail.html", context)
