"""In draw mode the pages after the form speak of an application (nobody holds a seat before
the draw), and the home page shows the draw's commitment until the draw is done."""

import datetime as dt
import hashlib

import pytest
from django.utils import timezone

from kongres.registration.models import Allocation
from kongres.registration.services.draw import allocation_configure, draw_run
from tests.factories import EditionFactory
from tests.factories.registration import RegistrationFactory
from tests.registration.test_views_flow import form_data


@pytest.fixture
def edition(db):
    edition = EditionFactory(capacity=5)
    allocation_configure(
        edition=edition, mode="draw", window_closes_at=timezone.now() + dt.timedelta(days=1)
    )
    return edition


def test_the_page_after_the_form_speaks_of_an_application(client, edition):
    response = client.post("/rejestracja/", form_data(edition), follow=True)
    text = response.content.decode()
    assert "Sprawdź pocztę, aby dokończyć zgłoszenie" in text
    assert "lista rezerwowa" not in text.lower()
    assert "Wszystkie miejsca są zajęte" not in text


def test_the_confirmation_page_speaks_of_an_application(client, edition):
    registration = RegistrationFactory(edition=edition)
    response = client.get(f"/rejestracja/potwierdz/{registration.token}/")
    text = response.content.decode()
    assert "Zgłoszenie: Anna" in text
    assert "wziąć udział w losowaniu" in text
    assert "listy rezerwowej" not in text


def test_first_come_pages_still_speak_of_the_waiting_list(client, db):
    edition = EditionFactory(capacity=0)
    registration = RegistrationFactory(edition=edition)
    text = client.get(f"/rejestracja/potwierdz/{registration.token}/").content.decode()
    assert "Anna" in text
    assert "wziąć udział w losowaniu" not in text


def test_the_home_page_shows_the_commitment_before_the_draw(client, edition):
    allocation = Allocation.objects.get(edition=edition)
    assert allocation.commitment == hashlib.sha256(bytes.fromhex(allocation.seed)).hexdigest()
    text = client.get("/").content.decode()
    assert allocation.commitment in text
    assert allocation.seed not in text


def test_the_home_page_shows_no_commitment_after_the_draw(client, edition):
    allocation = Allocation.objects.get(edition=edition)
    draw_run(edition=edition, now=timezone.now() + dt.timedelta(days=2))
    assert allocation.commitment not in client.get("/").content.decode()


def test_the_home_page_of_a_first_come_edition_has_no_commitment(client, db):
    EditionFactory()
    assert "SHA-256" not in client.get("/").content.decode()
