import time

import pytest
from django.test import override_settings
from django.utils import translation

from kongres.registration import antibot
from kongres.registration.choices import QuestionKind
from kongres.registration.forms import (
    LinkRequestForm,
    RegistrationForm,
)
from kongres.registration.models import Question
from tests.factories import DayFactory, EditionFactory, TrackFactory

NOW = 1_800_000_000.0


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


@pytest.fixture
def edition(db):
    edition = EditionFactory()
    DayFactory(edition=edition, date=edition.start_date, name_pl="Dzień pierwszy")
    DayFactory(edition=edition, date=edition.end_date, name_pl="Dzień drugi")
    TrackFactory(edition=edition, name_pl="Rewitalizacja", name_en="Revitalisation")
    return edition


def make_form(
    edition, data=None, *, questions=(), started_ago=60.0, proof_required=False, **overrides
):
    payload = None
    if data is not None:
        payload = {"started": RegistrationForm.sign_started(NOW - started_ago), **data}
        payload.update(overrides)
        payload = {key: value for key, value in payload.items() if value is not None}
    return RegistrationForm(
        payload,
        edition=edition,
        days=list(edition.days.all()),
        tracks=list(edition.tracks.all()),
        questions=list(questions),
        now=NOW,
        proof_required=proof_required,
    )


def valid_data(edition):
    return {
        "first_name": "Łukasz",
        "last_name": "Żółć-Ęą",
        "email": "Lukasz@Example.ORG",
        "institution": "Urząd Miasta",
        "sector": "local_government",
        "voivodeship": "malopolskie",
        "days": [str(edition.days.first().pk)],
        "privacy_consent": "on",
    }


def test_valid_form_normalises_names_and_email(edition):
    form = make_form(edition, valid_data(edition), first_name="  Jan   Maria ", last_name="O'Brien")
    assert form.is_valid(), form.errors
    assert form.cleaned_data["first_name"] == "Jan Maria"
    assert form.cleaned_data["last_name"] == "O'Brien"
    assert form.cleaned_data["email"] == "Lukasz@example.org"
    assert form.cleaned_data["days"] == [edition.days.first().pk]
    assert form.cleaned_data["answers"] == {}


@pytest.mark.parametrize("name", ["Żółć-Ęą", "O'Brien", "Łukasz", "d\u2019Artagnan"])
def test_names_with_diacritics_hyphens_and_apostrophes_are_accepted(edition, name):
    form = make_form(edition, valid_data(edition), first_name=name, last_name=name)
    assert form.is_valid(), form.errors


def test_html_is_not_a_name_but_may_be_an_institution(edition):
    form = make_form(
        edition,
        valid_data(edition),
        first_name="<script>alert(1)</script>",
        institution="<b>Urząd</b> & co",
    )
    assert not form.is_valid()
    assert form.errors["first_name"] == ["Use only letters, spaces, hyphens and apostrophes."]
    assert "institution" not in form.errors


def test_required_fields_have_their_own_messages(edition):
    form = make_form(edition, {"first_name": "", "email": "not-an-address"})
    assert not form.is_valid()
    assert form.errors["email"] == ["Enter a valid e-mail address."]
    assert form.errors["days"] == ["Choose at least one day."]
    assert form.errors["privacy_consent"] == [
        "Registration needs your agreement to the privacy notice."
    ]
    assert set(form.errors) == {
        "first_name",
        "last_name",
        "email",
        "sector",
        "days",
        "privacy_consent",
    }


def test_maximum_lengths(edition):
    form = make_form(edition, valid_data(edition), first_name="A" * 101, institution="x" * 201)
    assert not form.is_valid()
    assert set(form.errors) == {"first_name", "institution"}


def test_error_summary_links_to_each_field_in_page_order(edition):
    form = make_form(edition, valid_data(edition), first_name="", sector=None, privacy_consent=None)
    assert not form.is_valid()
    summary = form.error_summary()
    assert [(error.anchor, error.label) for error in summary] == [
        ("id_first_name", "First name"),
        ("id_sector_0", "Sector"),
        ("id_privacy_consent", "Privacy notice"),
    ]


