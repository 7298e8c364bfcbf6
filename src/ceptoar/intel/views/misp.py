"""MISP on the pages: the upload with its preview (the event's title, TLP, counts by attribute type, and
every problem) before anything is stored, and the download of an import, alert, case or indicator set as a
MISP event file.

Between the preview and the confirmation the file waits in `VAR_DIR/intel-uploads/`, named by a random
key that only the signed token of this person's preview carries (an hour at most; older files are cleared
at the next upload). The confirmation reads it again through the same checks: what is stored is what the
preview showed, or nothing.
"""

from __future__ import annotations

import hashlib
import json
import secrets
import time

from django.conf import settings
from django.contrib import messages
from django.core import signing
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.text import get_valid_filename
from django.utils.translation import gettext as _

from ceptoar.alerts.models import Alert
from ceptoar.intel.forms.indicator_sets import MispConfirmForm, MispUploadForm
from ceptoar.intel.misp import ExportRefused, export_event, import_event_bytes
from ceptoar.intel.misp.reading import max_bytes, read_bytes
from ceptoar.intel.models import ExchangeImport, IndicatorSet
from ceptoar.intel.problems import ImportRefused
from ceptoar.intel.services.indicator_sets import may_create_indicator_set
from ceptoar.reports.models import Case
from ceptoar.sharing.models import Tlp

UPLOAD_SIGNING_SALT = "ceptoar.intel.misp.upload"
TOKEN_MAX_AGE = 3600
DOWNLOAD_KINDS = {"import": ExchangeImport, "alert": Alert, "case": Case, "indicator_set": IndicatorSet}


def _uploads():
    folder = settings.VAR_DIR / "intel-uploads"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _clear_stale(folder) -> None:
    cutoff = time.time() - TOKEN_MAX_AGE
    for path in folder.glob("*.json"):
        if path.stat().st_mtime < cutoff:
            path.unlink(missing_ok=True)


def misp_upload(request):
    if not may_create_indicator_set(request.user):
        raise PermissionDenied
    if request.method == "POST" and "token" in request.POST:
        return _confirm(request)
    status = 200
    context: dict = {}
    if request.method == "POST":
        form = MispUploadForm(request.POST, request.FILES)
        if form.is_valid():
            upload = form.cleaned_data["file"]
            # Read no further than the limit: a larger file is refused by its size alone.
            data = upload.read(max_bytes() + 1)
            read = read_bytes(data)
            context.update(
                read=read, file_name=upload.name, tlp_label=Tlp(read.tlp).label if read.tlp else ""
            )
            if not read.problems:
                folder = _uploads()
                _clear_stale(folder)
                key = secrets.token_hex(16)
                (folder / f"{key}.json").write_bytes(data)
                token = signing.dumps(
                    {"u": request.user.pk, "k": key, "h": hashlib.sha256(data).hexdigest(), "n": upload.name},
                    salt=UPLOAD_SIGNING_SALT,
                )
                context["confirm_form"] = MispConfirmForm(initial={"token": token})
                context["counts"] = sorted(read.counts.items())
                return render(request, "intel/misp_preview.html", context)
            status = 400
            return render(request, "intel/misp_preview.html", context, status=status)
        status = 400
    else:
        form = MispUploadForm()
    context["form"] = form
    return render(request, "intel/misp_upload.html", context, status=status)


def _confirm(request):
    form = MispConfirmForm(request.POST)
    try:
        claim = signing.loads(form.data.get("token", ""), salt=UPLOAD_SIGNING_SALT, max_age=TOKEN_MAX_AGE)
    except signing.BadSignature:
        claim = None
    path = _uploads() / f"{claim['k']}.json" if claim and claim.get("u") == request.user.pk else None
    if path is None or not path.exists():
        messages.error(request, _("This preview has expired. Upload the file again."))
        return redirect("intel:misp_upload")
    data = path.read_bytes()
    if hashlib.sha256(data).hexdigest() != claim["h"]:
        messages.error(request, _("This preview has expired. Upload the file again."))
        return redirect("intel:misp_upload")
    try:
        exchange = import_event_bytes(data, file_name=get_valid_filename(claim["n"])[:300], user=request.user)
    except ImportRefused as refused:
        for problem in refused.problems[:20]:
            messages.error(request, problem)
        return redirect("intel:misp_upload")
    finally:
        path.unlink(missing_ok=True)
    messages.success(request, _("The MISP event was imported as a draft indicator set of your organisation."))
    return redirect("intel:indicator_set_detail", pk=exchange.indicator_set.pk)


def misp_download(request, kind: str, pk: int):
    """The item as a MISP event file. An item the reader may not see is a 404, as if it did not exist."""
    model = DOWNLOAD_KINDS.get(kind)
    if model is None:
        raise Http404
    item = get_object_or_404(model, pk=pk)
    try:
        document = export_event(item, user=request.user)
    except ExportRefused:
        raise Http404 from None
    response = HttpResponse(
        json.dumps(document, ensure_ascii=False, indent=2), content_type="application/json; charset=utf-8"
    )
    response["Content-Disposition"] = f'attachment; filename="misp-{kind}-{pk}.json"'
    # A file to save, never a page: nothing in it runs, whatever an event's text says.
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response
