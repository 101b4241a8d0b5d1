"""The admin for registrations and the organisers' questions. Every change of a registration's
state goes through ``services.py`` (the actions below); the change form edits only the
participant's details. Registrations are added by the form (or an organiser through the
service), never as bare rows, so that the seats stay counted."""

from __future__ import annotations

from collections.abc import Callable

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from modeltranslation.admin import TranslationAdmin

from kongres.registration import admin_allocation  # noqa: F401 (registers its admin)
from kongres.registration.admin_capacity import capacity_admins_register
from kongres.registration.models import Question, Registration
from kongres.registration.services import (
    RegistrationError,
    registration_approve,
    registration_cancel,
    registration_mail_resend,
    registration_offer,
)

SEAT_AND_STATE_FIELDS = [
    "edition",
    "status",
    "email",
    "language",
    "days",
    "tracks",
    "answers",
    "privacy_consent_at",
    "privacy_notice_version",
    "created_at",
    "updated_at",
    "verified_at",
    "hold_expires_at",
    "offered_at",
    "offer_expires_at",
    "confirmed_at",
    "decided_at",
    "decided_by",
    "ended_at",
    "cancelled_by",
    "created_by",
]


@admin.register(Registration)
class RegistrationAdmin(admin.ModelAdmin):
    list_display = [
        "last_name",
        "first_name",
        "email",
        "institution",
        "sector",
        "status",
        "edition",
        "created_at",
    ]
    list_filter = ["edition", "status", "sector", "voivodeship"]
    search_fields = ["email", "first_name", "last_name", "institution", "town"]
    list_select_related = ["edition"]
    ordering = ["-created_at", "-pk"]
    date_hierarchy = "created_at"
    actions = ["approve", "cancel", "offer", "resend"]
    readonly_fields = SEAT_AND_STATE_FIELDS
    fieldsets = [
        (None, {"fields": ["edition", "status", "email", "language"]}),
        (
            _("Participant"),
            {
                "fields": [
                    "first_name",
                    "last_name",
                    "institution",
                    "position",
                    "sector",
                    "town",
                    "voivodeship",
                    "municipality_size",
                ]
            },
        ),
        (
            _("Attendance and needs"),
            {
                "fields": [
                    "days",
                    "tracks",
                    "accessibility_needs",
                    "accessibility_other",
                    "dietary_needs",
                    "answers",
                ]
            },
        ),
        (
            _("Consents"),
            {
                "fields": [
                    "privacy_consent_at",
                    "privacy_notice_version",
                    "photo_consent",
                    "newsletter_consent",
                ]
            },
        ),
        (
            _("History"),
            {
                "fields": [
                    "created_at",
                    "created_by",
                    "verified_at",
                    "hold_expires_at",
                    "offered_at",
                    "offer_expires_at",
                    "confirmed_at",
                    "decided_at",
                    "decided_by",
                    "ended_at",
                    "cancelled_by",
                    "updated_at",
                ]
            },
        ),
    ]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # through the registration form or registration_create

    def has_delete_permission(self, request: HttpRequest, obj: Registration | None = None) -> bool:
        return False  # a deleted row would leave its seat counted; cancel instead

    def _each(
        self,
        request: HttpRequest,
        queryset: QuerySet[Registration],
        change: Callable[[Registration], object],
        done: Callable[[int], str],
    ) -> None:
        """Apply a service to each selected registration; report what worked and what not."""
        succeeded, failed = 0, []
        for registration in queryset.select_related("edition").order_by("pk"):
            try:
                change(registration)
            except RegistrationError as error:
                failed.append(f"{registration.full_name} <{registration.email}>: {error.message}")
            else:
                succeeded += 1
        if succeeded:
            self.message_user(request, done(succeeded), messages.SUCCESS)
        for line in failed:
            self.message_user(request, line, messages.WARNING)

    @admin.action(description=_("Approve the selected registrations"), permissions=["change"])
    def approve(self, request: HttpRequest, queryset: QuerySet[Registration]) -> None:
        self._each(
            request,
            queryset,
            lambda registration: registration_approve(
                registration=registration, actor=request.user
            ),
            lambda n: (
                ngettext("%(n)d registration approved.", "%(n)d registrations approved.", n)
                % {"n": n}
            ),
        )

    @admin.action(description=_("Cancel the selected registrations"), permissions=["change"])
    def cancel(self, request: HttpRequest, queryset: QuerySet[Registration]) -> None:
        self._each(
            request,
            queryset,
            lambda registration: registration_cancel(registration=registration, actor=request.user),
            lambda n: (
                ngettext("%(n)d registration cancelled.", "%(n)d registrations cancelled.", n)
                % {"n": n}
            ),
        )

    @admin.action(
        description=_("Offer a seat to the selected people on the waiting list (over capacity)"),
        permissions=["change"],
    )
    def offer(self, request: HttpRequest, queryset: QuerySet[Registration]) -> None:
        self._each(
            request,
            queryset,
            lambda registration: registration_offer(
                registration=registration, actor=request.user, over_capacity=True
            ),
            lambda n: ngettext("%(n)d seat offered.", "%(n)d seats offered.", n) % {"n": n},
        )

    @admin.action(
        description=_("Send the selected people their link again"), permissions=["change"]
    )
    def resend(self, request: HttpRequest, queryset: QuerySet[Registration]) -> None:
        self._each(
            request,
            queryset,
            lambda registration: registration_mail_resend(
                registration=registration, actor=request.user
            ),
            lambda n: ngettext("%(n)d message queued.", "%(n)d messages queued.", n) % {"n": n},
        )


@admin.register(Question)
class QuestionAdmin(TranslationAdmin):
    list_display = ["label", "edition", "kind", "required", "order"]
    list_filter = ["edition", "kind", "required"]
    search_fields = ["label_pl", "label_en", "slug"]
    list_select_related = ["edition"]
    ordering = ["edition", "order", "pk"]
    autocomplete_fields = ["depends_on"]
    fields = [
        "edition",
        "slug",
        "label",
        "kind",
        "choices",
        "required",
        "order",
        "depends_on",
        "depends_value",
    ]


capacity_admins_register(admin.site)