def test_honeypot_filled_in_is_refused_at_the_top(edition):
    form = make_form(edition, valid_data(edition), homepage="http://spam.example")
    assert not form.is_valid()
    assert form.non_field_errors() == [
        "The form could not be sent. Please check your answers and send it again."
    ]
    assert "homepage" not in form.errors


def test_too_fast_is_refused_and_the_start_time_is_kept(edition):
    form = make_form(edition, valid_data(edition), started_ago=1.0)
    assert not form.is_valid()
    assert form.has_error("__all__", "too_fast")
    # sent back with the original start time in a new token: once enough time has passed, it
    # goes through (the token sent is used up)
    again = form.started_value()
    assert again != form.data["started"]
    assert antibot.form_token_read(again).started == NOW - 1.0


@override_settings(KONGRES_REGISTRATION_MIN_FILL_SECONDS=0)
def test_minimum_fill_time_is_a_setting(edition):
    assert make_form(edition, valid_data(edition), started_ago=0.0).is_valid()


def test_missing_or_forged_start_time_is_refused(edition):
    form = make_form(edition, valid_data(edition), started="1700000000.0")
    assert not form.is_valid()
    assert form.has_error("__all__", "started_missing")
    assert antibot.form_token_read(form.started_value()).started == NOW  # a new, genuine one


def test_a_replayed_form_token_is_refused_every_time(edition):
    token = RegistrationForm.sign_started(NOW - 60)
    assert make_form(edition, valid_data(edition), started=token).is_valid()
    for _ in range(5):
        form = make_form(edition, valid_data(edition), started=token)
        assert not form.is_valid()
        assert form.has_error("__all__", "replayed")
        # the page shown again has a new token that starts now (no credit for the replay)
        assert antibot.form_token_read(form.started_value()).started == NOW


def test_a_form_token_expires(edition, settings):
    settings.KONGRES_REGISTRATION_FORM_TOKEN_SECONDS = 1
    token = RegistrationForm.sign_started(NOW - 60)
    time.sleep(2.1)  # the signature's own time, not the start time, decides
    form = make_form(edition, valid_data(edition), started=token)
    assert form.has_error("__all__", "started_missing")


def test_past_the_soft_limit_the_form_needs_a_solved_challenge(edition, settings):
    settings.KONGRES_REGISTRATION_POW_COST = 1
    settings.KONGRES_REGISTRATION_POW_MAX_NUMBER = 20
    form = make_form(edition, valid_data(edition), proof_required=True)
    assert form.has_error("__all__", "proof")
    payload = antibot.pow_solve(form.proof_challenge())
    assert make_form(edition, valid_data(edition), proof_required=True, altcha=payload).is_valid()
    again = make_form(edition, valid_data(edition), proof_required=True, altcha=payload)
    assert again.has_error("__all__", "proof")  # a solved challenge counts once
    forged = make_form(edition, valid_data(edition), proof_required=True, altcha="e30=")
    assert forged.has_error("__all__", "proof")


def test_other_accessibility_need_asks_for_the_text(edition):
    form = make_form(edition, valid_data(edition), accessibility_needs=["sign_language", "other"])
    assert not form.is_valid()
    assert form.errors["accessibility_other"] == ["Tell us what you need, or untick “other”."]

    form = make_form(
        edition,
        valid_data(edition),
        accessibility_needs=["sign_language", "other"],
        accessibility_other="Pętla w sali B",
    )
    assert form.is_valid(), form.errors
    assert form.to_data().accessibility_needs == ["sign_language"]
    assert form.cleaned_data["accessibility_other"] == "Pętla w sali B"


def test_other_accessibility_text_without_other_is_dropped(edition):
    form = make_form(edition, valid_data(edition), accessibility_other="coś")
    assert form.is_valid(), form.errors
    assert form.cleaned_data["accessibility_other"] == ""


