"""Reads of registrations: by secret link, waiting-list position, seat counts, the
organisers' questions, the privacy notice version, and the participant's data export."""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db.models import CharField, Count, F, Q, Subquery
from django.db.models.functions import Coalesce, Lower
from django.utils import timezone

from kongres.content.models import Page, PrivacyNoticeVersion
from kongres.core.cache import memoized
from kongres.events.models import Day, Edition
from kongres.events.selectors import edition_days, edition_tracks
from kongres.mail.models import OutboxMessage
from kongres.registration.data import EditionParts
from kongres.registration.models import (
    ACTIVE_STATUSES,
    SEAT_STATUSES,
    Allocation,
    Question,
    Registration,
    RegistrationToken,
    SeatPool,
)
from kongres.registration.tokens import token_hash, token_looks_valid
from kongres.registration.validators import email_key
from kongres.webhooks.models import WebhookSubscription

Status = Registration.Status


def registration_get_by_token(*, token: str, today: dt.date | None = None) -> Registration | None:
    """The registration a secret link belongs to (with its edition), or None; None too once
    the link has expired (``registration_link_expired``)."""
    registration = _by_token(token)
    if registration is None or registration_link_expired(registration=registration, today=today):
        return None
    return registration


def registration_link_expired(*, registration: Registration, today: dt.date | None = None) -> bool:
    """Whether the registration's links have expired: ``KONGRES_LINK_VALID_DAYS`` after the
    edition's last day (review 2026-12, L6)."""
    today = today or timezone.localdate()
    days = dt.timedelta(days=settings.KONGRES_LINK_VALID_DAYS)
    return registration.edition.end_date + days < today


def registration_get_by_expired_token(*, token: str) -> Registration | None:
    """The registration of a link that exists but has expired (for the page that says so)."""
    registration = _by_token(token)
    if registration is None or not registration_link_expired(registration=registration):
        return None
    return registration


def registration_get_by_token_in(*, token: str, edition: Edition) -> Registration | None:
    """``registration_get_by_token`` for a caller that has the edition the registration must
    belong to: one narrow read (the edition is not read again); None too for a registration of
    another edition."""
    if not token_looks_valid(token):
        return None
    query = Registration.objects.filter(pk=token_registration_id(token))
    found = list(query.order_by()[:1])
    if not found or found[0].edition_id != edition.pk:  # compared here: see token_registration_id
        return None
    registration = found[0]
    registration.edition = edition
    if registration_link_expired(registration=registration):
        return None
    return registration


def token_registration_id(token: str) -> Subquery:
    """The id of the registration whose link's token is ``token``, as a subquery. A lookup by
    ``pk=`` on it alone (the edition compared afterwards) is planned from the token's unique
    index, then the registration's primary key, whatever the tables' statistics say: a join
    filtered on the edition was planned from the edition's index when they were stale (a
    bench's participants made just before the rush), reading every registration of the
    edition for each token: 12 ms of the database's CPU instead of 0.05."""
    return Subquery(
        RegistrationToken.objects.filter(token_hash=token_hash(token)).values("registration_id")[:1]
    )


def _by_token(token: str) -> Registration | None:
    if not token_looks_valid(token):
        return None
    return (
        Registration.objects.select_related("edition")
        .filter(tokens__token_hash=token_hash(token))
        .first()
    )


def registration_get_active(*, edition: Edition, email: str) -> Registration | None:
    """The live registration of an address in an edition, or None; the address is compared
    normalised, as duplicates are (``validators.email_key``)."""
    return (
        Registration.objects.annotate(
            key=Coalesce("email_key", Lower("email"), output_field=CharField())
        )
        .filter(edition=edition, key=email_key(email), status__in=ACTIVE_STATUSES)
        .select_related("edition")
        .first()
    )


# The order of the waiting list: those ranked by a draw first, in drawn order, then by the time
# the address was confirmed.
QUEUE_ORDER = (F("draw_entry__rank").asc(nulls_last=True), "verified_at", "pk")


