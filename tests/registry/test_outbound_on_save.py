"""A webhook or chat address that leads into an internal network is refused when it is saved — on the
contact form, in the admin and in an import — with a message on the field, and nothing stored changes."""

from __future__ import annotations

import copy
from urllib.parse import urlsplit

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from ceptoar.registry.importer import RegistryImportError, import_registry
from ceptoar.registry.models import ChannelKind, ContactChannel, validate_channel_value
from tests.fake_dns import fake_dns_fixture  # noqa: F401 - the fake_dns fixture
from tests.registry.test_admin import change_url, make_staff_with_every_permission
from tests.registry.test_contact_edit import (
    contact_of,
    edit_url,
    existing_rows,
    fields_of,
    post_data,
    section,
    snapshot,
)
from tests.signin import sign_in

pytestmark = pytest.mark.django_db

# One address of each kind the policy refuses, as a member might type it.
REFUSED = [
    ("http://127.0.0.1:5432/", "loopback"),
    ("http://[::1]:8080/hook", "loopback"),
    ("http://169.254.169.254/latest/meta-data/", "link-local"),
    ("http://10.0.0.5/hook", "private network"),
    ("https://192.168.1.20/hook", "private network"),
    ("http://100.64.0.1/hook", "shared address space, 100.64.0.0/10"),
    ("http://224.0.0.1/hook", "multicast"),
    ("http://240.0.0.1/hook", "reserved range"),
    ("http://0.0.0.0:8000/", "unspecified address"),
    ("http://[::ffff:10.0.0.1]/hook", "private network"),
]


def host_of(url: str) -> str:
    return urlsplit(url).hostname


@pytest.mark.parametrize(("url", "kind"), REFUSED)
def test_each_kind_of_internal_address_is_refused_on_the_contact_form(english, client_as, url, kind):
    contact = contact_of("banks-0001")
    before = snapshot("banks-0001")
    rows = existing_rows(contact) + [{"kind": "webhook", "value": url, "ORDER": 9}]
    data = post_data(fields_of(contact, title="変更されてはならない"), rows, initial=len(rows) - 1)

    response = client_as("demo-member").post(edit_url(contact), data)

    assert response.status_code == 400
    row = section(response.content.decode(), f"channel-row-{len(rows) - 1}", "</tr>")
    assert 'class="field-error"' in row
    assert f"{host_of(url)} is not a public internet address ({kind})" in row
    assert snapshot("banks-0001") == before


def test_a_name_that_resolves_to_a_private_address_is_refused_without_showing_the_address(
    english, client_as, fake_dns
):
    fake_dns.add("hooks.banks-0001.example.jp", "203.0.114.1", "10.40.0.9")
    contact = contact_of("banks-0001")
    before = snapshot("banks-0001")
    rows = existing_rows(contact) + [
        {"kind": "chat", "value": "mmosts://hooks.banks-0001.example.jp/abcdefghijkl", "ORDER": 9}
    ]

    response = client_as("demo-member").post(
        edit_url(contact), post_data(fields_of(contact), rows, initial=len(rows) - 1)
    )

    assert response.status_code == 400
    row = section(response.content.decode(), f"channel-row-{len(rows) - 1}", "</tr>")
    assert "hooks.banks-0001.example.jp resolves to an address that is not a public internet address" in row
    assert "(private network)" in row and "10.40.0.9" not in row
    assert snapshot("banks-0001") == before


def test_localhost_is_refused_through_the_real_resolver(english):
    with pytest.raises(ValidationError) as caught:
        validate_channel_value(ChannelKind.WEBHOOK, "http://localhost:8000/admin/")
    assert (
        "localhost resolves to an address that is not a public internet address (loopback)"
        in (caught.value.messages[0])
    )


@pytest.mark.parametrize(
    ("url", "says"),
    [
        ("syslog://local7", "Chat URLs beginning syslog:// cannot be used"),
        ("dbus://session", "Chat URLs beginning dbus:// cannot be used"),
        ("windows://_/", "Chat URLs beginning windows:// cannot be used"),
        ("mailto://user:pass@10.0.0.2", "Chat URLs beginning mailto:// cannot be used"),
        ("json://127.0.0.1:9200/_bulk", "127.0.0.1 is not a public internet address (loopback)"),
        (
            "rocket://user:pw@192.168.3.4/#general",
            "192.168.3.4 is not a public internet address (private network)",
        ),
        ("json:///no-host", "names no host"),
    ],
)
def test_chat_urls_that_act_on_the_worker_or_lead_inside_are_refused(english, url, says):
    with pytest.raises(ValidationError) as caught:
        validate_channel_value(ChannelKind.CHAT, url)
    assert says in caught.value.messages[0]