@pytest.fixture
def questions(edition):
    hotel = Question.objects.create(
        edition=edition,
        slug="hotel",
        label_pl="Czy potrzebujesz hotelu?",
        label_en="Do you need a hotel?",
        kind=QuestionKind.YESNO,
        required=True,
        order=1,
    )
    nights = Question.objects.create(
        edition=edition,
        slug="nights",
        label_pl="Które noce?",
        label_en="Which nights?",
        kind=QuestionKind.MULTIPLE,
        choices=[
            {"value": "6", "label_pl": "6/7 października", "label_en": "6/7 October"},
            {"value": "7", "label_pl": "7/8 października", "label_en": "7/8 October"},
        ],
        required=True,
        order=2,
        depends_on=hotel,
        depends_value="yes",
    )
    room = Question.objects.create(
        edition=edition,
        slug="room",
        label_pl="Pokój",
        kind=QuestionKind.SINGLE,
        choices=[{"value": "single", "label_pl": "jednoosobowy", "label_en": "single"}],
        required=True,
        order=3,
        depends_on=nights,
        depends_value="7",
    )
    note = Question.objects.create(
        edition=edition, slug="note", label_pl="Uwagi", kind=QuestionKind.TEXT, order=4
    )
    return [hotel, nights, room, note]


def test_questions_become_fields_with_hints_for_conditions(edition, questions):
    with translation.override("en"):
        form = make_form(edition, questions=questions)
        assert form.fields["q_hotel"].label == "Do you need a hotel?"
        assert form.fields["q_hotel"].choices == [("yes", "Yes"), ("no", "No")]
        assert form.fields["q_nights"].choices == [("6", "6/7 October"), ("7", "7/8 October")]
        assert form.fields["q_nights"].help_text == (
            "Answer only if your answer to “Do you need a hotel?” was “Yes”."
        )
        assert form.fields["q_room"].choices == [("single", "single")]
    with translation.override("pl"):
        form = make_form(edition, questions=questions)
        assert form.fields["q_room"].label == "Pokój"
        assert form.fields["q_nights"].choices[0] == ("6", "6/7 października")
    rows = {row.field.name: row for _title, rows in form.sections() for row in rows}
    assert rows["q_hotel"].required is True
    assert rows["q_nights"].required is False  # required only when asked: the hint says when
    assert rows["q_nights"].condition.parent == "q_hotel"
    assert rows["q_note"].required is False
    titles = [str(title) for title, _rows in form.sections()]
    assert titles[-2:] == ["Questions from the organisers", "Consents"]


def test_required_question_not_asked_is_not_required_and_its_answer_is_dropped(edition, questions):
    form = make_form(
        edition, valid_data(edition), questions=questions, q_hotel="no", q_room="single"
    )
    assert form.is_valid(), form.errors
    assert form.cleaned_data["answers"] == {"hotel": False}


def test_required_question_asked_must_be_answered(edition, questions):
    form = make_form(edition, valid_data(edition), questions=questions, q_hotel="yes")
    assert not form.is_valid()
    assert form.errors["q_nights"] == ["Answer this question."]
    assert "q_room" not in form.errors  # its parent was not answered with "7"

    form = make_form(
        edition,
        valid_data(edition),
        questions=questions,
        q_hotel="yes",
        q_nights=["6", "7"],
    )
    assert not form.is_valid()
    assert list(form.errors) == ["q_room"]

    form = make_form(
        edition,
        valid_data(edition),
        questions=questions,
        q_hotel="yes",
        q_nights=["6", "7"],
        q_room="single",
        q_note="<i>Proszę</i> o ciszę",
    )
    assert form.is_valid(), form.errors
    assert form.cleaned_data["answers"] == {
        "hotel": True,
        "nights": ["6", "7"],
        "room": "single",
        "note": "<i>Proszę</i> o ciszę",
    }


