"""The demo's feedback survey (``kongres demo --after``, wired at merge): loaded on the demo
edition with a few participants who came, answers generated through the one-time links,
unused links left for a newcomer; loading it again changes nothing."""

import datetime as dt

import pytest

from kongres.demo.feedback import demo_feedback_load
from kongres.demo.loader import demo_load
from kongres.events.models import Edition
from kongres.feedback.models import Invitation, Response
from kongres.feedback.selectors import survey_results
from tests.feedback.conftest import participant


@pytest.fixture
def demo_edition(db):
    demo_load(today=dt.date.today())  # registrations open; the survey is invited at once
    edition = Edition.objects.get(slug="iv-kongres")
    edition.capacity = None
    edition.save()
    return edition


def test_the_demo_survey(client, demo_edition, settings):
    settings.SITE_URL = "http://demo.example"
    for _n in range(6):
        participant(demo_edition)
    participant(demo_edition, came=False)
    result = demo_feedback_load(edition=demo_edition)
    assert (result.invited, result.answered, len(result.links)) == (6, 4, 2)
    assert Response.objects.count() == 4
    assert Invitation.objects.filter(used=True).count() == 4
    texts = [r.question.text_pl for r in survey_results(survey=result.survey)]
    assert texts[:4] == [
        "Jak oceniasz kongres jako całość?",
        "Skąd dowiedziałeś(-aś) się o kongresie?",
        "Co było najcenniejsze?",
        "Co możemy poprawić?",
    ]
    assert len(texts) == 6  # and two sessions' ratings
    overall = survey_results(survey=result.survey)[0]
    assert overall.answered == 4 and sum(count for _label, count in overall.rows) == 4
    # a newcomer's link opens the survey
    link = result.links[0].removeprefix(settings.SITE_URL)
    assert "Ankieta po kongresie" in client.get(link).content.decode()

    again = demo_feedback_load(edition=demo_edition)
    assert (again.invited, again.answered, again.links) == (0, 0, result.links)
    assert (Response.objects.count(), again.survey.questions.count()) == (4, 6)
