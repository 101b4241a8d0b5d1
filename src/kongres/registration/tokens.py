"""Secret links: 256 random bits, URL-safe, kept in the database only as a SHA-256 hash.

A token is not derived from anything (no id, no address, no secret key): whoever holds the link
may manage the registration, and a leaked database gives no working links.
"""

from __future__ import annotations

import hashlib
import secrets

TOKEN_BYTES = 32  # 256 bits; at least 128 are required
# token_urlsafe(32) gives 43 characters; anything much longer is not one of ours.
MAX_TOKEN_LENGTH = 64


def token_new() -> tuple[str, str]:
    """A fresh token and its hash: ``(token for the link, hash to store)``."""
    token = secrets.token_urlsafe(TOKEN_BYTES)
    return token, token_hash(token)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def token_looks_valid(token: str) -> bool:
    """Cheap check before any database work: the right length and alphabet."""
    return (
        0 < len(token) <= MAX_TOKEN_LENGTH
        and token.isascii()
        and all(char.isalnum() or char in "-_" for char in token)
    )
