"""What the API sends and accepts, as published in the OpenAPI document."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Annotated

from ninja import Schema
from pydantic import BeforeValidator, ConfigDict, Field, WithJsonSchema
from pydantic_core import PydanticCustomError

# A note is a line or two ("received by the night desk, forwarded to IT"), not a report.
NOTE_MAX_LENGTH = 2000

# Ids are BigAutoField: a signed 64-bit integer on SQLite and on PostgreSQL. A number past it cannot name
# a row, and handing it to the database is an overflow (a 500), so it is refused like any bad value.
DB_ID_MAX = 2**63 - 1

# -- parameters -----------------------------------------------------------------------------------
#
# Query and path values arrive as text. Pydantic's lax integers also take "1.0", "1_000", " 5 " and "+5",
# and its date-times take a bare number as a Unix timestamp ("0.5"); the API takes only what its OpenAPI
# document says, so a client's mistake is an error that names the parameter, not a guess.

_DECIMAL = re.compile(r"-?[0-9]+")
# Past every bound of this API; and int() refuses strings of more than 4,300 digits.
_DIGITS_BEYOND_ANY_BOUND = 30


def _decimal_integer(value):
    if not isinstance(value, str):
        return value
    if not _DECIMAL.fullmatch(value):
        raise PydanticCustomError(
            "int_parsing", "Input should be a valid integer, unable to parse string as an integer"
        )
    if len(value.lstrip("-").lstrip("0")) > _DIGITS_BEYOND_ANY_BOUND:
        # Out of range either way: let the bound say so ("less than or equal to …").
        return (-1 if value.startswith("-") else 1) * 10**_DIGITS_BEYOND_ANY_BOUND
    return int(value)


# A whole number written in decimal digits; each use gives its bounds with Field(ge=…, le=…).
WholeNumber = Annotated[int, BeforeValidator(_decimal_integer)]

# ISO 8601 / RFC 3339: date, "T" (or a space), hours and minutes, optional seconds and fraction, optional
# offset. Nothing else: not a timestamp, not a date alone, not the week or ordinal forms.
_ISO_DATE_TIME = re.compile(
    r"[0-9]{4}-[0-9]{2}-[0-9]{2}[Tt ][0-9]{2}:[0-9]{2}(?::[0-9]{2}(?:\.[0-9]{1,9})?)?(?:[Zz]|[+-][0-9]{2}:[0-9]{2})?"
)
DATE_TIME_EXAMPLE = "2025-04-01T09:00:00+09:00"


def _iso_date_time(value):
    if isinstance(value, datetime):
        return value
    if not isinstance(value, str) or not _ISO_DATE_TIME.fullmatch(value):
        hint = ""
        if isinstance(value, str) and re.search(r"[0-9] [0-9]{2}:[0-9]{2}$", value):
            hint = " (a '+' in a URL reads as a space: write the offset's '+' as %2B)"
        raise PydanticCustomError(
            "datetime_iso",
            "Input should be an ISO 8601 date and time such as {example}{hint}",
            {"example": DATE_TIME_EXAMPLE, "hint": hint},
        )
    try:
        return datetime.fromisoformat(f"{value[:10]}T{value[11:]}".upper())
    except ValueError as error:
        raise PydanticCustomError(
            "datetime_iso", "Input should be a valid date and time: {error}", {"error": str(error)}
        ) from None


# Optional, as a query parameter is: absent means no bound (there is no `null` to send in a URL).
OptionalIsoDateTime = Annotated[
    datetime | None,
    BeforeValidator(_iso_date_time),
    WithJsonSchema({"type": "string", "format": "date-time"}),
]


class ErrorOut(Schema):
    detail: str = Field(description="What was wrong, in English.")


class FieldErrorOut(Schema):
    location: str = Field(description="Where the bad value was: query, path or body.")
    field: str = Field(
        description="The parameter or field, dotted for nested ones (empty for the whole body)."
    )
    message: str


class ValidationErrorOut(Schema):
    detail: str = Field(description="Every problem in one English sentence per field.")
    errors: list[FieldErrorOut]


class OrganisationOut(Schema):
    code: str
    name: str


class AlertSummaryOut(Schema):
    id: int
    envelope: bool = Field(
        description=(
            "True when your organisation passes this AMBER+STRICT or RED alert on without reading it (its content "
            "is for its recipients only): the title is a placeholder, category and severity are null, and the "
            "body, relay note and references are empty"
        )
    )
    title: str
    category: str | None
    severity: str | None
    tlp: str = Field(description="clear, green, amber, amber_strict or red")
    tlp_label: str = Field(description="The marking as FIRST writes it, e.g. TLP:AMBER+STRICT")
    status: str = Field(description="published or closed")
    origin_organisation: OrganisationOut = Field(description="The organisation that sent this alert or relay")
    parent_id: int | None = Field(description="The alert this one relays; null for an original")
    root_id: int | None = Field(
        description="The original at the top of the relay chain; null for an original"
    )
    relayed_automatically: bool
    no_onward_relay: bool
    relay_needs_originator_approval: bool
    published_at: datetime | None
    closed_at: datetime | None
    url: str = Field(description="The alert on the portal, for a person to open")


class AlertOut(AlertSummaryOut):
    body_markdown: str = Field(description="The body as the author wrote it (Markdown)")
    body_html: str = Field(description="The body rendered to HTML and sanitised (allow-listed tags only)")
    relay_note: str
    references: list[str]


DEFAULT_PAGE_SIZE = 50
MAX_PAGE_SIZE = 200


class AlertPageIn(Schema):
    limit: WholeNumber = Field(
        DEFAULT_PAGE_SIZE, ge=1, le=MAX_PAGE_SIZE, description="How many alerts per page"
    )
    offset: WholeNumber = Field(0, ge=0, le=DB_ID_MAX, description="How many to skip")
    since: OptionalIsoDateTime = Field(
        None,
        description=(
            "Only alerts published at or after this time: an ISO 8601 date and time such as "
            f"{DATE_TIME_EXAMPLE} (without offset: Japan time)"
        ),
    )


class AlertPageOut(Schema):
    count: int = Field(description="How many alerts match in all")
    limit: int
    offset: int
    items: list[AlertSummaryOut]


class AcknowledgeIn(Schema):
    # A misspelt field is refused rather than ignored: a note silently dropped is a note lost.
    model_config = ConfigDict(extra="forbid")

    note: str = Field("", max_length=NOTE_MAX_LENGTH, description="Optional, kept with the receipt")


class AcknowledgementOut(Schema):
    alert_id: int
    organisation: OrganisationOut
    acknowledged_at: datetime
    via: str = Field(description="email_link, portal, api or phone: how the organisation first confirmed")
    by_user: str | None = Field(description="User name of the person who confirmed, if known")
    note: str


class ReceiptStateOut(Schema):
    alert_id: int
    organisation: OrganisationOut | None = Field(description="Your organisation")
    is_recipient: bool = Field(
        description="Whether the alert was sent to your organisation at its hop (only then can it acknowledge)"
    )
    acknowledged: bool
    acknowledgement: AcknowledgementOut | None = Field(description="The first confirmation, which stands")
