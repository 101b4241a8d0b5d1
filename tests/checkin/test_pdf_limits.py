"""PDFs that cost seconds of a server (security review 2026-12, L11): the participant's ticket
is made once and served from the cache until it changes (a re-issued ticket is made anew); name
badges need a role that may see the participants, not the check-in staff's, and the same
selection asked for again is not made again. WeasyPrint's renders are counted by wrapping
its ``write_pdf`` (the real one still runs)."""

import pytest
import weasyprint
from django.contrib.auth import get_user_model
from django.urls import reverse
from django.utils import translation

from kongres.accounts.models import EditionRole
from kongres.registration.services import ticket_reissue
from tests.checkin.conftest import PASSWORD

pytestmark = pytest.mark.django_db


@pytest.fixture
def renders(monkeypatch):
    """The number of PDFs WeasyPrint has written since the test began."""
    count = {"n": 0}
    write_pdf = weasyprint.HTML.write_pdf

    def counted(self, *args, **kwargs):
        count["n"] += 1
        return write_pdf(self, *args, **kwargs)

    monkeypatch.setattr(weasyprint.HTML, "write_pdf", counted)
    return count


def ticket_url(token: str) -> str:
    with translation.override("pl"):
        return reverse("checkin:ticket-pdf", kwargs={"token": token})


def test_ticket_pdf_asked_again_is_served_without_weasyprint(client, register, renders):
    registration = register()
    first = client.get(ticket_url(registration.token))
    assert first.status_code == 200 and first.content.startswith(b"%PDF")
    assert renders["n"] == 1
    again = client.get(ticket_url(registration.token))
    assert again.content == first.content
    assert renders["n"] == 1  # no second render
    # the phone size is another document
    phone = client.get(ticket_url(registration.token) + "?size=phone")
    assert phone.content.startswith(b"%PDF") and phone.content != first.content
    assert renders["n"] == 2


def test_a_reissued_ticket_is_made_anew(client, register, renders):
    registration = register()
    first = client.get(ticket_url(registration.token)).content
    ticket_reissue(registration=registration, notify=False)
    second = client.get(ticket_url(registration.token)).content
    assert renders["n"] == 2
    assert second != first  # the new code, not the cached old ticket


def _user_with(edition, role: str):
    user = get_user_model().objects.create_user(username=f"u-{role}", password=PASSWORD)
    EditionRole.objects.create(edition=edition, user=user, role=role)
    return user


@pytest.mark.parametrize(
    ("role", "status"),
    [
        (EditionRole.Role.CHECKIN_STAFF, 403),
        (EditionRole.Role.EDITOR, 403),
        (EditionRole.Role.REGISTRATION_MANAGER, 200),
        (EditionRole.Role.ADMIN, 200),
    ],
)
def test_badges_need_a_role_that_may_see_the_participants(client, edition, register, role, status):
    register(first_name="Zofia")
    client.force_login(_user_with(edition, role))
    page = client.get("/checkin/badges/")
    download = client.get("/checkin/badges/", {"download": "1"})
    assert (page.status_code, download.status_code) == (status, status)
    if status == 200:
        assert download["Content-Type"] == "application/pdf"
    else:
        assert "identyfikator" in page.text.lower()  # the 403 page says why
        assert b"%PDF" not in download.content


def test_checkin_page_links_badges_only_for_a_role_that_may_print_them(client, edition, day1):
    client.force_login(_user_with(edition, EditionRole.Role.CHECKIN_STAFF))
    assert "/checkin/badges/" not in client.get("/checkin/").text
    client.force_login(_user_with(edition, EditionRole.Role.ADMIN))
    assert "/checkin/badges/" in client.get("/checkin/").text


def test_badges_asked_again_are_served_without_weasyprint(client, edition, register, renders):
    for name in ("Zofia", "Jan", "Ewa"):
        register(first_name=name)
    client.force_login(_user_with(edition, EditionRole.Role.REGISTRATION_MANAGER))
    first = client.get("/checkin/badges/", {"download": "1"})
    again = client.get("/checkin/badges/", {"download": "1"})
    assert again.content == first.content
    assert renders["n"] == 1
    register(first_name="Piotr")  # a new participant: a new document
    client.get("/checkin/badges/", {"download": "1"})
    assert renders["n"] == 2


def test_a_large_selection_of_badges_is_offered_in_parts(
    client, edition, register, renders, settings
):
    """No request makes more than KONGRES_BADGES_PER_PDF badges (here 2): five people are
    three PDFs, each a link; asking for all at once shows the parts, rendering nothing."""
    settings.KONGRES_BADGES_PER_PDF = 2
    for name in ("Zofia", "Jan", "Ewa", "Piotr", "Anna"):
        register(first_name=name)
    client.force_login(_user_with(edition, EditionRole.Role.REGISTRATION_MANAGER))
    everything = client.get("/checkin/badges/", {"sector": "", "download": "1"})
    assert everything["Content-Type"].startswith("text/html")
    assert "5 identyfikatorów" in everything.text
    assert "Identyfikatorów w jednym pliku PDF najwyżej: 2." in everything.text
    assert "Identyfikatory 1\u20132 (PDF)" in everything.text
    assert "Identyfikatory 5\u20135 (PDF)" in everything.text
    assert "sector=&amp;download=1&amp;part=3" in everything.text
    assert renders["n"] == 0
    last = client.get("/checkin/badges/", {"sector": "", "download": "1", "part": "3"})
    assert last["Content-Type"] == "application/pdf"
    assert last["Content-Disposition"].endswith('-3.pdf"')
    assert renders["n"] == 1
    beyond = client.get("/checkin/badges/", {"sector": "", "download": "1", "part": "4"})
    assert beyond.status_code == 404
