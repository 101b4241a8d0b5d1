from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.template.defaultfilters import truncatechars
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from kongres.mail.delivery import mail_retry_now
from kongres.mail.models import OutboxAttachment, OutboxMessage
from kongres.mail.services import MailError


class OutboxAttachmentInline(admin.TabularInline):
    model = OutboxAttachment
    fields = ["filename", "mimetype", "size", "renderer", "content_id"]
    readonly_fields = fields
    extra = 0

    @admin.display(description=_("size (bytes)"))
    def size(self, attachment: OutboxAttachment) -> int:
        return len(attachment.content)

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(OutboxMessage)
class OutboxMessageAdmin(admin.ModelAdmin):
    """The outbox, read-only: what was sent, what waits, what failed and why."""

    list_display = [
        "created_at",
        "to",
        "subject",
        "kind",
        "status",
        "attempts",
        "short_error",
        "sent_at",
    ]
    list_filter = ["status", "kind", "language"]
    search_fields = ["to", "subject", "related"]
    date_hierarchy = "created_at"
    actions = ["retry_now"]
    inlines = [OutboxAttachmentInline]
    fieldsets = [
        (None, {"fields": ["to", "reply_to", "language", "subject", "kind", "related"]}),
        (
            _("Delivery"),
            {
                "fields": [
                    "status",
                    "attempts",
                    "next_attempt_at",
                    "last_attempt_at",
                    "last_error",
                    "sent_at",
                    "message_id",
                    "task_id",
                    "created_at",
                ]
            },
        ),
        (_("Content"), {"fields": ["body_text", "body_html"]}),
    ]
    readonly_fields = [field for _title, options in fieldsets for field in options["fields"]]

    @admin.display(description=_("last error"))
    def short_error(self, message: OutboxMessage) -> str:
        return truncatechars(message.last_error, 80)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_retry_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("mail.change_outboxmessage")

    @admin.action(description=_("Retry now"), permissions=["retry"])
    def retry_now(self, request: HttpRequest, queryset: QuerySet[OutboxMessage]) -> None:
        try:
            count = mail_retry_now(messages=queryset)
        except MailError as error:
            self.message_user(request, error.message, messages.ERROR)
            return
        skipped = queryset.count() - count
        self.message_user(
            request,
            ngettext(
                "%(count)d message queued again.",
                "%(count)d messages queued again.",
                count,
            )
            % {"count": count},
            messages.SUCCESS,
        )
        if skipped:
            self.message_user(
                request,
                ngettext(
                    "%(count)d message was skipped: it is already sent or being sent.",
                    "%(count)d messages were skipped: they are already sent or being sent.",
                    skipped,
                )
                % {"count": skipped},
                messages.WARNING,
            )
