"""What the API sends and accepts, as published in the OpenAPI document."""

from __future__ import annotations

from datetime import datetime

from ninja import Schema
from pydantic import ConfigDict, Field

# A note is a line or two ("received by the night desk, forwarded to IT"), not a report.
NOTE_MAX_LENGTH = 2000


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
    title: str
    category: str
    severity: str
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
    limit: int = Field(DEFAULT_PAGE_SIZE, ge=1, le=MAX_PAGE_SIZE, description="How many alerts per page")
    offset: int = Field(0, ge=0, description="How many to skip")
    since: datetime | None = Field(
        None, description="Only alerts published at or after this time (ISO 8601; without offset: Japan time)"
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
