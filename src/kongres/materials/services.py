"""Every change of materials and upload links: an organiser sends a speaker a secret link
(``upload_link_create``, the mail queued in the same transaction) or revokes it; the speaker
sends files or a recording's address through it (``material_submit``, waiting for approval);
an organiser approves (``material_approve``: shown on the public pages) or rejects it
(``material_reject``: the file is deleted from the storage once the transaction commits).
Every step is in the audit log."""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets

from django.conf import settings
from django.contrib.auth.base_user import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.core.validators import URLValidator, validate_email
from django.db import transaction
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _

from kongres.audit.services import audit_log
from kongres.core.exceptions import KongresError
from kongres.core.validators import check_material_file
from kongres.events.models import Session
from kongres.mail.services import mail_queue
from kongres.materials.models import Material, UploadLink, material_published_name

UPLOAD_LINK_VALID_DAYS = 30
LANGUAGES = ("pl", "en")


class MaterialsError(KongresError):
    """``field``: the form field the message belongs to (None: the whole form)."""

    def __init__(self, message, code: str | None = None, *, field: str | None = None) -> None:
        super().__init__(message, code)
        self.field = field


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def upload_url(*, token: str, language: str) -> str:
    with translation.override(language):
        return settings.SITE_URL + reverse("materials:upload", kwargs={"token": token})


def upload_link_create(
    *, session: Session, email: str, language: str, actor: AbstractBaseUser | None
) -> tuple[UploadLink, str]:
    """A new secret link for materials of ``session``, mailed to ``email`` (in ``language``).
    Returns the link and its token (shown once to the organiser; only its hash is kept)."""
    email = email.strip()
    try:
        validate_email(email)
    except ValidationError as error:
        raise MaterialsError(
            _("Enter a valid e-mail address."), "invalid_email", field="email"
        ) from error
    language = language if language in LANGUAGES else "pl"
    token = secrets.token_urlsafe(32)
    now = timezone.now()
    with transaction.atomic():
        link = UploadLink.objects.create(
            session=session,
            email=email,
            language=language,
            token_hash=token_hash(token),
            created_by=actor,
            created_at=now,
            expires_at=now + dt.timedelta(days=UPLOAD_LINK_VALID_DAYS),
        )
        audit_log(
            actor=actor,
            action="materials.link-create",
            obj=link,
            edition=session.edition,
            after={"session": session.slug, "expires_at": link.expires_at},
        )
        mail_queue(
            to=email,
            template="materials/mail/upload_link",
            context={
                "session": session,
                "edition": session.edition,
                "upload_url": upload_url(token=token, language=language),
                "expires_at": link.expires_at,
            },
            language=language,
            kind="materials-link",
            related=f"materials.uploadlink:{link.pk}",
            secrets=[token],
        )
    return link, token


def upload_link_revoke(*, link: UploadLink, actor: AbstractBaseUser | None) -> UploadLink:
    """The link opens nothing any more (what was sent through it stays)."""
    with transaction.atomic():
        if link.revoked_at is None:
            link.revoked_at = timezone.now()
            link.save(update_fields=["revoked_at"])
            audit_log(
                actor=actor, action="materials.link-revoke", obj=link, edition=link.session.edition
            )
    return link


def upload_link_get(*, token: str) -> UploadLink:
    """The link of ``token`` while it may be used; else ``MaterialsError`` saying why
    (codes: unknown, revoked, expired)."""
    link = (
        UploadLink.objects.select_related("session__edition", "session__room")
        .filter(token_hash=token_hash(token))
        .first()
    )
    if link is None:
        raise MaterialsError(
            _("This link is not valid. Check that it was copied whole."), "unknown"
        )
    if link.revoked_at is not None:
        raise MaterialsError(
            _("This link was withdrawn. Ask the organisers for a new one."), "revoked"
        )
    if link.expires_at <= timezone.now():
        raise MaterialsError(
            _("This link has expired. Ask the organisers for a new one."), "expired"
        )
    return link


def _check_url(url: str) -> str:
    url = url.strip()
    try:
        URLValidator(schemes=["https"])(url)
    except ValidationError as error:
        raise MaterialsError(
            _("Enter the recording's address starting with https://."), "invalid_url", field="url"
        ) from error
    return url


