from django.urls import path
from django.utils.translation import gettext_lazy as _

from kongres.orga import views, views_auth, views_dashboard, views_data, views_gdpr

app_name = "orga"

urlpatterns = [
    path("orga/", views.index, name="index"),
    path(_("orga/login/"), views_auth.LoginView.as_view(), name="login"),
    path(_("orga/logout/"), views_auth.LogoutView.as_view(), name="logout"),
    path(_("orga/two-factor/"), views_auth.two_factor, name="two-factor"),
    path(_("orga/two-factor/setup/"), views_auth.two_factor_setup, name="two-factor-setup"),
    path(_("orga/two-factor/setup/qr.svg"), views_auth.two_factor_qr, name="two-factor-qr"),
    path("orga/<slug:edition>/", views_dashboard.dashboard, name="dashboard"),
    path(
        _("orga/<slug:edition>/charts/<str:name>.svg"),
        views_dashboard.chart,
        name="chart",
    ),
    path(
        _("orga/<slug:edition>/participants/"),
        views.registration_list,
        name="registration-list",
    ),
    path(
        _("orga/<slug:edition>/participants/add/"),
        views.registration_add,
        name="registration-add",
    ),
    path(
        _("orga/<slug:edition>/participants/export/"),
        views_data.registration_export,
        name="registration-export",
    ),
    path(
        _("orga/<slug:edition>/participants/<int:pk>/"),
        views.registration_detail,
        name="registration-detail",
    ),
    path(
        _("orga/<slug:edition>/participants/<int:pk>/edit/"),
        views.registration_edit,
        name="registration-edit",
    ),
    path(
        _("orga/<slug:edition>/participants/<int:pk>/data.json"),
        views_gdpr.registration_data,
        name="registration-data",
    ),
    path(
        _("orga/<slug:edition>/participants/<int:pk>/erase-personal-data/"),
        views_gdpr.registration_erase_view,
        name="registration-erase",
    ),
    path(
        _("orga/<slug:edition>/privacy-notice/<str:fingerprint>/"),
        views_gdpr.privacy_notice_version,
        name="privacy-notice-version",
    ),
    path(
        _("orga/<slug:edition>/participants/<int:pk>/<str:action>/"),
        views.registration_action,
        name="registration-action",
    ),
    path(_("orga/<slug:edition>/audit-log/"), views.audit_log_list, name="audit-log"),
    path(_("orga/<slug:edition>/messages/"), views_data.campaign_list, name="campaign-list"),
    path(
        _("orga/<slug:edition>/messages/new/"),
        views_data.campaign_compose,
        name="campaign-compose",
    ),
    path(
        _("orga/<slug:edition>/messages/<int:pk>/"),
        views_data.campaign_detail,
        name="campaign-detail",
    ),
    path(
        _("orga/<slug:edition>/messages/<int:pk>/test/"),
        views_data.campaign_test,
        name="campaign-test",
    ),
    path(
        _("orga/<slug:edition>/messages/<int:pk>/send/"),
        views_data.campaign_send,
        name="campaign-send",
    ),
    path(_("orga/<slug:edition>/roles/"), views.roles, name="roles"),
    path(
        _("orga/<slug:edition>/roles/<int:pk>/revoke/"), views.role_revoke_view, name="role-revoke"
    ),
    path(_("orga/<slug:edition>/settings/"), views.edition_settings, name="settings"),
]
