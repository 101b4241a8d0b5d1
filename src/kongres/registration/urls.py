from django.urls import path
from django.utils.translation import gettext_lazy as _

from kongres.registration import draw_views, reconfirm_views, session_views, views

app_name = "registration"

urlpatterns = [
    path(_("registration/"), views.register, name="register"),
    path(_("registration/sent/"), views.submitted, name="submitted"),
    path(_("registration/link/"), views.link_request, name="link"),
    path(_("registration/link/sent/"), views.link_sent, name="link-sent"),
    path(_("registration/verify/<str:token>/"), views.verify, name="verify"),
    path(_("registration/claim/<str:token>/"), views.claim, name="claim"),
    path(_("registration/manage/<str:token>/"), views.manage, name="manage"),
    path(_("registration/manage/<str:token>/edit/"), views.edit, name="edit"),
    path(_("registration/manage/<str:token>/cancel/"), views.cancel, name="cancel"),
    path(_("registration/manage/<str:token>/data.json"), views.export, name="export"),
    path(_("registration/manage/<str:token>/new-link/"), views.links_replace, name="links-replace"),
    path(
        _("registration/manage/<str:token>/coming/"),
        reconfirm_views.reconfirm_coming,
        name="reconfirm-coming",
    ),
    path(
        _("registration/manage/<str:token>/not-coming/"),
        reconfirm_views.reconfirm_not_coming,
        name="reconfirm-not-coming",
    ),
    path(_("sessions/<int:pk>/sign-up/"), session_views.signup, name="session-signup"),
    path(_("sessions/<int:pk>/leave/"), session_views.leave, name="session-leave"),
    path(
        _("registration/manage/<str:token>/sessions/<int:pk>/claim/"),
        session_views.claim,
        name="session-claim",
    ),
    path(_("registration/agenda/<str:key>.ics"), session_views.agenda_feed, name="agenda-feed"),
    path(_("registration/draw/"), draw_views.draw_page, name="draw"),
    path(_("registration/draw.json"), draw_views.draw_json, name="draw-json"),
]
