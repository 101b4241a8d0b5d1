"""sitemap.xml: every public page in Polish and English, each with its ``hreflang`` alternates
(and ``x-default``: the Polish address)."""

from __future__ import annotations

from django.conf import settings
from django.contrib.sitemaps import Sitemap
from django.urls import reverse

from kongres.content.models import NewsPost, Page
from kongres.content.selectors import news_published, page_published_list
from kongres.events.models import Session, Speaker
from kongres.events.selectors import (
    edition_current,
    edition_public_list,
    session_list,
    speaker_list,
)


class _Bilingual(Sitemap):
    i18n = True
    alternates = True
    x_default = True

    def get_urls(self, page=1, site=None, protocol=None):
        urls = super().get_urls(page=page, site=site, protocol=protocol)
        # Django makes x-default by cutting "/pl/" out of the Polish address; ours has no
        # prefix already (and "/pl/" could be a slug), so x-default is the Polish address.
        for url in urls:
            by_language = {alt["lang_code"]: alt for alt in url["alternates"]}
            if "x-default" in by_language and settings.LANGUAGE_CODE in by_language:
                by_language["x-default"]["location"] = by_language[settings.LANGUAGE_CODE][
                    "location"
                ]
        return urls


class StaticViewSitemap(_Bilingual):
    changefreq = "weekly"

    def items(self) -> list[str]:
        return [
            "events:home",
            "events:programme",
            "events:speakers",
            "events:venue",
            "events:organisers",
            "events:archive",
            "content:news-list",
            "registration:register",
        ]

    def location(self, item: str) -> str:
        return reverse(item)

    def priority(self, item: str) -> float:
        return 1.0 if item == "events:home" else 0.6


class PageSitemap(_Bilingual):
    """Published pages: the privacy notice, the accessibility declaration, free pages."""

    changefreq = "monthly"

    def items(self):

        return page_published_list()

    def lastmod(self, page: Page):
        return page.updated_at


class NewsSitemap(_Bilingual):
    def items(self):

        return news_published()

    def lastmod(self, post: NewsPost):
        return post.updated_at


class EditionSitemap(_Bilingual):
    """Every public edition's page (the current one and the archive)."""

    def items(self):

        return edition_public_list()

    def lastmod(self, edition):
        return edition.updated_at


class SessionSitemap(_Bilingual):
    def items(self):

        edition = edition_current()
        return session_list(edition=edition) if edition else []


class SpeakerSitemap(_Bilingual):
    def items(self):

        edition = edition_current()
        return speaker_list(edition=edition) if edition else []


ARCHIVE_PAGES = (
    "events:archive-home",
    "events:archive-programme",
    "events:archive-speakers",
    "content:archive-news-list",
    "events:archive-materials",
)


class ArchiveSitemap(_Bilingual):
    """Every past edition's pages in the archive (``/archiwum/<edition>/…``): its home,
    programme, speakers, news, materials and recordings, each session and each speaker. The
    current edition's pages are in the other sitemaps, at their own addresses."""

    changefreq = "yearly"
    priority = 0.4

    def items(self) -> list[tuple[str, dict[str, str]]]:
        current = edition_current()
        past = [e for e in edition_public_list() if current is None or e.pk != current.pk]
        slugs = [edition.slug for edition in past]
        pages = [(name, {"archive": slug}) for slug in slugs for name in ARCHIVE_PAGES]
        sessions = Session.objects.filter(edition__slug__in=slugs).order_by("edition", "starts_at")
        pages += [
            ("events:archive-session", {"archive": edition, "slug": slug})
            for edition, slug in sessions.values_list("edition__slug", "slug")
        ]
        speakers = set()
        for relation in ("sessions", "moderated_sessions"):
            speakers.update(
                Speaker.objects.filter(**{f"{relation}__edition__slug__in": slugs}).values_list(
                    f"{relation}__edition__slug", "slug"
                )
            )
        pages += [
            ("events:archive-speaker", {"archive": edition, "slug": slug})
            for edition, slug in sorted(speakers)
        ]
        return pages

    def location(self, item: tuple[str, dict[str, str]]) -> str:
        return reverse(item[0], kwargs=item[1])


SITEMAPS = {
    "pages": StaticViewSitemap,
    "content": PageSitemap,
    "news": NewsSitemap,
    "editions": EditionSitemap,
    "sessions": SessionSitemap,
    "speakers": SpeakerSitemap,
    "archive": ArchiveSitemap,
}
