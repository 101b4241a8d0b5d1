"""What the trusted reverse proxies tell the application: the client's address and the scheme.

The configuration key ``trusted_proxies`` (setting ``KONGRES_TRUSTED_PROXIES``) lists the
addresses or networks (CIDR) of the reverse proxies in front of the application, e.g.
``["127.0.0.1", "::1"]`` for nginx on the same machine. Only a request whose peer
(``REMOTE_ADDR``) is one of them has its ``X-Forwarded-For`` and ``X-Forwarded-Proto`` believed;
anyone else could write whatever they like there.

Each proxy appends the address it received the request from to ``X-Forwarded-For``, so the
header is read from the right: the first address that is not a trusted proxy is the client's.
Whatever stands to the left of it came from the client and is ignored.
"""

from __future__ import annotations

import functools
import ipaddress
from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def trusted_networks() -> tuple[Network, ...]:
    return _networks(tuple(getattr(settings, "KONGRES_TRUSTED_PROXIES", ())))


@functools.lru_cache(maxsize=8)
def _networks(items: tuple[str, ...]) -> tuple[Network, ...]:
    return tuple(ipaddress.ip_network(item) for item in items)


def _is_trusted(address: str, networks: tuple[Network, ...]) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    if ip.version == 6 and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return any(ip in network for network in networks)


def from_trusted_proxy(request: HttpRequest) -> bool:
    """Whether the request's peer is one of the trusted reverse proxies."""
    networks = trusted_networks()
    return bool(networks) and _is_trusted(request.META.get("REMOTE_ADDR", ""), networks)


def client_ip(request: HttpRequest) -> str:
    """The client's address: the peer's, or behind trusted proxies the right-most address in
    ``X-Forwarded-For`` that is not a trusted proxy (the left-most when all of them are)."""
    address = request.META.get("REMOTE_ADDR", "") or ""
    networks = trusted_networks()
    if not networks or not _is_trusted(address, networks):
        return address
    forwarded = [part.strip() for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")]
    for hop in reversed(forwarded):
        if not hop:
            break  # a damaged header: stop at the last address a proxy vouched for
        address = hop
        if not _is_trusted(hop, networks):
            break
    return address


class ForwardedProtoMiddleware:
    """Drops ``X-Forwarded-Proto`` from a request that did not come through a trusted proxy, so
    that ``SECURE_PROXY_SSL_HEADER`` (set when there are trusted proxies) cannot be claimed by
    a client that reaches the application directly."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if "HTTP_X_FORWARDED_PROTO" in request.META and not from_trusted_proxy(request):
            del request.META["HTTP_X_FORWARDED_PROTO"]
        return self.get_response(request)
