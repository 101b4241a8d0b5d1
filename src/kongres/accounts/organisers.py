"""Organiser accounts: staff users in the "Organisers" group, which may add, change, delete and
view the congress content (the models of ``events`` and ``content``) in the admin, and handle
registrations and check-in there: see and change registrations (the actions: approve, cancel,
offer, resend), edit the organisers' questions, see tickets (re-issue, badges) and scans, and
set up the gates. Registrations are never added or deleted in the admin (the services do)."""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass
from pathlib import Path

from django.apps import apps
from django.contrib.auth import get_user_model
from django.contrib.auth.management import create_permissions
from django.contrib.auth.models import AbstractUser, Group, Permission
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from kongres.core.exceptions import KongresError

ORGANISERS_GROUP = "Organisers"
ORGANISER_APPS = ("events", "content")
# Permissions on models of other apps, by app: codenames.
ORGANISER_PERMISSIONS = {
    "registration": (
        "view_registration",
        "change_registration",
        "view_question",
        "add_question",
        "change_question",
        "delete_question",
        "view_ticket",
        "change_ticket",
    ),
    "checkin": (
        "view_checkin",
        "view_gate",
        "add_gate",
        "change_gate",
        "delete_gate",
    ),
}
DEMO_ORGANISER_EMAIL = "organizator@example.org"
DEMO_ORGANISER_FILE = "demo-organiser.txt"


class OrganiserError(KongresError):
    code = "organiser"


def organisers_group_ensure() -> Group:
    """The "Organisers" group with every permission on the congress content and those of
    ``ORGANISER_PERMISSIONS`` (idempotent; adds what is missing to an existing group)."""
    for label in (*ORGANISER_APPS, *ORGANISER_PERMISSIONS):
        create_permissions(apps.get_app_config(label), verbosity=0)
    group, _created = Group.objects.get_or_create(name=ORGANISERS_GROUP)
    granted = Q(content_type__app_label__in=ORGANISER_APPS)
    for label, codenames in ORGANISER_PERMISSIONS.items():
        granted |= Q(content_type__app_label=label, codename__in=codenames)
    wanted = set(Permission.objects.filter(granted).values_list("pk", flat=True))
    missing = wanted - set(group.permissions.values_list("pk", flat=True))
    if missing:
        group.permissions.add(*missing)
    return group


@transaction.atomic
def organiser_create(*, email: str, password: str, superuser: bool = False) -> AbstractUser:
    """A staff account, named by its e-mail address, in the "Organisers" group."""
    user_model = get_user_model()
    email = user_model.objects.normalize_email(email.strip())
    try:
        validate_email(email)
    except ValidationError as error:
        raise OrganiserError(_("Enter a valid e-mail address."), "invalid_email") from error
    if user_model.objects.filter(username__iexact=email).exists():
        raise OrganiserError(
            _("An account with this e-mail address already exists."), "already_exists"
        )
    try:
        validate_password(password, user=user_model(username=email, email=email))
    except ValidationError as error:
        raise OrganiserError(" ".join(error.messages), "weak_password") from error
    user = user_model.objects.create_user(
        username=email,
        email=email,
        password=password,
        is_staff=True,
        is_superuser=superuser,
    )
    user.groups.add(organisers_group_ensure())
    return user


@dataclass(frozen=True)
class DemoOrganiser:
    user: AbstractUser
    password: str
    changed: bool


@transaction.atomic
def demo_organiser_ensure(*, data_dir: Path) -> DemoOrganiser:
    """The demo organiser ``organizator@example.org``. Its password is generated once and kept
    in ``data_dir/demo-organiser.txt`` (mode 0600), so that running this again gives the same
    login and changes nothing."""
    path = data_dir / DEMO_ORGANISER_FILE
    password = _demo_password_read(path) or _demo_password_write(path)
    user_model = get_user_model()
    user = user_model.objects.filter(username=DEMO_ORGANISER_EMAIL).first()
    if user is None:
        user = organiser_create(email=DEMO_ORGANISER_EMAIL, password=password)
        return DemoOrganiser(user=user, password=password, changed=True)
    changed = False
    if not user.check_password(password):
        user.set_password(password)
        changed = True
    if not (user.is_staff and user.is_active):
        user.is_staff = user.is_active = True
        changed = True
    if changed:
        user.save()
    group = organisers_group_ensure()
    if not user.groups.filter(pk=group.pk).exists():
        user.groups.add(group)
        changed = True
    return DemoOrganiser(user=user, password=password, changed=changed)


def _demo_password_read(path: Path) -> str | None:
    if not path.is_file():
        return None
    lines = path.read_text().splitlines()
    return lines[1].strip() if len(lines) > 1 and lines[1].strip() else None


def _demo_password_write(path: Path) -> str:
    password = secrets.token_urlsafe(12)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.unlink(missing_ok=True)  # an unreadable leftover
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(f"{DEMO_ORGANISER_EMAIL}\n{password}\n")
    return password
