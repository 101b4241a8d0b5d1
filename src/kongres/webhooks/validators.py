"""Where a webhook may be sent: a public address only (unless the setting allows private ones).

The host is resolved and every address it has is checked (``address_refused``), when the
subscription is made and again at each delivery, which then connects to the address it checked:
a name that resolves to a public address at the first look and to 127.0.0.1 at the second
(DNS rebinding) is refused, not followed.
"""

from __future__ import annotations

import ipaddress
import socket
from urllib.parse import urlsplit

from django.conf import settings
from django.utils.translation import gettext_lazy as _

from kongres.core.exceptions import KongresError


class WebhookError(KongresError):
    """Codes: invalid_url, unresolvable, private_address."""

    code = "webhook"


Address = ipaddress.IPv4Address | ipaddress.IPv6Address


def address_refused(address: Address) -> bool:
    """True for an address on a loopback, private, link-local, reserved or otherwise
    non-public range (an IPv4 address mapped into IPv6 is checked as IPv4)."""
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return (
        address.is_private
        or address.is_loopback
        or address.is_link_local
        or address.is_reserved
        or address.is_multicast
        or address.is_unspecified
        or not address.is_global
    )


def _allow_private() -> bool:
    return bool(getattr(settings, "KONGRES_WEBHOOKS_ALLOW_PRIVATE", False))


def webhook_url_parts(url: str) -> tuple[str, str, int]:
    """The scheme, host and port of ``url``; ``WebhookError`` "invalid_url" when it is not an
    http(s) URL with a host."""
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError as error:
        raise _invalid() from error
    if parts.scheme not in {"http", "https"} or not parts.hostname or parts.username:
        raise _invalid()
    return parts.scheme, parts.hostname, port or (443 if parts.scheme == "https" else 80)


def _invalid() -> WebhookError:
    return WebhookError(
        _("Enter a web address starting with https:// (or http://), with a host name."),
        "invalid_url",
    )


def webhook_url_addresses(url: str) -> list[Address]:
    """The addresses ``url``'s host resolves to, each allowed as a webhook target; else
    ``WebhookError``: "invalid_url", "unresolvable" or "private_address"."""
    _scheme, host, port = webhook_url_parts(url)
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError) as error:
        raise WebhookError(
            _("The host of this address cannot be found (%(host)s).") % {"host": host},
            "unresolvable",
        ) from error
    addresses = list(
        dict.fromkeys(ipaddress.ip_address(info[4][0].split("%")[0]) for info in infos)
    )
    if not addresses:
        raise WebhookError(
            _("The host of this address cannot be found (%(host)s).") % {"host": host},
            "unresolvable",
        )
    if not _allow_private():
        refused = [address for address in addresses if address_refused(address)]
        if refused:
            raise WebhookError(
                _(
                    "This address leads to a local or private network (%(address)s). Webhooks "
                    "are sent only to public Internet addresses."
                )
                % {"address": refused[0]},
                "private_address",
            )
    return addresses
