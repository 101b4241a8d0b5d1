"""The participant's survey page and the back office's survey pages, through the test client:
bad input keeps what was typed, a second try is refused kindly, results, charts and exports."""

import csv
import io
import re
import zipfile

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse
from django.utils import translation

from kongres.accounts.models import EditionRole
from kongres.feedback.forms import field_name
from kongres.feedback.models import Answer, Invitation, Question, Response, Survey
from kongres.feedback.services import survey_response_submit, token_hash
from kongres.mail.models import OutboxMessage
from tests.feedback.conftest import invite_tokens, participant, questions


def survey_url(token: str, language: str = "pl") -> str:
    with translation.override(language):
        return reverse("feedback:survey", kwargs={"token": token})


@pytest.fixture
def token(edition, survey):
    participant(edition)
    [token] = invite_tokens(survey).values()
    return token


def test_the_page_shows_the_questions_in_both_languages(client, survey, token):
    page = client.get(survey_url(token)).content.decode()
    assert "<h1>Jak oceniasz kongres?</h1>" in page
    assert "Sesja: Rewitalizacja miast" in page
    assert "4 \u2013 dobrze" in page and "Od znajomych" in page
    assert client.get(survey_url(token)).headers["X-Robots-Tag"] == "noindex, nofollow"
    english = client.get(survey_url(token, "en")).content.decode()
    assert "<h1>How was the congress?</h1>" in english
    assert "Session: Urban renewal" in english
    assert "4 - good" in english and "From friends" in english
    # choices without English labels show the Polish ones; nothing was written
    assert "What was good?" in english and "Catering" in english
    assert not Response.objects.exists()


def test_bad_input_keeps_what_was_typed(client, survey, token):
    found = questions(survey)
    data = {  # the required rating missing
        field_name(found["Skąd wiesz o kongresie?"]): "2",
        field_name(found["Co było dobre?"]): ["1", "3"],
        field_name(found["Uwagi"]): "Świetne <panele> & przerwy",
        field_name(found["Ocena sesji"]): "5",
    }
    response = client.post(survey_url(token), data)
    assert response.status_code == 200
    page = response.content.decode()
    assert 'id="error-summary"' in page and "Wybierz ocenę." in page
    assert "Świetne &lt;panele&gt; &amp; przerwy</textarea>" in page
    checked = re.findall(
        r'<input type="(?:radio|checkbox)" name="(q_\d+)" value="(\w+)"[^>]*checked', page
    )
    assert sorted(checked) == sorted(
        [
            (field_name(found["Skąd wiesz o kongresie?"]), "2"),
            (field_name(found["Co było dobre?"]), "1"),
            (field_name(found["Co było dobre?"]), "3"),
            (field_name(found["Ocena sesji"]), "5"),
        ]
    )
    assert (Invitation.objects.get().used, Response.objects.count()) == (False, 0)


def test_answer_once_then_a_kind_refusal(client, survey, token):
    found = questions(survey)
    data = {field_name(found["Ocena ogólna"]): "5", field_name(found["Uwagi"]): "Dziękuję"}
    response = client.post(survey_url(token), data)
    assert response["Location"] == reverse("feedback:thanks")
    assert "Dziękujemy za odpowiedzi" in client.get(response["Location"]).content.decode()
    assert sorted(Answer.objects.values_list("text", "rating")) == [("", 5), ("Dziękuję", None)]
    for again in (client.get(survey_url(token)), client.post(survey_url(token), data)):
        assert again.status_code == 200
        page = again.content.decode()
        assert "<h1>Ankieta jest już wypełniona</h1>" in page
        assert "Dziękujemy za poświęcony czas!" in page
    assert Response.objects.count() == 1


def test_unknown_and_closed_links(client, survey, token):
    assert client.get(survey_url("nieznany-" + "x" * 30)).status_code == 404
    Survey.objects.update(status="closed")
    page = client.get(survey_url(token)).content.decode()
    assert "<h1>Ankieta jest zamknięta</h1>" in page


# -- the back office ---------------------------------------------------------------------------


@pytest.fixture
def editor_client(client, edition):
    user = get_user_model().objects.create_user("redaktorka", "r@example.org", "hasło-123456")
    EditionRole.objects.create(edition=edition, user=user, role=EditionRole.Role.EDITOR)
    client.force_login(user)
    return client


def orga_url(name: str, edition, **kwargs) -> str:
    return reverse(f"orga:{name}", kwargs={"edition": edition.slug, **kwargs})


def test_organiser_builds_a_survey_bad_input_kept(editor_client, edition):
    url = orga_url("feedback", edition)
    page = editor_client.get(url).content.decode()
    assert "Ta edycja nie ma jeszcze ankiety." in page
    response = editor_client.post(url, {"title_en": "Feedback", "intro_pl": "Wstęp <b>"})
    page = response.content.decode()
    assert response.status_code == 200 and 'id="form-errors"' in page
    assert 'value="Feedback"' in page and "Wstęp &lt;b&gt;</textarea>" in page
    assert not Survey.objects.exists()
    response = editor_client.post(url, {"title_pl": "Ankieta", "only_attended": "on"})
    assert response["Location"] == url
    survey = Survey.objects.get()
    assert (survey.title_pl, survey.only_attended, survey.status) == ("Ankieta", True, "draft")

    add = orga_url("feedback-question-add", edition)
    bad = {"text_pl": "Skąd?", "text_en": "Where from?", "kind": "single",
           "choices_pl": "Tylko jedna", "order": "0"}  # fmt: skip
    response = editor_client.post(add, bad)
    page = response.content.decode()
    assert "Podaj co najmniej dwie odpowiedzi do wyboru" in page
    assert 'value="Skąd?"' in page and 'value="Where from?"' in page
    assert "Tylko jedna</textarea>" in page and '<option value="single" selected>' in page
    response = editor_client.post(add, {**bad, "choices_pl": "Poczta\nZnajomi"})
    assert response["Location"] == url
    question = Question.objects.get()
    assert question.choices == [
        {"value": "1", "label_pl": "Poczta", "label_en": ""},
        {"value": "2", "label_pl": "Znajomi", "label_en": ""},
    ]
    editor_client.post(orga_url("feedback-status", edition), {"status": "open"})
    assert Survey.objects.get().status == "open"
    participant(edition)
    response = editor_client.post(orga_url("feedback-invite", edition), follow=True)
    assert "Zaproszenia w kolejce do wysłania: 1." in response.content.decode()
    response = editor_client.post(orga_url("feedback-invite", edition), follow=True)
    assert "są już zaproszone" in response.content.decode()
    assert OutboxMessage.objects.filter(kind="feedback.invitation").count() == 1


