"""Webhook targets: public addresses only, unless KONGRES_WEBHOOKS_ALLOW_PRIVATE."""

from __future__ import annotations

import ipaddress

import pytest
from django.utils import translation

from kongres.webhooks.models import WebhookSubscription
from kongres.webhooks.services import webhook_subscription_create
from kongres.webhooks.validators import WebhookError, address_refused, webhook_url_addresses

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:8000/hooks",
        "http://localhost/hooks",
        "https://10.1.2.3/",
        "https://172.16.0.1/",
        "https://192.168.1.10/",
        "http://169.254.169.254/latest/meta-data/",  # a cloud's metadata service
        "http://[::1]/",
        "http://[fd00::1]/",
        "http://[fe80::1]/",
        "http://[::ffff:127.0.0.1]/",
        "http://0.0.0.0/",
        "http://100.64.0.1/",  # carrier-grade NAT
        "http://240.0.0.1/",  # reserved
    ],
)
def test_private_loopback_link_local_and_reserved_targets_are_refused(edition, url, settings):
    settings.KONGRES_WEBHOOKS_ALLOW_PRIVATE = False
    with pytest.raises(WebhookError) as refused:
        webhook_subscription_create(
            edition=edition, url=url, events=["checkin.accepted"], actor=None
        )
    assert refused.value.code == "private_address"
    assert not WebhookSubscription.objects.exists()


def test_refusal_message_in_polish_and_english(settings):
    settings.KONGRES_WEBHOOKS_ALLOW_PRIVATE = False
    with translation.override("pl"), pytest.raises(WebhookError) as polish:
        webhook_url_addresses("http://127.0.0.1/")
    assert str(polish.value.message) == (
        "Ten adres prowadzi do sieci lokalnej lub prywatnej (127.0.0.1). Webhooki wysyłamy "
        "tylko na publiczne adresy w internecie."
    )
    with translation.override("en"), pytest.raises(WebhookError) as english:
        webhook_url_addresses("http://127.0.0.1/")
    assert str(english.value.message) == (
        "This address leads to a local or private network (127.0.0.1). Webhooks are sent "
        "only to public Internet addresses."
    )


def test_the_setting_allows_private_targets(edition, settings):
    settings.KONGRES_WEBHOOKS_ALLOW_PRIVATE = True
    subscription = webhook_subscription_create(
        edition=edition, url=" http://127.0.0.1:9/hooks ", events=["checkin.accepted"], actor=None
    )
    assert subscription.url == "http://127.0.0.1:9/hooks"
    assert subscription.secret.startswith("whsec_") and len(subscription.secret) > 40


@pytest.mark.parametrize(
    "url", ["ftp://example.org/", "example.org/hooks", "https://", "http://user:pw@example.org/"]
)
def test_not_a_web_address_is_refused(url):
    with pytest.raises(WebhookError) as refused:
        webhook_url_addresses(url)
    assert refused.value.code == "invalid_url"


def test_public_addresses_pass():
    assert webhook_url_addresses("https://93.184.215.14/hooks") == [
        ipaddress.ip_address("93.184.215.14")
    ]
    assert not address_refused(ipaddress.ip_address("2a00:1450:4001:82a::200e"))


def test_unresolvable_host_is_refused():
    with pytest.raises(WebhookError) as refused:
        webhook_url_addresses("https://nie-ma-takiego-hosta.invalid/hooks")
    assert refused.value.code == "unresolvable"
