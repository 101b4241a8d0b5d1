"""Issue 20 in a real Chromium, with the keyboard only, axe-core (WCAG 2.1 A/AA) on every page
in Polish and English: an editor sends a speaker an upload link; the speaker sends a PDF
through it (a wrong file first: refused with a message, the title kept); the editor approves
it; a visitor sees it on the session page. And a visitor browses last year's edition in the
archive, with its programme."""

from __future__ import annotations

import datetime as dt

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse
from django.utils import timezone, translation

from kongres.accounts.models import EditionRole
from kongres.events.models import Edition
from kongres.materials.models import Material
from kongres.materials.services import material_approve, material_submit
from tests.browser.conftest import axe_report
from tests.factories import EditionFactory, SessionFactory
from tests.materials.files import pdf_bytes, upload

PASSWORD = "materialy-kongresu-2026"


@pytest.fixture
def congress(transactional_db):
    today = timezone.localdate()
    past = EditionFactory(
        slug="iii",
        ordinal=3,
        title_pl="III Kongres Testowy",
        title_en="3rd Test Congress",
        status=Edition.Status.ARCHIVED,
        start_date=today - dt.timedelta(days=365),
        end_date=today - dt.timedelta(days=364),
    )
    current = EditionFactory(slug="iv", ordinal=4, title_pl="IV Kongres Testowy")
    old = SessionFactory(
        edition=past, slug="panel-2025", title_pl="Panel z 2025", title_en="Panel of 2025"
    )
    material = material_submit(session=old, title="Slajdy 2025", file=upload("s.pdf", pdf_bytes()))
    material_approve(material=material, actor=None)
    session = SessionFactory(
        edition=current, slug="smart-city", title_pl="Smart City", title_en="Smart City"
    )
    editor = get_user_model().objects.create_user("edyta", "edyta@example.org", PASSWORD)
    EditionRole.objects.create(edition=current, user=editor, role=EditionRole.Role.EDITOR)
    return {"past": past, "current": current, "session": session}


def _focused(js_test: str) -> str:
    return f"() => {{ const e = document.activeElement; return !!e && ({js_test}); }}"


class Walk:
    def __init__(self, page, axe) -> None:
        self.page = page
        self.axe = axe
        self.failures: list[str] = []

    def check(self, name: str) -> None:
        violations = self.axe(self.page)
        if violations:
            self.failures.append(f"{name} {self.page.url}:\n{axe_report(violations)}")

    def tab_to(self, js_test: str, limit: int = 80) -> None:
        for _ in range(limit):
            self.page.keyboard.press("Tab")
            if self.page.evaluate(_focused(js_test)):
                return
        raise AssertionError(f"Tab never reached an element matching {js_test}")

    def login(self, base: str, next_url: str) -> None:
        page = self.page
        page.goto(base + reverse("orga:login") + f"?next={next_url}")
        page.fill("input[name=username]", "edyta")
        page.fill("input[name=password]", PASSWORD)
        page.press("input[name=password]", "Enter")
        page.wait_for_url(f"**{next_url}")


class FileChooser:
    """Space on the focused file field opens the file chooser, as for a person with a keyboard.

    The listener is registered when the walk starts, long before the first key: Playwright
    turns Chromium's interception of file choosers on when a listener appears, without waiting
    for it, so a listener added just before the key (``expect_file_chooser``) could lose the
    race. Chromium then opened its own chooser, which no further key can open again (CI,
    2026-12-06, twice)."""

    def __init__(self, page) -> None:
        self.page = page
        self.queued: list[str] = []
        page.on("filechooser", lambda chooser: chooser.set_files(self.queued.pop(0)))

    def choose(self, path) -> None:
        page = self.page
        page.wait_for_function("document.activeElement && document.activeElement.id === 'id_file'")
        self.queued.append(str(path))
        page.keyboard.press("Space")
        page.wait_for_function(
            "name => { const f = document.getElementById('id_file').files;"
            " return f.length === 1 && f[0].name === name; }",
            arg=path.name,
        )
        assert not self.queued


