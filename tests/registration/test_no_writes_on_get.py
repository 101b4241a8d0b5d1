"""Nothing changes state on GET: every page a secret link opens is read-only until its button
is pressed (a mail scanner or a link preview that follows the link changes nothing)."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from kongres.events.models import Edition
from kongres.registration.models import Reconfirmation, Registration, Ticket
from tests.factories import EditionFactory
from tests.factories.registration import RegistrationFactory

WRITES = ("INSERT", "UPDATE", "DELETE")
PAGES = [
    "registration:manage",
    "registration:verify",
    "registration:claim",
    "registration:edit",
    "registration:cancel",
    "registration:export",
    "registration:links-replace",
    "registration:reconfirm-coming",
    "registration:reconfirm-not-coming",
    "checkin:ticket-pdf",
]


@pytest.fixture
def edition(db):
    return EditionFactory(capacity=1, status=Edition.Status.PUBLISHED)


def register(edition, **kwargs):
    return RegistrationFactory(edition=edition, data__day_ids=[], **kwargs)


def _writes(client, url: str) -> list[str]:
    with CaptureQueriesContext(connection) as queries:
        client.get(url)
    return [q["sql"] for q in queries if q["sql"].lstrip().upper().startswith(WRITES)]


@pytest.mark.parametrize("verified", [False, True])
def test_no_page_of_a_secret_link_writes_on_get(client, edition, verified):
    first = register(edition, verified=verified)
    waiting = register(edition, verified=verified)  # capacity 1
    for registration in (first, waiting):
        for name in PAGES:
            url = reverse(name, kwargs={"token": registration.token})
            assert _writes(client, url) == [], name


def test_a_confirmed_registration_without_a_ticket_gets_one_by_the_button(client, edition):
    registration = register(edition, verified=True)
    assert registration.status == Registration.Status.CONFIRMED
    Ticket.objects.filter(registration=registration).delete()  # made without one (imported)
    manage = reverse("registration:manage", kwargs={"token": registration.token})

    page = client.get(manage)
    assert not Ticket.objects.filter(registration=registration).exists()
    assert "Pokaż mój bilet" in page.content.decode()
    pdf = reverse("checkin:ticket-pdf", kwargs={"token": registration.token})
    assert client.get(pdf).status_code == 404

    response = client.post(manage)
    assert response.status_code == 302
    ticket = Ticket.objects.get(registration=registration, is_active=True)
    assert ticket.code in client.get(manage).content.decode().replace(" ", "")
    assert client.get(pdf)["Content-Type"] == "application/pdf"


def test_the_reconfirmation_links_write_nothing_on_get_once_asked(client, edition):
    registration = register(edition, verified=True)
    Reconfirmation.objects.create(registration=registration, edition=edition)
    for name in ("registration:reconfirm-coming", "registration:reconfirm-not-coming"):
        url = reverse(name, kwargs={"token": registration.token})
        assert client.get(url).status_code == 200
        assert _writes(client, url) == [], name
