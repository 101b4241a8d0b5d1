"""Changes of roles, of an edition's access settings and of an account's second factor (an
authenticator app, its recovery codes), each recorded in the audit log in the same
transaction."""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets

from django.contrib.auth import get_user_model
from django.contrib.auth.base_user import AbstractBaseUser
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_otp import devices_for_user, match_token
from django_otp.models import Device
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken

from kongres.accounts.models import ApiToken, EditionRole, EditionSettings
from kongres.audit.services import audit_log
from kongres.core.exceptions import KongresError
from kongres.events.models import Edition


class AccountsError(KongresError):
    """Codes: invalid, invalid_expiry, unknown_user, duplicate."""

    code = "accounts"


def role_grant(
    *, edition: Edition, email: str, role: str, actor: AbstractBaseUser | None
) -> EditionRole:
    """Give an existing user (found by e-mail address, case ignored) a role in the edition."""
    if role not in EditionRole.Role.values:
        raise AccountsError(_("Choose a role."), "invalid")
    users = list(get_user_model().objects.filter(email__iexact=email.strip(), is_active=True)[:2])
    if len(users) != 1:
        raise AccountsError(
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
        raise AccountsError(_("This person has this role already."), "duplicate") from error
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


RECOVERY_CODES = 10


def two_factor_enrol(*, device: Device, actor: AbstractBaseUser) -> list[str]:
    """The authenticator app a user has just proved to hold (a right code) becomes their
    second factor, with ``RECOVERY_CODES`` new recovery codes, returned to be shown once."""
    with transaction.atomic():
        device.confirmed = True
        device.save(update_fields=["confirmed"])
        audit_log(actor=actor, action="account.two_factor.enrol", obj=device.user)
        return recovery_codes_generate(user=device.user, actor=actor)


def recovery_codes_generate(*, user: AbstractBaseUser, actor: AbstractBaseUser) -> list[str]:
    """New single-use recovery codes for ``user`` in place of the old ones (``abcd-efgh``; the
    code page accepts them in any case, with or without the dash)."""
    with transaction.atomic():
        device, _created = StaticDevice.objects.get_or_create(
            user=user, name="recovery", defaults={"confirmed": True}
        )
        device.token_set.all().delete()
        tokens = [StaticToken.random_token() for _ in range(RECOVERY_CODES)]
        StaticToken.objects.bulk_create(StaticToken(device=device, token=t) for t in tokens)
        audit_log(
            actor=actor,
            action="account.recovery_codes.generate",
            obj=user,
            after={"count": RECOVERY_CODES},
        )
    return [f"{token[:4]}-{token[4:]}" for token in tokens]


def two_factor_remove(*, user: AbstractBaseUser, actor: AbstractBaseUser | None) -> None:
    """Remove every second factor of ``user`` (the app and the recovery codes). Where two
    factors are required, the account is asked to set up a new app at its next page."""
    with transaction.atomic():
        for device in devices_for_user(user, confirmed=None):
            device.delete()
        audit_log(actor=actor, action="account.two_factor.remove", obj=user)


def token_normalise(token: str) -> str:
    """A code as typed (``123 456``, ``ABCD-EFGH``) as the devices store it."""
    return "".join(token.split()).replace("-", "").lower()


def two_factor_verify(*, user: AbstractBaseUser, token: str) -> Device | None:
    """The device of ``user`` that accepts ``token`` (a code of the app, or a recovery code,
    which is used up), else None. A recovery code used is recorded in the audit log."""
    with transaction.atomic():
        device = match_token(user, token_normalise(token))
        if isinstance(device, StaticDevice):
            audit_log(
                actor=user,
                action="account.recovery_code.use",
                obj=user,
                after={"remaining": device.token_set.count()},
            )
    return device


API_TOKEN_PREFIX = "kgr_"  # noqa: S105 -- marks a key as ours, no secret


def api_token_hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def api_token_create(
    *,
    edition: Edition,
    name: str,
    scopes: list[str],
    expires_at: dt.datetime | None = None,
    actor: AbstractBaseUser | None,
) -> tuple[ApiToken, str]:
    """A new API token; return it and its secret (shown once: only its hash is kept)."""
    name = name.strip()
    if not name or not scopes or not set(scopes) <= set(ApiToken.Scope.values):
        raise AccountsError(_("Give the token a name and at least one scope."), "invalid")
    if expires_at is not None and expires_at <= timezone.now():
        raise AccountsError(_("The expiry date must be in the future."), "invalid_expiry")
    secret = API_TOKEN_PREFIX + secrets.token_urlsafe(32)
    with transaction.atomic():
        token = ApiToken.objects.create(
            edition=edition,
            name=name,
            scopes=sorted(set(scopes)),
            prefix=secret[:10],
            secret_hash=api_token_hash(secret),
            expires_at=expires_at,
            created_by=actor,
        )
        audit_log(
            actor=actor,
            action="api_token.create",
            obj=token,
            edition=edition,
            after={"name": name, "scopes": token.scopes, "expires_at": expires_at},
        )
    return token, secret


def api_token_revoke(*, token: ApiToken, actor: AbstractBaseUser | None) -> None:
    now = timezone.now()
    with transaction.atomic():
        if not ApiToken.objects.filter(pk=token.pk, revoked_at__isnull=True).update(revoked_at=now):
            return
        token.revoked_at = now
        audit_log(actor=actor, action="api_token.revoke", obj=token, edition=token.edition)


def api_token_authenticate(*, secret: str, now: dt.datetime | None = None) -> ApiToken | None:
    """The usable token whose secret is ``secret``, else None: read from the database each
    time (a token revoked or expired is refused at once). Marks it used (at most once a
    minute, to spare a write per request)."""
    if not secret.startswith(API_TOKEN_PREFIX) or len(secret) > 100:
        return None
    now = now or timezone.now()
    try:
        token = ApiToken.objects.get(secret_hash=api_token_hash(secret))
    except ApiToken.DoesNotExist:
        return None
    if not token.is_usable(now):
        return None
    if token.last_used_at is None or now - token.last_used_at > dt.timedelta(minutes=1):
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
        token.last_used_at = now
    return token
