"""The council page (seats, rules, who may post, recent posts with receipts) for each kind of reader; the
demo's seats; the compose form's refusal of an observer's post."""

from __future__ import annotations

import itertools

import pytest
from allauth.mfa.totp.internal.auth import TOTP
from django.urls import reverse

from ceptoar.accounts.models import Role, User
from ceptoar.alerts.models import AcknowledgementVia, Alert
from ceptoar.alerts.services import acknowledgements, drafts, publication
from ceptoar.alerts.services.audience import AudienceSpec
from ceptoar.demo.population import demo_totp_secret
from ceptoar.registry.models import CouncilSeat, Organisation, SeatKind
from ceptoar.sharing.models import Tlp
from tests.alerts.pages import compose_data
from tests.signin import sign_in

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]

_numbers = itertools.count(1)
COUNCIL_PAGE = reverse("registry:council_detail", args=["ceptoar-council"])


def person_of(code: str, role: str = Role.SECRETARIAT) -> User:
    """A staff account of `code`, with the second factor the site asks of staff."""
    user = User.objects.create_user(
        username=f"council-page-{code}-{next(_numbers)}", organisation=Organisation.objects.get(code=code)
    )
    user.role_grants.create(role=role)
    TOTP.activate(user, demo_totp_secret(user.username))
    return user


def council_post(author: User, title: str = "カウンシル: 標的型メールの共有") -> Alert:
    alert = drafts.create_draft(
        author,
        title=title,
        body="",
        category="malware",
        severity="high",
        tlp=Tlp.AMBER,
        audience=AudienceSpec(organisations=["ceptoar-council"]),
    )
    return publication.submit(alert, author)


def page(client, url: str = COUNCIL_PAGE) -> str:
    response = client.get(url)
    assert response.status_code == 200
    return response.content.decode()


def test_the_demo_seats_eleven_members_and_three_observers_on_the_council():
    seats = dict(
        CouncilSeat.objects.filter(council__code="ceptoar-council").values_list("ceptoar__code", "kind")
    )
    observers = {code for code, kind in seats.items() if kind == SeatKind.OBSERVER}
    assert observers == {"railway", "medical", "logistics"}
    assert sum(1 for kind in seats.values() if kind == SeatKind.MEMBER) == 11
    finance = CouncilSeat.objects.filter(council__code="finance-council")
    assert set(finance.values_list("kind", flat=True)) == {SeatKind.MEMBER} and finance.count() == 4
    # The map names the finance council for its four CEPTOARs and no other seat.
    assert set(CouncilSeat.objects.filter(shown_on_map=True).values_list("council__code", flat=True)) == {
        "finance-council"
    }


def test_the_councils_secretariat_sees_seats_posting_and_every_seats_receipt(client):
    secretariat = person_of("ceptoar-council")
    alert = council_post(secretariat)
    railway = person_of("railway")
    recipient = acknowledgements.recipient_of(alert, railway)
    acknowledgements.acknowledge(recipient, AcknowledgementVia.PORTAL, by_user=railway)
    html = page(sign_in(client, secretariat))
    assert html.count('data-seat="member"') == 11 and html.count('data-seat="observer"') == 3
    assert "Member seats: 11; observer seats: 3." in html
    assert "You post in the council&#x27;s name" in html or "You post in the council's name" in html
    assert alert.title in html and "1 / 14" in html
    assert 'data-receipt="railway"' in html and "Confirmed" in html
    assert "CEPTOARカウンシル 情報取扱いルール" in html  # the council's own rules, from the demo


def test_a_member_seat_sees_the_post_and_how_to_post_but_not_the_other_seats_receipts(client_as):
    alert = council_post(person_of("ceptoar-council"))
    html = page(client_as("demo-coordinator"))
    assert alert.title in html
    assert "Your CEPTOAR holds a member seat" in html
    assert "data-receipt=" not in html


def test_the_sender_of_a_post_sees_its_receipts(client_as, demo_user):
    alert = council_post(demo_user("demo-secretariat"), title="銀行等CEPTOARからの共有")
    html = page(client_as("demo-secretariat"))
    assert alert.title in html and "0 / 14" in html
    assert 'data-receipt="ceptoar-council"' in html and 'data-receipt="banks"' not in html


def test_an_observer_is_told_what_it_may_post(client):
    html = page(sign_in(client, person_of("medical")))
    assert "Your CEPTOAR holds an observer seat: you may post at TLP:CLEAR, TLP:GREEN only" in html
    assert "Observers receive every post, but may post to the council only at TLP:CLEAR, TLP:GREEN." in html


@pytest.mark.parametrize("username", ["demo-member", "demo-hub", "demo-water", "demo-ministry"])
def test_readers_without_a_seat_see_the_structure_and_no_post(client_as, username):
    alert = council_post(person_of("ceptoar-council"))
    html = page(client_as(username))
    assert html.count('data-seat="observer"') == 3
    assert alert.title not in html and "No post to this council that you may see." in html
    assert "Your CEPTOAR holds" not in html and "You post in the council" not in html


def test_only_a_council_has_a_council_page(client_as):
    client = client_as("demo-member")
    assert client.get(reverse("registry:council_detail", args=["banks"])).status_code == 404
    assert client.get(reverse("registry:council_detail", args=["no-such-council"])).status_code == 404


def test_anonymous_visitors_are_sent_to_log_in(client):
    response = client.get(COUNCIL_PAGE)
    assert response.status_code == 302 and "login" in response.url


def test_the_organisation_pages_link_the_council_page(client_as):
    client = client_as("demo-member")
    assert COUNCIL_PAGE in page(client, reverse("registry:organisation_detail", args=["ceptoar-council"]))
    assert COUNCIL_PAGE in page(client, reverse("registry:organisation_detail", args=["banks"]))


def test_the_compose_form_names_why_an_observer_may_not_post_amber(client, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    before = Alert.objects.count()
    data = compose_data(sectors=[], organisations="ceptoar-council", tlp=Tlp.AMBER, title="観測員からの投稿")
    response = sign_in(client, person_of("logistics")).post(reverse("alerts:new"), data)
    assert response.status_code == 400
    html = response.content.decode()
    assert "holds an observer seat on" in html and "only at TLP:CLEAR or TLP:GREEN, not TLP:AMBER" in html
    assert Alert.objects.count() == before
    response = client.post(reverse("alerts:new"), {**data, "tlp": Tlp.GREEN})
    assert response.status_code == 302
    assert Alert.objects.get(title="観測員からの投稿").tlp == Tlp.GREEN
