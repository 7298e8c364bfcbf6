"""A service's refusal shown where the person sees it: on the form that asked, or as messages on the page a
button returns to. Services refuse with a ValidationError (by field where they can); every view and form
shows it through here, so a refusal never reaches the person half shown or as a server error."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TypeVar

from django import forms
from django.contrib import messages
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.http import HttpRequest

T = TypeVar("T")


class _Refused:
    """What `attempt` returns when the service refused: falsy, and distinct from any result."""

    def __bool__(self) -> bool:
        return False

    def __repr__(self) -> str:
        return "REFUSED"


REFUSED = _Refused()


def show_refusal(
    target: forms.Form | HttpRequest,
    error: ValidationError,
    *,
    aliases: Mapping[str, str] | None = None,
    elsewhere: Mapping[str, list] | None = None,
    fallback: str | None = None,
) -> None:
    """Put `error` on `target`.

    On a form, each message goes on the field its key names where the form has that field (`aliases`
    renames the services' keys to the form's), into the list `elsewhere` gives for its key (e.g. the
    audience picker's errors), on the `fallback` field for a message without a key, else at the top.
    On a request, each message becomes an error message of the next page."""
    if isinstance(target, HttpRequest):
        for message in error.messages:
            messages.error(target, message)
        return
    form = target
    if not hasattr(error, "error_dict"):
        keyed = {fallback if fallback in form.fields else NON_FIELD_ERRORS: error.messages}
    else:
        keyed = error.message_dict
    for key, texts in keyed.items():
        key = (aliases or {}).get(key, key)
        for text in texts:
            if elsewhere and key in elsewhere:
                elsewhere[key].append(text)
            else:
                form.add_error(key if key in form.fields else None, text)


def attempt(target: forms.Form | HttpRequest, action: Callable[[], T], **options) -> T | _Refused:
    """Run a service call; its result, or REFUSED once its refusal is shown on `target` (`show_refusal`)."""
    try:
        return action()
    except ValidationError as error:
        show_refusal(target, error, **options)
        return REFUSED
