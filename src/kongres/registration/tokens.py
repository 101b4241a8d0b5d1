"""Secret links: 256 bits, URL-safe, kept in the database only as a SHA-256 hash.

A token is an HMAC (``SECRET_KEY``) of a random salt stored beside its hash: it is not derived
from anything a stranger knows (no id, no address), a leaked database alone gives no working
links, and the registration's live link can be made again for the next mail instead of
minting one more (review 2026-12, L6: one live link per registration). A salt-less row is a
link minted before this scheme (random, not derivable); it works until it is replaced. Rotating
``SECRET_KEY`` makes the stored hashes match no derivable token: the next mail mints a fresh
link, and the links already mailed keep working until replaced.
"""

from __future__ import annotations

import base64
import hashlib
import secrets

from django.utils.crypto import salted_hmac

TOKEN_BYTES = 32  # 256 bits; at least 128 are required
# 32 bytes in URL-safe base64 give 43 characters; anything much longer is not one of ours.
MAX_TOKEN_LENGTH = 64
_PURPOSE = "kongres.registration.link"


def token_salt() -> str:
    return secrets.token_hex(16)


def token_derive(salt: str) -> str:
    """The token of ``salt`` (the same every time, for as long as ``SECRET_KEY`` stays)."""
    digest = salted_hmac(_PURPOSE, salt, algorithm="sha256").digest()
    return base64.urlsafe_b64encode(digest).decode().rstrip("=")


def token_new() -> tuple[str, str, str]:
    """A fresh token, its hash and its salt: ``(token for the link, hash, salt to store)``."""
    salt = token_salt()
    token = token_derive(salt)
    return token, token_hash(token), salt


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def token_looks_valid(token: str) -> bool:
    """Cheap check before any database work: the right length and alphabet."""
    return (
        0 < len(token) <= MAX_TOKEN_LENGTH
        and token.isascii()
        and all(char.isalnum() or char in "-_" for char in token)
    )
