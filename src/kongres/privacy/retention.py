"""Retention (review 2026-12, M7): what the periodic purge erases, and a dry run of it.

The worker runs ``tasks.purge_due`` (``settings.KONGRES_PERIODIC_JOBS``). It erases, through
``services.registration_erase`` (idempotent, so two workers may run it at once; the
registration's certificates of attendance lose their name and are revoked with it):

* every registration of an edition whose last day is more than ``purge_after_days``
  (``kongres.toml``, default 365) in the past;
* a registration whose address was never confirmed (often typed by somebody else) once it has
  ended (expired, cancelled, rejected) more than ``purge_unconfirmed_after_days`` (default 30)
  ago, or its hold ran out that long ago.

``purge_report`` is the same selection counted, for the back office's dry run.

``tasks.logs_purge_due`` deletes, through ``logs_purge``, the records of the API and the
webhooks that hold personal data for a while only: the answers kept for an ``Idempotency-Key``
(``api.IdempotencyKey``, a registration's data) after ``api_idempotency_keep_days`` (default 7),
and the webhook deliveries delivered or given up (their payloads) after
``webhook_log_keep_days`` (default 30). Deliveries still waiting or being sent are kept.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone

from kongres.api.models import IdempotencyKey
from kongres.events.models import Edition
from kongres.privacy.services import registration_erase
from kongres.registration.models import ERASED_DOMAIN, FINAL_STATUSES, Registration
from kongres.webhooks.models import WebhookDelivery


@dataclass(frozen=True)
class PurgeReport:
    """What a purge would erase now: registrations of ended editions, never-confirmed ones."""

    ended_editions: int
    unconfirmed: int
    after_days: int
    unconfirmed_after_days: int

    @property
    def total(self) -> int:
        return self.ended_editions + self.unconfirmed


def _not_erased() -> QuerySet[Registration]:
    return Registration.objects.exclude(email__iendswith=f"@{ERASED_DOMAIN}")


def purge_ended(*, today: dt.date | None = None) -> QuerySet[Registration]:
    """The registrations of editions over for more than ``KONGRES_PURGE_AFTER_DAYS``."""
    today = today or timezone.localdate()
    cutoff = today - dt.timedelta(days=settings.KONGRES_PURGE_AFTER_DAYS)
    return _not_erased().filter(edition__end_date__lt=cutoff)


def purge_unconfirmed(*, now: dt.datetime | None = None) -> QuerySet[Registration]:
    """Never-confirmed registrations, ended more than ``KONGRES_PURGE_UNCONFIRMED_AFTER_DAYS``
    ago (their hold, or their end)."""
    now = now or timezone.now()
    cutoff = now - dt.timedelta(days=settings.KONGRES_PURGE_UNCONFIRMED_AFTER_DAYS)
    return _not_erased().filter(
        Q(ended_at__lt=cutoff) | Q(ended_at__isnull=True, hold_expires_at__lt=cutoff),
        verified_at__isnull=True,
        status__in=FINAL_STATUSES,
    )


def purge_report(*, edition: Edition | None = None, now: dt.datetime | None = None) -> PurgeReport:
    """How many registrations (of ``edition``, or all) the next purge would erase."""
    now = now or timezone.now()
    ended = purge_ended(today=timezone.localdate(now))
    unconfirmed = purge_unconfirmed(now=now).exclude(pk__in=ended.values("pk"))
    if edition is not None:
        ended, unconfirmed = ended.filter(edition=edition), unconfirmed.filter(edition=edition)
    return PurgeReport(
        ended_editions=ended.count(),
        unconfirmed=unconfirmed.count(),
        after_days=settings.KONGRES_PURGE_AFTER_DAYS,
        unconfirmed_after_days=settings.KONGRES_PURGE_UNCONFIRMED_AFTER_DAYS,
    )


def purge_run(*, now: dt.datetime | None = None, batch: int = 500) -> int:
    """Erase what ``purge_report`` counts, at most ``batch`` registrations a run (the next run
    goes on); returns how many were erased now."""
    now = now or timezone.now()
    ended = purge_ended(today=timezone.localdate(now)).values_list("pk", flat=True)
    unconfirmed = purge_unconfirmed(now=now).values_list("pk", flat=True)
    pks = sorted({*ended[:batch], *unconfirmed[:batch]})[:batch]
    erased = 0
    for registration in Registration.objects.filter(pk__in=pks).order_by("pk"):
        erased += registration_erase(registration=registration, actor=None, now=now, note="purge")
    return erased


def logs_due(*, now: dt.datetime | None = None) -> dict[str, QuerySet]:
    """The rows ``logs_purge`` deletes now: Idempotency-Key answers older than
    ``KONGRES_API_IDEMPOTENCY_KEEP_DAYS``, finished webhook deliveries older than
    ``KONGRES_WEBHOOK_LOG_KEEP_DAYS``."""
    now = now or timezone.now()
    keys_cutoff = now - dt.timedelta(days=settings.KONGRES_API_IDEMPOTENCY_KEEP_DAYS)
    log_cutoff = now - dt.timedelta(days=settings.KONGRES_WEBHOOK_LOG_KEEP_DAYS)
    finished = [WebhookDelivery.Status.DELIVERED, WebhookDelivery.Status.FAILED]
    return {
        "idempotency_keys": IdempotencyKey.objects.filter(created_at__lt=keys_cutoff),
        "webhook_deliveries": WebhookDelivery.objects.filter(
            created_at__lt=log_cutoff, status__in=finished
        ),
    }


def logs_purge(*, now: dt.datetime | None = None, batch: int = 5000) -> dict[str, int]:
    """Delete what ``logs_due`` selects, at most ``batch`` rows of each a run (the next run goes
    on), each kind in its own short transaction; how many of each were deleted."""
    deleted = {}
    for name, rows in logs_due(now=now).items():
        with transaction.atomic():
            pks = list(rows.order_by("pk").values_list("pk", flat=True)[:batch])
            deleted[name] = rows.model.objects.filter(pk__in=pks).delete()[0] if pks else 0
    return deleted
