"""registration_create: seats, the waiting list, windows, duplicates, organisers, checks,
secret links, consent and the verify mail."""

import datetime as dt
import hashlib

import pytest
from django.conf import settings
from django.db import connection
from django.urls import reverse
from django.utils import timezone, translation
from django_tasks_db.models import DBTaskResult

from kongres.audit.models import AuditLogEntry
from kongres.content.models import Page
from kongres.events.models import Edition
from kongres.mail.models import OutboxMessage
from kongres.mail.services import mail_due_wake
from kongres.registration.choices import QuestionKind
from kongres.registration.models import Registration, RegistrationToken, SeatPool
from kongres.registration.selectors import edition_seat_audit, edition_seats
from kongres.registration.services import RegistrationError, registration_create
from tests.factories import DayFactory, EditionFactory, PageFactory, TrackFactory
from tests.factories.registration import (
    QuestionFactory,
    RegistrationDataFactory,
)

Status = Registration.Status


@pytest.fixture
def edition(db):
    return EditionFactory(capacity=2, title_pl="Kongres Testowy", title_en="Test Congress")


def link(name: str, token: str, language: str = "pl") -> str:
    with translation.override(language):
        return settings.SITE_URL + reverse(f"registration:{name}", kwargs={"token": token})


def create(edition, now=None, **data):
    return registration_create(edition=edition, data=RegistrationDataFactory(**data), now=now)


def test_create_holds_a_seat_until_the_hold_time(edition, now):
    registration, _token = create(edition, now, email="Anna.Nowak@Example.ORG")

    assert registration.status == Status.HELD
    assert registration.hold_expires_at == now + dt.timedelta(minutes=120)
    assert registration.email == "Anna.Nowak@example.org"
    seats = edition_seats(edition=edition)
    assert (seats.held, seats.free, seats.waiting_unverified) == (1, 1, 0)
    assert SeatPool.objects.get(edition=edition, day=None).taken == 1


def test_create_mails_the_verify_link_with_the_manage_link(edition, now):
    registration, token = create(edition, now, email="anna@example.org", language="en")

    mail = OutboxMessage.objects.get(kind="registration.verify")
    assert mail.to == "anna@example.org"
    assert mail.related == f"registration:{registration.pk}"
    assert mail.subject == "Confirm your registration for Test Congress"
    assert "We are holding a place for you until" in mail.body_text
    assert link("verify", token, "en") in mail.body_text
    assert link("manage", token, "en") in mail.body_text
    assert f'href="{link("verify", token, "en")}"' in mail.body_html
    assert f'href="{link("manage", token, "en")}"' in mail.body_html


def test_create_when_full_joins_the_waiting_list_unverified(edition, now):
    create(edition, now)
    create(edition, now)
    registration, token = create(edition, now, language="en")

    assert registration.status == Status.WAITING_UNVERIFIED
    assert registration.hold_expires_at == now + dt.timedelta(minutes=120)
    assert edition_seats(edition=edition).held == 2
    mail = OutboxMessage.objects.filter(kind="registration.verify").latest("pk")
    assert mail.subject == "Confirm your address to join the waiting list for Test Congress"
    assert "All places are taken at the moment." in mail.body_text
    assert link("verify", token, "en") in mail.body_text


def test_create_with_no_capacity_always_holds(db, now):
    edition = EditionFactory(capacity=None)
    statuses = {create(edition, now)[0].status for _ in range(5)}
    assert statuses == {Status.HELD}


def test_create_same_address_again_is_a_duplicate_whatever_the_case(edition, now):
    create(edition, now, email="anna@example.org")
    with pytest.raises(RegistrationError) as error:
        create(edition, now, email="ANNA@example.org")
    assert error.value.code == "duplicate"
    assert Registration.objects.count() == 1
    assert edition_seat_audit(edition=edition) == []


def test_create_same_address_in_another_edition_is_fine(edition, now):
    create(edition, now, email="anna@example.org")
    other, _token = create(EditionFactory(), now, email="anna@example.org")
    assert other.status == Status.HELD