def material_submit(
    *,
    session: Session,
    title: str,
    file=None,
    url: str = "",
    link: UploadLink | None = None,
    actor: AbstractBaseUser | None = None,
    publish: bool = False,
) -> Material:
    """A file (slides, or a video) or a recording's address (https) for ``session``: through
    a speaker's ``link`` (waiting for approval), or by an organiser (``actor``; published at
    once with ``publish``). The file is checked by its content (``check_material_file``)."""
    title = title.strip()
    if not title:
        raise MaterialsError(_("Give the material a title."), "invalid_title", field="title")
    if bool(file) == bool(url.strip()):
        raise MaterialsError(
            _("Choose a file or give the recording's address (one of them)."),
            "file_or_url",
            field="file",
        )
    material = Material(session=session, title=title[:200], upload_link=link)
    if file:
        try:
            kind = check_material_file(file)
        except ValidationError as error:
            raise MaterialsError(error.messages[0], error.code, field="file") from error
        material.kind = Material.Kind.VIDEO if kind.is_video else Material.Kind.DOCUMENT
        material.content_type = kind.content_type
        material.size = file.size
    else:
        material.kind = Material.Kind.LINK
        material.url = _check_url(url)
    if publish:
        material.state = Material.State.PUBLISHED
        material.decided_by = actor
        material.decided_at = timezone.now()
    if file:  # stored first; deleted again if the row cannot be written
        material.file.save(file.name, file, save=False)
    try:
        with transaction.atomic():
            material.save()
            audit_log(
                actor=actor,
                action="materials.add" if publish else "materials.submit",
                obj=material,
                edition=session.edition,
                after={
                    "title": material.title,
                    "kind": material.kind,
                    "content_type": material.content_type,
                    "size": material.size,
                    "url": material.url,
                    "state": material.state,
                    "link": link.pk if link else None,
                },
            )
    except BaseException:
        if material.file:
            material.file.storage.delete(material.file.name)
        raise
    return material


def _file_publish(material: Material) -> str | None:
    """Copy a file waiting for approval to its public name (``material_published_name``);
    returns the pending name, to delete once the change is committed (None: already public)."""
    pending = material.file.name
    public = material_published_name(pending)
    if public == pending:
        return None
    storage = material.file.storage
    with storage.open(pending, "rb") as content:
        material.file.name = storage.save(public, content)
    return pending


def _decide(*, material: Material, state: str, actor: AbstractBaseUser | None) -> Material:
    before = material.state
    with transaction.atomic():
        locked = Material.objects.select_for_update().get(pk=material.pk)
        if locked.state == state:
            return locked
        locked.state = state
        locked.decided_by = actor if actor is not None and actor.is_authenticated else None
        locked.decided_at = timezone.now()
        fields = ["state", "decided_by", "decided_at", "updated_at"]
        if state == Material.State.PUBLISHED and locked.file:
            pending = _file_publish(locked)
            if pending:
                fields.append("file")
                storage = locked.file.storage
                transaction.on_commit(lambda: storage.delete(pending))
        locked.save(update_fields=fields)
        audit_log(
            actor=actor,
            action=f"materials.{'approve' if state == Material.State.PUBLISHED else 'reject'}",
            obj=locked,
            edition=material.session.edition,
            before={"state": before},
            after={"state": state},
        )
        if state == Material.State.REJECTED and locked.file:
            name = locked.file.name
            storage = locked.file.storage
            transaction.on_commit(lambda: storage.delete(name))
    return locked


def material_approve(*, material: Material, actor: AbstractBaseUser | None) -> Material:
    """Publish ``material``: it shows on the session page and in the archive."""
    if material.state == Material.State.REJECTED:
        raise MaterialsError(_("A rejected material cannot be published."), "rejected")
    return _decide(material=material, state=Material.State.PUBLISHED, actor=actor)


def material_reject(*, material: Material, actor: AbstractBaseUser | None) -> Material:
    """Reject (or take back) ``material``: hidden, and its file deleted from the storage."""
    return _decide(material=material, state=Material.State.REJECTED, actor=actor)
