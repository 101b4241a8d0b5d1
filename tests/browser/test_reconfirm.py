"""The reconfirmation's one-click links and the back office's scheduled mails in a real
Chromium, with the keyboard alone, in Polish and English: the link from the mail (delivered by
a real SMTP server) opens a page whose button is reached by Tab and pressed by Enter; the
organiser logs in, starts a scheduled mail from a preset, sends the form once with a mistake
and once right, and sees the preview. axe-core (WCAG 2.1 A/AA) reports nothing on any page."""

import datetime as dt
import re

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse
from django.utils import timezone, translation

from kongres.accounts.models import EditionRole
from kongres.campaigns.models import ScheduledMail
from kongres.mail.delivery import mail_deliver
from kongres.mail.models import OutboxMessage
from kongres.registration.models import Reconfirmation, Registration
from kongres.registration.services.reconfirm import reconfirmation_configure, reconfirmation_due
from tests.browser.conftest import axe_report
from tests.factories import EditionFactory
from tests.factories.registration import RegistrationFactory

PASSWORD = "biuro-organizatora-2026"
TEXTS = {
    "pl": {
        "coming": "Tak, przyjdę",
        "not_coming": "Tak, rezygnuję z miejsca",
        "thanks": "Dziękujemy: czekamy na Ciebie.",
        "released": "Dziękujemy za informację",
        "preset": "Informacje praktyczne dzień przed",
        "save": "Zapisz i pokaż podgląd",
        "preview": "Podgląd",
    },
    "en": {
        "coming": "Yes, I am coming",
        "not_coming": "Yes, give up my place",
        "thanks": "Thank you: we are expecting you.",
        "released": "Thank you for letting us know",
        "preset": "Practical information the day before",
        "save": "Save and preview",
        "preview": "Preview",
    },
}


class Audit:
    def __init__(self, axe) -> None:
        self.axe = axe
        self.failures: list[str] = []

    def check(self, page, name: str) -> None:
        violations = self.axe(page)
        if violations:
            self.failures.append(f"{name} {page.url}:\n{axe_report(violations)}")


