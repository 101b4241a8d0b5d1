"""Organiser accounts made from the command line: the site's superusers (the Django admin is
theirs alone, ``admin_site.py``) and the demo organiser. Everyone else who works on an edition
(administrators, registration managers, editors, check-in staff) is invited by an
administrator of that edition in the back office (``invitations.py``) and holds roles there,
never admin rights.

The group "Organisers" once gave every organiser the admin on the content, registrations and
tickets of every edition (security review 2026-12, H1); its permissions were taken away by the
migration ``0002_organisers_lose_admin_permissions``."""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass
from pathlib import Path

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractUser
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.utils.translation import gettext_lazy as _

from kongres.core.exceptions import KongresError

ORGANISERS_GROUP = "Organisers"
DEMO_ORGANISER_EMAIL = "organizator@example.org"
DEMO_ORGANISER_FILE = "demo-organiser.txt"


class OrganiserError(KongresError):
    code = "organiser"


@transaction.atomic
def organiser_create(*, email: str, password: str, superuser: bool = False) -> AbstractUser:
    """An account named by its e-mail address: a superuser (staff, for the admin) with
    ``superuser``; otherwise an account of the back office, with no role until an edition's
    administrator grants one, and no access to the admin."""
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
    return user_model.objects.create_user(
        username=email,
        email=email,
        password=password,
        is_staff=superuser,
        is_superuser=superuser,
    )


@dataclass(frozen=True)
class DemoOrganiser:
    user: AbstractUser
    password: str
    changed: bool


@transaction.atomic
def demo_organiser_ensure(*, data_dir: Path) -> DemoOrganiser:
    """The demo organiser ``organizator@example.org``, a superuser of the demo site (the first
    organiser: it may use the admin and invite the others). Its password is generated once and
    kept in ``data_dir/demo-organiser.txt`` (mode 0600), so that running this again gives the
    same login and changes nothing."""
    path = data_dir / DEMO_ORGANISER_FILE
    password = _demo_password_read(path) or _demo_password_write(path)
    user_model = get_user_model()
    user = user_model.objects.filter(username=DEMO_ORGANISER_EMAIL).first()
    if user is None:
        user = organiser_create(email=DEMO_ORGANISER_EMAIL, password=password, superuser=True)
        return DemoOrganiser(user=user, password=password, changed=True)
    changed = False
    if not user.check_password(password):
        user.set_password(password)
        changed = True
    if not (user.is_staff and user.is_active and user.is_superuser):
        user.is_staff = user.is_active = user.is_superuser = True
        changed = True
    if changed:
        user.save()
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
