"""News posts and pages (privacy notice, accessibility declaration, practical information, free
pages). Bodies are Markdown, sanitised when rendered. Translated fields: ``translation.py``."""

from __future__ import annotations

from django.db import models
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from kongres.core.models import TimeStampedModel
from kongres.core.validators import UploadedImageField, validate_uploaded_image
from kongres.events.models import Edition


class NewsPost(TimeStampedModel):
    class State(models.TextChoices):
        """Not stored: follows from ``published_at`` and the clock (``state``)."""

        DRAFT = "draft", pgettext_lazy("news post state", "draft")
        SCHEDULED = "scheduled", pgettext_lazy("news post state", "scheduled")
        PUBLISHED = "published", pgettext_lazy("news post state", "published")

    edition = models.ForeignKey(
        Edition,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="news",
        verbose_name=_("edition"),
    )
    title = models.CharField(_("title"), max_length=250)
    slug = models.SlugField(_("slug"), max_length=120, unique=True)
    lead = models.TextField(_("lead"), blank=True)
    body = models.TextField(_("body"), blank=True, help_text=_("Markdown."))
    published_at = models.DateTimeField(
        _("published"), null=True, blank=True, help_text=_("Empty or in the future: not shown.")
    )
    image = UploadedImageField(
        _("image"), upload_to="news/", blank=True, validators=[validate_uploaded_image]
    )
    image_alt = models.CharField(_("image alternative text"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("news post")
        verbose_name_plural = _("news posts")
        ordering = ["-published_at", "-pk"]
        indexes = [models.Index(fields=["-published_at"], name="news_published_idx")]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("content:news-detail", kwargs={"slug": self.slug})

    @property
    def state(self) -> str:
        """Draft (no publication time), scheduled (a time still to come) or published."""
        if self.published_at is None:
            return self.State.DRAFT
        if self.published_at > timezone.now():
            return self.State.SCHEDULED
        return self.State.PUBLISHED

    def get_state_display(self) -> str:
        return self.State(self.state).label


class Page(TimeStampedModel):
    class Kind(models.TextChoices):
        PRIVACY = "privacy", _("privacy notice")
        ACCESSIBILITY = "accessibility", _("accessibility declaration")
        PRACTICAL = "practical", _("practical information")
        OTHER = "other", _("other page")

    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices, default=Kind.OTHER)
    title = models.CharField(_("title"), max_length=250)
    slug = models.SlugField(_("slug"), max_length=120, unique=True)
    body = models.TextField(_("body"), blank=True, help_text=_("Markdown."))
    is_published = models.BooleanField(_("published"), default=True)

    class Meta:
        verbose_name = _("page")
        verbose_name_plural = _("pages")
        ordering = ["title"]
        constraints = [
            models.UniqueConstraint(
                fields=["kind"],
                condition=~models.Q(kind="other"),
                name="page_one_per_special_kind",
            )
        ]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        if self.kind == self.Kind.PRIVACY:
            return reverse("content:privacy")
        if self.kind == self.Kind.ACCESSIBILITY:
            return reverse("content:accessibility")
        return reverse("content:page", kwargs={"slug": self.slug})


class PrivacyNoticeVersion(models.Model):
    """A snapshot of the privacy notice's text as it was when someone first consented to it,
    found by its fingerprint (``registration.selectors.privacy_notice_version``), so that a
    registration's consent can always be shown with the text it refers to. Written by the
    registration services in the transaction of the consent; never changed afterwards."""

    fingerprint = models.CharField(_("fingerprint"), max_length=64, unique=True)
    title_pl = models.CharField(_("title (Polish)"), max_length=250, blank=True)
    body_pl = models.TextField(_("body (Polish)"), blank=True)
    title_en = models.CharField(_("title (English)"), max_length=250, blank=True)
    body_en = models.TextField(_("body (English)"), blank=True)
    first_seen_at = models.DateTimeField(_("first consented to"))

    class Meta:
        verbose_name = _("privacy notice version")
        verbose_name_plural = _("privacy notice versions")
        ordering = ["-first_seen_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.fingerprint} ({self.first_seen_at:%Y-%m-%d})"
