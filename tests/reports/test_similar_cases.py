"""Similar cases: listed by what the cases are about (content words and classification), only above
`cases.MIN_SIMILARITY`, only among the cases the reader may see. Measured on the labelled cases of
similar_corpus.py: the threshold was chosen on DEVELOPMENT; HELD_OUT checks it (pytest -s prints the figures)."""

from __future__ import annotations

import datetime

import pytest
from django.urls import reverse

from ceptoar.reports import cases
from tests.reports.similar_corpus import DEVELOPMENT, HELD_OUT, RELATED_TOPICS, CorpusCase
from tests.reports.test_case_support import TOKYO, published_case

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]

START = datetime.datetime(2024, 1, 10, 10, 0, tzinfo=TOKYO)


def publish(people, corpus: list[CorpusCase], audiences: dict[str, str] | None = None) -> dict:
    """The corpus's cases, published in order, ten days apart (each case's earlier cases are those before
    it), to the bank CEPTOAR's members unless `audiences` says otherwise."""
    made = {}
    for number, case in enumerate(corpus):
        made[case.key] = published_case(
            *people,
            title=case.title,
            description=case.description,
            services=[{"name": case.service[0], "impact": case.service[1]}],
            countermeasures=case.countermeasures,
            event_type=case.event_type,
            causes=case.causes,
            occurred_at=START + datetime.timedelta(days=10 * number),
            audience=(audiences or {}).get(case.key, ""),
        )
    return made


def listed(user, made: dict, key: str) -> list[str]:
    keys = {case.pk: name for name, case in made.items()}
    return [keys[case.pk] for case in cases.similar_cases(user, made[key])]


def topics(corpus: list[CorpusCase]) -> dict[str, str]:
    return {case.key: case.topic for case in corpus}


@pytest.fixture
def people(demo_user):
    return demo_user("demo-secretariat"), demo_user("demo-member")


def test_an_unauthorised_login_lists_the_login_cases_not_the_storage_failure_or_the_earthquake(
    client_as, demo_user, people
):
    made = publish(people, DEVELOPMENT, audiences={"login-cloud": cases.AUDIENCE_COMMUNITY})
    topic_of = topics(DEVELOPMENT)

    found = listed(people[1], made, "login-cloud")

    assert {"login-vpn", "login-list"} <= set(found)
    assert set(found[:2]) == {"login-vpn", "login-list"}
    assert not {topic_of[key] for key in found} & {"storage", "earthquake", "ddos", "ransomware"}
    similar = cases.similar_cases(people[1], made["login-cloud"])
    assert all(case.similarity >= cases.MIN_SIMILARITY for case in similar)
    assert [case.similarity for case in similar] == sorted(
        (case.similarity for case in similar), reverse=True
    )

    # Only cases the reader may see: the water utility sees the community's case, none of the bank's.
    assert listed(demo_user("demo-water"), made, "login-cloud") == []

    # A case on a subject no other case is about lists none, and the page says so.
    assert listed(people[1], made, "lonely-billing") == []
    client = client_as("demo-member")
    page = client.get(reverse("reports:case_detail", args=[made["lonely-billing"].pk])).content.decode()
    assert "No similar earlier case that you may see." in page.split('id="similar"')[1]
    page = client.get(reverse("reports:case_detail", args=[made["login-cloud"].pk])).content.decode()
    section = page.split('id="similar"')[1]
    assert reverse("reports:case_detail", args=[made["login-vpn"].pk]) in section
    assert reverse("reports:case_detail", args=[made["storage-disk"].pk]) not in section
    assert reverse("reports:case_detail", args=[made["quake-line"].pk]) not in section
    water = client_as("demo-water").get(reverse("reports:case_detail", args=[made["login-cloud"].pk]))
    assert "No similar earlier case that you may see." in water.content.decode().split('id="similar"')[1]


def test_a_withdrawn_case_leaves_every_comparison(people):
    from ceptoar.reports.services.cases import withdraw_case
    from ceptoar.search.models import SearchDocument

    case = publish(people, DEVELOPMENT[:1])["login-vpn"]
    kinds = (cases.SEARCH_KIND, cases.SUBJECT_KIND, cases.CLASSIFICATION_KIND)
    stored = dict(
        SearchDocument.objects.filter(object_id=case.pk, kind__in=kinds).values_list("kind", "tokens")
    )
    assert stored[cases.CLASSIFICATION_KIND] == "eventintrusion causeintentionalimpersonation"
    assert {"退職", "vpn", "パスワード"} <= set(stored[cases.SUBJECT_KIND].split())
    withdraw_case(people[0], case)
    assert not SearchDocument.objects.filter(object_id=case.pk, kind__in=kinds).exists()


def measure(people, made: dict, corpus: list[CorpusCase], topic_of: dict[str, str]) -> tuple[list[str], dict]:
    """Each case's list, and the precision of all the lists: the share of listed cases on the same subject
    (strict) or on a related one (RELATED_TOPICS, lenient)."""
    shown = strict = lenient = 0
    lines = []
    for case in corpus:
        found = listed(people[1], made, case.key)
        same = [key for key in found if topic_of[key] == case.topic]
        close = [key for key in found if (topic_of[key], case.topic) in RELATED_TOPICS]
        shown, strict, lenient = shown + len(found), strict + len(same), lenient + len(same) + len(close)
        lines.append(f"  {case.key}: {', '.join(found) or '(none)'}")
    return lines, {"listed": shown, "strict": strict / shown, "lenient": lenient / shown}


def test_held_out_cases_list_cases_on_their_subject(people, capsys):
    made = publish(people, DEVELOPMENT + HELD_OUT)
    topic_of = topics(DEVELOPMENT + HELD_OUT)
    development_lines, development = measure(people, made, DEVELOPMENT, topic_of)
    lines, held_out = measure(people, made, HELD_OUT, topic_of)
    with capsys.disabled():
        for name, figures, listing in (
            ("development", development, development_lines),
            ("held out", held_out, lines),
        ):
            print(
                f"\n{name}: {figures['listed']} listed, precision {figures['strict']:.2f} (same subject), "
                f"{figures['lenient']:.2f} (related subject)"
            )
            print("\n".join(listing))

    assert listed(people[1], made, "held-lonely-pandemic") == []
    assert held_out["strict"] >= 0.8 and held_out["lenient"] >= 0.9
    # Every held-out case with an earlier case on its subject finds at least one of them.
    with_peers = [case for case in HELD_OUT if any(other.topic == case.topic for other in DEVELOPMENT)]
    assert all(
        any(topic_of[key] == case.topic for key in listed(people[1], made, case.key)) for case in with_peers
    )
