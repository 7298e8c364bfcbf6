"""Sharing pages: the auditor's view of the audit log. Access is asked of `policy.can_browse_audit`."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _

from ceptoar.sharing import policy
from ceptoar.sharing.forms import AuditFilterForm
from ceptoar.sharing.models import AuditEntry
from ceptoar.utilities import exports
from ceptoar.utilities.pagination import paginate

PAGE_SIZE = 50


def _filtered_entries(request) -> tuple[AuditFilterForm, bool, object]:
    if not policy.can_browse_audit(request.user):
        raise PermissionDenied(_("The audit log is open to auditors only."))
    form = AuditFilterForm(request.GET)
    valid = form.is_valid()
    entries = AuditEntry.objects.select_related("user", "organisation").order_by("-at", "-id")
    # A filter that names nothing is an error, not an empty result or a silently wider list.
    return form, valid, form.filter(entries) if valid else entries.none()


def audit_log(request):
    form, valid, entries = _filtered_entries(request)
    page = paginate(request, entries, PAGE_SIZE)
    query = request.GET.copy()
    query.pop("page", None)
    context = {
        "form": form,
        "valid": valid,
        "page": page,
        "filtered": any(request.GET.get(name) for name in form.fields),
        "csv_query": query.urlencode(),
    }
    return render(request, "sharing/audit_log.html", context, status=200 if valid else 400)


def _csv_header() -> list[str]:
    return [
        _("At"),
        _("User name"),
        _("User"),
        _("Organisation code"),
        _("Organisation"),
        _("Action"),
        _("Item type"),
        _("Item id"),
        _("TLP"),
        _("Detail"),
    ]


def _csv_rows(header: list[str], entries):
    yield header
    for entry in entries.iterator(chunk_size=2000):
        organisation = entry.organisation
        yield [
            entry.at,
            entry.user.username,
            str(entry.user),
            organisation.code if organisation else "",
            organisation.name if organisation else "",
            entry.action,
            entry.item_type,
            entry.item_id,
            entry.get_tlp_display(),
            entry.detail,
        ]


def audit_log_csv(request):
    form, valid, entries = _filtered_entries(request)
    if not valid:
        problems = [
            f"{form.fields[name].label if name in form.fields else ''}: {error}"
            for name, errors in form.errors.items()
            for error in errors
        ]
        return HttpResponse("\n".join(problems) + "\n", status=400, content_type="text/plain; charset=utf-8")
    # The header is translated now, while the request's language is active; rows stream later.
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    return exports.csv_stream(_csv_rows(_csv_header(), entries), f"audit-log-{stamp}.csv")
