"""Reads of news posts and pages, each with the joins its page needs (a constant number of
queries). Only what the public may see: posts published by now, pages marked published."""

from __future__ import annotations

from django.db.models import QuerySet
from django.utils import timezone

from kongres.content.models import NewsPost, Page


def news_published() -> QuerySet[NewsPost]:
    """Posts whose publication time has come, newest first, with their edition."""
    return (
        NewsPost.objects.filter(published_at__lte=timezone.now())
        .select_related("edition")
        .order_by("-published_at", "-pk")
    )


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
