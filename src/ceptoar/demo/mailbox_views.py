"""The demo mailbox page: what the demo's local mail server received. 404 unless the mailbox is on."""

from __future__ import annotations

from django import forms
from django.http import Http404
from django.shortcuts import render
from django.utils.translation import gettext_lazy as _

from ceptoar.demo import mailbox
from ceptoar.utilities.pagination import paginate

PAGE_SIZE = 50


class SearchForm(forms.Form):
    q = forms.CharField(label=_("Sender, recipient or subject"), required=False, max_length=200, strip=True)


def _require_mailbox() -> None:
    if not mailbox.enabled():
        raise Http404("The demo mailbox is off.")


def index(request):
    _require_mailbox()
    form = SearchForm(request.GET)
    valid = form.is_valid()
    words = form.cleaned_data["q"] if valid else ""
    if words:
        page = paginate(request, mailbox.summaries(search=words), PAGE_SIZE)
    else:
        # Only the shown page's headers are read: a big fan-out leaves thousands of messages.
        page = paginate(request, mailbox.list_keys(), PAGE_SIZE)
        page.object_list = mailbox.summaries(list(page.object_list))
    context = {"page": page, "form": form, "valid": valid, "filtered": bool(words)}
    return render(request, "demo/mailbox.html", context)


def message(request, key: str):
    _require_mailbox()
    try:
        captured = mailbox.read(key)
    except KeyError:
        raise Http404("No such message in the demo mailbox.") from None
    context = {"message": captured, "body_html": mailbox.linkify(captured.text)}
    return render(request, "demo/mailbox_message.html", context)
