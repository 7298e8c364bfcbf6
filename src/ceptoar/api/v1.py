"""The REST API, version 1 (django-ninja): alerts and their acknowledgement of receipt, for machines.

Thin like the pages: who may see an alert is asked of `sharing.policy`, sensitive reads go to
`sharing.audit`, and receipts are recorded by `alerts.services.acknowledgements`.

Error messages here are English and not wrapped for translation, on purpose: API clients are machines,
the same request must get the same answer whatever language its account prefers, and operators search
for the exact text.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Annotated

from django.conf import settings
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django.utils import timezone
from ninja import Body, NinjaAPI, Path, Query, Router, Schema, Status, Swagger
from ninja.errors import AuthenticationError, HttpError, ValidationError
from ninja.parser import Parser

from ceptoar.alerts.models import Acknowledgement, AcknowledgementVia, Alert
from ceptoar.alerts.rendering import envelope_title, render_markdown
from ceptoar.alerts.services import acknowledgements
from ceptoar.api import services
from ceptoar.api.auth import BearerToken
from ceptoar.api.schemas import (
    DB_ID_MAX,
    AcknowledgeIn,
    AcknowledgementOut,
    AlertOut,
    AlertPageIn,
    AlertPageOut,
    ErrorOut,
    ReceiptStateOut,
    ValidationErrorOut,
    WholeNumber,
)
from ceptoar.sharing import audit, policy
from ceptoar.sharing.models import Tlp
from ceptoar.utilities.csp import csp_allow

NOT_VISIBLE = "No such alert, or not one you may see."


class MalformedJson(Exception):
    pass


class StrictJsonParser(Parser):
    """Says where the JSON broke, instead of ninja's bare "Cannot parse request body"."""

    def parse_body(self, request: HttpRequest):
        try:
            return json.loads(request.body)
        except UnicodeDecodeError:
            raise MalformedJson("The request body is not UTF-8 text; send JSON encoded as UTF-8.") from None
        except json.JSONDecodeError as error:
            raise MalformedJson(
                f"The request body is not valid JSON: {error.msg} at line {error.lineno}, "
                f"column {error.colno}."
            ) from None


api = NinjaAPI(
    title="CEPTOAR platform API",
    version="1",
    description=(
        "Alerts (情報提供) and acknowledgement of receipt (受領確認) for the tools of CEPTOARs and their "
        "members. Every call needs a personal API token: `Authorization: Bearer <key>`, created on the "
        "API tokens page (/api/tokens/). A token sees exactly what its owner sees on the portal; its scope "
        "says whether it may also confirm receipt (`read_acknowledge`) or only read (`read`), and it may "
        "have a last day. Every parameter is bounded: a value outside the bounds given here is a 422 "
        "naming it."
    ),
    urls_namespace="api",
    auth=BearerToken(),
    parser=StrictJsonParser(),
    # Swagger UI from ninja's bundled static files; no validator badge, which would call out to the Internet.
    docs=Swagger(settings={"validatorUrl": None}),
    # Its stylesheet draws its icons as data: images; nothing else on the page is loosened.
    docs_decorator=csp_allow(img_src=("data:",)),
    docs_url="/docs",
    openapi_url="/openapi.json",
)


# -- errors ---------------------------------------------------------------------------------------


@api.exception_handler(AuthenticationError)
def _refused(request: HttpRequest, error: AuthenticationError) -> HttpResponse:
    response = api.create_response(request, {"detail": error.message}, status=error.status_code)
    response["WWW-Authenticate"] = 'Bearer realm="ceptoar"'
    return response


@api.exception_handler(HttpError)
def _http_error(request: HttpRequest, error: HttpError) -> HttpResponse:
    if isinstance(error.__cause__, MalformedJson):
        return api.create_response(request, {"detail": str(error.__cause__)}, status=400)
    return api.create_response(request, {"detail": error.message}, status=error.status_code)


def _field_error(raw: dict) -> dict:
    location, *path = [str(part) for part in raw.get("loc", ())] or ["body"]
    if location == "body" and path and path[0] == "payload":
        path = path[1:]  # the name of the Python parameter means nothing to the client
    return {"location": location, "field": ".".join(path), "message": raw.get("msg", "invalid value")}


@api.exception_handler(ValidationError)
def _invalid(request: HttpRequest, error: ValidationError) -> HttpResponse:
    errors = [_field_error(raw) for raw in error.errors]
    sentences = [
        f"{row['location']} field '{row['field']}': {row['message']}"
        if row["field"]
        else f"{row['location']}: {row['message']}"
        for row in errors
    ]
    detail = "Invalid input. " + " ".join(sentence.rstrip(".") + "." for sentence in sentences)
    return api.create_response(request, {"detail": detail, "errors": errors}, status=422)


