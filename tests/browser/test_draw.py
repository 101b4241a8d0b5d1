"""The public page of an edition's draw, before and after the draw, in both languages: axe-core
(WCAG 2.1 A/AA) reports nothing, no console error, no request to another host."""

import pytest

from tests.browser.conftest import axe_report


@pytest.fixture
def drawn_later(transactional_db):
    from kongres.registration.services.draw import allocation_configure
    from tests.factories import EditionFactory
    from tests.factories.registration import RegistrationFactory

    edition = EditionFactory(capacity=3)
    allocation_configure(edition=edition, mode="draw")
    for n in range(6):
        RegistrationFactory(edition=edition, verified=True, data__sector=["ngo", "media"][n % 2])
    return edition


def test_draw_page_passes_axe_before_and_after(page, live_server, drawn_later, axe):
    from kongres.registration.services.draw import draw_run

    failures = []
    for moment in ("before", "after"):
        if moment == "after":
            draw_run(edition=drawn_later)
        for path in ("/rejestracja/losowanie/", "/en/registration/draw/"):
            response = page.goto(live_server.url + path)
            assert response.status == 200, path
            violations = axe(page)
            if violations:
                failures.append(f"{moment} {path}:\n{axe_report(violations)}")
    assert page.watch.console_errors == []
    assert page.watch.foreign_requests == []
    assert failures == [], "\n".join(failures)


def test_draw_page_by_keyboard_alone(page, live_server, drawn_later):
    from kongres.registration.services.draw import draw_run

    draw_run(edition=drawn_later)
    page.goto(live_server.url + "/en/registration/draw/")
    page.keyboard.press("Tab")
    assert page.evaluate("() => document.activeElement.classList.contains('skip-link')")
    for _ in range(60):
        page.keyboard.press("Tab")
        if page.evaluate(
            "() => (document.activeElement.getAttribute('href') || '').endsWith('draw.json')"
        ):
            break
    else:
        raise AssertionError("Tab never reached the draw's data")
    with page.expect_response(lambda r: r.url.endswith("draw.json")) as answer:
        page.keyboard.press("Enter")
    assert answer.value.json()["seed"]