def registration_waiting_position(*, registration: Registration) -> int | None:
    """1-based place on the waiting list (``QUEUE_ORDER``); None when the registration is not
    on the list (or its address is not confirmed yet)."""
    if registration.status != Status.WAITING or registration.verified_at is None:
        return None
    rank = (
        Registration.objects.filter(pk=registration.pk)
        .values_list("draw_entry__rank", flat=True)
        .first()
    )
    waiting = Registration.objects.filter(edition_id=registration.edition_id, status=Status.WAITING)
    if rank is not None:
        ahead = waiting.filter(draw_entry__rank__lt=rank)
    else:
        ahead = waiting.filter(
            Q(draw_entry__rank__isnull=False)
            | Q(verified_at__lt=registration.verified_at)
            | Q(verified_at=registration.verified_at, pk__lt=registration.pk)
        )
    return ahead.count() + 1


@dataclass(frozen=True)
class SeatCounts:
    capacity: int | None  # None: no limit
    held: int
    confirmed: int
    offered: int
    waiting: int  # address confirmed, in the queue
    free: int | None  # None: no limit
    pending_approval: int = 0
    waiting_unverified: int = 0

    @property
    def taken(self) -> int:
        return self.held + self.confirmed + self.offered + self.pending_approval


def _status_counts(registrations) -> dict[str, int]:
    return registrations.aggregate(
        **{status.value: Count("pk", filter=Q(status=status)) for status in Status}
    )


def edition_seats(*, edition: Edition) -> SeatCounts:
    """How many seats are held, confirmed, offered, awaiting approval, and how many are free.
    Counted from the registrations themselves (one query)."""
    counts = _status_counts(Registration.objects.filter(edition=edition))
    taken = sum(counts[status.value] for status in SEAT_STATUSES)
    capacity = edition.capacity
    return SeatCounts(
        capacity=capacity,
        held=counts[Status.HELD],
        confirmed=counts[Status.CONFIRMED],
        offered=counts[Status.OFFERED],
        waiting=counts[Status.WAITING],
        free=None if capacity is None else max(capacity - taken, 0),
        pending_approval=counts[Status.PENDING_APPROVAL],
        waiting_unverified=counts[Status.WAITING_UNVERIFIED],
    )


@dataclass(frozen=True)
class DaySeats:
    day: Day
    capacity: int | None
    taken: int
    free: int | None


def edition_day_seats(*, edition: Edition) -> list[DaySeats]:
    """Seats per day (taken counts registrations holding a seat and attending that day)."""
    days = Day.objects.filter(edition=edition).annotate(
        seats_taken=Count("registrations", filter=Q(registrations__status__in=SEAT_STATUSES))
    )
    return [
        DaySeats(
            day=day,
            capacity=day.capacity,
            taken=day.seats_taken,
            free=None if day.capacity is None else max(day.capacity - day.seats_taken, 0),
        )
        for day in days.order_by("date")
    ]


@dataclass(frozen=True)
class FullSeats:
    """What the registration form says about seats: the edition full, and its full days."""

    edition: bool
    day_ids: frozenset[int]


def edition_full_seats(*, edition: Edition, days: list[Day]) -> FullSeats:
    """Whether the edition, and which of ``days``, have no free seat: read from the seat pools
    (one small query on the counters the services keep) against the capacities now set; counted
    from the registrations when the pools do not exist yet."""
    pools = dict(SeatPool.objects.filter(edition=edition).values_list("day_id", "taken"))
    if None in pools and all(day.pk in pools for day in days):
        taken, day_taken = pools[None], pools
    else:
        taken = edition_seats(edition=edition).taken
        day_taken = {seats.day.pk: seats.taken for seats in edition_day_seats(edition=edition)}

    def full(capacity: int | None, taken: int) -> bool:
        return capacity is not None and taken >= capacity

    return FullSeats(
        edition=full(edition.capacity, taken),
        day_ids=frozenset(day.pk for day in days if full(day.capacity, day_taken.get(day.pk, 0))),
    )


