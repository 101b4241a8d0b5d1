"""The admin as the site's superuser sees it (the admin is theirs alone): every congress model,
Polish and English side by side."""

import datetime as dt
import io

import pytest
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import override

from kongres.accounts.organisers import organiser_create
from kongres.content.models import NewsPost
from kongres.events.models import Edition, Session

PASSWORD = "Organiser-Password-2024"
ADMINS = sorted(
    (model for model in admin.site._registry if model._meta.app_label in {"events", "content"}),
    key=lambda model: model._meta.label,
)


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def organiser_client(client, db):
    call_command("demo", stdout=io.StringIO())
    organiser_create(email="organiser@example.org", password=PASSWORD, superuser=True)
    assert client.login(username="organiser@example.org", password=PASSWORD)
    return client  # the admin speaks Polish, the default language


def url(model, view: str, *args) -> str:
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_{view}", args=args)


def test_every_congress_model_is_in_the_admin():
    labels = {model._meta.label for model in ADMINS}
    assert labels == {
        "events.Series",
        "events.Organisation",
        "events.Venue",
        "events.Edition",
        "events.Day",
        "events.Room",
        "events.Track",
        "events.Speaker",
        "events.Session",
        "content.NewsPost",
        "content.Page",
    }


@pytest.mark.parametrize("model", ADMINS, ids=lambda model: model._meta.label)
def test_organiser_opens_changelist_and_add_page(organiser_client, model):
    changelist = organiser_client.get(url(model, "changelist"))
    assert changelist.status_code == 200
    with override("pl"):
        assert str(model._meta.verbose_name_plural).capitalize() in changelist.text
    assert model.objects.exists()  # the demo has rows of every kind ...
    first = model.objects.first()
    assert url(model, "change", first.pk) in changelist.text  # ... and the list links them
    add = organiser_client.get(url(model, "add"))
    assert add.status_code == 200
    assert "<title>" in add.text and "kongres" in add.text


def test_edition_change_page_shows_both_languages_and_inlines(organiser_client):
    edition = Edition.objects.get(slug="iv-kongres")
    page = organiser_client.get(url(Edition, "change", edition.pk))
    assert page.status_code == 200
    assert "[pl]" in page.text and "[en]" in page.text
    assert 'name="title_pl"' in page.text and 'name="title_en"' in page.text
    assert "Polska wielu prędkości?" in page.text
    assert "A multi-speed Poland?" in page.text
    assert "Instytut Rozwoju Miast i Regionów" in page.text  # the organisations inline
    assert 'name="roles-TOTAL_FORMS" value="4"' in page.text
    assert 'name="days-TOTAL_FORMS" value="2"' in page.text
    assert 'name="days-0-name_pl"' in page.text and 'name="days-0-name_en"' in page.text


def test_session_list_filters_by_day(organiser_client):
    edition = Edition.objects.get(slug="iv-kongres")
    second_day = edition.end_date
    page = organiser_client.get(
        url(Session, "changelist"),
        {"edition__id__exact": edition.pk, "day": second_day.isoformat()},
    )
    assert page.status_code == 200
    for session in Session.objects.all():
        on_second_day = timezone.localtime(session.starts_at).date() == second_day
        assert (url(Session, "change", session.pk) in page.text) == on_second_day


def test_session_change_page_has_speaker_pickers(organiser_client):
    session = Session.objects.get(slug="otwarcie-kongresu")
    page = organiser_client.get(url(Session, "change", session.pk))
    assert page.status_code == 200
    assert 'class="selectfilter"' in page.text or "selectfilter" in page.text
    assert "Prelegent(ka) do potwierdzenia 1" in page.text


def test_news_post_list_has_a_date_hierarchy(organiser_client):
    page = organiser_client.get(url(NewsPost, "changelist"))
    assert "xfull" in page.text or "date-hierarchy" in page.text or "toplinks" in page.text
    assert "IV Kongres Polityki Miejskiej i Regionalnej już za miesiąc" in page.text


def test_organiser_can_save_an_edition_change(organiser_client):
    """The admin form round-trips: what the change page shows can be saved back."""
    edition = Edition.objects.get(slug="iv-kongres")
    page = organiser_client.get(url(Edition, "change", edition.pk))
    form = page.context["adminform"].form
    data = {}
    for name, field in form.fields.items():
        value = form[name].value()
        if value is None:
            continue
        if isinstance(value, bool):
            if value:
                data[name] = "on"
            continue
        if isinstance(value, dt.datetime):
            data[f"{name}_0"], data[f"{name}_1"] = value.date().isoformat(), value.strftime("%H:%M")
            continue
        data[name] = field.widget.format_value(value) if hasattr(field, "widget") else value
    data["capacity"] = "650"
    for formset in page.context["inline_admin_formsets"]:
        management = formset.formset.management_form
        for name in management.fields:
            data[f"{formset.formset.prefix}-{name}"] = management[name].value()
        for form in formset.formset.forms:
            for name in form.fields:
                value = form[name].value()
                if value is not None and value is not False:
                    data[form.add_prefix(name)] = value
    response = organiser_client.post(url(Edition, "change", edition.pk), data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    edition.refresh_from_db()
    assert edition.capacity == 650


def test_staff_who_are_not_superusers_see_no_congress_models(client, db):
    get_user_model().objects.create_user(
        username="staff@example.org", password=PASSWORD, is_staff=True
    )
    client.login(username="staff@example.org", password=PASSWORD)
    response = client.get(reverse("admin:events_edition_changelist"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("admin:login"))


def test_admin_pages_carry_the_strict_csp(organiser_client):
    page = organiser_client.get(reverse("admin:index"))
    policy = page.headers["Content-Security-Policy"]
    assert "script-src 'self'" in policy
    assert "unsafe-inline" not in policy
    assert "<title>" in page.text and "kongres" in page.text