def _refuse_unknown_query(request: HttpRequest, takes: type[Schema] | None = None) -> None:
    """A query parameter the operation does not take, or one given twice, is refused rather than ignored:
    `?limt=10` silently answering 50 alerts, or `?since=a&since=b` answering for one of them, would hide
    the client's mistake. Called first in every operation, before anything is read or written."""
    known = set(takes.model_fields) if takes is not None else set()
    takes_words = ", ".join(sorted(known)) if known else "no query parameters"
    errors = []
    for name in request.GET:
        if name not in known:
            errors.append(
                {"loc": ("query", name), "msg": f"Unknown parameter; this operation takes {takes_words}"}
            )
        elif len(request.GET.getlist(name)) > 1:
            errors.append({"loc": ("query", name), "msg": "Given more than once; give it once"})
    if errors:
        raise ValidationError(errors)


# -- alerts ---------------------------------------------------------------------------------------

v1 = Router(tags=["alerts"])
api.add_router("/v1", v1)

# Every status each operation can answer is declared with its body, so that a client (and the
# schemathesis run of the tests) can rely on the document: 401 (the token) and 422 (a parameter) on all.
_ERRORS = {401: ErrorOut, 422: ValidationErrorOut}

# The path's alert id: decimal digits within the database's integer range, else a 422 naming it.
AlertId = Annotated[WholeNumber, Path(..., ge=1, le=DB_ID_MAX, description="The alert's id")]
# No body at all is an empty note. A body is the object, never `null`: with this default (rather than
# `AcknowledgeIn | None`) the document says so, and `null` is refused like any other non-object.
_NO_BODY = AcknowledgeIn()


def _utc(moment: datetime) -> datetime:
    """`since` in UTC, for the database. A time without offset is Japan time. A time so close to year 1 or
    year 9999 that UTC falls outside Python's calendar is before, or after, every alert."""
    if timezone.is_naive(moment):
        moment = timezone.make_aware(moment)
    try:
        return moment.astimezone(UTC)
    except OverflowError:
        return (datetime.min if moment.year == 1 else datetime.max).replace(tzinfo=UTC)


def _shared_alerts(user, queryset: QuerySet | None = None) -> QuerySet:
    """What the API serves: the alerts the policy lets this person see, once they have left their sender
    (drafts stay on the portal)."""
    return policy.visible_alerts(user, queryset).filter(status__in=policy.SHARED_ALERT_STATUSES)


def _visible_alert(user, alert_id: int) -> Alert:
    alert = (
        _shared_alerts(user, Alert.objects.filter(pk=alert_id)).select_related("origin_organisation").first()
    )
    if alert is None:
        # Same answer as for an alert that does not exist: the API does not confirm what it hides.
        raise HttpError(404, NOT_VISIBLE)
    return alert


def _organisation(organisation) -> dict:
    return {"code": organisation.code, "name": organisation.name}


def _summary(alert: Alert, readable: bool) -> dict:
    """What a list shows of an alert; of an envelope (`policy.ENVELOPE_TLPS`, passed on unread) nothing of
    its content: the marking, sender, lineage and times."""
    return {
        "id": alert.pk,
        "envelope": not readable,
        "title": alert.title if readable else envelope_title(alert),
        "category": alert.category if readable else None,
        "severity": alert.severity if readable else None,
        "tlp": alert.tlp,
        "tlp_label": Tlp(alert.tlp).label,
        "status": alert.status,
        "origin_organisation": _organisation(alert.origin_organisation),
        "parent_id": alert.parent_id,
        "root_id": alert.root_id,
        "relayed_automatically": alert.relayed_automatically,
        "no_onward_relay": alert.no_onward_relay,
        "relay_needs_originator_approval": alert.relay_needs_originator_approval,
        "published_at": alert.published_at,
        "closed_at": alert.closed_at,
        "url": settings.CEPTOAR_BASE_URL + reverse("alerts:detail", args=[alert.pk]),
    }


@v1.get("/alerts", response={200: AlertPageOut, **_ERRORS}, summary="Alerts you may see, newest first")
def list_alerts(request: HttpRequest, page: Query[AlertPageIn]):
    _refuse_unknown_query(request, AlertPageIn)
    alerts = policy.with_content_readable(
        request.user, _shared_alerts(request.user).select_related("origin_organisation")
    )
    if page.since is not None:
        alerts = alerts.filter(published_at__gte=_utc(page.since))
    alerts = alerts.order_by("-published_at", "-id")
    shown = list(alerts[page.offset : page.offset + page.limit])
    return Status(
        200,
        {
            "count": alerts.count(),
            "limit": page.limit,
            "offset": page.offset,
            "items": [_summary(alert, alert.content_readable) for alert in shown],
        },
    )