def edition_seat_audit(*, edition: Edition) -> list[str]:
    """Differences between the seat pools and the registrations (empty when all is well):
    for tests and for an operator's sanity check."""
    problems = []
    pools = {pool.day_id: pool for pool in SeatPool.objects.filter(edition=edition)}
    seats = edition_seats(edition=edition)
    edition_pool = pools.get(None)
    if edition_pool is None:
        return ["no seat pool for the edition"] if seats.taken else []
    if edition_pool.taken != seats.taken:
        problems.append(f"edition: pool says {edition_pool.taken}, registrations {seats.taken}")
    if edition_pool.capacity != edition.capacity:
        problems.append(f"edition: pool capacity {edition_pool.capacity} != {edition.capacity}")
    for day_seats in edition_day_seats(edition=edition):
        pool = pools.get(day_seats.day.pk)
        taken = pool.taken if pool else 0
        if taken != day_seats.taken:
            problems.append(
                f"{day_seats.day.date}: pool says {taken}, registrations {day_seats.taken}"
            )
    return problems


def edition_form_parts(*, edition: Edition) -> EditionParts:
    """The days, panels and questions a registration of the edition is checked against (the
    form is built from them), kept in the cache while the content is unchanged (``memoized``:
    editing them bumps the content generation)."""
    return form_parts_of(
        memoized(form_parts_memo_key(edition.pk), lambda: form_parts_load(edition))
    )


def form_parts_of(loaded: tuple, **more: Any) -> EditionParts:
    """The ``EditionParts`` of what ``form_parts_load`` gave, with ``more`` of its fields."""
    days, tracks, questions, closed, subscribed = loaded
    return EditionParts(
        days=days,
        tracks=tracks,
        questions=questions,
        seats_closed=closed,
        subscribed=subscribed,
        **more,
    )


def form_parts_memo_key(edition_id: int) -> str:
    """The ``memoized`` key of ``edition_form_parts``."""
    return f"registration:form-parts:{edition_id}:2"  # 2: with "subscribed"


def form_parts_load(edition: Edition) -> tuple:
    """What ``edition_form_parts`` keeps in the cache: days, panels, questions, seats closed,
    subscribed (``EditionParts``)."""
    return (
        edition_days(edition=edition),
        edition_tracks(edition=edition),
        question_list(edition=edition),
        seats_closed(edition.pk),
        WebhookSubscription.objects.filter(edition_id=edition.pk, active=True).exists(),
    )


def seats_closed(edition_id: int) -> bool:
    """Whether the edition gives no seat to participants yet: draw mode, draw not done."""
    return Allocation.objects.filter(
        edition_id=edition_id, mode=Allocation.Mode.DRAW, edition__draw__isnull=True
    ).exists()


def question_list(*, edition: Edition) -> list[Question]:
    """The organisers' questions of an edition, in order, with the question each depends on."""
    return list(
        Question.objects.filter(edition=edition)
        .select_related("depends_on")
        .order_by("order", "pk")
    )


def privacy_notice_version() -> str:
    """A short fingerprint of the privacy notice text now shown (both languages); it changes
    whenever the text does, so a consent record says which text was agreed to. Empty when
    there is no privacy notice page."""
    return privacy_fingerprint(privacy_notice_texts())


_PRIVACY_FIELDS = ("title_pl", "body_pl", "title_en", "body_en")


def privacy_notice_texts() -> dict[str, str] | None:
    """The title and body of the privacy notice now shown, in Polish and English (None when
    there is no privacy notice page): what a ``PrivacyNoticeVersion`` keeps."""
    page = Page.objects.filter(kind=Page.Kind.PRIVACY, is_published=True).order_by("pk").first()
    if page is None:
        return None
    return {field: getattr(page, field) or "" for field in _PRIVACY_FIELDS}


