"""The dashboard: counts by status, each chart an SVG image with the same numbers as the
table beside it, and who may see it."""

import datetime as dt
import re

import pytest
from django.urls import reverse
from django.utils import timezone

from kongres.registration.choices import AccessibilityNeed, Sector
from kongres.registration.models import Registration
from kongres.registration.services import registration_cancel
from tests.orga.conftest import register

pytestmark = pytest.mark.django_db
Status = Registration.Status


@pytest.fixture
def crowd(edition):
    """Capacity 2: NGO (with an accessibility need) and business confirmed, two NGO waiting;
    the first cancels and the first waiting one is offered the seat."""
    ngo = register(edition, sector=Sector.NGO, accessibility_needs=[AccessibilityNeed.values[0]])
    register(edition, sector=Sector.BUSINESS)
    waiting = register(edition, sector=Sector.NGO, track_ids=[edition.tracks.get().pk])
    late = register(edition, sector=Sector.NGO)
    assert (waiting.status, late.status) == (Status.WAITING, Status.WAITING)
    registration_cancel(registration=ngo, actor=None)
    waiting.refresh_from_db()
    assert waiting.status == Status.OFFERED
    return edition


def dd(text: str, label: str) -> str:
    return re.search(rf"<dt>{re.escape(label)}</dt><dd>([^<]*)</dd>", text).group(1)


def test_counts_by_status(manager_client, crowd):
    text = manager_client.get(
        reverse("orga:dashboard", kwargs={"edition": crowd.slug})
    ).content.decode()
    assert dd(text, "Liczba miejsc") == "2"
    assert dd(text, "Potwierdzone") == "1"
    assert dd(text, "Lista rezerwowa") == "1"
    assert dd(text, "Zaproponowane") == "1"
    assert dd(text, "Anulowane") == "1"


def chart(client, edition, name):
    response = client.get(reverse("orga:chart", kwargs={"edition": edition.slug, "name": name}))
    assert response.status_code == 200
    assert response["Content-Type"] == "image/svg+xml; charset=utf-8"
    svg = response.content.decode()
    assert svg.startswith("<svg")
    # pygal's inline config script never runs: no script file is loaded, and the image's
    # own policy allows no script at all
    assert not re.search(r"<script[^>]*href", svg)
    assert "default-src 'none'" in response["Content-Security-Policy"]
    return svg


def values(svg: str) -> list[str]:
    return re.findall(r'<desc class="value">([^<]*)</desc>', svg)


def test_sector_chart_and_its_table_agree(manager_client, crowd):
    # active (not cancelled): business 1, NGO 2 (the offered and the waiting one)
    svg = chart(manager_client, crowd, "sector")
    labels = dict(Sector.choices)
    assert str(labels[Sector.NGO]) in svg
    nonzero = sorted(v for v in values(svg) if v not in {"0", ""})
    assert nonzero == ["1", "2"]
    text = manager_client.get(
        reverse("orga:dashboard", kwargs={"edition": crowd.slug})
    ).content.decode()
    row = rf'<tr><th scope="row">{re.escape(str(labels[Sector.NGO]))}</th><td>(\d+)</td></tr>'
    assert re.search(row, text).group(1) == "2"
    chart_url = reverse("orga:chart", kwargs={"edition": crowd.slug, "name": "sector"})
    assert f'<img src="{chart_url}" alt="' in text
    assert "liczby są w tabeli obok" in text


def test_cumulative_panels_and_accessibility_charts(manager_client, crowd):
    cumulative = chart(manager_client, crowd, "cumulative")
    assert values(cumulative)[-1] == "4"  # every registration counted, cancelled too
    panels = chart(manager_client, crowd, "panels")
    assert "Rewitalizacja" in panels
    assert values(panels)[0] == "1"  # the offered person is interested in the panel
    access = chart(manager_client, crowd, "accessibility")
    assert "1" not in values(access)  # the one who asked cancelled: not counted
    response = manager_client.get(
        reverse("orga:chart", kwargs={"edition": crowd.slug, "name": "nope"})
    )
    assert response.status_code == 404