def tab_to(page, text: str, limit: int = 80) -> None:
    """Press Tab until the focused element's text (or value) is ``text``."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        focused = page.evaluate(
            "() => (document.activeElement.innerText || document.activeElement.value || '').trim()"
        )
        if focused == text:
            return
    raise AssertionError(f"Tab never reached {text!r} on {page.url}")


def tab_to_field(page, name: str, limit: int = 80) -> None:
    for _ in range(limit):
        page.keyboard.press("Tab")
        if page.evaluate("() => document.activeElement.name || ''") == name:
            return
    raise AssertionError(f"Tab never reached the field {name!r} on {page.url}")


@pytest.fixture
def asked(transactional_db, smtp_server):
    """Two confirmed participants per language, asked to reconfirm; the mails delivered."""
    now = timezone.now()
    edition = EditionFactory(capacity=10, start_date=(now + dt.timedelta(days=20)).date())
    people = {
        (language, answer): RegistrationFactory(
            edition=edition, now=now, verified=True, data__language=language
        )
        for language in ("pl", "en")
        for answer in ("coming", "not_coming")
    }
    round_ = reconfirmation_configure(
        edition=edition,
        enabled=True,
        days_before=7,
        reminder_after_days=2,
        deadline_days_before=2,
        warning_hours=24,
        on_no_answer="flag",
    )
    reconfirmation_due(now=round_.asks_at)
    for message in OutboxMessage.objects.filter(kind="registration.reconfirm"):
        assert mail_deliver(message_id=message.pk) == "sent"
    return people


def link_in_mail(smtp_server, to: str, answer: str) -> str:
    [message] = [m for m in smtp_server.messages if m["To"] == to]
    text = message.get_body(("plain",)).get_content()
    urls = re.findall(r"https?://\S+", text)
    refusing = [url for url in urls if url.endswith(("/nie-przyjde/", "/not-coming/"))]
    coming = [
        url for url in urls if url.endswith(("/przyjde/", "/coming/")) and url not in refusing
    ]
    [url] = refusing if answer == "not_coming" else coming
    return url


@pytest.mark.parametrize("language", ["pl", "en"])
def test_reconfirm_links_by_keyboard_alone(page, live_server, asked, smtp_server, axe, language):
    audit = Audit(axe)
    texts = TEXTS[language]
    for answer in ("coming", "not_coming"):
        person = asked[(language, answer)]
        url = link_in_mail(smtp_server, person.email, answer)
        assert url.startswith(live_server.url)
        response = page.goto(url)
        assert response.status == 200
        audit.check(page, f"{language} {answer}")
        # nothing changed by opening the link
        assert Reconfirmation.objects.get(registration=person).answer == ""
        page.keyboard.press("Tab")
        assert page.evaluate("() => document.activeElement.classList.contains('skip-link')")
        tab_to(page, texts[answer])
        with page.expect_navigation():
            page.keyboard.press("Enter")
        page.wait_for_selector("[role=status], .notice, .messages")
        body = page.inner_text("body")
        assert texts["thanks" if answer == "coming" else "released"] in body
        audit.check(page, f"{language} {answer} done")
    assert Reconfirmation.objects.get(registration=asked[(language, "coming")]).answer == "coming"
    assert (
        Registration.objects.get(pk=asked[(language, "not_coming")].pk).status
        == Registration.Status.CANCELLED
    )
    assert page.watch.console_errors == []
    assert page.watch.foreign_requests == []
    assert audit.failures == [], "\n".join(audit.failures)


@pytest.fixture
def organiser(transactional_db):
    edition = EditionFactory(capacity=5, start_date=timezone.localdate() + dt.timedelta(days=30))
    RegistrationFactory(edition=edition, verified=True, data__first_name="Ola")
    user = get_user_model().objects.create_user("olga", "olga@example.org", PASSWORD)
    EditionRole.objects.create(edition=edition, user=user, role=EditionRole.Role.ADMIN)
    return edition


@pytest.mark.parametrize("language", ["pl", "en"])
def test_scheduled_mails_by_keyboard_alone(page, live_server, organiser, axe, language):
    audit = Audit(axe)
    texts = TEXTS[language]
    edition = organiser
    base = live_server.url
    with translation.override(language):
        login = reverse("orga:login")
        listing = reverse("orga:scheduled-list", kwargs={"edition": edition.slug})

    page.goto(base + login + "?next=" + listing)
    tab_to_field(page, "username")
    page.keyboard.type("olga")
    tab_to_field(page, "password")
    page.keyboard.type(PASSWORD)
    with page.expect_navigation():
        page.keyboard.press("Enter")
    page.wait_for_url(base + listing)
    audit.check(page, f"{language} list")

    tab_to(page, f"{'Nowa' if language == 'pl' else 'New'}: {texts['preset']}")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert page.input_value("input[name=offset_days]") == "-1"
    audit.check(page, f"{language} new from a preset")

    # a mistake: a time already past; the form comes back with what was typed
    page.focus("input[name=name]")
    tab_to_field(page, "offset_days")
    page.keyboard.press("Control+A")
    page.keyboard.type("-90")
    tab_to(page, texts["save"])
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert page.input_value("input[name=offset_days]") == "-90"
    assert page.locator(".orga-error").count() >= 1
    audit.check(page, f"{language} new with an error")
    assert not ScheduledMail.objects.exists()

    page.focus("input[name=name]")
    tab_to_field(page, "offset_days")
    page.keyboard.press("Control+A")
    page.keyboard.type("-1")
    tab_to(page, texts["save"])
    with page.expect_navigation():
        page.keyboard.press("Enter")
    mail = ScheduledMail.objects.get(edition=edition)
    assert page.url.endswith(f"/{mail.pk}/")
    assert texts["preview"] in page.inner_text("main")
    assert "Ola" in page.inner_text(".orga-previews")
    audit.check(page, f"{language} detail with preview")

    page.goto(base + listing)
    assert mail.name in page.inner_text("main")
    audit.check(page, f"{language} list with a mail")
    assert page.watch.console_errors == []
    assert page.watch.foreign_requests == []
    assert audit.failures == [], "\n".join(audit.failures)


@pytest.mark.parametrize("language", ["pl", "en"])
def test_reconfirmation_settings_by_keyboard_alone(page, live_server, organiser, axe, language):
    from kongres.registration.models import ReconfirmationRound

    audit = Audit(axe)
    edition = organiser
    base = live_server.url
    with translation.override(language):
        login = reverse("orga:login")
        settings_page = reverse("orga:reconfirmation", kwargs={"edition": edition.slug})
    page.goto(base + login + "?next=" + settings_page)
    tab_to_field(page, "username")
    page.keyboard.type("olga")
    tab_to_field(page, "password")
    page.keyboard.type(PASSWORD)
    with page.expect_navigation():
        page.keyboard.press("Enter")
    page.wait_for_url(base + settings_page)
    audit.check(page, f"{language} reconfirmation")

    page.focus("main")
    tab_to_field(page, "enabled")
    page.keyboard.press("Space")
    tab_to_field(page, "deadline_days_before")
    page.keyboard.press("Control+A")
    page.keyboard.type("9")  # after the question (7 days before): refused
    tab_to(page, "Zapisz" if language == "pl" else "Save")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert page.input_value("input[name=deadline_days_before]") == "9"
    assert page.is_checked("input[name=enabled]")
    audit.check(page, f"{language} reconfirmation with an error")
    assert not ReconfirmationRound.objects.exists()

    page.focus("main")
    tab_to_field(page, "deadline_days_before")
    page.keyboard.press("Control+A")
    page.keyboard.type("2")
    tab_to(page, "Zapisz" if language == "pl" else "Save")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    round_ = ReconfirmationRound.objects.get(edition=edition)
    assert (round_.enabled, round_.deadline_days_before) == (True, 2)
    audit.check(page, f"{language} reconfirmation saved")
    assert page.watch.console_errors == []
    assert audit.failures == [], "\n".join(audit.failures)
