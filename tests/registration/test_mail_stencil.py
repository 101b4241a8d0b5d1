"""The verification mail of a new registration is filled in from a stencil kept in the cache
(``registration.mails.prepared``): it must be exactly the mail rendered for the person, for any
first name, in both languages, for a place held and for the waiting list, and it must never
carry anything of the person whose registration made the stencil."""

import datetime as dt
import re

import pytest
from django.test.signals import template_rendered
from django.utils import timezone, translation
from django.utils.formats import date_format
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kongres.events.ics import edition_zone
from kongres.mail.models import OutboxMessage
from kongres.mail.services import mail_render
from kongres.registration import mails
from kongres.registration.models import Registration
from kongres.registration.tokens import token_new
from tests.factories import DayFactory, EditionFactory, PageFactory

pytestmark = pytest.mark.django_db

Status = Registration.Status
NAMES = st.lists(  # letters, what HTML escapes, spaces, line breaks, and a marker itself
    st.sampled_from([*"AaŁłŻż Ée-'<>&\"\\{}%#\n\t", "kongres-mail-hole-token-3f9a1c07"]),
    min_size=1,
    max_size=45,
).map("".join)


def person(edition, *, first_name="Anna", status=Status.HELD, language="pl", **fields):
    return Registration(
        pk=fields.pop("pk", 41),
        edition=edition,
        first_name=first_name,
        last_name=fields.pop("last_name", "Kowalska"),
        email=fields.pop("email", "anna@example.org"),
        institution=fields.pop("institution", "Urząd Miasta"),
        language=language,
        status=status,
        hold_expires_at=fields.pop(
            "hold_expires_at", dt.datetime(2027, 3, 1, 9, 30, 12, tzinfo=dt.UTC)
        ),
        **fields,
    )


def rendered_whole(registration, token):
    """What the mail is when rendered for the person, as ``mails.mail`` renders it."""
    kwargs = mails.mail_kwargs(registration, "verify", token=token)
    with timezone.override(edition_zone(edition=registration.edition)):
        return mail_render(
            template=kwargs["template"], context=kwargs["context"], language=kwargs["language"]
        )


def from_stencil(registration, token):
    message = mails.prepared(registration, "verify", token=token)
    return message.subject, message.body_text, message.body_html


@pytest.fixture
def edition():
    return EditionFactory(title="IV Kongres <Polityki> & „Regionów”")


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    first_name=NAMES,
    status=st.sampled_from([Status.HELD, Status.WAITING_UNVERIFIED]),
    language=st.sampled_from(["pl", "en"]),
    hold=st.datetimes(  # across the changes of summer time
        min_value=dt.datetime(2026, 1, 1),
        max_value=dt.datetime(2030, 12, 31),
        timezones=st.just(dt.UTC),
    ),
)
def test_the_mail_from_the_stencil_is_the_mail_rendered_for_the_person(
    edition, first_name, status, language, hold
):
    token = token_new()[0]
    registration = person(
        edition, first_name=first_name, status=status, language=language, hold_expires_at=hold
    )
    # the end of the hold as the template's date filter showed it, in the edition's zone
    with translation.override(language), timezone.override(edition_zone(edition=edition)):
        until = date_format(timezone.localtime(hold), "DATETIME_FORMAT")
    assert until in rendered_whole(registration, token)[1]
    assert from_stencil(registration, token) == rendered_whole(registration, token)


def test_a_second_person_gets_their_own_values_and_nothing_of_the_first(edition):
    first = person(edition, first_name="Zofia", last_name="Pierwsza", email="z@example.org")
    first_token = token_new()[0]
    from_stencil(first, first_token)  # makes the stencil

    second = person(
        edition,
        pk=42,
        first_name="Jan <b>",
        last_name="Drugi",
        email="jan@example.org",
        hold_expires_at=first.hold_expires_at + dt.timedelta(seconds=20),  # the same minute
    )
    second_token = token_new()[0]
    renders = []
    template_rendered.connect(lambda **kwargs: renders.append(kwargs), weak=False)
    try:
        subject, text, html = from_stencil(second, second_token)
    finally:
        template_rendered.receivers.clear()
    assert renders == []  # filled in from the cache, no template rendered
    assert (subject, text, html) == rendered_whole(second, second_token)
    assert "Jan <b>" in text and "Jan &lt;b&gt;" in html
    for mine in ("Zofia", "Pierwsza", "z@example.org", first_token):
        assert mine not in text and mine not in html
    assert second_token in text and second_token in html


