"""Invitations: how the staff of an edition get their accounts (security review 2026-12, H1).

An administrator of the edition invites an e-mail address to a role (``invitation_create``);
the mail with the link is queued in the same transaction (the outbox, transactional
priority). The link opens a page where the invitee sets a password (a new account, which is
never staff nor superuser: the admin is not theirs) or, with an account of that address
already, accepts it signed in. The token is used once, expires after
``INVITATION_VALID_DAYS`` days and can be revoked. Only its SHA-256 is stored, and the mail
kept in the outbox loses it once sent (``mail.redaction``). Every step is in the audit log.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _

from kongres.accounts.models import EditionRole, Invitation
from kongres.accounts.services import AccountsError
from kongres.audit.services import audit_log
from kongres.events.models import Edition
from kongres.mail.services import mail_queue

INVITATION_VALID_DAYS = 7


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _accept_url(token: str, language: str) -> str:
    with translation.override(language):
        return settings.SITE_URL + reverse("orga:invitation-accept", kwargs={"token": token})


def _active_account(email: str):
    return get_user_model().objects.filter(email__iexact=email, is_active=True).first()


def invitation_create(
    *, edition: Edition, email: str, role: str, actor: AbstractBaseUser, language: str
) -> Invitation:
    """Invite ``email`` to ``role`` in ``edition`` and queue the mail with the link. An earlier
    pending invitation of the same address to the same role is revoked (the new link
    replaces it)."""
    email = get_user_model().objects.normalize_email(email.strip())
    try:
        validate_email(email)
    except ValidationError as error:
        raise AccountsError(_("Enter a valid e-mail address."), "invalid_email") from error
    if role not in EditionRole.Role.values:
        raise AccountsError(_("Choose a role."), "invalid")
    if EditionRole.objects.filter(edition=edition, role=role, user__email__iexact=email).exists():
        raise AccountsError(_("This person has this role already."), "duplicate")
    token = secrets.token_urlsafe(32)
    now = timezone.now()
    with transaction.atomic():
        for earlier in Invitation.objects.select_for_update().filter(
            edition=edition,
            role=role,
            email__iexact=email,
            accepted_at=None,
            revoked_at=None,
            expires_at__gt=now,
        ):
            _revoke(earlier, actor=actor, note="replaced by a new invitation")
        invitation = Invitation.objects.create(
            edition=edition,
            email=email,
            role=role,
            language=language,
            token_hash=_hash(token),
            created_by=actor,
            created_at=now,
            expires_at=now + dt.timedelta(days=INVITATION_VALID_DAYS),
        )
        audit_log(
            actor=actor,
            action="invitation.create",
            obj=invitation,
            edition=edition,
            after={"email": email, "role": role, "expires_at": invitation.expires_at},
        )
        mail_queue(
            to=email,
            template="accounts/mail/invitation",
            context={
                "edition": edition,
                "role": invitation.get_role_display(),
                "inviter": actor.get_full_name() or actor.get_username(),
                "accept_url": _accept_url(token, language),
                "expires_at": invitation.expires_at,
                "has_account": _active_account(email) is not None,
            },
            language=language,
            kind="invitation",
            related=f"accounts.invitation:{invitation.pk}",
            secrets=[token],
        )
    return invitation


def invitation_get(*, token: str) -> Invitation:
    """The invitation of ``token`` while it can be accepted; otherwise ``AccountsError`` that
    says why (codes: unknown, used, revoked, expired)."""
    invitation = (
        Invitation.objects.select_related("edition", "edition__series", "created_by")
        .filter(token_hash=_hash(token))
        .first()
    )
    if invitation is None:
        raise AccountsError(
            _("This invitation link is not valid. Check that it was copied whole."), "unknown"
        )
    if invitation.accepted_at is not None:
        raise AccountsError(
            _("This invitation has already been used. Sign in to the back office."), "used"
        )
    if invitation.revoked_at is not None:
        raise AccountsError(
            _("This invitation was withdrawn. Ask the edition's administrator for a new one."),
            "revoked",
        )
    if invitation.expires_at <= timezone.now():
        raise AccountsError(
            _("This invitation has expired. Ask the edition's administrator for a new one."),
            "expired",
        )
    return invitation


def invitation_accept(*, token: str, user: AbstractBaseUser) -> EditionRole:
    """``user`` (signed in, with the invited address) takes the role. The token is spent by a
    compare-and-set: of two acceptances at once, one wins."""
    with transaction.atomic():
        invitation = invitation_get(token=token)
        if not (user.is_active and user.email.lower() == invitation.email.lower()):
            raise AccountsError(
                _(
                    "This invitation is for %(email)s. Sign out and open the link again, or "
                    "sign in with that address."
                )
                % {"email": invitation.email},
                "other_account",
            )
        return _accept(invitation, user=user)


def invitation_accept_new_account(
    *, token: str, first_name: str, last_name: str, password: str
) -> AbstractBaseUser:
    """A new account for the invited address, with ``password`` (checked by Django's
    validators), holding the invited role. Not staff, not a superuser."""
    user_model = get_user_model()
    with transaction.atomic():
        invitation = invitation_get(token=token)
        same_address = Q(username__iexact=invitation.email) | Q(email__iexact=invitation.email)
        if user_model.objects.filter(same_address).exists():
            raise AccountsError(
                _("An account with this address exists already. Sign in to accept."),
                "account_exists",
            )
        user = user_model(
            username=invitation.email,
            email=invitation.email,
            first_name=first_name.strip(),
            last_name=last_name.strip(),
        )
        try:
            validate_password(password, user=user)
        except ValidationError as error:
            raise AccountsError(" ".join(error.messages), "weak_password") from error
        user.set_password(password)
        user.save()
        audit_log(
            actor=user,
            action="account.create",
            obj=user,
            edition=invitation.edition,
            after={"user": user.get_username(), "invitation": invitation.pk},
        )
        _accept(invitation, user=user)
    return user


def _accept(invitation: Invitation, *, user: AbstractBaseUser) -> EditionRole:
    now = timezone.now()
    spent = Invitation.objects.filter(
        pk=invitation.pk, accepted_at=None, revoked_at=None, expires_at__gt=now
    ).update(accepted_at=now, accepted_by=user)
    if spent != 1:
        raise AccountsError(
            _("This invitation has already been used. Sign in to the back office."), "used"
        )
    role, created = EditionRole.objects.get_or_create(
        edition=invitation.edition,
        user=user,
        role=invitation.role,
        defaults={"created_by": invitation.created_by},
    )
    audit_log(
        actor=user,
        action="invitation.accept",
        obj=invitation,
        edition=invitation.edition,
        after={"user": user.get_username(), "role": invitation.role},
    )
    if created:
        audit_log(
            actor=user,
            action="role.grant",
            obj=role,
            edition=invitation.edition,
            after={"user": user.get_username(), "role": invitation.role},
            note=f"invitation {invitation.pk}",
        )
    return role


def invitation_revoke(*, invitation: Invitation, actor: AbstractBaseUser) -> None:
    """Withdraw a pending invitation: its link opens nothing any more."""
    with transaction.atomic():
        if not _revoke(invitation, actor=actor):
            raise AccountsError(_("This invitation is no longer pending."), "not_pending")


def _revoke(invitation: Invitation, *, actor: AbstractBaseUser, note: str = "") -> bool:
    now = timezone.now()
    revoked = Invitation.objects.filter(pk=invitation.pk, accepted_at=None, revoked_at=None).update(
        revoked_at=now, revoked_by=actor
    )
    if revoked:
        audit_log(
            actor=actor,
            action="invitation.revoke",
            obj=invitation,
            edition=invitation.edition,
            before={"email": invitation.email, "role": invitation.role},
            note=note,
        )
    return bool(revoked)


def invitations_pending(*, edition: Edition):
    """The edition's invitations that can still be accepted, newest first."""
    return Invitation.objects.filter(
        edition=edition, accepted_at=None, revoked_at=None, expires_at__gt=timezone.now()
    ).select_related("created_by")
