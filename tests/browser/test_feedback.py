"""The feedback survey in a real Chromium, with the keyboard only: a participant answers once
through the link of the invitation (a refused first try keeps what was typed, the error
summary leads to the question), a second try is refused kindly; then an editor sees the
results with their charts in the back office. axe-core (WCAG 2.1 A/AA) checks every page, in
Polish and in English."""

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse
from django.utils import translation

from kongres.accounts.models import EditionRole
from kongres.feedback.models import Answer, Response
from kongres.feedback.services import (
    QuestionData,
    question_save,
    survey_save,
    survey_status_change,
)
from tests.browser.conftest import axe_report
from tests.factories import DayFactory, EditionFactory, SessionFactory
from tests.feedback.conftest import invite_tokens, participant

PASSWORD = "ankieta-po-kongresie-2026"


@pytest.fixture
def surveyed(transactional_db):
    edition = EditionFactory(title_pl="Kongres Miast Testowych", title_en="Test Cities Congress")
    DayFactory(edition=edition)
    session = SessionFactory(edition=edition, title_pl="Rewitalizacja", title_en="Renewal")
    survey = survey_save(edition=edition, title_pl="Jak było?", title_en="How was it?", actor=None)
    for data in (
        QuestionData(text_pl="Ocena ogólna", text_en="Overall rating", kind="rating",
                     required=True),
        QuestionData(
            text_pl="Skąd wiesz o kongresie?",
            text_en="How did you hear of it?",
            kind="single",
            choices_pl=("Z poczty", "Od znajomych"),
            choices_en=("By mail", "From friends"),
            order=1,
        ),
        QuestionData(
            text_pl="Co było dobre?",
            text_en="What was good?",
            kind="multiple",
            choices_pl=("Panele", "Przerwy"),
            choices_en=("Panels", "Breaks"),
            order=2,
        ),
        QuestionData(text_pl="Uwagi", text_en="Remarks", kind="text", order=3),
        QuestionData(text_pl="Ocena sesji", text_en="Session rating", kind="rating",
                     session_id=session.pk),
    ):  # fmt: skip
        question_save(survey=survey, data=data, actor=None)
    survey_status_change(survey=survey, status="open", actor=None)
    participant(edition, email="pierwsza@example.org")
    participant(edition, email="druga@example.org", language="en")
    editor = get_user_model().objects.create_user("edyta", "edyta@example.org", PASSWORD)
    EditionRole.objects.create(edition=edition, user=editor, role=EditionRole.Role.EDITOR)
    return edition, invite_tokens(survey)


def test_answer_once_and_see_the_results_with_the_keyboard_only(page, live_server, axe, surveyed):
    edition, tokens = surveyed
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

    def url(name: str, language: str = "pl", **kwargs) -> str:
        with translation.override(language):
            return live_server.url + reverse(name, kwargs=kwargs)

    token = tokens["pierwsza@example.org"]
    page.goto(url("feedback:survey", token=token))
    assert page.text_content("h1") == "Jak było?"
    check("survey, Polish")

    # a remark and a choice, but not the required rating: refused, what was typed stays
    tab_to(focused("e.tagName === 'TEXTAREA'"))
    page.keyboard.type("Świetne panele")
    remarks = page.evaluate("() => document.activeElement.id")
    tab_to(focused("e.type === 'checkbox' && e.value === '2'"))
    page.keyboard.press("Space")
    tab_to(focused("e.tagName === 'BUTTON'"))
    page.keyboard.press("Enter")
    page.wait_for_selector("#error-summary")
    # the summary takes the focus (autofocus, applied when the page is next rendered) before
    # tabbing starts from it, as for a person
    page.wait_for_function(
        "document.activeElement && document.activeElement.id === 'error-summary'"
    )
    assert page.input_value(f"#{remarks}") == "Świetne panele"
    assert page.is_checked("input[type=checkbox][value='2']")
    assert not Response.objects.exists()
    check("survey with an error")
    tab_to(focused("e.tagName === 'A' && e.closest('#error-summary')"))
    page.keyboard.press("Enter")  # to the rating's first mark
    assert page.evaluate("() => document.activeElement.type") == "radio"
    page.keyboard.press("Space")  # 1
    for _ in range(3):
        page.keyboard.press("ArrowDown")  # … 4
    tab_to(focused("e.tagName === 'BUTTON'"))
    page.keyboard.press("Enter")
    page.wait_for_selector("h1:has-text('Dziękujemy za odpowiedzi')")
    check("thanks")
    assert sorted(
        (rating or 0, values, text)
        for rating, values, text in Answer.objects.values_list("rating", "values", "text")
    ) == [(0, [], "Świetne panele"), (0, ["2"], ""), (4, [], "")]

    # a second try: refused kindly, in both languages
    page.goto(url("feedback:survey", token=token))
    assert page.text_content("h1") == "Ankieta jest już wypełniona"
    check("second try")
    page.goto(url("feedback:survey", "en", token=token))
    assert page.text_content("h1") == "You have answered already"
    check("second try, English")
    assert Response.objects.count() == 1

    page.goto(url("feedback:survey", "en", token=tokens["druga@example.org"]))
    assert page.text_content("h1") == "How was it?"
    check("survey, English")
    page.goto(url("feedback:thanks", "en"))
    check("thanks, English")

    # the editor: the survey's page, then its results with the charts
    survey_page = reverse("orga:feedback", kwargs={"edition": edition.slug})
    page.goto(live_server.url + reverse("orga:login") + f"?next={survey_page}")
    page.fill("input[name=username]", "edyta")
    page.fill("input[name=password]", PASSWORD)
    page.press("input[name=password]", "Enter")
    page.wait_for_url(f"**{survey_page}")
    assert page.text_content("h1") == "Ankieta ewaluacyjna"
    check("survey in the back office")
    results = reverse("orga:feedback-results", kwargs={"edition": edition.slug})
    tab_to(focused(f"e.getAttribute('href') === '{results}'"))
    page.keyboard.press("Enter")
    page.wait_for_url(f"**{results}")
    page.wait_for_load_state("load")
    assert page.locator("dd").first.inner_text() == "2"  # invited
    charts = page.locator("img")
    assert charts.count() == 4  # the ratings and the choices; the remarks are a list
    assert all(
        charts.nth(index).evaluate("img => img.complete && img.naturalWidth > 0")
        for index in range(charts.count())
    )
    assert page.locator("li", has_text="Świetne panele").count() == 1
    check("results")
    page.goto(url("orga:feedback-results", "en", edition=edition.slug))
    assert page.text_content("h1").startswith("Survey results")
    check("results, English")
    page.goto(url("orga:feedback-question-add", "en", edition=edition.slug))
    check("question form, English")

    assert page.watch.console_errors == []
    assert page.watch.foreign_requests == []
    assert failures == [], "\n".join(failures)