def _answer_all(edition, survey, count: int) -> None:
    for _n in range(count):
        participant(edition)
    found = questions(survey)
    texts = ['=HYPERLINK("http://zly.example")', "Więcej kawy", "Dobre panele"]
    used = set(Invitation.objects.filter(used=True).values_list("token_hash", flat=True))
    fresh = [t for t in invite_tokens(survey).values() if token_hash(t) not in used]
    for number, token in enumerate(fresh):
        survey_response_submit(
            token=token,
            answers={
                found["Ocena ogólna"].pk: [5, 4, 5][number],
                found["Skąd wiesz o kongresie?"].pk: "1",
                found["Co było dobre?"].pk: ["1", "2"] if number else ["1"],
                found["Uwagi"].pk: texts[number],
            },
        )


def test_results_with_charts_and_free_texts(editor_client, edition, survey):
    _answer_all(edition, survey, 3)
    page = editor_client.get(orga_url("feedback-results", edition)).content.decode()
    assert "<dd>3</dd>" in page and "<dd>100%</dd>" in page
    assert "średnia 4,67" in page
    rating = questions(survey)["Ocena ogólna"]
    chart = orga_url("feedback-chart", edition, pk=rating.pk)
    assert f'<img src="{chart}"' in page
    for text in ("Więcej kawy", "Dobre panele", "=HYPERLINK(&quot;http://zly.example&quot;)"):
        assert f"<li>{text}</li>" in page
    svg = editor_client.get(chart)
    assert svg["Content-Type"] == "image/svg+xml; charset=utf-8"
    assert svg.content.startswith(b"<svg") and "Ocena ogólna" in svg.content.decode()
    text = questions(survey)["Uwagi"]
    assert editor_client.get(orga_url("feedback-chart", edition, pk=text.pk)).status_code == 404


def test_exports_csv_and_xlsx(editor_client, edition, survey):
    _answer_all(edition, survey, 3)
    response = editor_client.get(orga_url("feedback-export", edition, extension="csv"))
    assert response["Content-Disposition"].startswith('attachment; filename="edycja-')
    content = b"".join(response.streaming_content).decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(content)))
    assert rows[0] == [
        "odpowiedź",
        "Ocena ogólna",
        "Skąd wiesz o kongresie?",
        "Co było dobre?",
        "Uwagi",
        "Rewitalizacja miast: Ocena sesji",
    ]
    body = sorted(row[1:] for row in rows[1:])
    assert body == sorted(
        [
            ["5", "Z poczty", "Panele", '\'=HYPERLINK("http://zly.example")', ""],
            ["4", "Z poczty", "Panele; Catering", "Więcej kawy", ""],
            ["5", "Z poczty", "Panele; Catering", "Dobre panele", ""],
        ]
    )
    assert sorted(row[0] for row in rows[1:]) == ["1", "2", "3"]
    response = editor_client.get(orga_url("feedback-export", edition, extension="xlsx"))
    with zipfile.ZipFile(io.BytesIO(b"".join(response.streaming_content))) as book:
        sheet = book.read("xl/worksheets/sheet1.xml").decode()
    assert "<t>Ocena ogólna</t>" in sheet and "<t>Więcej kawy</t>" in sheet
    assert "=HYPERLINK" in sheet and "<f>" not in sheet  # text, never a formula
    assert (
        editor_client.get(orga_url("feedback-export", edition, extension="pdf")).status_code == 404
    )


def test_results_queries_do_not_grow_with_the_answers(editor_client, edition, survey):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    url = orga_url("feedback-results", edition)
    _answer_all(edition, survey, 1)
    editor_client.get(url)  # the first request of a session warms its caches
    with CaptureQueriesContext(connection) as few:
        editor_client.get(url)
    _answer_all(edition, survey, 2)
    with CaptureQueriesContext(connection) as more:
        assert "Więcej kawy" in editor_client.get(url).content.decode()
    assert len(more) == len(few)


def test_another_editions_question_is_not_found(editor_client, edition, survey):
    from kongres.feedback.services import QuestionData, question_save, survey_save
    from tests.factories import EditionFactory

    other = survey_save(edition=EditionFactory(), title_pl="Inna", actor=None)
    foreign = question_save(
        survey=other, data=QuestionData(text_pl="Obce", kind="text"), actor=None
    )
    for name in ("feedback-question-edit", "feedback-question-delete"):
        assert editor_client.get(orga_url(name, edition, pk=foreign.pk)).status_code == 404
        assert editor_client.post(orga_url(name, edition, pk=foreign.pk), {}).status_code == 404
    assert Question.objects.filter(pk=foreign.pk).exists()
