"""A person's data in the back office: the JSON export, erasure (everywhere: the registration,
the outbox, the audit log; the dashboard's numbers unchanged), the pages and who may open
them, and the privacy notice versions consents refer to."""

import datetime as dt
import json

import pytest
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

from kongres.audit.models import AuditLogEntry
from kongres.campaigns.models import Campaign
from kongres.checkin.models import CheckIn
from kongres.content.models import Page, PrivacyNoticeVersion
from kongres.mail.models import OutboxMessage
from kongres.orga import dashboard
from kongres.privacy.services import registration_erase, registration_export
from kongres.registration.choices import AccessibilityNeed
from kongres.registration.models import Registration, RegistrationToken, Ticket
from kongres.registration.selectors import edition_seat_audit, registration_get_by_token
from kongres.registration.services import registration_cancel
from kongres.registration.tickets import ticket_issue
from tests.factories import PageFactory
from tests.factories.registration import QuestionFactory
from tests.orga.conftest import register

pytestmark = pytest.mark.django_db
Status = Registration.Status


@pytest.fixture
def privacy_page(db):
    return PageFactory(
        kind=Page.Kind.PRIVACY,
        slug="prywatnosc",
        title_pl="Informacja o prywatności",
        body_pl="Administratorem danych jest **Fundacja**.",
        title_en="Privacy notice",
        body_en="The controller is the **Foundation**.",
    )


@pytest.fixture
def person(edition, privacy_page):
    """A confirmed participant with text and choice answers, a ticket, a check-in, an organiser
    note and a campaign mail, in an edition moved into the past afterwards."""
    text_q = QuestionFactory(edition=edition, slug="motywacja", kind="text")
    yes_q = QuestionFactory(edition=edition, slug="nocleg", kind="yesno")
    registration = register(
        edition,
        first_name="Zuzanna",
        last_name="Przybylska",
        email="zuzanna.przybylska@example.org",
        institution="Urząd Gminy Wąchock",
        position="sekretarz gminy",
        town="Wąchock",
        dietary_needs="bez glutenu",
        accessibility_needs=[AccessibilityNeed.SIGN_LANGUAGE],
        accessibility_other="pętla indukcyjna dla Zuzanny",
        track_ids=[edition.tracks.get().pk],
        answers={text_q.slug: "Chcę poznać Przybylską z Wąchocka", yes_q.slug: True},
    )
    ticket = ticket_issue(registration=registration)
    day = edition.days.get()
    CheckIn.objects.create(
        nonce="n-1",
        edition=edition,
        day=day,
        code=ticket.code,
        ticket=ticket,
        registration=registration,
        result=CheckIn.Result.OK,
        scanned_at=timezone.now(),
    )
    from kongres.audit.services import audit_log

    audit_log(
        actor=None,
        action="registration.note",
        obj=registration,
        note="Dzwoniła Zuzanna Przybylska, prosi o fakturę",
    )
    campaign = Campaign.objects.create(edition=edition, subject_pl="Program", body_pl="Program")
    OutboxMessage.objects.create(
        to=registration.email,
        language="pl",
        subject="Zuzanna, program kongresu",
        body_text="Dzień dobry, Zuzanna Przybylska",
        message_id="<c1@example.org>",
        related=campaign.mail_key,
        status=OutboxMessage.Status.SENT,
        sent_at=timezone.now(),
        next_attempt_at=timezone.now(),
    )
    # the mails about the registration were sent
    OutboxMessage.objects.filter(related=f"registration:{registration.pk}").update(
        status=OutboxMessage.Status.SENT, sent_at=timezone.now()
    )
    return registration


def _move_to_past(edition, days_ago: int = 30):
    start = timezone.localdate() - dt.timedelta(days=days_ago + 1)
    type(edition).objects.filter(pk=edition.pk).update(
        start_date=start, end_date=start + dt.timedelta(days=1)
    )
    edition.days.update(date=start)
    edition.refresh_from_db()


def _statistics(edition):
    return {
        "counts": dashboard.dashboard_counts(edition=edition).counts,
        "sector": dashboard.by_sector(edition=edition),
        "voivodeship": dashboard.by_voivodeship(edition=edition),
        "panels": dashboard.panels_interest(edition=edition),
        "accessibility": dashboard.accessibility_counts(edition=edition),
        "cumulative": dashboard.cumulative_registrations(edition=edition),
        "checkins": list(dashboard.dashboard_checkins(edition=edition)),
    }


PERSONAL = ["Zuzanna", "Przybylska", "zuzanna.przybylska", "Wąchock", "sekretarz", "glutenu"]


