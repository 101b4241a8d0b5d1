"""The registration admin: list with filters and search, the actions (through the services),
the read-only state, and the question admin with both languages. The admin speaks Polish (it
is outside the language-prefixed URLs), so the texts checked are Polish."""

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from kongres.mail.models import OutboxMessage
from kongres.registration.models import Registration
from kongres.registration.selectors import edition_seat_audit
from kongres.registration.services import registration_verify
from tests.factories import EditionFactory
from tests.factories.registration import QuestionFactory, RegistrationFactory

Status = Registration.Status
CHANGELIST = "admin:registration_registration_changelist"


@pytest.fixture
def edition(db):
    return EditionFactory(capacity=2, title_pl="Kongres Testowy", title_en="Test Congress")


def register(edition, *, verified=False, **data):
    return RegistrationFactory(
        edition=edition, verified=verified, **{f"data__{k}": v for k, v in data.items()}
    )


def status_of(registration) -> str:
    return Registration.objects.values_list("status", flat=True).get(pk=registration.pk)


def act(client, action: str, *registrations):
    return client.post(
        reverse(CHANGELIST),
        {"action": action, "_selected_action": [r.pk for r in registrations]},
        follow=True,
    )


def test_list_shows_registrations_with_status(admin_client, edition):
    register(edition, verified=True, last_name="Kowalska", institution="Urząd Miasta Łodzi")
    register(edition, last_name="Wiśniewski")

    response = admin_client.get(reverse(CHANGELIST))

    text = response.content.decode()
    assert response.status_code == 200
    assert "Kowalska" in text and "Urząd Miasta Łodzi" in text and "Wiśniewski" in text
    assert "potwierdzona" in text and "miejsce zarezerwowane, adres niepotwierdzony" in text


def test_list_filters_by_status_and_searches(admin_client, edition):
    register(edition, verified=True, last_name="Kowalska")
    register(edition, last_name="Wiśniewski", email="jan@example.org")

    by_status = admin_client.get(reverse(CHANGELIST), {"status__exact": "confirmed"})
    assert "Kowalska" in by_status.content.decode()
    assert "Wiśniewski" not in by_status.content.decode()

    found = admin_client.get(reverse(CHANGELIST), {"q": "jan@example"})
    assert "Wiśniewski" in found.content.decode()
    assert "Kowalska" not in found.content.decode()


@pytest.mark.parametrize("count", [1, 3])
def test_list_queries_do_not_grow_with_the_rows(
    admin_client, edition, count, django_assert_num_queries
):
    edition.capacity = None
    edition.save()
    for _ in range(count):
        register(edition)
    admin_client.get(
        reverse(CHANGELIST)
    )  # warm up session (cached_db: then read from the cache) and content types
    # 7, the user read with whether it must give a second factor (accounts.backends)
    with django_assert_num_queries(7):
        response = admin_client.get(reverse(CHANGELIST))
    assert response.content.decode().count("Nowak") >= count


def test_registrations_cannot_be_added_or_deleted_in_the_admin(admin_client, edition):
    registration = register(edition)
    assert admin_client.get(reverse("admin:registration_registration_add")).status_code == 403
    delete = reverse("admin:registration_registration_delete", args=[registration.pk])
    assert admin_client.get(delete).status_code == 403


def test_the_change_form_edits_details_but_not_the_state(admin_client, edition):
    registration = register(edition, verified=True)
    url = reverse("admin:registration_registration_change", args=[registration.pk])

    page = admin_client.get(url).content.decode()
    assert 'name="first_name"' in page
    assert 'name="status"' not in page and 'name="email"' not in page

    form = {
        "first_name": "Ewa",
        "last_name": "Nowak",
        "institution": "",
        "position": "",
        "sector": "",
        "town": "",
        "voivodeship": "",
        "municipality_size": "",
        "accessibility_needs": "[]",
        "accessibility_other": "",
        "dietary_needs": "",
        "status": "cancelled",
    }
    admin_client.post(url, form)
    registration.refresh_from_db()
    assert (registration.first_name, registration.status) == ("Ewa", Status.CONFIRMED)


