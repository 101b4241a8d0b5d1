from django.contrib.sitemaps import Sitemap
from django.urls import reverse


class StaticViewSitemap(Sitemap):
    i18n = True
    alternates = True
    x_default = True

    def items(self) -> list[str]:
        return [
            "events:home",
            "events:programme",
            "events:speakers",
            "events:venue",
            "events:organisers",
            "events:archive",
            "content:news-list",
            "content:privacy",
            "content:accessibility",
            "registration:register",
        ]

    def location(self, item: str) -> str:
        return reverse(item)


class NewsSitemap(Sitemap):
    i18n = True
    alternates = True
    x_default = True

    def items(self):
        from kongres.content.selectors import news_published

        return news_published()

    def lastmod(self, post):
        return post.updated_at


class SessionSitemap(Sitemap):
    i18n = True
    alternates = True
    x_default = True

    def items(self):
        from kongres.events.selectors import edition_current, session_list

        edition = edition_current()
        return session_list(edition=edition) if edition else []


SITEMAPS = {"pages": StaticViewSitemap, "news": NewsSitemap, "sessions": SessionSitemap}