def privacy_fingerprint(texts: dict[str, str] | None) -> str:
    if texts is None:
        return ""
    text = "\x1e".join(texts[field] for field in _PRIVACY_FIELDS)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def privacy_notice_version_get(*, fingerprint: str) -> PrivacyNoticeVersion | None:
    """The stored text of a privacy notice version, or None (consents older than the store)."""
    if not fingerprint:
        return None
    return PrivacyNoticeVersion.objects.filter(fingerprint=fingerprint).first()


def _iso(value) -> str | None:
    return value.isoformat() if value is not None else None


def registration_data_export(*, registration: Registration) -> dict[str, Any]:
    """Everything stored about the participant, as a JSON-able dict (GDPR access request):
    the registration, the choices with their labels, the consents, the answers and the mails
    sent to them. Secret links are left out: only their hashes are stored."""

    registration = (
        Registration.objects.select_related("edition")
        .prefetch_related("days", "tracks")
        .get(pk=registration.pk)
    )
    questions = {
        question.slug: question for question in question_list(edition=registration.edition)
    }
    answers = [
        {
            "question": str(questions[slug].label) if slug in questions else slug,
            "answer": value,
        }
        for slug, value in registration.answers.items()
    ]
    mails = OutboxMessage.objects.filter(related=registration_mail_key(registration)).order_by(
        "created_at", "pk"
    )
    return {
        "edition": {"slug": registration.edition.slug, "title": registration.edition.title},
        "status": registration.status,
        "status_label": str(registration.get_status_display()),
        "email": registration.email,
        "first_name": registration.first_name,
        "last_name": registration.last_name,
        "institution": registration.institution,
        "position": registration.position,
        "sector": registration.sector,
        "town": registration.town,
        "voivodeship": registration.voivodeship,
        "municipality_size": registration.municipality_size,
        "days": [
            {"date": day.date.isoformat(), "name": day.name} for day in registration.days.all()
        ],
        "tracks": [track.name for track in registration.tracks.all()],
        "accessibility_needs": list(registration.accessibility_needs),
        "accessibility_other": registration.accessibility_other,
        "dietary_needs": registration.dietary_needs,
        "answers": answers,
        "language": registration.language,
        "consents": {
            "privacy_notice_accepted_at": _iso(registration.privacy_consent_at),
            "privacy_notice_version": registration.privacy_notice_version,
            "photo": registration.photo_consent,
            "newsletter": registration.newsletter_consent,
        },
        "dates": {
            "created": _iso(registration.created_at),
            "updated": _iso(registration.updated_at),
            "address_confirmed": _iso(registration.verified_at),
            "confirm_address_by": _iso(registration.hold_expires_at),
            "seat_offered": _iso(registration.offered_at),
            "offer_valid_until": _iso(registration.offer_expires_at),
            "confirmed": _iso(registration.confirmed_at),
            "approved_or_rejected": _iso(registration.decided_at),
            "cancelled_or_expired": _iso(registration.ended_at),
        },
        "mails": [
            {
                "subject": mail.subject,
                "to": mail.to,
                "queued": _iso(mail.created_at),
                "sent": _iso(mail.sent_at),
                "status": mail.status,
            }
            for mail in mails
        ],
    }


def registration_mail_key(registration: Registration) -> str:
    """The ``related`` value of the outbox messages about a registration."""
    return f"registration:{registration.pk}"


def registration_webhook_data(*, registration: Registration) -> dict:
    """What a webhook says about a registration (kongres.webhooks): who, in which edition, in
    which state; the rest is read through the API by its id."""
    return {
        "id": registration.pk,
        "edition": registration.edition.slug,
        "status": str(registration.status),
        "email": registration.email,
        "first_name": registration.first_name,
        "last_name": registration.last_name,
        "institution": registration.institution,
        "language": registration.language,
    }
