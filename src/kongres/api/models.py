"""What the API keeps itself: the answers to creations sent with an ``Idempotency-Key``."""

from __future__ import annotations

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from kongres.accounts.models import ApiToken


class IdempotencyKey(models.Model):
    """One ``Idempotency-Key`` of one token: the hash of the request it came with and, once the
    request has been answered, the answer (status and body), given again to the same request.
    A row without ``status`` is a request still being answered."""

    token = models.ForeignKey(ApiToken, on_delete=models.CASCADE, related_name="+")
    key = models.CharField(_("key"), max_length=255)
    request_hash = models.CharField(_("SHA-256 of the request"), max_length=64)
    status = models.PositiveSmallIntegerField(_("status"), null=True, blank=True)
    body = models.JSONField(_("answer"), default=dict, blank=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now)

    class Meta:
        verbose_name = _("idempotency key")
        verbose_name_plural = _("idempotency keys")
        constraints = [
            models.UniqueConstraint(fields=["token", "key"], name="api_idempotency_key_unique")
        ]
        # the retention's purge (privacy.retention.logs_purge) reads by age
        indexes = [models.Index(fields=["created_at"], name="api_idempotency_created_idx")]

    def __str__(self) -> str:
        return self.key
