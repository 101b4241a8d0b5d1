"""``Idempotency-Key``: a creation sent again with the same key (by the same token) gets the
first answer; the same key with another request is refused (422); a key whose first request
is still being answered is 409. A failed request frees its key (a corrected request may use
it). The rows are purged after ``KONGRES_API_IDEMPOTENCY_KEEP_DAYS`` (``privacy.retention``)."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable

from django.core.serializers.json import DjangoJSONEncoder
from django.db import IntegrityError, transaction
from django.utils.translation import gettext_lazy as _
from ninja import Schema, Status

from kongres.accounts.models import ApiToken
from kongres.api.errors import ApiError
from kongres.api.models import IdempotencyKey


def request_hash(body: Schema) -> str:
    text = json.dumps(body.model_dump(), sort_keys=True, cls=DjangoJSONEncoder)
    return hashlib.sha256(text.encode()).hexdigest()


def idempotency_claim(
    *, token: ApiToken, key: str, digest: str
) -> tuple[IdempotencyKey | None, IdempotencyKey | None]:
    """(the stored answer, None) for a key answered before; (None, the new row) otherwise."""
    try:
        with transaction.atomic():
            return None, IdempotencyKey.objects.create(token=token, key=key, request_hash=digest)
        # a key seen before: the same request gets the same answer
    except IntegrityError:
        stored = IdempotencyKey.objects.get(token=token, key=key)
    if stored.request_hash != digest:
        raise ApiError(
            422,
            _("This Idempotency-Key was used with another request."),
            "idempotency_mismatch",
        )
    if stored.status is None:
        raise ApiError(
            409,
            _("A request with this Idempotency-Key is still running."),
            "idempotency_in_progress",
        )
    return stored, None


def idempotent(
    *, token: ApiToken, key: str | None, body: Schema, answer: Callable[[], tuple[int, dict]]
) -> Status:
    """``answer()`` (its status and JSON body) once per ``key``; without a key, every time."""
    if not key:
        return Status(*answer())
    stored, claim = idempotency_claim(token=token, key=key, digest=request_hash(body))
    if stored is not None:
        return Status(stored.status, stored.body)
    try:
        status, data = answer()
    except Exception:
        claim.delete()  # the key may be used again for a corrected request
        raise
    data = json.loads(json.dumps(data, cls=DjangoJSONEncoder))
    claim.status, claim.body = status, data
    claim.save(update_fields=["status", "body"])
    return Status(status, data)