@pytest.mark.parametrize(
    ("role", "status"),
    [("admin", 200), ("registration_manager", 200), ("editor", 403), ("checkin_staff", 403)],
)
def test_dashboard_by_role(client, role_user, edition, role, status):
    client.force_login(role_user(role))
    assert client.get(reverse("orga:dashboard", kwargs={"edition": edition.slug})).status_code == (
        status
    )
    chart_url = reverse("orga:chart", kwargs={"edition": edition.slug, "name": "sector"})
    assert client.get(chart_url).status_code == status


def test_attendance_per_session_is_on_the_dashboard(manager_client, crowd):
    from kongres.checkin.services import session_attendance_perform
    from kongres.registration.tickets import ticket_for_registration
    from tests.factories import RoomFactory, SessionFactory

    day = crowd.days.get()
    room = RoomFactory(venue=crowd.venue, name_pl="Sala Lustrzana", capacity=30)
    ten = timezone.make_aware(dt.datetime.combine(day.date, dt.time(10, 0)))
    workshop = SessionFactory(edition=crowd, title_pl="Warsztat", room=room, starts_at=ten)
    SessionFactory(edition=crowd, title_pl="Pusty panel", room=room, starts_at=ten)
    url = reverse("orga:dashboard", kwargs={"edition": crowd.slug})
    assert 'id="session-attendance"' not in manager_client.get(url).content.decode()
    confirmed = Registration.objects.get(edition=crowd, status=Status.CONFIRMED)
    code = ticket_for_registration(registration=confirmed).code
    session_attendance_perform(code=code, session=workshop, day=day, staff=None, nonce="d1")
    session_attendance_perform(code=code, session=workshop, day=day, staff=None, nonce="d2")
    text = manager_client.get(url).content.decode()
    table = text[text.index('id="session-attendance"') :]
    table = table[: table.index("</table>")]
    assert "Warsztat</th><td>Sala Lustrzana</td><td>1</td><td>30</td>" in table
    assert "Pusty panel" not in table


def value_axis_labels(svg: str, axis: str) -> list[str]:
    group = re.search(rf'<g class="axis {axis}[^"]*">(.*?)</g></g>(?=<g class="(?!guides))', svg)
    assert group is not None, svg[:500]
    return re.findall(r"<text [^>]*>([^<]*)</text>", group.group(1))


@pytest.mark.parametrize(
    ("name", "axis"),
    [("cumulative", "y"), ("sector", "x"), ("panels", "x"), ("accessibility", "x")],
)
def test_count_axes_show_whole_people(manager_client, edition, name, axis):
    """One person registered: the axis reads 0, 1 (not 0.1, 0.2 … 1)."""
    register(edition, sector=Sector.NGO, track_ids=[edition.tracks.get().pk])
    labels = value_axis_labels(chart(manager_client, edition, name), axis)
    assert labels == ["0", "1"] or (name == "panels" and labels[:2] == ["0", "1"]), labels
    assert all(label.isdigit() for label in labels), labels


def test_whole_number_ticks():
    from kongres.orga.dashboard import whole_number_ticks

    assert whole_number_ticks([]) == [0, 1]
    assert whole_number_ticks([1, None]) == [0, 1]
    assert whole_number_ticks([7]) == list(range(8))
    assert whole_number_ticks([10]) == list(range(11))
    assert whole_number_ticks([11]) == [0, 2, 4, 6, 8, 10, 12]
    assert whole_number_ticks([37]) == [0, 5, 10, 15, 20, 25, 30, 35, 40]
    assert whole_number_ticks([600]) == [0, 100, 200, 300, 400, 500, 600]
    assert whole_number_ticks([601]) == [0, 100, 200, 300, 400, 500, 600, 700]
