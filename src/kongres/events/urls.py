from django.urls import path
from django.utils.translation import gettext_lazy as _

from kongres.events import views

app_name = "events"

urlpatterns = [
    path("", views.home, name="home"),
    path(_("programme/"), views.programme, name="programme"),
    path(_("programme.ics"), views.programme_ics, name="programme-ics"),
    path(_("programme/<slug:slug>/"), views.session_detail, name="session"),
    path(_("programme/<slug:slug>.ics"), views.session_ics, name="session-ics"),
    path(_("speakers/"), views.speaker_list, name="speakers"),
    path(_("speakers/<slug:slug>/"), views.speaker_detail, name="speaker"),
    path(_("venue/"), views.venue, name="venue"),
    path(_("organisers/"), views.organisers, name="organisers"),
    path(_("archive/"), views.archive, name="archive"),
    # every public edition at its own stable addresses, with the same views and templates
    path(_("archive/<slug:archive>/"), views.home, name="archive-home"),
    path(_("archive/<slug:archive>/programme/"), views.programme, name="archive-programme"),
    path(
        _("archive/<slug:archive>/programme/<slug:slug>/"),
        views.session_detail,
        name="archive-session",
    ),
    path(_("archive/<slug:archive>/speakers/"), views.speaker_list, name="archive-speakers"),
    path(
        _("archive/<slug:archive>/speakers/<slug:slug>/"),
        views.speaker_detail,
        name="archive-speaker",
    ),
    path(_("archive/<slug:archive>/materials/"), views.archive_materials, name="archive-materials"),
    path(_("editions/<slug:slug>/"), views.edition_detail, name="edition"),
    path(_("editions/<slug:slug>.ics"), views.edition_ics, name="edition-ics"),
]
