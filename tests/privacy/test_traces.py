"""Erasure leaves no trace (review 2026-12, M7): Django's admin change log, the search words of
audit entries and campaign segments, the file mail backend's files; the purge runs by itself;
campaigns reach only people who may be written to."""

import datetime as dt
import json

import pytest
from django.conf import settings as django_settings
from django.contrib.admin.models import CHANGE, LogEntry
from django.urls import reverse
from django.utils import timezone, translation

from kongres.audit.models import AuditLogEntry
from kongres.audit.services import audit_log
from kongres.campaigns.models import Campaign
from kongres.campaigns.selectors import campaign_recipients
from kongres.campaigns.services import campaign_create
from kongres.mail.delivery import mail_deliver
from kongres.mail.models import OutboxMessage
from kongres.privacy.services import registration_erase
from kongres.registration.models import Registration
from kongres.registration.services import registration_cancel, registration_link_resend
from tests.factories import DayFactory, EditionFactory
from tests.factories.registration import RegistrationFactory

pytestmark = pytest.mark.django_db


def person(edition, **data):
    data.setdefault("first_name", "Anna")
    data.setdefault("last_name", "Kowalska")
    data.setdefault("email", "anna.kowalska@example.org")
    data.setdefault("day_ids", [day.pk for day in edition.days.all()])
    return RegistrationFactory(
        edition=edition, verified=True, **{f"data__{k}": v for k, v in data.items()}
    )


def test_erasure_covers_the_admin_log_search_words_segments_and_mail_files(
    edition, manager, settings, tmp_path, django_capture_on_commit_callbacks
):
    settings.MAILERS = {
        "default": {
            "BACKEND": "django.core.mail.backends.filebased.EmailBackend",
            "OPTIONS": {"file_path": str(tmp_path)},
        }
    }
    registration = person(edition)
    other = person(edition, first_name="Ewa", last_name="Nowak", email="ewa@example.org")
    LogEntry.objects.log_actions(
        manager.pk, [registration, other], CHANGE, change_message=[{"changed": {"fields": []}}]
    )
    audit_log(
        actor=manager,
        action="export",
        obj=edition,
        after={"format": "csv", "filters": {"q": ["kowalska"], "status": ["confirmed"]}},
    )
    campaign = campaign_create(
        edition=edition,
        segment={"q": ["Anna Kowalska"], "sector": ["local_government"]},
        subject_pl="Temat",
        body_pl="Treść",
        actor=manager,
    )
    registration_link_resend(edition=edition, email=registration.email, language="pl")
    for message in OutboxMessage.objects.filter(status="queued"):
        mail_deliver(message_id=message.pk)
    assert "anna.kowalska@example.org" in "".join(p.read_text() for p in tmp_path.iterdir())
    (tmp_path / "someone-else.log").write_text("To: ewa@example.org\n")

    with django_capture_on_commit_callbacks(execute=True):  # the files go once committed
        assert registration_erase(registration=registration, actor=manager)

    reprs = dict(LogEntry.objects.values_list("object_id", "object_repr"))
    assert "Kowalska" not in reprs[str(registration.pk)]
    assert "Nowak" in reprs[str(other.pk)]  # somebody else's entry stays
    dumped = json.dumps(list(AuditLogEntry.objects.values("after", "before", "note")))
    assert "kowalska" not in dumped.lower()
    assert '"status": ["confirmed"]' in dumped  # the rest of the filters stays
    campaign.refresh_from_db()
    assert "Kowalska" not in json.dumps(campaign.segment)
    assert campaign.segment["sector"] == ["local_government"]
    files = "".join(path.read_text() for path in tmp_path.iterdir())
    assert "anna.kowalska@example.org" not in files
    assert "Kowalska" not in files
    assert "ewa@example.org" in files  # somebody else's mail stays


