"""Every public page of the demo, in both languages: no console errors, no request to another
host, axe-core (WCAG 2.1 A/AA) reports nothing; a keyboard-only walk; screenshots."""

import pytest
from django.core.management import call_command

from tests.browser.conftest import axe_report


@pytest.fixture
def demo(transactional_db):
    call_command("demo", verbosity=0)
    from kongres.content.models import NewsPost
    from kongres.events.models import Edition, Session

    edition = Edition.objects.get(ordinal=4)
    return {
        "edition": edition,
        "session": Session.objects.filter(edition=edition, kind="panel").first(),
        "speaker": Session.objects.filter(edition=edition)
        .exclude(speakers=None)
        .first()
        .speakers.first(),
        "post": NewsPost.objects.first(),
    }


def public_paths(demo) -> list[str]:
    from django.urls import reverse
    from django.utils import translation

    paths = []
    for language in ("pl", "en"):
        with translation.override(language):
            paths += [
                reverse("events:home"),
                reverse("events:programme"),
                reverse("events:programme") + f"?track={demo['session'].track.slug}",
                demo["session"].get_absolute_url(),
                reverse("events:speakers"),
                demo["speaker"].get_absolute_url(),
                reverse("events:venue"),
                reverse("events:organisers"),
                reverse("events:archive"),
                demo["edition"].get_absolute_url(),
                reverse("content:news-list"),
                demo["post"].get_absolute_url(),
                reverse("content:privacy"),
                reverse("content:accessibility"),
                reverse("registration:register"),
                # the demo's past edition in the archive (demo/archive.py)
                *(
                    reverse(name, kwargs={"archive": "iii-kongres"})
                    for name in (
                        "events:archive-home",
                        "events:archive-programme",
                        "events:archive-speakers",
                        "content:archive-news-list",
                        "events:archive-materials",
                    )
                ),
                reverse(
                    "events:archive-session",
                    kwargs={"archive": "iii-kongres", "slug": "rewitalizacja-2025"},
                ),
                "/nie-ma-takiej-strony/" if language == "pl" else "/en/no-such-page/",
            ]
    return paths


def test_every_public_page_passes_axe_in_both_languages(page, live_server, demo, axe):
    failures = []
    for path in public_paths(demo):
        response = page.goto(live_server.url + path)
        expected = 404 if "no-such-page" in path or "nie-ma-takiej" in path else 200
        if response.status != expected:
            failures.append(f"{path}: HTTP {response.status}")
            continue
        lang = page.evaluate("() => document.documentElement.lang")
        if lang != ("en" if path.startswith("/en/") else "pl"):
            failures.append(f"{path}: <html lang={lang!r}>")
        violations = axe(page)
        if violations:
            failures.append(f"{path}:\n{axe_report(violations)}")
    # The one error we expect: the browser reports the intended 404 of the missing page.
    unexpected = [
        error
        for error in page.watch.console_errors
        if not ("status of 404" in error and ("no-such-page" in error or "nie-ma-takiej" in error))
    ]
    assert unexpected == []
    assert page.watch.foreign_requests == []
    assert failures == [], "\n".join(failures)


def test_keyboard_only_walk_from_home_to_a_session(page, live_server, demo):
    page.goto(live_server.url + "/")

    def tab_to(predicate_js: str, limit: int = 60) -> None:
        for _ in range(limit):
            page.keyboard.press("Tab")
            if page.evaluate(predicate_js):
                return
        raise AssertionError(f"Tab never reached an element matching {predicate_js}")

    # The skip link comes first and moves focus to the main content.
    page.keyboard.press("Tab")
    assert page.evaluate("() => document.activeElement.classList.contains('skip-link')")
    tab_to("() => document.activeElement.textContent.trim() === 'Program'")
    page.keyboard.press("Enter")
    page.wait_for_url("**/program/")
    session_url = demo["session"].get_absolute_url()
    tab_to(f"() => document.activeElement.getAttribute('href') === '{session_url}'", limit=200)
    page.keyboard.press("Enter")
    page.wait_for_url(f"**{session_url}")
    assert demo["session"].title_pl in page.text_content("h1")


@pytest.mark.parametrize("width,height", [(390, 844), (1280, 800)])
def test_screenshots_of_home_and_programme(browser, live_server, demo, screenshot, width, height):
    context = browser.new_context(viewport={"width": width, "height": height}, locale="pl-PL")
    page = context.new_page()
    for name, path in (("home", "/"), ("programme", "/program/"), ("home-en", "/en/")):
        page.goto(live_server.url + path)
        # Nothing wider than the viewport: no sideways scrolling on a phone.
        overflow = page.evaluate(
            "() => document.documentElement.scrollWidth - document.documentElement.clientWidth"
        )
        assert overflow <= 0, f"{path} at {width}px scrolls sideways by {overflow}px"
        assert screenshot(page, f"{name}-{width}x{height}").stat().st_size > 10_000
    context.close()
