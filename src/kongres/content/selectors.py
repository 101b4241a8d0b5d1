"""Reads of news posts and pages, each with the joins its page needs (a constant number of
queries). Only what the public may see: posts published by now, pages marked published; and
the back office's list of an edition's posts (``news_of_edition``)."""

from __future__ import annotations

from django.db.models import F, QuerySet
from django.utils import timezone

from kongres.content.models import NewsPost, Page
from kongres.events.models import Edition


def news_published() -> QuerySet[NewsPost]:
    """Posts whose publication time has come, newest first, with their edition."""
    return (
        NewsPost.objects.filter(published_at__lte=timezone.now())
        .select_related("edition")
        .order_by("-published_at", "-pk")
    )


def news_published_of(*, edition: Edition) -> QuerySet[NewsPost]:
    """The published posts of ``edition`` (its archive), newest first."""
    return news_published().filter(edition=edition)


def news_get(*, slug: str) -> NewsPost | None:
    """A published post by its slug; None when there is none or it is not published yet."""
    return news_published().filter(slug=slug).first()


def news_latest(*, limit: int = 20) -> list[NewsPost]:
    return list(news_published()[:limit])


def page_get(*, kind: str | None = None, slug: str | None = None) -> Page | None:
    """A published page by its kind (privacy, accessibility, …) or its slug."""
    pages = Page.objects.filter(is_published=True)
    if kind is not None:
        pages = pages.filter(kind=kind)
    if slug is not None:
        pages = pages.filter(slug=slug)
    return pages.order_by("pk").first()


def page_published_list() -> QuerySet[Page]:
    return Page.objects.filter(is_published=True).order_by("kind", "slug")


def news_of_edition(*, edition: Edition) -> QuerySet[NewsPost]:
    """Every post of ``edition`` for the back office (drafts and scheduled ones too): drafts
    first, then the newest publication first."""
    return NewsPost.objects.filter(edition=edition).order_by(
        F("published_at").desc(nulls_first=True), "-pk"
    )