def test_create_after_a_cancelled_registration_is_allowed(edition, now):
    from kongres.registration.services import registration_cancel

    first, _token = create(edition, now, email="anna@example.org")
    registration_cancel(registration=first, now=now)
    again, _token = create(edition, now, email="anna@example.org")
    assert again.status == Status.HELD


def test_create_before_the_window_opens_says_when(edition, now):
    edition.registration_opens_at = dt.datetime(2030, 5, 4, 10, 0, tzinfo=dt.UTC)
    edition.save()
    with translation.override("en"), pytest.raises(RegistrationError) as error:
        create(edition, now)
    assert error.value.code == "not_open"
    assert str(error.value.message) == "Registration opens on 4 May 2030, 12:00."
    assert not Registration.objects.exists()


def test_create_after_the_window_closes_is_closed(edition, now):
    edition.registration_closes_at = now - dt.timedelta(minutes=1)
    edition.save()
    with pytest.raises(RegistrationError) as error:
        create(edition, now)
    assert error.value.code == "closed"


def test_create_for_a_past_edition_is_closed(db, now):
    today = timezone.localdate()
    edition = EditionFactory(
        start_date=today - dt.timedelta(days=3), end_date=today - dt.timedelta(days=2)
    )
    with pytest.raises(RegistrationError) as error:
        create(edition, now)
    assert error.value.code == "closed"


@pytest.mark.parametrize(
    ("status", "code"), [(Edition.Status.DRAFT, "not_open"), (Edition.Status.ARCHIVED, "closed")]
)
def test_create_for_a_draft_or_archived_edition(db, now, status, code):
    edition = EditionFactory(status=status)
    with pytest.raises(RegistrationError) as error:
        create(edition, now)
    assert error.value.code == code


def test_organiser_adds_someone_outside_the_window_and_over_capacity(
    edition, now, django_user_model
):
    organiser = django_user_model.objects.create_user("organiser")
    create(edition, now)
    create(edition, now)
    edition.registration_closes_at = now - dt.timedelta(days=1)
    edition.save()

    registration, token = registration_create(
        edition=edition,
        data=RegistrationDataFactory(privacy_consent=False, language="en"),
        now=now,
        actor=organiser,
        over_capacity=True,
    )

    assert registration.status == Status.CONFIRMED
    assert registration.created_by == organiser
    assert registration.verified_at == now
    assert registration.privacy_consent_at is None
    pool = SeatPool.objects.get(edition=edition, day=None)
    assert (pool.taken, pool.capacity, pool.overbooked) == (3, 2, 1)
    mail = OutboxMessage.objects.get(kind="registration.confirmed")
    assert mail.subject == "Your place at Test Congress is confirmed"
    assert [a.filename for a in mail.attachments.all()] == [
        f"{edition.slug}.ics",
        "ticket-qr.png",
        f"ticket-{edition.slug}.pdf",
        f"ticket-{edition.slug}-phone.pdf",
    ]
    assert link("manage", token, "en") in mail.body_text
    assert edition_seat_audit(edition=edition) == []


def test_organiser_without_over_capacity_puts_on_the_waiting_list_when_full(
    edition, now, django_user_model
):
    organiser = django_user_model.objects.create_user("organiser")
    create(edition, now)
    create(edition, now)
    registration, _token = registration_create(
        edition=edition, data=RegistrationDataFactory(), now=now, actor=organiser
    )
    assert registration.status == Status.WAITING
    assert registration.verified_at == now
    assert OutboxMessage.objects.filter(kind="registration.waiting").count() == 1


def test_create_needs_the_privacy_consent(edition, now):
    with pytest.raises(RegistrationError) as error:
        create(edition, now, privacy_consent=False)
    assert error.value.code == "invalid"


def test_create_records_when_and_which_privacy_notice_was_accepted(edition, now):
    page = PageFactory(kind=Page.Kind.PRIVACY, body_pl="Administratorem danych jest…")
    first, _token = create(edition, now)
    page.body_pl = "Administratorem danych jest Instytut."
    page.save()
    second, _token = create(edition, now)

    assert first.privacy_consent_at == now
    assert len(first.privacy_notice_version) == 16
    assert second.privacy_notice_version != first.privacy_notice_version