def test_erasure_keeps_a_delivered_mail_its_worker_has_not_marked_sent_yet(edition, manager):
    """A worker marks its messages sent a batch at a time: one the mail server already has is
    'sending' with ``sent_at`` for a moment. Erasure empties it like a sent one (the record
    that it went stays); only what was never delivered is deleted."""
    registration = person(edition)
    registration_link_resend(edition=edition, email=registration.email, language="pl")
    delivered, waiting = OutboxMessage.objects.filter(to=registration.email).order_by("pk")[:2]
    OutboxMessage.objects.filter(pk=delivered.pk).update(
        status=OutboxMessage.Status.SENDING, sent_at=timezone.now()
    )
    OutboxMessage.objects.filter(pk=waiting.pk).update(status=OutboxMessage.Status.SENDING)

    assert registration_erase(registration=registration, actor=manager)

    kept = OutboxMessage.objects.get(pk=delivered.pk)
    assert kept.sent_at is not None
    assert (kept.to, kept.subject, kept.body_text, kept.body_html) == (
        Registration.objects.get(pk=registration.pk).erased_email,
        "",
        "",
        "",
    )
    assert not OutboxMessage.objects.filter(pk=waiting.pk).exists()


def test_the_purge_runs_by_itself_and_takes_never_confirmed_registrations(settings):
    paths = [path for path, _seconds in django_settings.KONGRES_PERIODIC_JOBS]
    assert "kongres.privacy.tasks.purge_due" in paths
    from kongres.privacy.tasks import purge_due

    settings.KONGRES_PURGE_AFTER_DAYS = 200
    settings.KONGRES_PURGE_UNCONFIRMED_AFTER_DAYS = 7
    edition = EditionFactory(capacity=10)
    day = DayFactory(edition=edition)
    kept = person(edition, email="kept@example.org")
    never = RegistrationFactory(
        edition=edition, data__email="never@example.org", data__day_ids=[day.pk]
    )
    long_ago = timezone.now() - dt.timedelta(days=8)
    Registration.objects.filter(pk=never.pk).update(
        status=Registration.Status.EXPIRED, hold_expires_at=long_ago, ended_at=long_ago
    )
    recent = RegistrationFactory(
        edition=edition, data__email="recent@example.org", data__day_ids=[day.pk]
    )
    old = EditionFactory(capacity=10)
    DayFactory(edition=old)
    gone = person(old, email="gone@example.org")
    end = timezone.localdate() - dt.timedelta(days=201)
    type(old).objects.filter(pk=old.pk).update(start_date=end, end_date=end)

    report = purge_due()

    emails = dict(Registration.objects.values_list("pk", "email"))
    assert emails[kept.pk] == "kept@example.org"
    assert emails[recent.pk] == "recent@example.org"
    assert emails[never.pk] != "never@example.org"
    assert emails[gone.pk] != "gone@example.org"
    assert report == 2
    assert purge_due() == 0


def test_campaigns_reach_only_people_who_may_be_written_to(edition):
    yes = person(edition, email="tak@example.org", newsletter_consent=True)
    no = person(edition, email="nie@example.org", newsletter_consent=False)
    RegistrationFactory(
        edition=edition, data__email="held@example.org", data__day_ids=[edition.days.get().pk]
    )
    cancelled = person(edition, email="anul@example.org", newsletter_consent=True)
    registration_cancel(registration=cancelled, actor=None)
    newsletter = Campaign(edition=edition, segment={}, transactional=False)
    practical = Campaign(edition=edition, segment={}, transactional=True)
    assert set(campaign_recipients(campaign=newsletter)) == {yes}
    assert set(campaign_recipients(campaign=practical)) == {yes, no}


def test_the_back_office_shows_a_dry_run_of_the_purge(client, edition, role_user, settings):
    settings.KONGRES_PURGE_UNCONFIRMED_AFTER_DAYS = 7
    never = RegistrationFactory(
        edition=edition, data__email="never@example.org", data__day_ids=[edition.days.get().pk]
    )
    long_ago = timezone.now() - dt.timedelta(days=8)
    Registration.objects.filter(pk=never.pk).update(
        status=Registration.Status.EXPIRED, hold_expires_at=long_ago, ended_at=long_ago
    )
    person(edition)
    client.force_login(role_user("admin"))
    url = reverse("orga:retention", kwargs={"edition": edition.slug})
    page = client.get(url).text
    assert "Przechowywanie danych" in page
    assert "nigdy niepotwierdzone od ponad 7 dni: 1" in page
    assert Registration.objects.get(pk=never.pk).email == "never@example.org"  # nothing done
    with translation.override("en"):
        url = reverse("orga:retention", kwargs={"edition": edition.slug})
    assert "never confirmed for more than 7 days: 1" in client.get(url).text
