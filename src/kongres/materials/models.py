"""Speakers' materials (slides) and recordings of a session, and the secret links through
which speakers send them without an account. A material is shown to the public only once an
organiser has approved it (``State.PUBLISHED``)."""

from __future__ import annotations

import secrets
from pathlib import PurePath

from django.conf import settings
from django.core.files.storage import storages
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from kongres.core.models import TimeStampedModel
from kongres.events.models import Session


def materials_storage():
    """The storage ``materials`` of ``settings.STORAGES`` (the file system, or S3-compatible
    storage by configuration), looked up when a file is read or written."""
    return storages["materials"]


# A file waiting for approval is kept under PENDING_DIR, which nothing serves (nginx and
# ``serve_media`` refuse ``settings.KONGRES_PRIVATE_MEDIA_DIRS``; organisers download it
# through the back office); it moves to PUBLISHED_DIR when an organiser publishes it, so that
# a leaked upload link cannot turn the site into a host for files nobody approved.
PENDING_DIR = "materials-pending"
PUBLISHED_DIR = "materials"


def material_upload_to(instance: Material, filename: str) -> str:
    """``materials-pending/<edition>/<random>.<ext>`` (``materials/…`` for a material published
    at once): a name nobody can guess and no part of the name the speaker gave."""
    suffix = PurePath(filename).suffix.lower()
    folder = PUBLISHED_DIR if instance.state == Material.State.PUBLISHED else PENDING_DIR
    return f"{folder}/{instance.session.edition.slug}/{secrets.token_urlsafe(18)}{suffix}"


def material_published_name(name: str) -> str:
    """The public name of a pending file's name (the same name under ``PUBLISHED_DIR``)."""
    prefix = f"{PENDING_DIR}/"
    return f"{PUBLISHED_DIR}/{name.removeprefix(prefix)}" if name.startswith(prefix) else name


class UploadLink(models.Model):
    """A secret link an organiser sends to a speaker, to send materials of one session. Only
    the token's SHA-256 is stored; the link expires and can be revoked. ``email`` (to whom it
    was sent) is personal data: erased after the link has expired (``kongres.privacy``)."""

    session = models.ForeignKey(
        Session, on_delete=models.CASCADE, related_name="upload_links", verbose_name=_("session")
    )
    email = models.EmailField(_("speaker's e-mail address"), blank=True)
    language = models.CharField(_("language"), max_length=8, default="pl")
    token_hash = models.CharField(max_length=64, unique=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(_("created"))
    expires_at = models.DateTimeField(_("valid until"))
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True)

    class Meta:
        verbose_name = _("upload link")
        verbose_name_plural = _("upload links")
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.session} → {self.email or '—'}"


class Material(TimeStampedModel):
    class Kind(models.TextChoices):
        DOCUMENT = "document", _("slides or document")
        VIDEO = "video", _("recording (video file)")
        LINK = "link", _("recording (link)")

    class State(models.TextChoices):
        PENDING = "pending", _("waiting for approval")
        PUBLISHED = "published", _("published")
        REJECTED = "rejected", _("rejected")

    session = models.ForeignKey(
        Session, on_delete=models.CASCADE, related_name="materials", verbose_name=_("session")
    )
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    title = models.CharField(_("title"), max_length=200)
    file = models.FileField(
        _("file"),
        storage=materials_storage,
        upload_to=material_upload_to,
        max_length=200,
        blank=True,
    )
    url = models.URLField(_("address of the recording"), max_length=500, blank=True)
    content_type = models.CharField(_("type"), max_length=100, blank=True)
    size = models.PositiveBigIntegerField(_("size in bytes"), null=True, blank=True)
    state = models.CharField(
        _("state"), max_length=10, choices=State.choices, default=State.PENDING
    )
    upload_link = models.ForeignKey(
        UploadLink,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="materials",
        verbose_name=_("sent through the link"),
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    decided_at = models.DateTimeField(_("decided"), null=True, blank=True)

    class Meta:
        verbose_name = _("material")
        verbose_name_plural = _("materials")
        ordering = ["session__starts_at", "session_id", "kind", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=(Q(kind="link") & ~Q(url="") & Q(file=""))
                | (Q(kind__in=["document", "video"]) & ~Q(file="") & Q(url="")),
                name="material_file_or_link",
            ),
            models.CheckConstraint(
                condition=Q(url="") | Q(url__startswith="https://"), name="material_url_https"
            ),
        ]
        indexes = [models.Index(fields=["session", "state"], name="material_session_state")]

    def __str__(self) -> str:
        return self.title

    @property
    def type_label(self) -> str:
        """A short name of the file's type for people: PDF, PPTX, ODP, MP4, WebM."""
        return TYPE_LABELS.get(self.content_type, "")


TYPE_LABELS = {
    "application/pdf": "PDF",
    "application/vnd.openxmlformats-officedocument.presentationml.presentation": "PPTX",
    "application/vnd.oasis.opendocument.presentation": "ODP",
    "video/mp4": "MP4",
    "video/webm": "WebM",
}
