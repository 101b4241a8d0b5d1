"""The back office's draw page: the allocation's settings and quotas (bad input kept as typed),
running the draw, the quotas reached and the charts against the applications."""

import pytest
from django.urls import reverse
from django.utils import timezone

from kongres.mail.models import OutboxMessage
from kongres.registration.models import Allocation, Draw, Registration
from kongres.registration.services.draw import draw_due
from tests.orga.conftest import register


@pytest.fixture
def admin_client(client, role_user):
    client.force_login(role_user("admin"))
    return client


def url(edition, view="orga:draw", **kwargs):
    return reverse(view, kwargs={"edition": edition.slug, **kwargs})


def settings_data(**changes):
    data = {
        "mode": "draw",
        "window_opens_at": "2030-01-10 09:00",
        "window_closes_at": "2030-01-20 09:00",
        "draw_at": "2030-01-20 12:00",
        "waiting_list_size": "",
        "quota-TOTAL_FORMS": "3",
        "quota-INITIAL_FORMS": "0",
        "quota-MIN_NUM_FORMS": "0",
        "quota-MAX_NUM_FORMS": "30",
        "quota-0-group": "sector:ngo",
        "quota-0-min_percent": "15",
        "quota-0-max_percent": "",
        "quota-1-group": "voivodeship:mazowieckie",
        "quota-1-min_percent": "",
        "quota-1-max_percent": "40",
    }
    data.update(changes)
    return data


def test_settings_saved_with_quotas_and_a_commitment(admin_client, edition):
    response = admin_client.post(url(edition), settings_data())
    assert response.status_code == 302
    allocation = Allocation.objects.get(edition=edition)
    assert allocation.mode == "draw" and len(allocation.commitment) == 64
    assert sorted(allocation.quotas.values_list("value", "min_percent", "max_percent")) == [
        ("mazowieckie", None, 40),
        ("ngo", 15, None),
    ]
    page = admin_client.get(url(edition)).content.decode()
    assert allocation.commitment in page


@pytest.mark.parametrize(
    ("changes", "typed"),
    [
        ({"quota-0-min_percent": "120"}, 'value="120"'),
        ({"quota-0-min_percent": "50", "quota-0-max_percent": "20"}, 'value="50"'),
        ({"window_closes_at": "2030-01-05 09:00"}, 'value="2030-01-05 09:00"'),
        ({"draw_at": "2030-01-19 09:00"}, 'value="2030-01-19 09:00"'),
        ({"quota-1-group": "sector:ngo", "quota-1-min_percent": "10"}, 'value="10"'),
    ],
)
def test_bad_input_is_refused_and_kept(admin_client, edition, changes, typed):
    response = admin_client.post(url(edition), settings_data(**changes))
    assert response.status_code == 200
    page = response.content.decode()
    assert "orga-error" in page
    assert typed in page
    assert not Allocation.objects.filter(edition=edition).exists()


def test_run_from_the_back_office_then_result_and_charts(admin_client, edition):
    admin_client.post(
        url(edition),
        settings_data(window_opens_at="", draw_at=""),
    )
    people = [register(edition, sector=s) for s in ["ngo", "business", "ngo", "science"]]
    assert {p.status for p in people} == {Registration.Status.WAITING}
    assert (
        b"window is still open"
        in admin_client.post(
            url(edition, "orga:draw-run"), follow=True, HTTP_ACCEPT_LANGUAGE="en"
        ).content
        or not Draw.objects.exists()
    )
    Allocation.objects.filter(edition=edition).update(window_closes_at=timezone.now())
    response = admin_client.post(url(edition, "orga:draw-run"))
    assert response.status_code == 302
    draw = Draw.objects.get(edition=edition)
    assert Registration.objects.filter(status=Registration.Status.CONFIRMED).count() == 2
    # the result mails are left to the worker's draw job, which sends each once
    assert not OutboxMessage.objects.filter(kind__startswith="registration.draw_").exists()
    draw_due()
    assert OutboxMessage.objects.filter(kind__startswith="registration.draw_").count() == 4
    draw_due()
    assert OutboxMessage.objects.filter(kind__startswith="registration.draw_").count() == 4
    page = admin_client.get(url(edition)).content.decode()
    assert draw.seed in page
    assert "Quotas reached" in page or "Osiągnięte kwoty" in page
    for name in ("sector", "voivodeship"):
        svg = admin_client.get(url(edition, "orga:draw-chart", name=name))
        assert svg.status_code == 200 and b"<svg" in svg.content
    assert admin_client.get(url(edition, "orga:draw-chart", name="other")).status_code == 404


def test_places_by_day_after_the_draw(admin_client, edition):
    """The edition's day has one place of its own: one of four applicants gets it."""
    import re

    edition.days.update(capacity=1)
    admin_client.post(url(edition), settings_data(window_opens_at="", draw_at=""))
    for sector in ["ngo", "business", "science", "media"]:
        register(edition, sector=sector)
    Allocation.objects.filter(edition=edition).update(window_closes_at=timezone.now())
    admin_client.post(url(edition, "orga:draw-run"))
    assert Registration.objects.filter(status=Registration.Status.CONFIRMED).count() == 1
    page = admin_client.get(url(edition)).content.decode()
    table = re.search(r'<table class="orga-table" id="draw-days">.*?</table>', page, re.S)
    assert "Miejsca według dni" in table.group(0)
    cells = re.findall(r"<td>([^<]*)</td>", table.group(0))
    assert cells == ["1", "4", "1"]  # places at the draw, applications, places given


def test_a_manager_may_not(client, role_user, edition):
    client.force_login(role_user("registration_manager"))
    assert client.get(url(edition)).status_code == 403
    assert client.post(url(edition, "orga:draw-run")).status_code == 403
