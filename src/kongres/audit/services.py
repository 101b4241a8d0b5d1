"""Writing the audit log. ``audit_log`` is the one write function: call it inside the
transaction of the change it records, so that a change and its record stand or fall together."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.base_user import AbstractBaseUser
from django.db import models
from django.utils import timezone

from kongres.audit.models import AuditLogEntry
from kongres.events.models import Edition


def audit_log(
    *,
    actor: AbstractBaseUser | None,
    action: str,
    obj: models.Model | None,
    edition: Edition | None = None,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
    note: str = "",
) -> AuditLogEntry:
    """Record one action: who (None: the participant or the system), what (``action``, such as
    "registration.cancel"), on which object, with the values before and after. Call it inside
    the transaction of the change, so that a change and its record stand or fall together."""
    entry = audit_entry(
        actor=actor, action=action, obj=obj, edition=edition, before=before, after=after, note=note
    )
    entry.save(force_insert=True)
    return entry


def audit_entry(
    *,
    actor: AbstractBaseUser | None,
    action: str,
    obj: models.Model | None,
    edition: Edition | None = None,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
    note: str = "",
) -> AuditLogEntry:
    """The entry ``audit_log`` records, not saved: for a caller that writes it in the same
    statement as its object (a new registration on PostgreSQL, whose id the statement fills
    in as ``object_id``)."""
    if edition is None and obj is not None:
        edition_id = obj.pk if isinstance(obj, Edition) else getattr(obj, "edition_id", None)
    else:
        edition_id = edition.pk if edition is not None else None
    actor = actor if actor is not None and actor.is_authenticated else None
    return AuditLogEntry(
        at=timezone.now(),
        actor=actor,
        actor_label=(actor.get_username() if actor else "")[:254],
        action=action,
        edition_id=edition_id,
        object_type=obj._meta.label_lower if obj is not None else "",
        object_id=str(obj.pk) if obj is not None else "",
        object_label=str(obj)[:300] if obj is not None else "",
        before=before or {},
        after=after or {},
        note=note,
    )