def _rows_mentioning(word: str) -> list[str]:
    """Every stored row that still contains ``word``: registrations, outbox, audit log."""
    found = []
    for registration in Registration.objects.all():
        if (
            word.lower()
            in json.dumps(
                {
                    f.attname: str(getattr(registration, f.attname))
                    for f in Registration._meta.fields
                },
                ensure_ascii=False,
            ).lower()
            + json.dumps(registration.answers, ensure_ascii=False).lower()
        ):
            found.append(f"registration {registration.pk}")
    for mail in OutboxMessage.objects.all():
        text = " ".join([mail.to, mail.subject, mail.body_text, mail.body_html, mail.last_error])
        if word.lower() in text.lower():
            found.append(f"outbox {mail.pk}")
    for entry in AuditLogEntry.objects.all():
        text = json.dumps(
            [entry.object_label, entry.note, entry.before, entry.after], ensure_ascii=False
        )
        if word.lower() in text.lower():
            found.append(f"audit {entry.pk} {entry.action}")
    return found


def test_export_holds_answers_history_mails_checkins_and_consent(person, privacy_page):
    data = registration_export(person)
    assert data["id"] == person.pk
    assert data["first_name"] == "Zuzanna"
    assert data["email"] == "zuzanna.przybylska@example.org"
    assert data["institution"] == "Urząd Gminy Wąchock"
    assert data["dietary_needs"] == "bez glutenu"
    assert sorted((answer["answer"] for answer in data["answers"]), key=str) == [
        "Chcę poznać Przybylską z Wąchocka",
        True,
    ]  # jsonb on PostgreSQL keeps no order of keys
    actions = [entry["action"] for entry in data["history"]]
    assert actions[:2] == ["registration.create", "registration.verify"]
    assert "registration.note" in actions
    assert data["history"][1]["after"]["status"] == Status.CONFIRMED
    subjects = [mail["subject"] for mail in data["mails"]]
    assert "Zuzanna, program kongresu" in subjects
    assert len(subjects) >= 3  # confirm the address, confirmed, the campaign
    assert [c["result"] for c in data["checkins"]] == ["ok"]
    assert data["tickets"][0]["active"] is True
    consent = data["consents"]
    assert consent["privacy_notice_version"] == person.privacy_notice_version
    assert len(consent["privacy_notice_version"]) == 16
    assert consent["privacy_notice"]["body_pl"] == "Administratorem danych jest **Fundacja**."
    json.dumps(data)  # JSON-able


def test_erase_removes_the_person_everywhere_and_keeps_the_statistics(edition, person):
    other = register(edition, first_name="Jan", last_name="Kowalski", email="jan@example.org")
    _move_to_past(edition)
    before = _statistics(edition)
    for word in PERSONAL:
        assert _rows_mentioning(word), word  # the test can see them before

    assert registration_erase(registration=person, actor=None) is True

    for word in PERSONAL:
        assert _rows_mentioning(word) == [], word
    assert _statistics(edition) == before
    person.refresh_from_db()
    assert person.email == f"erased-{person.pk}@erased.invalid"
    assert person.full_name == "—"
    assert person.status == Status.CONFIRMED  # the edition is over: who came stays counted
    assert person.accessibility_needs == [AccessibilityNeed.SIGN_LANGUAGE]
    assert person.accessibility_other == "—"
    assert person.answers == {"nocleg": True}
    assert person.sector and person.voivodeship and person.municipality_size
    assert person.privacy_notice_version and person.privacy_consent_at
    assert list(person.days.all()) == list(edition.days.all())
    assert not RegistrationToken.objects.filter(registration=person).exists()
    assert registration_get_by_token(token=person.token) is None
    assert not Ticket.objects.filter(registration=person, is_active=True).exists()
    assert CheckIn.objects.filter(registration=person).count() == 1
    mails = OutboxMessage.objects.filter(to=person.email)
    assert mails.count() >= 3 and {m.body_text for m in mails} == {""}
    erase = AuditLogEntry.objects.get(action="registration.erase")
    assert erase.object_id == str(person.pk) and erase.after["erased"] is True
    # the other participant is untouched
    other.refresh_from_db()
    assert other.first_name == "Jan" and other.email == "jan@example.org"
    assert _rows_mentioning("jan@example.org")
    assert edition_seat_audit(edition=edition) == []


def test_erase_is_idempotent(edition, person):
    assert registration_erase(registration=person, actor=None) is True
    state = list(Registration.objects.filter(pk=person.pk).values())
    entries = AuditLogEntry.objects.count()
    assert registration_erase(registration=person, actor=None) is False
    assert list(Registration.objects.filter(pk=person.pk).values()) == state
    assert AuditLogEntry.objects.count() == entries


def test_erase_in_a_coming_edition_cancels_and_offers_the_seat(edition, privacy_page):
    first = register(edition)
    register(edition)
    waiting = register(edition)  # capacity 2
    assert waiting.status == Status.WAITING
    assert registration_erase(registration=first, actor=None) is True
    first.refresh_from_db()
    waiting.refresh_from_db()
    assert first.status == Status.CANCELLED
    assert waiting.status == Status.OFFERED
    assert edition_seat_audit(edition=edition) == []
    # the cancellation mail to the erased person is not sent (no address to send it to)
    assert not OutboxMessage.objects.filter(
        Q(related=f"registration:{first.pk}"), ~Q(status=OutboxMessage.Status.SENT)
    ).exists()


