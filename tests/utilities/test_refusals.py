"""The one way a service's refusal reaches the person (`utilities.refusals`): on the form that asked, by
field where it can, or as messages of the page a button returns to."""

from __future__ import annotations

from django import forms
from django.contrib.messages import get_messages
from django.contrib.messages.storage.fallback import FallbackStorage
from django.contrib.sessions.backends.signed_cookies import SessionStore
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.test import RequestFactory

from ceptoar.utilities.refusals import REFUSED, attempt, show_refusal


class TitleForm(forms.Form):
    title = forms.CharField()
    attachments = forms.CharField(required=False)


def _form() -> TitleForm:
    form = TitleForm({"title": "Outage"})
    assert form.is_valid()
    return form


def _request():
    request = RequestFactory().post("/")
    request.session = SessionStore()
    request._messages = FallbackStorage(request)
    return request


def test_a_field_error_lands_on_its_field():
    form = _form()
    show_refusal(form, ValidationError({"title": ["Too short."]}))
    assert form.errors == {"title": ["Too short."]}
    assert "title" not in form.cleaned_data


def test_a_key_the_form_does_not_show_lands_at_the_top():
    form = _form()
    show_refusal(form, ValidationError({"status": ["Already sent."], NON_FIELD_ERRORS: ["Closed."]}))
    assert form.non_field_errors() == ["Already sent.", "Closed."]
    assert form.cleaned_data["title"] == "Outage"


def test_an_error_without_a_key_lands_at_the_top_or_on_the_fallback_field():
    form = _form()
    show_refusal(form, ValidationError("Too large."))
    assert form.non_field_errors() == ["Too large."]

    form = _form()
    show_refusal(form, ValidationError(["Too large.", "Not a PDF."]), fallback="attachments")
    assert form.errors == {"attachments": ["Too large.", "Not a PDF."]}

    form = _form()
    show_refusal(form, ValidationError("Too large."), fallback="not_a_field")
    assert form.non_field_errors() == ["Too large."]


def test_aliases_rename_the_services_keys_to_the_forms_fields():
    form = _form()
    show_refusal(form, ValidationError({"attachment": ["Not a PDF."]}), aliases={"attachment": "attachments"})
    assert form.errors == {"attachments": ["Not a PDF."]}


def test_elsewhere_collects_the_keys_the_form_shows_in_its_own_list():
    form = _form()
    audience_errors: list[str] = []
    error = ValidationError({"audience": ["No such organisation: X."], "title": ["Too short."]})
    show_refusal(form, error, elsewhere={"audience": audience_errors})
    assert audience_errors == ["No such organisation: X."]
    assert form.errors == {"title": ["Too short."]}


def test_on_a_request_each_message_becomes_an_error_message():
    request = _request()
    show_refusal(request, ValidationError({"status": ["Already sent."], "title": ["Too short."]}))
    assert [(m.level_tag, m.message) for m in get_messages(request)] == [
        ("error", "Already sent."),
        ("error", "Too short."),
    ]


def test_attempt_returns_the_result_when_the_service_agrees():
    form = _form()
    assert attempt(form, lambda: 0) == 0
    assert attempt(form, lambda: None) is None
    assert form.errors == {}


def test_attempt_returns_refused_once_the_refusal_is_shown():
    def refuse():
        raise ValidationError({"attachment": ["Not a PDF."]})

    form = _form()
    result = attempt(form, refuse, aliases={"attachment": "attachments"})
    assert result is REFUSED and not result
    assert form.errors == {"attachments": ["Not a PDF."]}

    request = _request()
    assert attempt(request, refuse) is REFUSED
    assert [m.message for m in get_messages(request)] == ["Not a PDF."]
