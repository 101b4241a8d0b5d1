"""The list the check-in page keeps so that it can decide without a network.

For one day (and, at a room's door, one session) the page downloads the valid tickets as
salted hashes of their codes, each with the name the page shows and whether the person was
already let in, signed by the server (Ed25519; the page verifies with the public key it was
served with, ``offline_list_public_key``). Nothing else of a participant leaves the server:
no code (a code has 160 random bits; its hash, salted per list, gives nothing back), no
e-mail, no institution. A scan offline is then: valid, already in (on the list or seen on this
phone), or unknown (forged, revoked, cancelled, another day). The scans are still sent when
the network is back, and the server's answer wins."""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
from dataclasses import dataclass

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from django.utils import timezone
from django.utils.crypto import salted_hmac

LIST_VERSION = 1
HASH_HEX_CHARS = 32  # 128 bits of the SHA-256 of salt ":" code
_KEY_SALT = "kongres.checkin.offline.offline_list_key"


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode("ascii").rstrip("=")


def offline_list_key() -> bytes:
    """The signing seed, derived from SECRET_KEY (a new SECRET_KEY gives a new key; the page
    then downloads the new key with itself)."""
    return salted_hmac(_KEY_SALT, "ed25519", algorithm="sha256").digest()


def _private_key() -> Ed25519PrivateKey:
    return Ed25519PrivateKey.from_private_bytes(offline_list_key())


def offline_list_public_key() -> str:
    """The public key as the page gets it (base64url of the raw 32 bytes)."""
    raw = _private_key().public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
    return _b64(raw)


def code_hash(*, salt: str, code: str) -> str:
    """The list's hash of a normalised ticket code (the page computes the same)."""
    return hashlib.sha256(f"{salt}:{code}".encode()).hexdigest()[:HASH_HEX_CHARS]


@dataclass(frozen=True)
class OfflineEntry:
    code: str
    name: str
    inside: bool


def offline_list_sign(
    *, edition_id: int, day_id: int, session_id: int | None, entries: list[OfflineEntry]
) -> dict:
    """``{"payload": <JSON text>, "signature": <base64url>}``: the page verifies the signature
    over the payload's UTF-8 bytes, then reads it."""
    salt = secrets.token_hex(16)
    rows = sorted(
        [code_hash(salt=salt, code=entry.code), entry.name, int(entry.inside)] for entry in entries
    )
    payload = json.dumps(
        {
            "v": LIST_VERSION,
            "edition": edition_id,
            "day": day_id,
            "session": session_id,
            "at": timezone.now().isoformat(),
            "salt": salt,
            "entries": rows,
        },
        ensure_ascii=False,
        separators=(",", ":"),
    )
    signature = _private_key().sign(payload.encode())
    return {"payload": payload, "signature": _b64(signature)}


def offline_list_verify(*, signed: dict, key: str | None = None) -> dict | None:
    """The payload of a signed list, or None when its signature does not hold (tests, tools)."""
    key = key or offline_list_public_key()
    try:
        raw_key = base64.urlsafe_b64decode(key + "=" * (-len(key) % 4))
        signature = signed["signature"]
        raw_signature = base64.urlsafe_b64decode(signature + "=" * (-len(signature) % 4))
        payload = signed["payload"].encode()
    except (KeyError, TypeError, ValueError, AttributeError):
        return None
    try:
        Ed25519PublicKey.from_public_bytes(raw_key).verify(raw_signature, payload)
    except (InvalidSignature, ValueError):
        return None
    return json.loads(payload)
