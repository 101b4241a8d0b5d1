"""What erasure also reaches beyond the registration's own rows (review 2026-12, M7): Django's
admin change log, the search words kept with audit entries (an export's ``filters``, a
campaign's ``segment``) and with campaigns, the webhook deliveries about the person, the API's
stored answers to an ``Idempotency-Key`` that created the registration, and the files of the
file mail backend.

A search word is the person's when it is part of their names or address (``kowalska`` of
"Anna Kowalska"): it is replaced by "—", the rest of the filters stays. A file of the file mail
backend holds the messages of one connection (one message, as the worker sends them): a file
that names the person's address is deleted whole (its bodies may be encoded, and attachments
are). Backups are out of reach: ``registration.erase`` entries of the audit log keep the ids,
so that erasures can be applied again after a restore.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

from django.conf import settings
from django.contrib.admin.models import LogEntry
from django.contrib.contenttypes.models import ContentType
from django.core.serializers.json import DjangoJSONEncoder
from django.db.models import Q

from kongres.api.models import IdempotencyKey
from kongres.audit.models import AuditLogEntry
from kongres.campaigns.models import Campaign
from kongres.core.search import fold
from kongres.registration.models import Registration, Ticket
from kongres.webhooks.models import WebhookDelivery

logger = logging.getLogger(__name__)

ERASED_TEXT = "—"
SEARCH_KEYS = ("filters", "segment")
MIN_WORD = 3  # shorter search words identify nobody
FILE_BACKEND = "django.core.mail.backends.filebased.EmailBackend"


def admin_log_erase(*, registration: Registration, own: list[str]) -> int:
    """Django's admin change log: the entries of the registration and its tickets lose their
    label and message; other entries lose the mentions of the person."""
    ids = {
        ContentType.objects.get_for_model(Registration): [str(registration.pk)],
        ContentType.objects.get_for_model(Ticket): [
            str(pk) for pk in Ticket.objects.filter(registration=registration).values_list("pk")
        ],
    }
    mine = Q(pk__in=[])
    for content_type, pks in ids.items():
        mine |= Q(content_type=content_type, object_id__in=pks)
    count = LogEntry.objects.filter(mine).update(object_repr=ERASED_TEXT, change_message="")
    mentions = Q(pk__in=[])
    for value in own:
        mentions |= Q(object_repr__icontains=value) | Q(change_message__icontains=value)
    count += (
        LogEntry.objects.filter(mentions)
        .exclude(mine)
        .update(object_repr=ERASED_TEXT, change_message="")
    )
    return count


def webhook_deliveries_erase(*, registration: Registration) -> int:
    """The webhook deliveries about the registration keep its id and the event only (the
    receiving system has had the rest, its own data to erase); one still waiting (the
    cancellation of the erasure itself) goes out so, marked ``"erased": true``."""
    erased = {"id": registration.pk, "edition": registration.edition.slug, "erased": True}
    deliveries = WebhookDelivery.objects.filter(
        Q(payload__data__id=registration.pk) | Q(payload__data__registration__id=registration.pk),
        subscription__edition_id=registration.edition_id,
    )
    count = 0
    for delivery in deliveries:
        data = delivery.payload.get("data", {})
        delivery.payload["data"] = {"registration": erased} if "registration" in data else erased
        delivery.save(update_fields=["payload"])
        count += 1
    return count


def idempotency_answers_erase(*, registration: Registration, changes: dict[str, Any]) -> int:
    """The API's stored answers about the registration (``api.IdempotencyKey``: the new
    registration, given again to the same request) get the erased values (``changes``, the
    erasure's own), so that a replay answers with the erased registration."""
    count = 0
    for stored in IdempotencyKey.objects.filter(
        token__edition_id=registration.edition_id, body__id=registration.pk, body__has_key="email"
    ):
        erased = {key: value for key, value in changes.items() if key in stored.body}
        # as the API stored it (DjangoJSONEncoder: dates as text)
        stored.body = {**stored.body, **json.loads(json.dumps(erased, cls=DjangoJSONEncoder))}
        stored.save(update_fields=["body"])
        count += 1
    return count


def _words_of(own: list[str]) -> list[str]:
    return [fold(value) for value in own if len(value) > 1]


def _scrub_params(params: Any, own: list[str]) -> Any:
    """A segment (the list's filters: ``{"q": ["words"], ...}``) without the person's words."""
    if not isinstance(params, dict) or "q" not in params:
        return params
    values = params["q"] if isinstance(params["q"], list) else [params["q"]]
    kept = []
    for value in values:
        words = str(value).split()
        clean = [
            ERASED_TEXT
            if len(word) >= MIN_WORD and any(fold(word) in mine for mine in own)
            else word
            for word in words
        ]
        kept.append(" ".join(clean))
    return {**params, "q": kept}


def search_words_erase(*, registration: Registration, own: list[str]) -> None:
    """The person's words in the edition's audit entries (``filters``, ``segment``) and in its
    campaigns' segments."""
    folded = _words_of(own)
    if not folded:
        return
    entries = []
    for entry in AuditLogEntry.objects.filter(edition=registration.edition_id).filter(
        Q(after__has_key="filters") | Q(after__has_key="segment")
    ):
        after = dict(entry.after)
        for key in SEARCH_KEYS:
            if key in after:
                after[key] = _scrub_params(after[key], folded)
        if after != entry.after:
            entry.after = after
            entries.append(entry)
    AuditLogEntry.objects.bulk_update(entries, ["after"], batch_size=200)
    campaigns = []
    for campaign in Campaign.objects.filter(edition=registration.edition_id):
        segment = _scrub_params(campaign.segment, folded)
        if segment != campaign.segment:
            campaign.segment = segment
            campaigns.append(campaign)
    Campaign.objects.bulk_update(campaigns, ["segment"], batch_size=200)


def mail_files_erase(*, email: str) -> int:
    """Delete the file mail backend's files that name ``email``; how many."""
    needle = email.lower().encode()
    deleted = 0
    for mailer in getattr(settings, "MAILERS", {}).values():
        folder = mailer.get("OPTIONS", {}).get("file_path")
        if mailer.get("BACKEND") != FILE_BACKEND or not folder:
            continue
        for path in Path(folder).glob("*.log"):
            try:
                if needle in path.read_bytes().lower():
                    path.unlink()
                    deleted += 1
            except OSError as error:  # a file rotated away meanwhile: not ours to fix
                logger.warning("Mail file %s: %s", path.name, error)
    return deleted
