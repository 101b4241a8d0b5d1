from django.urls import path
from django.utils.translation import gettext_lazy as _

from kongres.content import views
from kongres.core.cache import public_page

app_name = "content"

urlpatterns = [
    path(_("news/"), views.news_list, name="news-list"),
    path(_("news/feed.atom"), public_page(views.NewsFeed()), name="news-feed"),
    path(_("news/<slug:slug>/"), views.news_detail, name="news-detail"),
    path(_("archive/<slug:archive>/news/"), views.news_list, name="archive-news-list"),
    path(
        _("archive/<slug:archive>/news/feed.atom"),
        public_page(views.ArchiveNewsFeed()),
        name="archive-news-feed",
    ),
    path(_("privacy/"), views.privacy, name="privacy"),
    path(_("accessibility/"), views.accessibility, name="accessibility"),
    path(_("pages/<slug:slug>/"), views.page_detail, name="page"),
]
