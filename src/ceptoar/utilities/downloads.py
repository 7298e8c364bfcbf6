"""Sending a stored attachment to the browser, the same way for every area."""

from __future__ import annotations

from django.http import FileResponse, Http404
from django.utils.translation import gettext as _


def attachment_response(item) -> FileResponse:
    """`item` has `file`, `name` and `content_type` (an alert's or a report's attachment, already checked
    as visible by the caller)."""
    try:
        handle = item.file.open("rb")
    except FileNotFoundError:
        raise Http404(_("The file of this attachment is missing from storage.")) from None
    response = FileResponse(handle, as_attachment=True, filename=item.name, content_type=item.content_type)
    # Never shown inline, never guessed into something executable.
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response