@v1.get("/alerts/{alert_id}", response={200: AlertOut, 404: ErrorOut, **_ERRORS}, summary="One alert")
def get_alert(request: HttpRequest, alert_id: AlertId):
    _refuse_unknown_query(request)
    alert = _visible_alert(request.user, alert_id)
    readable = policy.may_read_content(request.user, alert)
    # AMBER+STRICT and RED: every read (and every look at an envelope) is written to the audit log, as on
    # the alert's page; the detail names the token, so an auditor can tell which tool read it.
    audit.record_read(
        request.user,
        alert,
        action="read" if readable else "read_envelope",
        detail=f"API token {request.api_token.prefix}…",
    )
    if not readable:
        return Status(
            200,
            {
                **_summary(alert, False),
                "body_markdown": "",
                "body_html": "",
                "relay_note": "",
                "references": [],
            },
        )
    return Status(
        200,
        {
            **_summary(alert, True),
            "body_markdown": alert.body,
            "body_html": render_markdown(alert.body),
            "relay_note": alert.relay_note,
            "references": [str(reference) for reference in alert.references or []],
        },
    )


# -- acknowledgement of receipt -------------------------------------------------------------------


def _acknowledgement(acknowledgement: Acknowledgement, alert: Alert) -> dict:
    return {
        "alert_id": alert.pk,
        "organisation": _organisation(acknowledgement.recipient.organisation),
        "acknowledged_at": acknowledgement.acknowledged_at,
        "via": acknowledgement.via,
        "by_user": acknowledgement.by_user.username if acknowledgement.by_user_id else None,
        "note": acknowledgement.note,
    }


def _not_recipient(user, alert: Alert) -> str:
    return (
        f"Alert {alert.pk} was not sent to your organisation ({user.organisation.name}) directly, so your "
        "organisation has no receipt of it to confirm. If it reached you through a relay, confirm receipt "
        "of that relay instead."
    )


@v1.post(
    "/alerts/{alert_id}/acknowledge",
    response={
        200: AcknowledgementOut,
        201: AcknowledgementOut,
        400: ErrorOut,
        403: ErrorOut,
        404: ErrorOut,
        409: ErrorOut,
        **_ERRORS,
    },
    summary="Confirm receipt for your organisation",
    description=(
        "201 with the new acknowledgement; 200 with the existing one when your organisation had already "
        "confirmed (the first confirmation stands); 403 when the token's scope is `read` (confirming "
        "needs `read_acknowledge`); 409 when the alert was not sent to your organisation. The body is "
        "optional; when sent, it is a JSON object."
    ),
)
def acknowledge(
    request: HttpRequest,
    alert_id: AlertId,
    payload: Body[AcknowledgeIn] = _NO_BODY,
):
    _refuse_unknown_query(request)
    try:
        services.check_may_acknowledge(request.api_token)
    except services.ScopeRefused as refusal:
        raise HttpError(403, str(refusal)) from None
    alert = _visible_alert(request.user, alert_id)
    recipient = acknowledgements.recipient_of(alert, request.user)
    if recipient is None:
        raise HttpError(409, _not_recipient(request.user, alert))
    acknowledgement, created = acknowledgements.acknowledge(
        recipient,
        AcknowledgementVia.API,
        by_user=request.user,
        note=payload.note,
    )
    return Status(201 if created else 200, _acknowledgement(acknowledgement, alert))


@v1.get(
    "/alerts/{alert_id}/acknowledgement",
    response={200: ReceiptStateOut, 404: ErrorOut, **_ERRORS},
    summary="Your organisation's receipt of an alert",
)
def receipt_state(request: HttpRequest, alert_id: AlertId):
    _refuse_unknown_query(request)
    alert = _visible_alert(request.user, alert_id)
    recipient = acknowledgements.recipient_of(alert, request.user)
    acknowledgement = (
        Acknowledgement.objects.select_related("recipient__organisation", "by_user")
        .filter(recipient=recipient)
        .first()
        if recipient is not None
        else None
    )
    organisation = request.user.organisation
    return Status(
        200,
        {
            "alert_id": alert.pk,
            "organisation": _organisation(organisation) if organisation is not None else None,
            "is_recipient": recipient is not None,
            "acknowledged": acknowledgement is not None,
            "acknowledgement": _acknowledgement(acknowledgement, alert) if acknowledgement else None,
        },
    )
