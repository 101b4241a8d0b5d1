"""The client's address and the scheme behind trusted reverse proxies (kongres.core.proxy)."""

import pytest
from django.test import RequestFactory

from kongres.core.proxy import ForwardedProtoMiddleware, client_ip


def _request(remote: str, forwarded: str | None = None, **extra):
    if forwarded is not None:
        extra["HTTP_X_FORWARDED_FOR"] = forwarded
    return RequestFactory().get("/", REMOTE_ADDR=remote, **extra)


def test_without_trusted_proxies_the_peer_is_the_client(settings):
    settings.KONGRES_TRUSTED_PROXIES = []
    assert client_ip(_request("203.0.113.7", "6.6.6.6")) == "203.0.113.7"


def test_forwarded_for_from_a_direct_client_is_ignored(settings):
    settings.KONGRES_TRUSTED_PROXIES = ["127.0.0.1"]
    assert client_ip(_request("203.0.113.7", "6.6.6.6, 10.0.0.1")) == "203.0.113.7"


@pytest.mark.parametrize(
    ("proxies", "remote", "forwarded", "client"),
    [
        # nginx on the same machine appended the client's address
        (["127.0.0.1"], "127.0.0.1", "203.0.113.7", "203.0.113.7"),
        # the client sent its own X-Forwarded-For first: the right-most untrusted address wins
        (["127.0.0.1"], "127.0.0.1", "6.6.6.6, 203.0.113.7", "203.0.113.7"),
        # two proxies in a network: both skipped
        (["10.0.0.0/8", "::1"], "10.0.0.2", "6.6.6.6, 203.0.113.7, 10.0.0.9", "203.0.113.7"),
        # a client spoofing a trusted address to the left of its own gains nothing
        (["10.0.0.0/8"], "10.0.0.2", "10.0.0.5, 203.0.113.7", "203.0.113.7"),
        # IPv6 peer, IPv4-mapped proxy address
        (["127.0.0.1"], "::ffff:127.0.0.1", "2001:db8::1", "2001:db8::1"),
        # nothing forwarded: the proxy itself
        (["127.0.0.1"], "127.0.0.1", "", "127.0.0.1"),
        # all trusted: the left-most, the farthest any proxy saw
        (["10.0.0.0/8"], "10.0.0.2", "10.0.0.7, 10.0.0.3", "10.0.0.7"),
        # a damaged header: the last address a proxy vouched for
        (["10.0.0.0/8"], "10.0.0.2", "203.0.113.7, , 10.0.0.3", "10.0.0.3"),
    ],
)
def test_behind_trusted_proxies(settings, proxies, remote, forwarded, client):
    settings.KONGRES_TRUSTED_PROXIES = proxies
    assert client_ip(_request(remote, forwarded)) == client


def _scheme_seen(settings, remote: str) -> tuple[bool, bool]:
    seen = {}

    def view(request):
        seen["secure"] = request.is_secure()
        seen["header"] = "HTTP_X_FORWARDED_PROTO" in request.META
        return None

    ForwardedProtoMiddleware(view)(_request(remote, HTTP_X_FORWARDED_PROTO="https"))
    return seen["secure"], seen["header"]


def test_forwarded_proto_is_believed_from_a_trusted_proxy(settings):
    settings.KONGRES_TRUSTED_PROXIES = ["127.0.0.1"]
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    assert _scheme_seen(settings, "127.0.0.1") == (True, True)


def test_forwarded_proto_from_anyone_else_is_dropped(settings):
    settings.KONGRES_TRUSTED_PROXIES = ["127.0.0.1"]
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    assert _scheme_seen(settings, "203.0.113.7") == (False, False)
