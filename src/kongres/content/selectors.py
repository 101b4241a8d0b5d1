from __future__ import annotations

from django.db.models import QuerySet
from django.utils import timezone

from kongres.content.models import NewsPost, Page


def news_published() -> QuerySet[NewsPost]:
    return NewsPost.objects.filter(published_at__lte=timezone.now()).order_by("-published_at")


def news_get(*, slug: str) -> NewsPost | None:
    return news_published().filter(slug=slug).first()


def page_get(*, kind: str | None = None, slug: str | None = None) -> Page | None:
    pages = Page.objects.filter(is_published=True)
    if kind is not None:
        pages = pages.filter(kind=kind)
    if slug is not None:
        pages = pages.filter(slug=slug)
    return pages.first()