def test_action_approve(admin_client, edition):
    edition.requires_approval = True
    edition.save()
    pending = register(edition, verified=True)
    unverified = register(edition)

    response = act(admin_client, "approve", pending, unverified)

    text = response.content.decode()
    assert "Zaakceptowano 1 rejestrację." in text
    assert "Tego nie można zrobić z rejestracją w tym stanie." in text
    assert status_of(pending) == Status.CONFIRMED
    assert status_of(unverified) == Status.HELD
    assert OutboxMessage.objects.filter(kind="registration.approved").count() == 1


def test_action_cancel_offers_the_seat_to_the_waiting_list(admin_client, edition, admin_user):
    seated = register(edition, verified=True)
    register(edition, verified=True)
    waiting = register(edition)
    registration_verify(token=waiting.token)

    response = act(admin_client, "cancel", seated)

    assert "Anulowano 1 rejestrację." in response.content.decode()
    cancelled = Registration.objects.get(pk=seated.pk)
    assert (cancelled.status, cancelled.cancelled_by) == (Status.CANCELLED, admin_user)
    assert status_of(waiting) == Status.OFFERED
    assert edition_seat_audit(edition=edition) == []


def test_action_offer_moves_people_off_the_waiting_list(admin_client, edition):
    register(edition, verified=True)
    register(edition, verified=True)
    waiting = register(edition)
    registration_verify(token=waiting.token)

    response = act(admin_client, "offer", waiting)

    assert "Zaproponowano 1 miejsce." in response.content.decode()
    assert status_of(waiting) == Status.OFFERED
    assert edition_seat_audit(edition=edition) == []


def test_action_resend(admin_client, edition):
    registration = register(edition, verified=True)
    response = act(admin_client, "resend", registration)
    assert "Dodano do kolejki 1 wiadomość." in response.content.decode()
    assert OutboxMessage.objects.filter(kind="registration.link", to=registration.email).exists()


def test_question_admin_edits_both_languages(admin_client, edition):
    question = QuestionFactory(edition=edition, label_pl="Czy potrzebujesz noclegu?")
    page = admin_client.get(
        reverse("admin:registration_question_change", args=[question.pk])
    ).content.decode()
    assert 'name="label_pl"' in page and 'name="label_en"' in page
    assert "Czy potrzebujesz noclegu?" in page

    listing = admin_client.get(reverse("admin:registration_question_changelist"))
    assert "Czy potrzebujesz noclegu?" in listing.content.decode()


def test_question_with_choices_needs_values(db, edition):
    from django.core.exceptions import ValidationError

    question = QuestionFactory.build(edition=edition, kind="single", choices=[{"label_pl": "A"}])
    with pytest.raises(ValidationError):
        question.clean()
    question.choices = [{"value": "a", "label_pl": "A", "label_en": "A (en)"}]
    question.clean()
    assert question.choice_label("a", "en") == "A (en)"
    assert question.choice_label("a", "pl") == "A"


def test_created_at_is_shown_in_the_history(admin_client, edition):
    registration = register(edition)
    page = admin_client.get(
        reverse("admin:registration_registration_change", args=[registration.pk])
    ).content.decode()
    assert "Historia" in page
    assert timezone.localtime(registration.hold_expires_at).strftime("%Y") in page
    assert registration.hold_expires_at > timezone.now() + dt.timedelta(minutes=100)


# -- capacities changed in the events admin go through the registration services ----------


def admin_form_data(response) -> dict:
    """The POST data of an admin change form as it was shown (main form and inlines)."""
    forms = [response.context["adminform"].form]
    for inline in response.context["inline_admin_formsets"]:
        forms.append(inline.formset.management_form)
        forms.extend(inline.formset.forms)
    data = {}
    for form in forms:
        for bound in form:
            value = bound.value()
            widget = bound.field.widget
            if hasattr(widget, "widgets_names"):  # e.g. date and time in two inputs
                parts = value if isinstance(value, list) else widget.decompress(value)
                for suffix, part in zip(widget.widgets_names, parts, strict=True):
                    if part not in (None, ""):
                        data[bound.html_name + suffix] = str(part)
            elif isinstance(value, bool):
                if value:
                    data[bound.html_name] = "on"
            elif isinstance(value, list | tuple):
                data[bound.html_name] = [str(item) for item in value]
            elif value is not None:
                data[bound.html_name] = str(value)
    return data


