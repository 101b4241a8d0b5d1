"""Writes of the back office: the audit log, roles, the edition's back-office settings."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.base_user import AbstractBaseUser
from django.db import IntegrityError, models, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from kongres.core.exceptions import KongresError
from kongres.events.models import Edition
from kongres.orga.models import AuditLogEntry, EditionRole, EditionSettings


class OrgaError(KongresError):
    """Codes: unknown_user, duplicate, last_admin."""

    code = "orga"


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
    """The entry ``audit_log`` records, not saved."""
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


def role_grant(
    *, edition: Edition, email: str, role: str, actor: AbstractBaseUser | None
) -> EditionRole:
    """Give an existing user (found by e-mail address, case ignored) a role in the edition."""
    if role not in EditionRole.Role.values:
        raise OrgaError(_("Choose a role."), "invalid")
    users = list(get_user_model().objects.filter(email__iexact=email.strip(), is_active=True)[:2])
    if len(users) != 1:
        raise OrgaError(
            _("There is no single active account with this e-mail address."), "unknown_user"
        )
    try:
        with transaction.atomic():
            granted = EditionRole.objects.create(
                edition=edition, user=users[0], role=role, created_by=actor
            )
            audit_log(
                actor=actor,
                action="role.grant",
                obj=granted,
                edition=edition,
                after={"user": users[0].get_username(), "role": role},
            )
    except IntegrityError as error:
        raise OrgaError(_("This person has this role already."), "duplicate") from error
    return granted


def role_ensure(
    *, edition: Edition, user: AbstractBaseUser, role: str, actor: AbstractBaseUser | None = None
) -> EditionRole:
    """Make sure ``user`` has ``role`` in the edition (the demo organiser, set-up scripts);
    running it again changes nothing and logs nothing."""
    with transaction.atomic():
        granted, created = EditionRole.objects.get_or_create(edition=edition, user=user, role=role)
        if created:
            audit_log(
                actor=actor,
                action="role.grant",
                obj=granted,
                edition=edition,
                after={"user": user.get_username(), "role": role},
            )
    return granted


def role_revoke(*, role: EditionRole, actor: AbstractBaseUser | None) -> None:
    with transaction.atomic():
        audit_log(
            actor=actor,
            action="role.revoke",
            obj=role,
            edition=role.edition,
            before={"user": role.user.get_username(), "role": role.role},
        )
        role.delete()


def edition_settings_get(*, edition: Edition) -> EditionSettings:
    settings, _created = EditionSettings.objects.get_or_create(edition=edition)
    return settings


def edition_settings_update(
    *, edition: Edition, requires_two_factor: bool, actor: AbstractBaseUser | None
) -> EditionSettings:
    with transaction.atomic():
        settings = edition_settings_get(edition=edition)
        before = {"requires_two_factor": settings.requires_two_factor}
        settings.requires_two_factor = requires_two_factor
        settings.save(update_fields=["requires_two_factor"])
        audit_log(
            actor=actor,
            action="edition.settings",
            obj=edition,
            before=before,
            after={"requires_two_factor": requires_two_factor},
        )
    return settings
