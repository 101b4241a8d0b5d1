"""Public pages of the content app: news (list, post, Atom feed) and pages (privacy notice,
accessibility declaration, free pages)."""

from __future__ import annotations

from django.contrib.syndication.views import Feed
from django.core.paginator import InvalidPage, Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.feedgenerator import Atom1Feed
from django.utils.html import escape
from django.utils.translation import gettext as _
from django.views.decorators.http import require_safe

from kongres.content import selectors
from kongres.content.models import NewsPost, Page
from kongres.core.cache import public_page
from kongres.events.models import Edition
from kongres.events.selectors import edition_get

NEWS_PER_PAGE = 10
FEED_ITEMS = 20


def _archive_edition(archive: str | None) -> Edition | None:
    """The public edition of the archive's address (404 for an unknown one); None: the
    current site's pages."""
    if archive is None:
        return None
    edition = edition_get(slug=archive)
    if edition is None:
        raise Http404("no such edition")
    return edition


@require_safe
@public_page(params=("page",))
def news_list(request: HttpRequest, archive: str | None = None) -> HttpResponse:
    """The news, or (``archive``) the news of that edition in the archive."""
    edition = _archive_edition(archive)
    posts = (
        selectors.news_published()
        if edition is None
        else selectors.news_published_of(edition=edition)
    )
    paginator = Paginator(posts, NEWS_PER_PAGE)
    try:
        page = paginator.page(request.GET.get("page") or 1)
    except InvalidPage as error:
        raise Http404(str(error)) from error
    return render(
        request,
        "content/news_list.html",
        {
            "page_obj": page,
            "posts": page.object_list,
            "page_range": paginator.get_elided_page_range(page.number, on_each_side=2, on_ends=1),
            "archive": edition,
        },
    )


@require_safe
@public_page
def news_detail(request: HttpRequest, slug: str) -> HttpResponse:
    post = selectors.news_get(slug=slug)
    if post is None:
        raise Http404("No such news post.")
    return render(request, "content/news_detail.html", {"post": post})


def _page_response(request: HttpRequest, page: Page | None) -> HttpResponse:
    if page is None:
        raise Http404("No such page.")
    return render(request, "content/page.html", {"page": page})


@require_safe
@public_page
def privacy(request: HttpRequest) -> HttpResponse:
    return _page_response(request, selectors.page_get(kind=Page.Kind.PRIVACY))


@require_safe
@public_page
def accessibility(request: HttpRequest) -> HttpResponse:
    return _page_response(request, selectors.page_get(kind=Page.Kind.ACCESSIBILITY))


@require_safe
@public_page
def page_detail(request: HttpRequest, slug: str) -> HttpResponse:
    page = selectors.page_get(slug=slug)
    if page is not None and page.kind in {Page.Kind.PRIVACY, Page.Kind.ACCESSIBILITY}:
        return redirect(page.get_absolute_url(), permanent=True)  # one address per page
    return _page_response(request, page)


class NewsFeed(Feed):
    """The news as an Atom feed, in the language of its address (/…/feed.atom or /en/…)."""

    feed_type = Atom1Feed

    def get_object(self, request: HttpRequest, *args, **kwargs) -> Edition | None:
        return request.edition or None

    def title(self, edition: Edition | None) -> str:
        if edition is None:
            return _("News")
        return _("%(edition)s: news") % {"edition": edition.title}

    def subtitle(self, edition: Edition | None) -> str | None:
        if edition is None:
            return None
        return edition.motto or edition.lead or None

    description = subtitle

    def link(self) -> str:
        return reverse("content:news-list")

    def feed_url(self) -> str:
        return reverse("content:news-feed")

    def items(self) -> list[NewsPost]:
        return selectors.news_latest(limit=FEED_ITEMS)

    def item_title(self, post: NewsPost) -> str:
        return post.title  # Atom titles are plain text: no escaping here

    def item_description(self, post: NewsPost) -> str:
        return escape(post.lead)  # Atom summary of type="html"

    def item_pubdate(self, post: NewsPost):
        return post.published_at

    def item_updateddate(self, post: NewsPost):
        return max(post.updated_at, post.published_at)


class ArchiveNewsFeed(NewsFeed):
    """The news of one edition of the archive (``/archiwum/<edition>/aktualnosci/feed.atom``)."""

    def get_object(self, request: HttpRequest, *args, archive: str = "", **kwargs) -> Edition:
        return _archive_edition(archive)

    def link(self, edition: Edition) -> str:
        return reverse("content:archive-news-list", kwargs={"archive": edition.slug})

    def feed_url(self, edition: Edition) -> str:
        return reverse("content:archive-news-feed", kwargs={"archive": edition.slug})

    def items(self, edition: Edition) -> list[NewsPost]:
        return list(selectors.news_published_of(edition=edition)[:FEED_ITEMS])