def test_another_minute_fills_the_same_stencil_and_another_status_is_another(edition):
    first = person(edition)
    later = person(edition, hold_expires_at=first.hold_expires_at + dt.timedelta(minutes=61))
    waiting = person(edition, status=Status.WAITING_UNVERIFIED)
    token = token_new()[0]
    from_stencil(first, token)  # makes the stencil of a place held
    renders = []
    template_rendered.connect(lambda **kwargs: renders.append(kwargs), weak=False)
    try:
        from_later = from_stencil(later, token)
        assert renders == []  # another end of the hold: the same stencil, filled in
        from_waiting = from_stencil(waiting, token)
        assert renders  # another status: another stencil, rendered
    finally:
        template_rendered.receivers.clear()
    assert from_later == rendered_whole(later, token)
    assert from_waiting == rendered_whole(waiting, token)
    assert from_stencil(first, token)[1] != from_stencil(later, token)[1]
    assert mails.hold_until(later) in from_stencil(later, token)[1]
    assert from_stencil(first, token)[0] != from_stencil(waiting, token)[0]


@pytest.mark.parametrize("token", [token_new()[0], "tok.en~with:others"])
def test_the_mail_and_its_other_status_are_each_the_mail_rendered_for_the_person(edition, token):
    """``prepared_with_other`` (the registration function's two mails: a place held, and the
    waiting list's if it finds no seat) gives each mail as rendered whole for the person with
    that status, from the stencils and for a token that the stencils do not take."""
    held = person(edition, first_name="Jan <b>")
    waiting = person(edition, first_name="Jan <b>", status=Status.WAITING_UNVERIFIED)
    message, other = mails.prepared_with_other(
        held, "verify", token=token, other_status=Status.WAITING_UNVERIFIED
    )
    assert (message.subject, message.body_text, message.body_html) == rendered_whole(held, token)
    assert other == rendered_whole(waiting, token)
    assert other != rendered_whole(held, token)
    assert held.status == Status.HELD  # the registration itself is left as it was
    assert mails.prepared_with_other(held, "verify", token=token)[1] is None


@pytest.mark.parametrize("language", ["pl", "en"])
def test_the_form_sent_queues_the_mail_rendered_for_the_person(client, language):
    """The form's own path (on PostgreSQL the stencils come with the edition's parts, under
    the current edition's keys): the mail queued is the mail rendered for the person, for a
    place held and for the waiting list (one place), the second from the stencils the first
    stored."""
    from tests.registration.test_views import form_data

    edition = EditionFactory(title_pl="IV Kongres <Polityki> & „Regionów”", capacity=1)
    DayFactory(edition=edition, date=edition.start_date)
    PageFactory(kind="privacy", title_pl="Polityka prywatności", slug="polityka-prywatnosci")
    url = "/rejestracja/" if language == "pl" else "/en/registration/"
    for email in ("first@example.org", "second@example.org"):
        data = form_data(edition, email=email, first_name="Zoë O'Neil-Łucja")
        response = client.post(url, data)
        assert response.status_code == 302, response.context["form"].errors
        registration = Registration.objects.get(email=email)
        assert registration.language == language
        message = OutboxMessage.objects.get(to=email)
        token = re.search(r"/([A-Za-z0-9_-]{20,})/", message.body_text).group(1)
        sent = (message.subject, message.body_text, message.body_html)
        assert sent == rendered_whole(registration, token)


def test_stencils_of_another_edition_are_left_out(edition):
    other = EditionFactory()
    stencil = ("s", "t", "h")
    values = [(other.pk, stencil), (edition.pk, stencil)]
    assert mails.stencils_of(edition, "pl", values) == {("pl", Status.WAITING_UNVERIFIED): stencil}


@pytest.mark.parametrize(
    ("language", "until"),
    [
        # 1 March 2027, 09:30:12 UTC is 10:30 in Warsaw (CET); 1 July 2027, 09:30 is 11:30 (CEST)
        ("pl", "do 1 marca 2027 10:30 (CET)."),
        ("en", "until 1 March 2027, 10:30 (CET). Please confirm"),
    ],
)
def test_the_hold_is_given_as_the_pages_give_dates_with_its_time_zone(edition, language, until):
    """The end of the hold in the verification mail: in the person's language, written as the
    pages write dates (English: "1 March 2027, 10:30", not Django's "March 1, 2027, 10:30
    a.m.", whose full stop made two at the end of the sentence), with the edition's zone."""
    edition.time_zone = "Europe/Warsaw"
    registration = person(edition, language=language)
    text = from_stencil(registration, token_new()[0])[1]
    assert until in " ".join(text.split())
    assert ".." not in text
    summer = person(
        edition, language=language, hold_expires_at=dt.datetime(2027, 7, 1, 9, 30, tzinfo=dt.UTC)
    )
    assert "11:30 (CEST)" in from_stencil(summer, token_new()[0])[1]
