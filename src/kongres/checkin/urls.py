from django.urls import path
from django.utils.translation import gettext_lazy as _

from kongres.checkin import certificate_views, views

app_name = "checkin"

urlpatterns = [
    path("checkin/", views.page, name="page"),
    path("checkin/sw.js", views.service_worker, name="service-worker"),
    path("checkin/login/", views.LoginView.as_view(), name="login"),
    path("checkin/logout/", views.LogoutView.as_view(), name="logout"),
    path("checkin/api/scan/", views.scan_api, name="api-scan"),
    path("checkin/api/counts/", views.counts_api, name="api-counts"),
    path("checkin/api/counts/all/", views.counts_all_api, name="api-counts-all"),
    path("checkin/api/search/", views.search_api, name="api-search"),
    path("checkin/api/offline-list/", views.offline_list_api, name="api-offline-list"),
    path("checkin/badges/", views.badges, name="badges"),
    path(_("registration/manage/<str:token>/ticket.pdf"), views.ticket_pdf_view, name="ticket-pdf"),
    path(
        _("registration/manage/<str:token>/certificate.pdf"),
        certificate_views.certificate_pdf_view,
        name="certificate-pdf",
    ),
    # the short address printed on certificates (and in their QR code)
    path("c/", certificate_views.certificate_verify_start, name="certificate-verify-start"),
    path("c/<str:code>/", certificate_views.certificate_verify, name="certificate-verify"),
]