@pytest.mark.parametrize(
    "changes",
    [
        {"first_name": " "},
        {"email": "not-an-address"},
        {"sector": "astronauts"},
        {"voivodeship": "bavaria"},
        {"accessibility_needs": ["teleport"]},
    ],
)
def test_create_rejects_invalid_data(edition, now, changes):
    with pytest.raises(RegistrationError) as error:
        create(edition, now, **changes)
    assert error.value.code == "invalid"
    assert not Registration.objects.exists()


def test_create_needs_days_of_this_edition(edition, now):
    day = DayFactory(edition=edition)
    other_day = DayFactory()
    with pytest.raises(RegistrationError) as error:
        create(edition, now, day_ids=[other_day.pk])
    assert error.value.code == "invalid"
    with pytest.raises(RegistrationError) as error:
        create(edition, now, day_ids=[])
    assert error.value.code == "invalid"
    registration, _token = create(edition, now, day_ids=[day.pk])
    assert list(registration.days.all()) == [day]


def test_create_keeps_tracks_of_this_edition_only(edition, now):
    track = TrackFactory(edition=edition)
    with pytest.raises(RegistrationError):
        create(edition, now, track_ids=[TrackFactory().pk])
    registration, _token = create(edition, now, track_ids=[track.pk])
    assert list(registration.tracks.all()) == [track]


def test_a_full_day_puts_on_the_waiting_list_though_the_edition_has_seats(db, now):
    edition = EditionFactory(capacity=10)
    first = DayFactory(edition=edition, capacity=1)
    second = DayFactory(edition=edition, date=edition.end_date)
    create(edition, now, day_ids=[first.pk])

    both, _token = create(edition, now, day_ids=[first.pk, second.pk])
    only_second, _token = create(edition, now, day_ids=[second.pk])

    assert both.status == Status.WAITING_UNVERIFIED
    assert only_second.status == Status.HELD
    assert SeatPool.objects.get(day=first).taken == 1
    assert SeatPool.objects.get(day=second).taken == 1
    assert SeatPool.objects.get(edition=edition, day=None).taken == 2
    assert edition_seat_audit(edition=edition) == []


@pytest.mark.parametrize("full", ["edition", "day"])
def test_a_seat_taken_meanwhile_puts_on_the_waiting_list(db, now, monkeypatch, full):
    """The pools read before the transaction said there was a seat; by the time of the write
    another registration had taken it: the whole write is undone and made again without a seat."""
    from kongres.registration import seats

    edition = EditionFactory(capacity=1 if full == "edition" else 10)
    day = DayFactory(edition=edition, capacity=1 if full == "day" else None)
    create(edition, now, day_ids=[day.pk])
    monkeypatch.setattr(seats, "seems_free", lambda pools, day_ids: True)

    registration, token = create(
        edition, now, email="late@example.org", day_ids=[day.pk], language="en"
    )

    assert registration.status == Status.WAITING_UNVERIFIED
    registration.refresh_from_db()
    assert registration.status == Status.WAITING_UNVERIFIED
    assert list(registration.days.all()) == [day]
    assert SeatPool.objects.get(edition=edition, day=None).taken == 1
    assert SeatPool.objects.get(day=day).taken == 1
    assert edition_seat_audit(edition=edition) == []
    # one of each, from the second attempt only
    assert RegistrationToken.objects.filter(registration=registration).count() == 1
    mail = OutboxMessage.objects.get(to="late@example.org")
    assert "All places are taken at the moment." in mail.body_text
    assert link("verify", token, "en") in mail.body_text
    assert AuditLogEntry.objects.filter(object_id=str(registration.pk)).count() == 1


