from django.conf import settings
from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from kongres.checkin import selectors
from kongres.checkin.badges import badges_pdf
from kongres.checkin.models import CheckIn, Gate
from kongres.registration.models import Ticket
from kongres.registration.services import RegistrationError, ticket_reissue


@admin.register(Ticket)
class TicketAdmin(admin.ModelAdmin):
    list_display = ["short_code", "registration", "is_active", "created_at", "revoked_at"]
    list_filter = ["is_active", "registration__edition"]
    search_fields = ["code", "registration__last_name", "registration__email"]
    list_select_related = ["registration"]
    readonly_fields = ["registration", "code", "is_active", "created_at", "revoked_at"]
    actions = ["reissue", "badges"]

    @admin.display(description=_("code"))
    def short_code(self, ticket: Ticket) -> str:
        return f"{ticket.code[:4]}…"

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # tickets are issued by the services

    @admin.action(
        description=_("Re-issue: a new code, the old one refused; mailed to the participant")
    )
    def reissue(self, request: HttpRequest, queryset: QuerySet[Ticket]) -> None:
        done = 0
        for ticket in queryset.filter(is_active=True).select_related("registration"):
            try:
                ticket_reissue(registration=ticket.registration, actor=request.user)
            except RegistrationError as error:
                self.message_user(request, f"{ticket}: {error.message}", messages.ERROR)
            else:
                done += 1
        self.message_user(
            request,
            ngettext("%(count)d ticket re-issued.", "%(count)d tickets re-issued.", done)
            % {"count": done},
        )

    @admin.action(description=_("Name badges (PDF) for the selected tickets"))
    def badges(self, request: HttpRequest, queryset: QuerySet[Ticket]) -> HttpResponse | None:
        tickets = list(queryset.filter(is_active=True).select_related("registration__edition"))
        editions = {ticket.registration.edition for ticket in tickets}
        if len(editions) != 1:
            self.message_user(request, _("Choose active tickets of one edition."), messages.WARNING)
            return None
        edition = editions.pop()
        if len(tickets) > settings.KONGRES_BADGES_PER_PDF:  # review 2026-12, L11
            self.message_user(
                request,
                _(
                    "At most %(limit)s badges at once: choose fewer tickets, or use the check-in "
                    "page's name badges, which offers a large selection in parts."
                )
                % {"limit": settings.KONGRES_BADGES_PER_PDF},
                messages.WARNING,
            )
            return None
        registrations = selectors.badge_registrations(
            edition=edition, registration_ids=[ticket.registration_id for ticket in tickets]
        )
        response = HttpResponse(
            badges_pdf(edition=edition, registrations=registrations),
            content_type="application/pdf",
        )
        response["Content-Disposition"] = f'attachment; filename="badges-{edition.slug}.pdf"'
        return response


@admin.register(Gate)
class GateAdmin(admin.ModelAdmin):
    list_display = ["name", "edition", "order"]
    list_filter = ["edition"]
    list_editable = ["order"]


@admin.register(CheckIn)
class CheckInAdmin(admin.ModelAdmin):
    """Every scan, read-only, with the day's live counts above the list."""

    list_display = ["scanned_at", "day", "result", "registration", "gate", "staff", "device"]
    list_filter = ["result", "edition", "day", "gate"]
    search_fields = ["registration__last_name", "registration__email", "nonce"]
    list_select_related = ["day", "registration", "gate", "staff"]
    date_hierarchy = "scanned_at"
    change_list_template = "admin/checkin/checkin/change_list.html"

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def changelist_view(self, request: HttpRequest, extra_context: dict | None = None):
        edition = getattr(request, "edition", None)
        counts = selectors.checkin_counts_by_day(edition=edition) if edition else []
        return super().changelist_view(
            request, {**(extra_context or {}), "checkin_counts": counts, "edition": edition}
        )
