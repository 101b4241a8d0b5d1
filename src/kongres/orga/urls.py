from django.urls import path
from django.utils.translation import gettext_lazy as _

from kongres.orga.views import (
    api_tokens,
    audit,
    auth,
    certificates,
    dashboard,
    draw,
    editions,
    exports,
    feedback,
    gdpr,
    invitations,
    materials,
    messages,
    news,
    participants,
    reconfirmation,
    roles,
    scheduled,
    sessions,
    webhooks,
)

app_name = "orga"

urlpatterns = [
    path("orga/", editions.index, name="index"),
    path(_("orga/login/"), auth.LoginView.as_view(), name="login"),
    path(_("orga/logout/"), auth.LogoutView.as_view(), name="logout"),
    path(_("orga/two-factor/"), auth.two_factor, name="two-factor"),
    path(_("orga/two-factor/setup/"), auth.two_factor_setup, name="two-factor-setup"),
    path(_("orga/two-factor/setup/qr.svg"), auth.two_factor_qr, name="two-factor-qr"),
    path(_("orga/two-factor/password/"), auth.confirm_password, name="confirm-password"),
    path("orga/<slug:edition>/", dashboard.dashboard, name="dashboard"),
    path(_("orga/<slug:edition>/draw/"), draw.draw_page, name="draw"),
    path(
        _("orga/<slug:edition>/reconfirmation/"),
        reconfirmation.reconfirmation_page,
        name="reconfirmation",
    ),
    path(_("orga/<slug:edition>/sessions/"), sessions.session_list, name="session-list"),
    path(
        _("orga/<slug:edition>/sessions/places.svg"), sessions.session_chart, name="session-chart"
    ),
    path(
        _("orga/<slug:edition>/sessions/<int:pk>/"),
        sessions.session_detail,
        name="session-detail",
    ),
    path(
        _("orga/<slug:edition>/sessions/<int:pk>/places/"),
        sessions.session_edit,
        name="session-edit",
    ),
    path(
        _("orga/<slug:edition>/sessions/<int:pk>/list.<str:kind>"),
        sessions.session_export,
        name="session-export",
    ),
    path(_("orga/<slug:edition>/draw/run/"), draw.draw_run_view, name="draw-run"),
    path(_("orga/<slug:edition>/draw/<str:name>.svg"), draw.draw_chart, name="draw-chart"),
    path(
        _("orga/<slug:edition>/charts/<str:name>.svg"),
        dashboard.chart,
        name="chart",
    ),
    path(
        _("orga/<slug:edition>/participants/"),
        participants.registration_list,
        name="registration-list",
    ),
    path(
        _("orga/<slug:edition>/participants/add/"),
        participants.registration_add,
        name="registration-add",
    ),
    path(
        _("orga/<slug:edition>/participants/export/"),
        exports.registration_export,
        name="registration-export",
    ),
    path(
        _("orga/<slug:edition>/participants/<int:pk>/"),
        participants.registration_detail,
        name="registration-detail",
    ),
    path(
        _("orga/<slug:edition>/participants/<int:pk>/edit/"),
        participants.registration_edit,
        name="registration-edit",
    ),
    path(
        _("orga/<slug:edition>/participants/<int:pk>/data.json"),
        gdpr.registration_data,
        name="registration-data",
    ),
    path(
        _("orga/<slug:edition>/participants/<int:pk>/erase-personal-data/"),
        gdpr.registration_erase_view,
        name="registration-erase",
    ),
    path(_("orga/<slug:edition>/data-retention/"), gdpr.retention, name="retention"),
    path(
        _("orga/<slug:edition>/privacy-notice/<str:fingerprint>/"),
        gdpr.privacy_notice_version,
        name="privacy-notice-version",
    ),
    path(
        _("orga/<slug:edition>/participants/<int:pk>/<str:action>/"),
        participants.registration_action,
        name="registration-action",
    ),
    path(_("orga/<slug:edition>/audit-log/"), audit.audit_log_list, name="audit-log"),
    path(_("orga/<slug:edition>/messages/"), messages.campaign_list, name="campaign-list"),
    path(
        _("orga/<slug:edition>/scheduled-mails/"),
        scheduled.scheduled_list,
        name="scheduled-list",
    ),
    path(
        _("orga/<slug:edition>/scheduled-mails/new/"),
        scheduled.scheduled_create,
        name="scheduled-create",
    ),
    path(
        _("orga/<slug:edition>/scheduled-mails/<int:pk>/"),
        scheduled.scheduled_detail,
        name="scheduled-detail",
    ),
    path(
        _("orga/<slug:edition>/messages/new/"),
        messages.campaign_compose,
        name="campaign-compose",
    ),
    path(
        _("orga/<slug:edition>/messages/<int:pk>/"),
        messages.campaign_detail,
        name="campaign-detail",
    ),
    path(
        _("orga/<slug:edition>/messages/<int:pk>/test/"),
        messages.campaign_test,
        name="campaign-test",
    ),
    path(
        _("orga/<slug:edition>/messages/<int:pk>/send/"),
        messages.campaign_send,
        name="campaign-send",
    ),
    path(_("orga/<slug:edition>/roles/"), roles.roles, name="roles"),
    path(
        _("orga/<slug:edition>/roles/<int:pk>/revoke/"), roles.role_revoke_view, name="role-revoke"
    ),
    path(_("orga/<slug:edition>/settings/"), roles.edition_settings, name="settings"),
    path(
        _("orga/<slug:edition>/roles/invite/"),
        roles.invitation_create_view,
        name="invitation-create",
    ),
    path(
        _("orga/<slug:edition>/roles/invitations/<int:pk>/withdraw/"),
        roles.invitation_revoke_view,
        name="invitation-revoke",
    ),
    path(
        _("orga/invitation/<str:token>/"),
        invitations.invitation_accept_view,
        name="invitation-accept",
    ),
    path(_("orga/<slug:edition>/api-tokens/"), api_tokens.api_tokens, name="api-tokens"),
    path(
        _("orga/<slug:edition>/api-tokens/<int:pk>/revoke/"),
        api_tokens.api_token_revoke_view,
        name="api-token-revoke",
    ),
    path(_("orga/<slug:edition>/news/"), news.news_list, name="news-list"),
    path(_("orga/<slug:edition>/news/new/"), news.news_create, name="news-create"),
    path(_("orga/<slug:edition>/news/<int:pk>/"), news.news_edit, name="news-edit"),
    path(_("orga/<slug:edition>/news/<int:pk>/publish/"), news.news_publish, name="news-publish"),
    path(
        _("orga/<slug:edition>/news/<int:pk>/unpublish/"),
        news.news_unpublish,
        name="news-unpublish",
    ),
    path(_("orga/<slug:edition>/news/<int:pk>/delete/"), news.news_delete, name="news-delete"),
    path(_("orga/<slug:edition>/survey/"), feedback.survey_page, name="feedback"),
    path(
        _("orga/<slug:edition>/survey/questions/new/"),
        feedback.question_add,
        name="feedback-question-add",
    ),
    path(
        _("orga/<slug:edition>/survey/questions/<int:pk>/"),
        feedback.question_edit,
        name="feedback-question-edit",
    ),
    path(
        _("orga/<slug:edition>/survey/questions/<int:pk>/delete/"),
        feedback.question_delete_view,
        name="feedback-question-delete",
    ),
    path(_("orga/<slug:edition>/survey/state/"), feedback.survey_status, name="feedback-status"),
    path(
        _("orga/<slug:edition>/survey/invite/"), feedback.survey_invite_view, name="feedback-invite"
    ),
    path(
        _("orga/<slug:edition>/survey/results/"), feedback.survey_results, name="feedback-results"
    ),
    path(
        _("orga/<slug:edition>/survey/results/<int:pk>.svg"),
        feedback.survey_chart,
        name="feedback-chart",
    ),
    path(
        _("orga/<slug:edition>/survey/results/export.<str:extension>"),
        feedback.survey_export,
        name="feedback-export",
    ),
    path(_("orga/<slug:edition>/materials/"), materials.material_list, name="materials"),
    path(_("orga/<slug:edition>/materials/add/"), materials.material_add_view, name="material-add"),
    path(
        _("orga/<slug:edition>/materials/links/"),
        materials.upload_link_create_view,
        name="material-link-create",
    ),
    path(
        _("orga/<slug:edition>/materials/links/<int:pk>/revoke/"),
        materials.upload_link_revoke_view,
        name="material-link-revoke",
    ),
    path(
        _("orga/<slug:edition>/materials/<int:pk>/file/"),
        materials.material_file,
        name="material-file",
    ),
    path(
        _("orga/<slug:edition>/materials/<int:pk>/approve/"),
        materials.material_approve_view,
        name="material-approve",
    ),
    path(
        _("orga/<slug:edition>/materials/<int:pk>/reject/"),
        materials.material_reject_view,
        name="material-reject",
    ),
    path(_("orga/<slug:edition>/webhooks/"), webhooks.webhooks, name="webhooks"),
    path(
        _("orga/<slug:edition>/webhooks/<int:pk>/"), webhooks.webhook_detail, name="webhook-detail"
    ),
    path(
        _("orga/<slug:edition>/webhooks/<int:pk>/test/"), webhooks.webhook_test, name="webhook-test"
    ),
    path(
        _("orga/<slug:edition>/webhooks/<int:pk>/manage/"),
        webhooks.webhook_manage,
        name="webhook-manage",
    ),
    path(
        _("orga/<slug:edition>/certificates/"),
        certificates.certificate_list_view,
        name="certificates",
    ),
    path(
        _("orga/<slug:edition>/certificates/issue/"),
        certificates.certificates_issue_view,
        name="certificates-issue",
    ),
    path(
        _("orga/<slug:edition>/certificates/template/"),
        certificates.certificate_template_view,
        name="certificate-template",
    ),
    path(
        _("orga/<slug:edition>/certificates/<int:pk>/"),
        certificates.certificate_detail,
        name="certificate-detail",
    ),
    path(
        _("orga/<slug:edition>/certificates/<int:pk>/certificate.pdf"),
        certificates.certificate_pdf_view,
        name="certificate-pdf",
    ),
]
