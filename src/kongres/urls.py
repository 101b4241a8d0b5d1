from django.conf.urls.i18n import i18n_patterns
from django.contrib import admin
from django.contrib.sitemaps.views import sitemap
from django.urls import include, path

from kongres.api.main import api_urls
from kongres.content.sitemaps import SITEMAPS
from kongres.core import views as core_views
from kongres.core.cache import public_page

urlpatterns = [
    path("robots.txt", core_views.robots_txt, name="robots"),
    path("favicon.ico", core_views.favicon, name="favicon"),
    path(
        "sitemap.xml", public_page(sitemap, params=("p",)), {"sitemaps": SITEMAPS}, name="sitemap"
    ),
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
    path("api/v1/", api_urls()),
    # only where serve_media (or DEBUG) says so; in production nginx serves /media/
    path("media/<path:path>", core_views.media, name="media"),
]

urlpatterns += i18n_patterns(
    path("", include("kongres.registration.urls")),
    path("", include("kongres.checkin.urls")),
    path("", include("kongres.feedback.urls")),
    path("", include("kongres.orga.urls")),
    path("", include("kongres.content.urls")),
    path("", include("kongres.materials.urls")),
    path("", include("kongres.events.urls")),
    prefix_default_language=False,
)

handler404 = "kongres.core.views.page_not_found"
handler500 = "kongres.core.views.server_error"