def full_with_one_waiting(edition, **data):
    register(edition, verified=True, **data)
    register(edition, verified=True, **data)
    waiting = register(edition, email="czeka@example.org", **data)
    registration_verify(token=waiting.token)
    assert status_of(waiting) == Status.WAITING
    return waiting


def test_raising_the_edition_capacity_in_the_admin_offers_the_seat(admin_client, edition):
    waiting = full_with_one_waiting(edition)
    change = reverse("admin:events_edition_change", args=[edition.pk])
    data = admin_form_data(admin_client.get(change))
    assert data["capacity"] == "2"

    response = admin_client.post(change, {**data, "capacity": "3"}, follow=True)

    assert response.status_code == 200
    assert "Zaproponowano miejsce 1 osobie z listy rezerwowej." in response.content.decode()
    edition.refresh_from_db()
    assert edition.capacity == 3
    assert status_of(waiting) == Status.OFFERED
    offer = OutboxMessage.objects.get(kind="registration.offer")
    assert offer.to == "czeka@example.org"
    assert edition_seat_audit(edition=edition) == []


def test_saving_the_edition_without_a_new_capacity_offers_nothing(admin_client, edition):
    waiting = full_with_one_waiting(edition)
    change = reverse("admin:events_edition_change", args=[edition.pk])
    data = admin_form_data(admin_client.get(change))

    response = admin_client.post(change, {**data, "title_pl": "Nowy tytuł"}, follow=True)

    assert "Zaproponowano" not in response.content.decode()
    edition.refresh_from_db()
    assert (edition.title_pl, edition.capacity) == ("Nowy tytuł", 2)
    assert status_of(waiting) == Status.WAITING
    assert not OutboxMessage.objects.filter(kind="registration.offer").exists()


@pytest.fixture
def day(edition):
    from tests.factories import DayFactory

    edition.capacity = None
    edition.save(update_fields=["capacity"])
    return DayFactory(edition=edition, capacity=2, name_pl="Dzień pierwszy")


def test_raising_a_day_capacity_in_the_edition_admin_offers_the_seat(admin_client, edition, day):
    waiting = full_with_one_waiting(edition, day_ids=[day.pk])
    change = reverse("admin:events_edition_change", args=[edition.pk])
    data = admin_form_data(admin_client.get(change))
    [prefix] = [key[: -len("-capacity")] for key in data if key.endswith("-0-capacity")]
    assert data[f"{prefix}-capacity"] == "2"

    response = admin_client.post(change, {**data, f"{prefix}-capacity": "3"}, follow=True)

    assert "Zaproponowano miejsce 1 osobie z listy rezerwowej." in response.content.decode()
    day.refresh_from_db()
    assert day.capacity == 3
    assert status_of(waiting) == Status.OFFERED
    assert OutboxMessage.objects.get(kind="registration.offer").to == "czeka@example.org"
    assert edition_seat_audit(edition=edition) == []


def test_raising_a_day_capacity_in_the_day_admin_offers_the_seat(admin_client, edition, day):
    waiting = full_with_one_waiting(edition, day_ids=[day.pk])
    change = reverse("admin:events_day_change", args=[day.pk])
    data = admin_form_data(admin_client.get(change))

    response = admin_client.post(change, {**data, "capacity": "3"}, follow=True)

    assert "Zaproponowano miejsce 1 osobie z listy rezerwowej." in response.content.decode()
    assert status_of(waiting) == Status.OFFERED
    assert OutboxMessage.objects.get(kind="registration.offer").to == "czeka@example.org"
    assert edition_seat_audit(edition=edition) == []
