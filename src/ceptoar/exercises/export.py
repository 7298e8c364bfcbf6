"""The measures of an exercise per organisation (組織別の評価指標), for the organiser's spreadsheet: CSV and
XLSX, linked from the scoreboard and the after-action report.

One row per organisation each inject reached at each hop (an organisation reached twice, as a relay and
through another relay, is two rows, as on the tracking page): the hop and who sent to it, its sector and
CEPTOAR, its receipt status, when the first message was delivered and when receipt was confirmed (and the
seconds each took from that hop's publication), the furthest escalation step carried out, the calls made,
the contacts the exercise found wrong at that organisation, and when the exercise actually started and
ended. The rows are the tracking page's
(`alerts.tracking.organisation_rows`), so they add up to the scoreboard's counts, and the contacts found
wrong are the measures' own (`measures.wrong_channels`).

They are read from what was recorded: a finished exercise's alerts are closed and its escalation stopped,
so nothing changes them after the end but a late confirmation, which appears with its time. Every file is
written by `utilities.exports`: names, titles, addresses and remote servers' refusals are text typed by others.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from datetime import timedelta

from django.db.models import Count
from django.utils.translation import gettext as _

from ceptoar.alerts import tracking
from ceptoar.channels.models import FailureCause
from ceptoar.escalation.models import Call
from ceptoar.exercises import measures
from ceptoar.exercises.models import Exercise
from ceptoar.exercises.report import choice_label
from ceptoar.registry.models import ChannelKind

# Column widths of the XLSX, in the order of `header`.
XLSX_WIDTHS = (28, 30, 24, 14, 30, 14, 24, 14, 20, 20, 16, 12, 12, 18, 8, 10, 48, 20, 20)


def header() -> list[str]:
    return [
        _("Inject"),
        _("Relay hop"),
        _("Sent by"),
        _("Organisation code"),
        _("Organisation"),
        _("Sector"),
        _("CEPTOAR"),
        _("Status"),
        _("First sent at"),
        _("Acknowledged at"),
        _("Acknowledged via"),
        _("Seconds to delivery"),
        _("Seconds to acknowledgement"),
        _("Escalation step reached"),
        _("Phone calls"),
        _("Number of contacts found wrong"),
        _("Contacts found wrong"),
        # When the exercise really started and ended, on every row: a file opened on its own (or one row
        # pasted elsewhere) still says which run of the drill it measures.
        _("Exercise started at"),
        _("Exercise ended at"),
    ]


def _seconds(value: timedelta | None) -> int | None:
    return int(value.total_seconds()) if value is not None else None


def _wrong_by_organisation(ids: list[int]) -> dict[int, list[str]]:
    found = defaultdict(list)
    # The kind of failure, never the technical text: the file travels with the after-action report.
    for contact, channel, cause in sorted(
        measures.wrong_channels(ids), key=lambda item: (item[0].name, item[1].pk)
    ):
        found[contact.organisation_id].append(
            _("%(contact)s (%(channel)s %(address)s: %(reason)s)")
            % {
                "contact": contact.name,
                "channel": choice_label(ChannelKind, channel.kind),
                "address": channel.value,
                "reason": choice_label(FailureCause, cause),
            }
        )
    return found


def _calls_by_recipient(ids: list[int]) -> dict[int, int]:
    return dict(
        Call.objects.filter(recipient__alert_id__in=ids)
        .order_by()
        .values("recipient_id")
        .annotate(n=Count("pk"))
        .values_list("recipient_id", "n")
    )


def rows(exercise: Exercise) -> Iterator[list]:
    """The header, then one row per organisation reached per inject and hop; queries per inject, not per
    organisation."""
    yield header()
    for inject, sub in measures.subtrees(exercise):
        wrong = _wrong_by_organisation(sub.ids)
        calls = _calls_by_recipient(sub.ids)
        recipients = tracking.organisation_rows(sub).order_by("alert_id", "organisation__code")
        for row in tracking.describe(sub, recipients.iterator(chunk_size=2000)):
            organisation = row.organisation
            found = wrong.get(organisation.pk, [])
            yield [
                inject.title,
                row.hop,
                row.sent_by.origin_organisation.name,
                organisation.code,
                organisation.name,
                organisation.sector.name if organisation.sector is not None else "",
                row.ceptoar.name if row.ceptoar is not None else "",
                row.status_label,
                row.first_sent_at,
                row.acknowledged_at,
                row.acknowledged_via,
                _seconds(row.time_to_delivery),
                _seconds(row.time_to_acknowledgement),
                row.escalation_label,
                calls.get(row.pk, 0),
                len(found),
                "; ".join(found),
                exercise.started_at,
                exercise.finished_at,
            ]
