"""The STIX pages: a bundle's download for an alert, case or indicator set; the imports page (upload, a
preview of what the bundle holds, confirmation, the list with provenance, each import's verbatim download);
and tagging reports and cases with imported ATT&CK techniques."""

from __future__ import annotations

import contextlib
import secrets
import time
from pathlib import Path

from django.conf import settings
from django.contrib import messages
from django.core import signing
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from ceptoar.alerts.models import Alert
from ceptoar.intel import access
from ceptoar.intel.forms.stix import BundleUploadForm, TechniqueForm
from ceptoar.intel.models import ExchangeFormat, ExchangeImport, IndicatorSet
from ceptoar.intel.problems import ImportRefused
from ceptoar.intel.services import techniques
from ceptoar.intel.stix import checks, export, importer
from ceptoar.intel.stix.access import may_import
from ceptoar.reports.models import Case, Report
from ceptoar.sharing import policy

CONTENT_TYPE = "application/stix+json;version=2.1"
ITEM_MODELS = {"alert": Alert, "case": Case, "indicator_set": IndicatorSet}
TAGGED_MODELS = {"report": Report, "case": Case}
# An upload waits here between its preview and its confirmation (signed name; a day at most).
UPLOAD_MAX_AGE_S = 24 * 3600


def _json_download(document: dict, filename: str) -> HttpResponse:
    response = HttpResponse(export.dumps(document), content_type=CONTENT_TYPE)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response


def download(request, kind: str, pk: int):
    """An alert, case or indicator set as a STIX 2.1 bundle, for whoever the policy lets read it; for anyone
    else the item does not exist."""
    model = ITEM_MODELS.get(kind)
    if model is None:
        raise Http404
    item = get_object_or_404(model, pk=pk)
    try:
        bundle = export.export_item(kind, item, user=request.user)
    except export.ExportRefused:
        raise Http404(_("No such item, or not one you may see.")) from None
    return _json_download(bundle, f"ceptoar-{kind.replace('_', '-')}-{item.pk}.stix.json")


def _uploads() -> Path:
    """Where uploads wait for their confirmation; those never confirmed go once their preview expired."""
    directory = Path(settings.VAR_DIR) / "stix-uploads"
    directory.mkdir(parents=True, exist_ok=True)
    expired = time.time() - UPLOAD_MAX_AGE_S
    for waiting in directory.glob("*.json"):
        with contextlib.suppress(OSError):
            if waiting.stat().st_mtime < expired:
                waiting.unlink()
    return directory


def _require_importer(user) -> None:
    if not may_import(user):
        raise PermissionDenied(_("STIX imports are for analysts, secretariats, coordinators and the hub."))


def imports(request):
    """The organisation's imports with their provenance, and the upload form; a posted file is checked whole
    and shown (objects by type and marking) before anything is stored."""
    _require_importer(request.user)
    form = BundleUploadForm(request.POST or None, request.FILES or None)
    problems: list[str] = []
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        problem = checks.size_problem(upload.size)
        try:
            if problem:
                raise ImportRefused([problem])
            data = upload.read()
            summary = importer.preview(data)
        except ImportRefused as refused:
            problems = refused.problems
        else:
            name = secrets.token_hex(16)
            (_uploads() / f"{name}.json").write_bytes(data)
            token = signing.dumps(
                {"name": name, "file": upload.name[:300], "user": request.user.pk}, salt="stix-upload"
            )
            return render(
                request,
                "intel/stix_import_preview.html",
                {"summary": summary, "token": token, "file_name": upload.name},
            )
    listed = (
        ExchangeImport.objects.filter(
            organisation_id=request.user.organisation_id, format=ExchangeFormat.STIX
        )
        .select_related("imported_by")
        .order_by("-imported_at", "-id")[:100]
    )
    return render(request, "intel/stix_imports.html", {"form": form, "problems": problems, "imports": listed})


@require_POST
def import_confirm(request):
    """Store the previewed bundle (all or nothing), then back to the list."""
    _require_importer(request.user)
    try:
        upload = signing.loads(request.POST.get("token", ""), salt="stix-upload", max_age=UPLOAD_MAX_AGE_S)
    except signing.BadSignature:
        messages.error(request, _("This preview has expired: upload the file again."))
        return redirect("intel:stix_imports")
    path = _uploads() / f"{upload['name']}.json"
    if upload.get("user") != request.user.pk or not path.is_file():
        messages.error(request, _("This preview has expired: upload the file again."))
        return redirect("intel:stix_imports")
    try:
        source_import = importer.import_bundle(path.read_bytes(), user=request.user, file_name=upload["file"])
    except ImportRefused as refused:
        for problem in refused.problems[:20]:
            messages.error(request, problem)
        return redirect("intel:stix_imports")
    finally:
        path.unlink(missing_ok=True)
    messages.success(
        request,
        _("Imported %(file)s: %(count)s objects.")
        % {"file": source_import.file_name, "count": source_import.object_count},
    )
    return redirect("intel:stix_imports")


def import_download(request, pk: int):
    """An import given back as it came in."""
    source_import = get_object_or_404(ExchangeImport, pk=pk, format=ExchangeFormat.STIX)
    if not access.may_export_import(request.user, source_import):
        raise Http404(_("No such import, or not one you may see."))
    return _json_download(export.export_import(source_import), f"ceptoar-import-{source_import.pk}.stix.json")


def _tagged_item(request, kind: str, pk: int):
    """The report or case, if the user may see it (else it does not exist); whether they may tag it is the
    service's question (a refusal is a 403)."""
    model = TAGGED_MODELS.get(kind)
    if model is None:
        raise Http404
    item = get_object_or_404(model, pk=pk)
    if not policy.may_see(request.user, item):
        raise Http404(_("No such item, or not one you may see."))
    return item


def _item_url(kind: str, item) -> str:
    return (
        reverse("reports:detail" if kind == "report" else "reports:case_detail", args=[item.pk])
        + "#techniques"
    )


@require_POST
def technique_tag(request, kind: str, pk: int):
    item = _tagged_item(request, kind, pk)
    form = TechniqueForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Name a technique by its id (T0886) or name."))
        return redirect(_item_url(kind, item))
    try:
        sighting = techniques.do_tag_technique(request.user, item, form.cleaned_data["technique"])
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, _("Tagged with %(technique)s.") % {"technique": sighting.observable.value})
    return redirect(_item_url(kind, item))


@require_POST
def technique_untag(request, kind: str, pk: int):
    item = _tagged_item(request, kind, pk)
    removed = techniques.do_untag_technique(request.user, item, request.POST.get("technique", ""))
    if removed:
        messages.success(request, _("Tag removed."))
    return redirect(_item_url(kind, item))