def test_public_addresses_and_names_that_do_not_resolve_yet_are_accepted(fake_dns):
    fake_dns.add("hooks.public.example.jp", "8.8.4.4")
    fake_dns.add("not-yet.example.jp")  # does not resolve: the check at send time decides
    validate_channel_value(ChannelKind.WEBHOOK, "https://hooks.public.example.jp/ceptoar")
    validate_channel_value(ChannelKind.WEBHOOK, "https://not-yet.example.jp/ceptoar")
    validate_channel_value(ChannelKind.CHAT, "slack://tokenA/tokenB/tokenC")
    validate_channel_value(ChannelKind.CHAT, "json://hooks.public.example.jp/notify")


def test_the_allow_list_admits_in_house_receivers_by_network_and_by_name(settings, fake_dns, client_as):
    fake_dns.add("alerts.intra.example.jp", "172.20.1.5")
    with pytest.raises(ValidationError):
        validate_channel_value(ChannelKind.WEBHOOK, "http://10.30.0.8/hook")
    settings.CEPTOAR_OUTBOUND_ALLOW = ["10.30.0.0/16", "alerts.intra.example.jp"]
    validate_channel_value(ChannelKind.WEBHOOK, "http://10.30.0.8/hook")
    validate_channel_value(ChannelKind.CHAT, "mmost://alerts.intra.example.jp/abcdefghijkl")
    with pytest.raises(ValidationError):
        validate_channel_value(ChannelKind.WEBHOOK, "http://10.31.0.8/hook")

    contact = contact_of("banks-0001")
    rows = existing_rows(contact) + [{"kind": "webhook", "value": "http://10.30.0.8/hook", "ORDER": 9}]
    response = client_as("demo-member").post(
        edit_url(contact), post_data(fields_of(contact), rows, initial=len(rows) - 1)
    )
    assert response.status_code == 302
    assert contact.channels.filter(kind="webhook", value="http://10.30.0.8/hook").exists()


def test_the_admin_refuses_an_internal_address_on_the_value_field(english, client, demo_user):
    sign_in(client, make_staff_with_every_permission(demo_user("demo-member")))
    channel = contact_of("banks-0001").channels.filter(kind="email").first()
    data = {"contact": channel.contact_id, "kind": "webhook", "value": "http://10.0.0.5/", "position": 1}

    response = client.post(change_url(channel), data)

    assert response.status_code == 200
    errors = response.context["adminform"].form.errors
    assert (
        list(errors) == ["value"]
        and "is not a public internet address (private network)" in errors["value"][0]
    )
    assert ContactChannel.objects.get(pk=channel.pk).value == channel.value
    added = client.post(reverse("admin:registry_contactchannel_add"), data)
    assert added.status_code == 200 and "value" in added.context["adminform"].form.errors
    assert not ContactChannel.objects.filter(value="http://10.0.0.5/").exists()


def test_an_import_with_an_internal_webhook_names_the_record_and_field_and_writes_nothing(english):
    document = {
        "organisations": [{"code": "banks-0001", "name": "変更されてはならない", "kind": "member"}],
        "contacts": [
            {
                "organisation": "banks-0001",
                "name": "受信システム",
                "kind": "role_mailbox",
                "role": "desk_24x7",
                "channels": [
                    {"kind": "email", "value": "desk@banks-0001.example.jp"},
                    {"kind": "webhook", "value": "http://169.254.169.254/latest/"},
                ],
            }
        ],
    }
    before = (ContactChannel.objects.count(), contact_of("banks-0001").organisation.name)

    with pytest.raises(RegistryImportError) as caught:
        import_registry(copy.deepcopy(document))

    problems = [str(problem) for problem in caught.value.problems]
    assert len(problems) == 1
    assert problems[0].startswith(
        'contacts[0] (code=banks-0001) field "channels[1].value": 169.254.169.254 is not'
    )
    assert "(link-local)" in problems[0]
    assert (ContactChannel.objects.count(), contact_of("banks-0001").organisation.name) == before
