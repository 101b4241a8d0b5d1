"""Secrets in mails are not kept once the mail is sent (review 2026-12, M3).

A caller of ``mail_queue`` names the secrets its mail carries (a registration's link token,
say); the outbox row keeps only their SHA-256 hashes (``OutboxMessage.redact``), and once the
mail server has accepted the message the worker replaces every word of the subject and the
bodies whose hash is one of them with ``PLACEHOLDER``. The mail app so needs to know nothing
about what the secrets open, and a row never holds a secret in clear after its delivery (until
then it must: the message is sent from the row). Redacting after delivery was chosen over
storing what is needed to render the mail again at sending time: it is one function here and
one argument for the callers, while rendering late would move every mail's context (and its
translation and time zone) into the worker. Exports read bodies through ``redacted`` too,
which also blanks the secrets of messages not sent yet.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable

PLACEHOLDER = "[…]"
# Secrets are URL-safe words (a token is 43 characters); shorter words are never hashed.
_WORD = re.compile(r"[A-Za-z0-9_-]{20,}")


def secret_hashes(secrets: Iterable[str]) -> list[str]:
    return sorted({hashlib.sha256(secret.encode()).hexdigest() for secret in secrets if secret})


def redacted(text: str, hashes: Iterable[str]) -> str:
    """``text`` with every word whose SHA-256 is one of ``hashes`` replaced by the placeholder."""
    wanted = set(hashes)
    if not wanted or not text:
        return text

    def replace(match: re.Match) -> str:
        word = match.group(0)
        return PLACEHOLDER if hashlib.sha256(word.encode()).hexdigest() in wanted else word

    return _WORD.sub(replace, text)
