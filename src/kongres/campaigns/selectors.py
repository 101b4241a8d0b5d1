"""Reads of messages to participants: recipients, delivery status per recipient."""

from __future__ import annotations

from django.db.models import Count, Q, QuerySet

from kongres.campaigns.models import Campaign, ScheduledMail
from kongres.mail.models import OutboxMessage
from kongres.registration.models import ACTIVE_STATUSES, ERASED_DOMAIN, Registration
from kongres.registration.segments import registration_filter


def campaign_recipients(*, campaign: Campaign) -> QuerySet[Registration]:
    """The registrations the message goes to: its segment of the list, of those who may be
    written to: the address confirmed, the registration active (not cancelled, expired,
    rejected; the waiting list may be written to), not erased, and with newsletter consent
    unless the message is about the registration itself (``Campaign.transactional``)."""
    found = registration_filter(edition=campaign.edition, params=campaign.segment).filter(
        verified_at__isnull=False, status__in=ACTIVE_STATUSES
    )
    if not campaign.transactional:
        found = found.filter(newsletter_consent=True)
    return found.exclude(email__iendswith=f"@{ERASED_DOMAIN}")


def campaign_list(*, edition) -> QuerySet[Campaign]:
    return Campaign.objects.filter(edition=edition).select_related("created_by", "queued_by")


def campaign_deliveries(*, campaign: Campaign) -> QuerySet[OutboxMessage]:
    """One outbox row per recipient: address, status, attempts, sent at, last error."""
    return OutboxMessage.objects.filter(related=campaign.mail_key).order_by("to", "pk")


def campaign_delivery_counts(*, campaign: Campaign) -> dict[str, int]:
    return OutboxMessage.objects.filter(related=campaign.mail_key).aggregate(
        total=Count("pk"),
        **{status.value: Count("pk", filter=Q(status=status)) for status in OutboxMessage.Status},
    )


# Each audience of a scheduled mail as a segment of the participant list (the parameters of
# ``registration_filter``): "came" is checked in at the door on at least one day.
AUDIENCE_SEGMENTS: dict[str, dict[str, str]] = {
    ScheduledMail.Audience.CONFIRMED: {},
    ScheduledMail.Audience.CAME: {"checked_in": "yes"},
    ScheduledMail.Audience.ABSENT: {"checked_in": "no"},
}


def scheduled_mail_recipients(
    *, edition, audience: str = ScheduledMail.Audience.CONFIRMED
) -> QuerySet[Registration]:
    """Who a scheduled mail goes to: the edition's confirmed participants (their address
    confirmed, not erased) of its ``audience`` (everyone, those who came, those who did not).
    It is about their participation: no newsletter consent needed."""
    return (
        registration_filter(edition=edition, params=AUDIENCE_SEGMENTS[audience])
        .filter(status=Registration.Status.CONFIRMED, verified_at__isnull=False)
        .exclude(email__iendswith=f"@{ERASED_DOMAIN}")
        .order_by("pk")
    )


def scheduled_mail_list(*, edition) -> QuerySet[ScheduledMail]:
    return ScheduledMail.objects.filter(edition=edition).select_related("edition")


def scheduled_mail_delivery_counts(*, scheduled: ScheduledMail) -> dict[str, int]:
    return OutboxMessage.objects.filter(related=scheduled.mail_key).aggregate(
        total=Count("pk"),
        **{status.value: Count("pk", filter=Q(status=status)) for status in OutboxMessage.Status},
    )
