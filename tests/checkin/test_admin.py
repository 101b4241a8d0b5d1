"""The admin: scans with the day's live counts, ticket re-issue and badges as actions."""

from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission

from kongres.checkin.services import checkin_perform
from kongres.registration.models import Ticket
from kongres.registration.tickets import ticket_for_registration

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client, organiser):
    client.force_login(organiser)
    return client


def test_checkin_list_shows_counts_for_each_day(admin_client, register, day1, staff):
    code = ticket_for_registration(registration=register()).code
    register(days=[day1])
    checkin_perform(code=code, day=day1, gate=None, staff=staff, nonce="a")
    content = admin_client.get("/admin/checkin/checkin/").content.decode()
    assert "Wejścia / oczekiwani: Kongres" in content
    assert f'<tr data-day="{day1.pk}"><th scope="row">Dzień pierwszy</th>' in content
    assert '<td class="checkin-in">1</td><td class="checkin-expected">2</td>' in content
    assert "checkin/admin-counts.js" in content
    assert "wejście zarejestrowane" in content  # the scan in the list


def test_a_global_view_permission_no_longer_opens_the_counts(client, edition, register):
    """Only a role in the edition opens the check-in counts (security review 2026-12, H1)."""
    organiser = get_user_model().objects.create_user(username="org2", password="x", is_staff=True)
    organiser.user_permissions.add(Permission.objects.get(codename="view_checkin"))
    client.force_login(organiser)
    register()
    assert client.get("/checkin/api/counts/all/").status_code == 403
    assert client.get("/checkin/api/counts/").status_code == 403


def test_reissue_action_gives_a_new_code(admin_client, register):
    ticket = ticket_for_registration(registration=register())
    response = admin_client.post(
        "/admin/registration/ticket/",
        {"action": "reissue", "_selected_action": [ticket.pk]},
        follow=True,
    )
    assert "Wystawiono ponownie 1 bilet." in response.content.decode()
    ticket.refresh_from_db()
    assert not ticket.is_active
    assert Ticket.objects.get(registration=ticket.registration, is_active=True).code != ticket.code


def test_badges_action_returns_a_pdf(admin_client, register):
    tickets = [ticket_for_registration(registration=register()) for _ in range(2)]
    response = admin_client.post(
        "/admin/registration/ticket/",
        {"action": "badges", "_selected_action": [t.pk for t in tickets]},
    )
    assert response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")


def test_badges_action_makes_at_most_the_limit_at_once(admin_client, register, settings):
    settings.KONGRES_BADGES_PER_PDF = 2
    tickets = [ticket_for_registration(registration=register()) for _ in range(3)]
    response = admin_client.post(
        "/admin/registration/ticket/",
        {"action": "badges", "_selected_action": [t.pk for t in tickets]},
        follow=True,
    )
    assert response["Content-Type"].startswith("text/html")
    assert "Identyfikatorów naraz najwyżej: 2." in response.text


def test_badges_command_writes_the_pdf(edition, register, tmp_path):
    from django.core.management import CommandError, call_command

    register(sector="science")
    register(sector="business")
    out = tmp_path / "badges.pdf"
    call_command(
        "badges", edition.slug, str(out), "--sector", "science", stdout=(log := StringIO())
    )
    assert log.getvalue().strip() == f"1 badges written to {out}"
    assert out.read_bytes().startswith(b"%PDF")
    with pytest.raises(CommandError, match="no edition with the slug 'nie-ma'"):
        call_command("badges", "nie-ma", str(out))
