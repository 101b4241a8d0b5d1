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
    path(_("editions/<slug:slug>/"), views.edition_detail, name="edition"),
    path(_("editions/<slug:slug>.ics"), views.edition_ics, name="edition-ics"),
]
