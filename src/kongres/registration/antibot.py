"""Checks against bots on the registration form: the one-time form token and the proof of work.

* **Form token.** The page carries a signed token: the time the form was opened and a random
  nonce. A token is accepted once: its nonce is stored as used in the shared cache for the
  token's lifetime (``cache.add``, atomic in Redis and in the database cache), so replaying a
  sent form fails, on every app server. The page shown again after an error carries a new
  token with the same start time, so that a person who mistyped need not wait again.
* **Proof of work.** Past a soft limit per address (``register-ip-soft`` in
  ``kongres.core.ratelimit``, of the forms opened and of the forms sent), the form asks the
  browser to solve an ALTCHA challenge (the widget is served from our own static files,
  ``registration/vendor/altcha``). A form opened past the limit carries the widget from the
  start; a form sent past it without a solved challenge comes back with the widget. The
  challenge is signed with a key derived from ``SECRET_KEY`` and verified here with the
  ``altcha`` package; a solved challenge is accepted once, like the token. People behind one
  address (an office, a ministry's NAT) are never refused for sharing it: they solve a puzzle
  that takes a browser about a second. The hard limit (``register-ip``) stays for floods.

Settings (optional, read on each call):

``KONGRES_REGISTRATION_FORM_TOKEN_SECONDS`` how long a form token (and a challenge) is valid,
                                            3 hours
``KONGRES_REGISTRATION_FORM_TOKEN_ONCE``    a token is accepted once (on; the benchmark's
                                            load generator, which sends one form many times,
                                            turns it off and says so)
``KONGRES_REGISTRATION_POW_COST``           PBKDF2 iterations per attempt, 1000
``KONGRES_REGISTRATION_POW_MAX_NUMBER``     attempts needed at most (on average half), 1000
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import secrets
from dataclasses import dataclass

import altcha
from django.conf import settings
from django.core import signing
from django.core.cache import cache
from django.utils.crypto import salted_hmac

FORM_SALT = "kongres.registration.form-token"
FORM_KEY_PREFIX = "kongres:form-token"
POW_KEY_PREFIX = "kongres:pow"
POW_ALGORITHM = "PBKDF2/SHA-256"
DEFAULT_TOKEN_SECONDS = 3 * 3600
DEFAULT_POW_COST = 1000
DEFAULT_POW_MAX_NUMBER = 1000


def token_seconds() -> int:
    return int(getattr(settings, "KONGRES_REGISTRATION_FORM_TOKEN_SECONDS", DEFAULT_TOKEN_SECONDS))


@dataclass(frozen=True)
class FormToken:
    started: float
    nonce: str


def form_token_new(*, started: float) -> str:
    """A new token for a form opened at ``started`` (a Unix time)."""
    return signing.dumps(
        {"t": round(started, 3), "n": secrets.token_urlsafe(12)}, salt=FORM_SALT, compress=False
    )


def form_token_read(raw: str) -> FormToken | None:
    """The token's content if it is genuine and not older than its lifetime, else None."""
    try:
        value = signing.loads(raw, salt=FORM_SALT, max_age=token_seconds())
        return FormToken(started=float(value["t"]), nonce=str(value["n"]))
    except (signing.BadSignature, TypeError, ValueError, KeyError):
        return None


def form_token_once() -> bool:
    """Whether a token is accepted once (the setting; on unless turned off)."""
    return bool(getattr(settings, "KONGRES_REGISTRATION_FORM_TOKEN_ONCE", True))


def form_token_add(token: FormToken) -> tuple[str, int, int]:
    """The ``add`` (key, value, timeout) that marks the token as used in the shared cache: it
    is added only the first time (``form_token_use``, or the view's round trip that also
    counts the rate limits)."""
    key = f"{FORM_KEY_PREFIX}:{hashlib.sha256(token.nonce.encode()).hexdigest()[:32]}"
    return key, 1, token_seconds() + 60


def form_token_use(token: FormToken) -> bool:
    """Mark the token as used; False when it was used before (a replay)."""
    if not form_token_once():
        return True
    return bool(cache.add(*form_token_add(token)))


def _secret(purpose: str) -> str:
    return salted_hmac("kongres.registration.altcha", purpose, algorithm="sha256").hexdigest()


def pow_challenge(*, now: dt.datetime | None = None) -> str:
    """A new signed challenge, as the JSON the ALTCHA widget's ``challenge`` attribute takes."""
    now = now or dt.datetime.now(dt.UTC)
    max_number = int(getattr(settings, "KONGRES_REGISTRATION_POW_MAX_NUMBER", 0) or 0)
    challenge = altcha.create_challenge(
        algorithm=POW_ALGORITHM,
        cost=int(getattr(settings, "KONGRES_REGISTRATION_POW_COST", DEFAULT_POW_COST)),
        counter=secrets.randbelow(max_number or DEFAULT_POW_MAX_NUMBER) + 1,
        expires_at=now + dt.timedelta(seconds=token_seconds()),
        hmac_secret=_secret("challenge"),
        hmac_key_secret=_secret("key"),
    )
    return json.dumps(challenge.to_dict(), separators=(",", ":"))


def pow_verify(payload: str) -> bool:
    """Whether ``payload`` (what the widget sends, base64) solves one of our challenges not
    used before; the challenge is then used."""
    if not payload or len(payload) > 4000:
        return False
    try:
        result = altcha.verify_solution(
            payload, _secret("challenge"), hmac_key_secret=_secret("key")
        )
    except (ValueError, TypeError, KeyError):
        return False
    if not result.verified:
        return False
    try:
        signature = altcha.Payload.from_base64(payload).challenge.signature or ""
    except (ValueError, TypeError, KeyError):
        return False
    key = f"{POW_KEY_PREFIX}:{hashlib.sha256(signature.encode()).hexdigest()[:32]}"
    return bool(cache.add(key, 1, timeout=token_seconds() + 60))


def pow_solve(challenge_json: str) -> str:
    """Solve a challenge as the browser does; for tests and the benchmark's clients."""
    challenge = altcha.Challenge.from_dict(json.loads(challenge_json))
    solution = altcha.solve_challenge(challenge)
    if solution is None:
        raise ValueError("challenge not solved in time")
    return altcha.Payload(challenge, solution).to_base64()