def test_create_writes_its_audit_entry_and_the_task_that_sends_the_mail(
    edition, now, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        registration, _token = create(edition, now, email="anna@example.org")

    entry = AuditLogEntry.objects.get(object_id=str(registration.pk))
    assert entry.action == "registration.create"
    assert entry.edition_id == edition.pk
    assert entry.object_type == "registration.registration"
    assert entry.object_label == str(registration)
    assert entry.actor is None
    assert entry.after == {"status": "held", "over_capacity": False}
    mail = OutboxMessage.objects.get(to="anna@example.org")
    # on PostgreSQL the registration function writes the message with no task: the worker's
    # job of every second enqueues one, which names no message and sends the mail that is due
    if connection.vendor == "postgresql":
        assert not DBTaskResult.objects.exists()
        assert mail_due_wake()
    task = DBTaskResult.objects.get()
    assert mail.task_id == ("" if connection.vendor == "postgresql" else str(task.id))
    args = [] if connection.vendor == "postgresql" else [mail.pk]
    assert task.args_kwargs == {"args": args, "kwargs": {}}
    assert task.task_path == "kongres.mail.tasks.mail_send"


def test_the_secret_token_is_random_and_stored_only_hashed(edition, now):
    registration, token = create(edition, now, email="anna@example.org")
    _other, other_token = create(edition, now, email="anna2@example.org")

    assert len(token) >= 43  # 256 bits in URL-safe base64
    assert token != other_token
    assert "anna" not in token and str(registration.pk) != token
    stored = RegistrationToken.objects.get(registration=registration)
    assert stored.token_hash == hashlib.sha256(token.encode()).hexdigest()
    row = Registration.objects.filter(pk=registration.pk).values().get()
    assert token not in {str(value) for value in row.values()}


def test_create_keeps_the_answers_to_the_questions_asked(edition, now):
    QuestionFactory(edition=edition, slug="diet", kind=QuestionKind.TEXT, required=True, order=1)
    choice = QuestionFactory(
        edition=edition,
        slug="workshop",
        kind=QuestionKind.YESNO,
        order=2,
    )
    QuestionFactory(
        edition=edition,
        slug="topics",
        kind=QuestionKind.MULTIPLE,
        choices=[{"value": "a", "label_pl": "A"}, {"value": "b", "label_pl": "B"}],
        depends_on=choice,
        depends_value="yes",
        order=3,
    )
    QuestionFactory(
        edition=edition,
        slug="why",
        kind=QuestionKind.TEXT,
        depends_on=choice,
        depends_value="no",
        required=True,
        order=4,
    )

    registration, _token = create(
        edition,
        now,
        answers={"diet": " wege ", "workshop": "yes", "topics": ["b", "a"], "stray": "x"},
    )
    assert registration.answers == {"diet": "wege", "workshop": True, "topics": ["a", "b"]}

    with pytest.raises(RegistrationError) as error:
        create(edition, now, answers={"workshop": "yes"})
    assert error.value.code == "invalid"  # "diet" is required
    with pytest.raises(RegistrationError):
        create(edition, now, answers={"diet": "x", "workshop": "no"})  # "why" is asked then
    with pytest.raises(RegistrationError):
        create(edition, now, answers={"diet": "x", "workshop": "yes", "topics": ["z"]})


def test_the_verify_mail_speaks_polish_by_default(edition, now):
    _registration, token = create(edition, now, language="pl")

    mail = OutboxMessage.objects.get(kind="registration.verify")
    assert mail.language == "pl"
    assert mail.subject == "Potwierdź rejestrację na wydarzenie Kongres Testowy"
    assert "Rezerwujemy dla ciebie miejsce do" in mail.body_text
    assert "Potwierdzam rejestrację" in mail.body_html
    assert link("verify", token, "pl") in mail.body_text
    assert link("manage", token, "pl") in mail.body_text
    assert "/en/" not in mail.body_text


def test_a_duplicate_is_explained_in_polish(edition, now):
    create(edition, now, email="anna@example.org")
    with translation.override("pl"), pytest.raises(RegistrationError) as error:
        create(edition, now, email="anna@example.org")
    assert str(error.value.message) == "Ten adres e-mail jest już zarejestrowany na tę edycję."
