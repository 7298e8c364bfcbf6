"""Prepared queries give exactly what the queryset they were compiled from gives, for every value."""

from __future__ import annotations

import pytest

from ceptoar.registry.models import Contact, Organisation
from ceptoar.utilities.prepared import PreparedUpdate, PreparedValues

pytestmark = pytest.mark.django_db


def _by_sector(sector_id):
    return (
        Organisation.objects.filter(sector_id=sector_id)
        .order_by("code")
        .values_list("code", "name", "sector__code")[:1]
    )


def test_prepared_values_match_the_queryset_for_each_value():
    prepared = PreparedValues(_by_sector)
    sector_ids = list(
        Organisation.objects.exclude(sector=None).values_list("sector_id", flat=True).distinct()[:4]
    )
    assert len(sector_ids) >= 2
    for sector_id in sector_ids:
        assert prepared.first(sector_id) == _by_sector(sector_id).first()
    assert prepared.first(-1) is None


def test_prepared_update_changes_only_the_rows_of_its_value():
    organisation = Organisation.objects.filter(contacts__isnull=False).first()
    other = Organisation.objects.filter(contacts__isnull=False).exclude(pk=organisation.pk).first()
    before_other = list(other.contacts.values_list("hours_note", flat=True))
    prepared = PreparedUpdate(
        lambda organisation_id: Contact.objects.filter(organisation_id=organisation_id),
        hours_note="checked by the test",
    )
    changed = prepared.run(organisation.pk)
    assert changed == organisation.contacts.count() > 0
    assert set(organisation.contacts.values_list("hours_note", flat=True)) == {"checked by the test"}
    assert list(other.contacts.values_list("hours_note", flat=True)) == before_other
    assert prepared.run(-1) == 0


def test_a_query_that_ignores_its_value_is_refused():
    prepared = PreparedValues(lambda value: Organisation.objects.values_list("code")[:1])
    with pytest.raises(ValueError, match="must use its value"):
        prepared.first(1)
