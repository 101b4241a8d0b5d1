"""An editor keeps the edition's news in a real Chromium, with the keyboard only: the menu
link, a post refused for its empty Polish title (the error summary links to the field), then
saved as a draft, published, deleted after the confirmation. axe-core (WCAG 2.1 A/AA) checks
every page on the way."""

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse

from kongres.accounts.models import EditionRole
from kongres.content.models import NewsPost
from tests.browser.conftest import axe_report
from tests.factories import EditionFactory

PASSWORD = "redakcja-aktualnosci-2026"


@pytest.fixture
def newsroom(transactional_db):
    edition = EditionFactory(title_pl="Kongres Miast Testowych", time_zone="Europe/Warsaw")
    editor = get_user_model().objects.create_user("edyta", "edyta@example.org", PASSWORD)
    EditionRole.objects.create(edition=edition, user=editor, role=EditionRole.Role.EDITOR)
    return edition


def test_editor_keeps_the_news_with_the_keyboard_only(page, live_server, axe, newsroom):
    edition = newsroom
    failures: list[str] = []

    def check(name: str) -> None:
        violations = axe(page)
        if violations:
            failures.append(f"{name} {page.url}:\n{axe_report(violations)}")

    def tab_to(predicate_js: str, limit: int = 80) -> None:
        for _ in range(limit):
            page.keyboard.press("Tab")
            if page.evaluate(predicate_js):
                return
        raise AssertionError(f"Tab never reached an element matching {predicate_js}")

    def focused(js_test: str) -> str:
        return f"() => {{ const e = document.activeElement; return !!e && ({js_test}); }}"

    news = reverse("orga:news-list", kwargs={"edition": edition.slug})
    page.goto(live_server.url + reverse("orga:login") + f"?next={news}")
    page.fill("input[name=username]", "edyta")
    page.fill("input[name=password]", PASSWORD)
    page.press("input[name=password]", "Enter")
    page.wait_for_url(f"**{news}")
    assert page.text_content("h1") == "Aktualności"
    check("news list, empty")

    # the menu leads here too
    page.goto(live_server.url + reverse("orga:index"))
    tab_to(focused(f"e.getAttribute('href') === '{news}'"))
    page.keyboard.press("Enter")
    page.wait_for_url(f"**{news}")

    tab_to(focused("e.textContent.trim() === 'Napisz aktualność'"))
    page.keyboard.press("Enter")
    page.wait_for_selector("#id_title_pl")
    check("new post")

    # the English title only: refused, the error summary links to the Polish title
    tab_to(focused("e.id === 'id_title_en'"))
    page.keyboard.type("Programme ready")
    page.keyboard.press("Enter")  # submits the form
    page.wait_for_selector("#form-errors")
    assert page.input_value("#id_title_en") == "Programme ready"
    check("new post with an error")
    tab_to(focused("e.getAttribute('href') === '#id_title_pl'"))
    page.keyboard.press("Enter")  # the link moves the focus into the field
    assert page.evaluate("() => document.activeElement.id") == "id_title_pl"
    page.keyboard.type("Program gotowy")
    page.keyboard.press("Tab")
    assert page.evaluate("() => document.activeElement.id") == "id_lead_pl"
    page.keyboard.type("Znamy program.")
    page.keyboard.press("Tab")
    assert page.evaluate("() => document.activeElement.id") == "id_body_pl"
    page.keyboard.type("## Panele\n\n- mobilność")
    tab_to(focused("e.tagName === 'BUTTON' && e.textContent.trim() === 'Zapisz'"))
    page.keyboard.press("Enter")
    page.wait_for_url(f"**{news}")
    post = NewsPost.objects.get()
    assert (post.title_pl, post.title_en, post.state) == (
        "Program gotowy",
        "Programme ready",
        NewsPost.State.DRAFT,
    )
    assert page.locator("[role=status]").inner_text().startswith("Wpis „Program gotowy” zapisano")
    check("news list with a draft")

    tab_to(focused("e.tagName === 'BUTTON' && e.textContent.includes('Opublikuj teraz')"))
    page.keyboard.press("Enter")
    page.wait_for_selector("text=„Program gotowy” opublikowano.")
    post.refresh_from_db()
    assert post.state == NewsPost.State.PUBLISHED
    check("news list with a published post")

    tab_to(focused("e.tagName === 'A' && e.textContent.includes('Usuń')"))
    page.keyboard.press("Enter")
    page.wait_for_selector("h1:has-text('Usuwanie aktualności')")
    check("delete confirmation")
    tab_to(focused("e.tagName === 'BUTTON' && e.textContent.trim() === 'Usuń'"))
    page.keyboard.press("Enter")
    page.wait_for_url(f"**{news}")
    assert not NewsPost.objects.exists()

    assert page.watch.console_errors == []
    assert failures == [], "\n".join(failures)
