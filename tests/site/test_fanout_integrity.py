"""Fan-out rows (recipients, deliveries, follow-ups) are written by INSERT … SELECT and carry no database
foreign-key constraints (see `alerts.models.FANOUT_FK`): what the constraints did, Django and the writer do."""

from __future__ import annotations

import pytest
from django.db import connection
from django.db.models import F, ProtectedError, Value

from ceptoar.alerts.models import Alert, Recipient
from ceptoar.channels.models import Delivery
from ceptoar.escalation.models import FollowUp
from ceptoar.registry.models import Organisation
from ceptoar.utilities.bulk import insert_from_select
from tests.channels.helpers import publish

pytestmark = pytest.mark.django_db


@pytest.fixture
def alert(demo_user):
    return publish(demo_user("demo-hub"))


def test_every_fan_out_row_points_at_an_existing_row(alert):
    deliveries = Delivery.objects.filter(alert=alert)
    assert deliveries.exists() and FollowUp.objects.filter(recipient__alert=alert).exists()
    assert not deliveries.filter(recipient__isnull=True).exists()
    assert not deliveries.exclude(recipient__alert=F("alert")).exists()
    assert not deliveries.filter(channel__isnull=True).exists()
    assert not deliveries.exclude(contact=F("channel__contact")).exists()
    recipients = Recipient.objects.filter(alert=alert)
    assert recipients.filter(organisation__in=Organisation.objects.all()).count() == recipients.count()


def test_deleting_an_alert_removes_its_fan_out_rows(alert):
    recipient_ids = list(Recipient.objects.filter(alert=alert).values_list("pk", flat=True))
    Alert.objects.filter(pk=alert.pk).delete()
    assert not Recipient.objects.filter(pk__in=recipient_ids).exists()
    assert not Delivery.objects.filter(alert_id=alert.pk).exists()
    assert not FollowUp.objects.filter(recipient_id__in=recipient_ids).exists()


def test_an_organisation_that_was_sent_an_alert_cannot_be_deleted(alert):
    organisation = Recipient.objects.filter(alert=alert).first().organisation
    with pytest.raises(ProtectedError):
        organisation.delete()
    assert Organisation.objects.filter(pk=organisation.pk).exists()


def test_deleting_a_channel_keeps_the_record_of_what_was_sent_there(alert):
    delivery = Delivery.objects.filter(alert=alert).select_related("channel").first()
    address = delivery.address
    delivery.channel.delete()
    delivery.refresh_from_db()
    assert delivery.channel_id is None and delivery.address == address


def test_insert_from_select_fills_defaults_and_returns_the_new_ids(alert):
    recipients = Recipient.objects.filter(alert=alert).order_by("pk")
    before = Delivery.objects.count()
    ids = insert_from_select(
        Delivery,
        recipients,
        {
            "alert": F("alert_id"),
            "recipient": F("pk"),
            "kind": Value("email"),
            "address": Value("x@example.jp"),
        },
    )
    rows = Delivery.objects.filter(pk__in=ids)
    assert len(ids) == recipients.count() == rows.count() == Delivery.objects.count() - before
    assert sorted(rows.values_list("recipient_id", flat=True)) == list(
        recipients.values_list("pk", flat=True)
    )
    row = rows.first()
    assert (row.status, row.attempts, row.last_error, row.claimed_by) == ("pending", 0, "", "")
    assert row.created_at is not None and row.sent_at is None


@pytest.mark.parametrize(
    ("model", "columns", "message"),
    [
        (Recipient, {"alert": F("alert_id")}, "required field Recipient.organisation"),
        (Delivery, {"alert": F("alert_id"), "colour": Value("red")}, "no field.s. colour"),
    ],
)
def test_insert_from_select_refuses_incomplete_columns_before_writing(alert, model, columns, message):
    before = model.objects.count()
    with pytest.raises(ValueError, match=message):
        insert_from_select(model, Recipient.objects.filter(alert=alert), columns)
    assert model.objects.count() == before


def test_fan_out_tables_have_no_foreign_key_constraints_but_keep_their_indexes():
    with connection.cursor() as cursor:
        for model in (Recipient, Delivery, FollowUp):
            constraints = connection.introspection.get_constraints(cursor, model._meta.db_table)
            assert not [c for c in constraints.values() if c["foreign_key"]], model.__name__
            indexed = {tuple(c["columns"]) for c in constraints.values() if c["index"] or c["unique"]}
            for field in model._meta.concrete_fields:
                if field.is_relation:
                    assert any(cols[0] == field.column for cols in indexed), (model.__name__, field.name)


def test_insert_unless_exists_keeps_the_first_row(alert):
    from ceptoar.alerts.models import Acknowledgement
    from ceptoar.utilities.bulk import insert_unless_exists

    recipient = Recipient.objects.filter(alert=alert).first()
    first = Acknowledgement(recipient=recipient, via="portal", note="first")
    assert insert_unless_exists(first) and first.pk is not None
    second = Acknowledgement(recipient=recipient, via="api", note="second")
    assert not insert_unless_exists(second) and second.pk is None
    stored = Acknowledgement.objects.get(recipient=recipient)
    assert (stored.pk, stored.via, stored.note) == (first.pk, "portal", "first")