def test_unconditional_required_question(edition, questions):
    form = make_form(edition, valid_data(edition), questions=questions)
    assert not form.is_valid()
    assert form.errors["q_hotel"] == ["Answer this question."]
    assert form.fields["q_hotel"].widget.attrs["required"] is True
    assert "required" not in form.fields["q_nights"].widget.attrs


def test_single_day_is_ticked_by_default(db):
    edition = EditionFactory()
    day = DayFactory(edition=edition)
    form = RegistrationForm(edition=edition, days=[day], tracks=[], now=NOW)
    assert form["days"].value() == [day.pk]
    assert "tracks" not in form.fields


def test_link_request_form_rows_and_summary():
    form = LinkRequestForm({"email": "nope"})
    assert not form.is_valid()
    assert [row.field.name for row in form.rows()] == ["email"]
    assert [(e.anchor, e.message) for e in form.error_summary()] == [
        ("id_email", "Enter a valid e-mail address.")
    ]


def test_each_form_has_its_own_choices_and_day_labels_follow_the_language(edition):
    """The fields' choices are shared between forms until a form replaces them: a day marked
    full in one form is not marked in the next, and the days are labelled in the language of
    the page that shows them (a label is made when it is shown)."""
    days = list(edition.days.all())
    kwargs = {"edition": edition, "tracks": [], "now": NOW}
    full = RegistrationForm(days=days, full_day_ids=frozenset({days[0].pk}), **kwargs)
    plain = RegistrationForm(days=days, **kwargs)
    assert "no seats left" in dict(full.fields["days"].choices)[days[0].pk]
    assert "no seats left" not in dict(plain.fields["days"].choices)[days[0].pk]
    plain.fields["sector"].choices = [("x", "X")]
    assert len(list(RegistrationForm(days=days, **kwargs).fields["sector"].choices)) > 1
    with translation.override("pl"):
        polish = RegistrationForm(days=days, **kwargs)
        polish_label = str(dict(polish.fields["days"].choices)[days[0].pk])
        assert "brak wolnych miejsc" in str(dict(full.fields["days"].choices)[days[0].pk])
    assert polish_label.startswith("Dzień pierwszy (")
    english = str(dict(plain.fields["days"].choices)[days[0].pk])
    assert english != polish_label


def test_each_form_has_its_own_fields_widgets_and_messages(edition):
    """Each form's fields are Django's deep copies: what a form changes on its field, widget,
    widget attributes, messages or validators stays there."""
    days = list(edition.days.all())
    kwargs = {"edition": edition, "days": days, "tracks": [], "now": NOW}
    first = RegistrationForm(**kwargs)
    field = first.fields["first_name"]
    declared = RegistrationForm.base_fields["first_name"]
    assert field is not declared and field.widget is not declared.widget
    field.widget.attrs["data-x"] = "1"
    field.error_messages["required"] = "changed"
    field.validators.append(lambda value: None)
    field.label = "changed"
    # fixed choices are a function (nothing to change in place): a form replaces them
    first.fields["sector"].choices = [*first.fields["sector"].choices, ("x", "X")]
    second = RegistrationForm(**kwargs).fields
    assert "data-x" not in second["first_name"].widget.attrs
    assert second["first_name"].error_messages["required"] != "changed"
    assert len(second["first_name"].validators) == len(declared.validators)
    assert second["first_name"].label != "changed"
    assert ("x", "X") in list(first.fields["sector"].widget.choices)
    assert ("x", "X") not in list(second["sector"].widget.choices)
    assert type(second["sector"].widget) is type(RegistrationForm.base_fields["sector"].widget)


def test_building_a_form_does_not_change_the_days_it_is_given(edition):
    """The days may be shared (read from the cache by many requests): the labels are the
    form's own, nothing is written onto the days."""
    days = list(edition.days.all())
    before = [dict(day.__dict__) for day in days]
    for language in ("pl", "en"):
        with translation.override(language):
            RegistrationForm(edition=edition, days=days, tracks=[], now=NOW)
    assert [day.__dict__ for day in days] == before
