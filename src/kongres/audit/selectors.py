"""Reads of the audit log."""

from __future__ import annotations

from django.db import models
from django.db.models import Q, QuerySet

from kongres.audit.models import AuditLogEntry


def audit_history(*, obj: models.Model) -> QuerySet[AuditLogEntry]:
    """The audit log entries of one object, oldest first."""
    return (
        AuditLogEntry.objects.filter(object_type=obj._meta.label_lower, object_id=str(obj.pk))
        .select_related("actor")
        .order_by("at", "pk")
    )


def audit_log_search(
    *, entries: QuerySet[AuditLogEntry], query: str = "", action: str = ""
) -> QuerySet[AuditLogEntry]:
    """Entries whose actor, action, object or note contain every word of ``query``."""
    for word in query.split():
        entries = entries.filter(
            Q(actor_label__icontains=word)
            | Q(action__icontains=word)
            | Q(object_label__icontains=word)
            | Q(note__icontains=word)
        )
    if action:
        entries = entries.filter(action=action)
    return entries.order_by("-at", "-pk")


def audit_log_actions(*, entries: QuerySet[AuditLogEntry]) -> list[str]:
    return list(entries.order_by("action").values_list("action", flat=True).distinct())