def test_erase_a_cancelled_registration_keeps_its_status(edition, privacy_page):
    registration = register(edition)
    registration_cancel(registration=registration, actor=None)
    before = _statistics(edition)
    registration_erase(registration=registration, actor=None)
    assert _statistics(edition) == before


# -- pages -------------------------------------------------------------------------------------


def test_detail_shows_buttons_by_role_and_the_privacy_version(client, role_user, person):
    admin = role_user("admin")
    manager = role_user("registration_manager")
    version = PrivacyNoticeVersion.objects.get()
    detail = reverse(
        "orga:registration-detail", kwargs={"edition": person.edition.slug, "pk": person.pk}
    )
    erase_url = reverse(
        "orga:registration-erase", kwargs={"edition": person.edition.slug, "pk": person.pk}
    )
    data_url = reverse(
        "orga:registration-data", kwargs={"edition": person.edition.slug, "pk": person.pk}
    )
    version_url = reverse(
        "orga:privacy-notice-version",
        kwargs={"edition": person.edition.slug, "fingerprint": version.fingerprint},
    )
    client.force_login(manager)
    text = client.get(detail).content.decode()
    assert data_url in text and "Pobierz dane (JSON)" in text
    assert erase_url not in text
    assert f'<a href="{version_url}">{version.fingerprint}</a>' in text
    assert f"pierwsza zgoda na nią {timezone.localtime(version.first_seen_at):%Y-%m-%d}" in text
    client.force_login(admin)
    text = client.get(detail).content.decode()
    assert erase_url in text and "Usuń dane osobowe" in text
    page = client.get(version_url).content.decode()
    assert "Administratorem danych jest <strong>Fundacja</strong>." in page
    assert "The controller is the <strong>Foundation</strong>." in page


def test_download_data_as_json_is_logged(client, role_user, person):
    client.force_login(role_user("registration_manager"))
    url = reverse(
        "orga:registration-data", kwargs={"edition": person.edition.slug, "pk": person.pk}
    )
    page = client.get(url)  # a page with the button: a GET records nothing
    assert page["Content-Type"].startswith("text/html")
    assert not AuditLogEntry.objects.filter(action="registration.data_export").exists()
    response = client.post(url)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json; charset=utf-8"
    assert "attachment" in response["Content-Disposition"]
    data = json.loads(response.content)
    assert data["last_name"] == "Przybylska"
    assert AuditLogEntry.objects.filter(
        action="registration.data_export", object_id=str(person.pk)
    ).exists()


def test_erase_page_confirms_then_erases(client, role_user, person):
    admin = role_user("admin")
    url = reverse(
        "orga:registration-erase", kwargs={"edition": person.edition.slug, "pk": person.pk}
    )
    client.force_login(role_user("registration_manager"))
    assert client.get(url).status_code == 403
    assert client.post(url).status_code == 403
    person.refresh_from_db()
    assert person.first_name == "Zuzanna"
    client.force_login(admin)
    page = client.get(url).content.decode()
    assert "Tego nie można cofnąć" in page
    assert "Zachowane na potrzeby statystyk" in page
    person.refresh_from_db()
    assert person.first_name == "Zuzanna"  # GET changes nothing
    response = client.post(url, follow=True)
    assert response.redirect_chain[-1][0].endswith(
        reverse(
            "orga:registration-detail", kwargs={"edition": person.edition.slug, "pk": person.pk}
        )
    )
    assert "Dane osobowe tej rejestracji zostały usunięte." in response.content.decode()
    person.refresh_from_db()
    assert person.email == f"erased-{person.pk}@erased.invalid"
    assert AuditLogEntry.objects.get(action="registration.erase").actor == admin
    again = client.get(url).content.decode()
    assert "już usunięte" in again


# -- privacy notice versions -------------------------------------------------------------------


def test_privacy_version_is_kept_once_and_a_new_text_makes_a_new_one(edition, privacy_page):
    first = register(edition)
    register(edition)
    version = PrivacyNoticeVersion.objects.get()
    assert version.fingerprint == first.privacy_notice_version
    assert version.title_pl == "Informacja o prywatności"
    assert version.body_en == "The controller is the **Foundation**."
    privacy_page.body_pl = "Nowa treść."
    privacy_page.save()
    third = register(edition)
    assert third.privacy_notice_version != first.privacy_notice_version
    assert sorted(PrivacyNoticeVersion.objects.values_list("body_pl", flat=True)) == [
        "Administratorem danych jest **Fundacja**.",
        "Nowa treść.",
    ]


def test_unknown_privacy_version_is_404(client, role_user, edition):
    client.force_login(role_user("admin"))
    url = reverse(
        "orga:privacy-notice-version",
        kwargs={"edition": edition.slug, "fingerprint": "ffffffffffffffff"},
    )
    assert client.get(url).status_code == 404