def test_speaker_uploads_a_pdf_and_it_shows_after_approval(
    page, live_server, axe, congress, tmp_path, settings
):
    settings.SITE_URL = live_server.url  # the link in the mail leads to the live server
    walk = Walk(page, axe)
    chooser = FileChooser(page)
    base = live_server.url
    session = congress["session"]
    materials = reverse("orga:materials", kwargs={"edition": "iv"})
    walk.login(base, materials)
    walk.check("orga materials, empty")

    # the editor sends the link: session, address, language, with the keyboard
    walk.tab_to("e.id === 'id_session'")
    page.keyboard.press("Tab")
    page.keyboard.type("prelegentka@example.org")
    page.keyboard.press("Tab")  # the language: Polish
    walk.tab_to("e.tagName === 'BUTTON' && e.textContent.trim() === 'Wyślij link'")
    page.keyboard.press("Enter")
    page.wait_for_selector("#created-link")
    upload_url = page.text_content("#created-link").strip()
    assert "/materialy/przeslij/" in upload_url
    walk.check("orga materials, link created")

    # the speaker (no account, no cookies) opens the link from the mail
    page.context.clear_cookies()
    page.goto(upload_url)
    assert page.text_content("h1") == "Prześlij materiały"
    walk.check("upload page")
    walk.tab_to("e.id === 'id_title'")
    page.keyboard.type("Moje slajdy")
    walk.tab_to("e.id === 'id_file'")
    wrong = tmp_path / "slajdy.pdf"
    wrong.write_bytes(b"<html><script>alert(1)</script></html>")
    chooser.choose(wrong)
    walk.tab_to("e.tagName === 'BUTTON' && e.textContent.trim() === 'Wyślij'")
    page.keyboard.press("Enter")
    page.wait_for_selector("#error-summary")
    # the summary takes the focus (autofocus, applied when the page is next rendered): only then
    # does tabbing start from it, as for a person (else the focus could jump back mid-way)
    page.wait_for_function(
        "document.activeElement && document.activeElement.id === 'error-summary'"
    )
    assert "Plik nie jest prezentacją PDF, PPTX ani ODP" in page.text_content("#error-summary")
    assert page.input_value("#id_title") == "Moje slajdy"
    walk.check("upload page with an error")
    good = tmp_path / "prezentacja.pdf"
    good.write_bytes(pdf_bytes())
    walk.tab_to("e.id === 'id_file'")
    chooser.choose(good)
    walk.tab_to("e.tagName === 'BUTTON' && e.textContent.trim() === 'Wyślij'")
    page.keyboard.press("Enter")
    page.wait_for_selector("#sent-heading")
    assert "czeka na zatwierdzenie" in page.text_content("main")
    walk.check("upload page after sending")
    page.goto(
        upload_url.replace(base, base + "/en").replace("/materialy/przeslij/", "/materials/send/")
    )
    assert page.text_content("h1") == "Send materials"
    walk.check("upload page, English")
    assert Material.objects.get(title="Moje slajdy").state == "pending"

    # not on the session page before the approval
    page.goto(base + session.get_absolute_url())
    assert "Moje slajdy" not in page.text_content("main")

    # the editor approves it
    walk.login(base, materials)
    walk.tab_to("e.tagName === 'BUTTON' && e.textContent.includes('Zatwierdź i opublikuj')")
    page.keyboard.press("Enter")
    page.wait_for_selector("text=„Moje slajdy” jest opublikowany na stronie sesji.")
    walk.check("orga materials, approved")

    # a visitor sees it on the session page, with its type and size
    page.context.clear_cookies()
    page.goto(base + session.get_absolute_url())
    main = page.text_content("main")
    assert "Materiały i nagrania" in main and "Moje slajdy" in main and "PDF" in main
    walk.check("session page with a material")
    with translation.override("en"):
        page.goto(base + session.get_absolute_url())
    assert "Materials and recordings" in page.text_content("main")
    walk.check("session page with a material, English")

    assert page.watch.console_errors == []
    assert page.watch.foreign_requests == []
    assert walk.failures == [], "\n".join(walk.failures)


@pytest.mark.parametrize("language", ["pl", "en"])
def test_visitor_browses_last_years_edition_in_the_archive(
    page, live_server, axe, congress, language
):
    walk = Walk(page, axe)
    with translation.override(language):
        archive = reverse("events:archive")
        home = reverse("events:archive-home", kwargs={"archive": "iii"})
        programme = reverse("events:archive-programme", kwargs={"archive": "iii"})
        session = reverse("events:archive-session", kwargs={"archive": "iii", "slug": "panel-2025"})
        materials = reverse("events:archive-materials", kwargs={"archive": "iii"})
    title = {"pl": "III Kongres Testowy", "en": "3rd Test Congress"}[language]
    panel = {"pl": "Panel z 2025", "en": "Panel of 2025"}[language]
    page.goto(live_server.url + archive)
    walk.check("archive list")
    walk.tab_to(f"e.getAttribute('href') === '{home}'")
    page.keyboard.press("Enter")
    page.wait_for_url(f"**{home}")
    assert title in page.text_content("h1")
    walk.check("archive home")
    walk.tab_to(f"e.getAttribute('href') === '{programme}'")
    page.keyboard.press("Enter")
    page.wait_for_url(f"**{programme}")
    assert panel in page.text_content("main")
    walk.check("archive programme")
    walk.tab_to(f"e.getAttribute('href') === '{session}'")
    page.keyboard.press("Enter")
    page.wait_for_url(f"**{session}")
    assert "Slajdy 2025" in page.text_content("main")
    walk.check("archive session")
    walk.tab_to(f"e.getAttribute('href') === '{materials}'")
    page.keyboard.press("Enter")
    page.wait_for_url(f"**{materials}")
    assert "Slajdy 2025" in page.text_content("main")
    walk.check("archive materials")
    assert page.watch.console_errors == []
    assert page.watch.foreign_requests == []
    assert walk.failures == [], "\n".join(walk.failures)
