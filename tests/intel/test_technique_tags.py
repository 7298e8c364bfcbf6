"""Tagging reports and failure cases with imported ATT&CK techniques: a MANUAL sighting of the technique's
observable, only for techniques that exist, only by those who work on the item."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from ceptoar.intel.models import Observable, ObservableType, Sighting, SightingSource, Technique
from ceptoar.intel.services import techniques
from tests.reports.test_case_support import published_case, submitted_report

pytestmark = pytest.mark.django_db


@pytest.fixture
def imported():
    Technique.objects.create(external_id="T0886", name="Remote Services", domain="ics-attack")
    Technique.objects.create(external_id="T0883", name="Internet Accessible Device", domain="ics-attack")
    return Technique.objects.create(external_id="T0817", name="Drive-by Compromise", deprecated=True)


def test_the_secretariat_tags_a_report_it_received(demo_user, imported):
    secretariat, member = demo_user("demo-secretariat"), demo_user("demo-member")
    report = submitted_report(member)

    sighting = techniques.do_tag_technique(secretariat, report, "t0886 Remote Services")

    assert sighting.observable.type == ObservableType.TECHNIQUE
    assert sighting.observable.value == "T0886"
    assert sighting.source == SightingSource.MANUAL
    assert sighting.report == report and sighting.added_by == secretariat
    assert sighting.organisation_id == report.organisation_id
    assert [tag.external_id for tag in techniques.item_tags(report)] == ["T0886"]
    # By name too, and twice is once.
    techniques.do_tag_technique(secretariat, report, "internet accessible device")
    techniques.do_tag_technique(secretariat, report, "T0886")
    assert [(t.external_id, t.technique.name) for t in techniques.item_tags(report)] == [
        ("T0883", "Internet Accessible Device"),
        ("T0886", "Remote Services"),
    ]


def test_only_imported_techniques_can_be_tagged(demo_user, imported):
    secretariat = demo_user("demo-secretariat")
    report = submitted_report(demo_user("demo-member"))
    observables = Observable.objects.count()

    with pytest.raises(ValidationError, match="No imported ATT&CK technique matches"):
        techniques.do_tag_technique(secretariat, report, "T9999")
    with pytest.raises(ValidationError):
        techniques.do_tag_technique(secretariat, report, "")
    assert Observable.objects.count() == observables
    assert not Sighting.objects.filter(report=report, observable__type=ObservableType.TECHNIQUE).exists()


def test_the_reporter_and_strangers_may_not_tag(demo_user, imported):
    report = submitted_report(demo_user("demo-member"))

    # The reporter sees its report but does not work on it as a secretariat does.
    with pytest.raises(PermissionDenied):
        techniques.do_tag_technique(demo_user("demo-member"), report, "T0886")
    with pytest.raises(PermissionDenied):
        techniques.do_tag_technique(demo_user("demo-water"), report, "T0886")
    with pytest.raises(PermissionDenied):
        techniques.do_untag_technique(demo_user("demo-water"), report, "T0886")
    assert not Sighting.objects.filter(report=report, observable__type=ObservableType.TECHNIQUE).exists()


def test_a_case_is_tagged_by_its_makers_and_untagging_keeps_the_removal(demo_user, imported):
    secretariat, member = demo_user("demo-secretariat"), demo_user("demo-member")
    case = published_case(secretariat, member)

    techniques.do_tag_technique(secretariat, case, "T0886")
    assert techniques.do_untag_technique(secretariat, case, "t0886") is True

    sighting = Sighting.objects.get(case=case, observable__value="T0886")
    assert sighting.removed is True
    assert techniques.item_tags(case) == []
    assert techniques.do_untag_technique(secretariat, case, "T0886") is False
    techniques.do_tag_technique(secretariat, case, "T0886")
    sighting.refresh_from_db()
    assert sighting.removed is False
    with pytest.raises(PermissionDenied):
        # A member who may read the published case does not make it.
        techniques.do_tag_technique(member, case, "T0883")


def test_the_picker_finds_by_id_or_name_live_ones_first(imported):
    assert [t.external_id for t in techniques.search("remote")] == ["T0886"]
    assert [t.external_id for t in techniques.search("T08")] == ["T0883", "T0886", "T0817"]
    assert techniques.find_technique("Drive-by compromise").external_id == "T0817"
