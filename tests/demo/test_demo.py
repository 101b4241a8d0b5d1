"""`kongres demo`: the announcement of 2024-08-28 as data and on the pages, loaded idempotently."""

import datetime as dt
import io
import re
from zoneinfo import ZoneInfo

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import override

from kongres.campaigns.models import ScheduledMail
from kongres.content.models import NewsPost, Page
from kongres.demo.loader import demo_load
from kongres.events.models import (
    Day,
    Edition,
    EditionOrganisation,
    Organisation,
    Room,
    Series,
    Session,
    Speaker,
    Track,
    Venue,
)
from kongres.registration.models import ReconfirmationRound

WARSAW = ZoneInfo("Europe/Warsaw")
MOTTO = "Polska wielu prędkości? Strategiczne wyzwania rozwojowe polskich miast i regionów"
ORGANISERS = [
    "Obserwatorium Polityki Miejskiej i Regionalnej",
    "Instytut Rozwoju Miast i Regionów",
    "Ministerstwo Funduszy i Polityki Regionalnej",
]
# The announcement's lead and body, verbatim; its two "(#)" links become our pages.
SEED_LEAD = (
    "W dniach 7-8 października, Kraków stanie się miejscem najważniejszej debaty o przyszłości "
    "polskich miast i miasteczek. W Centrum Konferencyjne Fabryczna 13 odbędzie się "
    "IV Kongres Polityki Miejskiej i Regionalnej."
)
SEED_BODY = [
    "Organizowane przez Obserwatorium Polityki Miejskiej i Regionalnej, Instytut Rozwoju Miast "
    "i Regionów oraz Ministerstwo Funduszy i Polityki Regionalnej, to największe w Polsce forum "
    "poświęcone tworzeniu i wdrażaniu polityk miejskich i regionalnych. Miasto Kraków, będące "
    "jedną z największych metropolii w kraju, zostało w tym roku miastem gospodarzem imprezy. "
    "Nadchodzący kongres odbywa się pod hasłem „Polska wielu prędkości? Strategiczne wyzwania "
    "rozwojowe polskich miast i regionów”, skupiając uwagę na wsparciu średnich i małych miast "
    "oraz najmniejszych miasteczek.",
    "Podczas kongresu przedstawiciele różnych środowisk i branż wspólnie zastanowią się, jak "
    "najlepiej wspierać rozwój średnich miast oraz mniejszych miasteczek. Choć to właśnie te "
    "obszary najszybciej tracą dystans rozwojowy, nie można zapominać o znaczeniu obszarów "
    "metropolitalnych. To one są napędami rozwoju kraju i centrami innowacji, choć również "
    "zmagają się z własnymi wyzwaniami. Uczestnicy wydarzenia zastanowią się, jakie inwestycje "
    "są kluczowe, aby nasze miasta i miasteczka tworzyły zintegrowaną sieć, a nie odizolowane "
    "wyspy.",
    "W ramach kongresu przewidziano liczne panele tematyczne, takie jak: rewitalizacja, rozwój "
    "kraju, regionów i miast, metropolie + ośrodki regionalne, Smart City, ośrodki "
    "subregionalne.",
    "To dwudniowe wydarzenie naukowo-branżowe służące debacie i integracji różnych środowisk "
    "(naukowo-eksperckich, biznesowych, politycznych, samorządowych i pozarządowych) wokół "
    "najważniejszych wyzwań rozwojowych do roku 2050.",
    "IV Kongres Polityki Miejskiej i Regionalnej jest wydarzeniem bezpłatnym, z ograniczoną "
    "liczbą miejsc. Wszyscy zainteresowani udziałem w wydarzeniu mogą się zarejestrować poprzez "
    "[formularz]({registration}).",
    "Szczegóły dotyczące kongresu znajdują się [na stronie]({edition}).",
]

DEMO_MODELS = [
    Series,
    Venue,
    Room,
    Organisation,
    Edition,
    EditionOrganisation,
    Day,
    Track,
    Speaker,
    Session,
    Session.speakers.through,
    Session.moderators.through,
    NewsPost,
    Page,
    ScheduledMail,
    ReconfirmationRound,
]


def snapshot() -> dict[str, list[dict]]:
    return {model._meta.label: list(model.objects.order_by("pk").values()) for model in DEMO_MODELS}


def load(**options) -> str:
    out = io.StringIO()
    call_command("demo", stdout=out, **options)
    return out.getvalue()


def links(language: str) -> dict[str, str]:
    with override(language):
        return {
            "registration": reverse("registration:register"),
            "edition": reverse("events:edition", kwargs={"slug": "iv-kongres"}),
        }


# -- the data ------------------------------------------------------------------------------------


def test_demo_loads_the_edition_of_the_announcement(db):
    output = load()
    today = timezone.localdate()
    edition = Edition.objects.select_related("series", "venue").get(slug="iv-kongres")

    assert edition.series.name_pl == "Kongres Polityki Miejskiej i Regionalnej"
    assert edition.series.name_en == "Congress of Urban and Regional Policy"
    assert (edition.ordinal, edition.roman_ordinal) == (4, "IV")
    assert edition.title_pl == "IV Kongres Polityki Miejskiej i Regionalnej"
    assert edition.title_en == "4th Congress of Urban and Regional Policy"
    assert edition.motto_pl == MOTTO
    assert edition.motto_en == (
        "A multi-speed Poland? Strategic development challenges for Polish cities and regions"
    )
    assert "największe w polsce forum" in edition.lead_pl.lower()
    assert "largest forum in Poland" in edition.lead_en
    for phrase in ["zintegrowaną sieć, a nie odizolowane wyspy", "do roku 2050", "samorządowych"]:
        assert phrase in edition.description_pl
    for phrase in ["integrated network rather than isolated islands", "up to 2050"]:
        assert phrase in edition.description_en
    assert (edition.start_date, edition.end_date) == (
        today + dt.timedelta(days=40),
        today + dt.timedelta(days=41),
    )
    assert edition.status == Edition.Status.PUBLISHED
    assert edition.is_free is True
    assert edition.capacity == 600
    assert (edition.host_city_pl, edition.host_city_en) == ("Kraków", "Kraków")
    assert edition.registration_opens_at <= timezone.now() < edition.registration_closes_at
    assert edition.registration_closes_at.astimezone(WARSAW).date() == (
        edition.start_date - dt.timedelta(days=1)
    )

    venue = edition.venue
    assert venue.name_pl == "Centrum Konferencyjne Fabryczna 13"
    assert (venue.address, venue.postal_code, venue.city_pl) == (
        "ul. Fabryczna 13",
        "31-553",
        "Kraków",
    )
    assert "Dane przykładowe" in venue.directions_pl
    assert "Demo data" in venue.directions_en
    assert [(r.name_pl, r.name_en, r.capacity) for r in venue.rooms.all()] == [
        ("Sala plenarna", "Plenary hall", 600),
        ("Sala A", "Room A", 200),
        ("Sala B", "Room B", 150),
    ]

    roles = [(r.organisation.name_pl, r.role) for r in edition.roles.select_related("organisation")]
    assert roles == [(name, EditionOrganisation.Role.ORGANISER) for name in ORGANISERS] + [
        ("Miasto Kraków", EditionOrganisation.Role.HOST_CITY)
    ]
    assert all(r.organisation.name_en for r in edition.roles.select_related("organisation"))
    assert [d.date for d in edition.days.all()] == [edition.start_date, edition.end_date]

    assert "IV Kongres Polityki Miejskiej i Regionalnej" in output
    assert "sessions:  12" in output
    assert "http://127.0.0.1:8000/" in output


def test_demo_programme_has_the_five_panels_over_both_days(db):
    load()
    edition = Edition.objects.get(slug="iv-kongres")
    assert [(t.name_pl, t.name_en) for t in edition.tracks.all()] == [
        ("Rewitalizacja", "Revitalisation"),
        ("Rozwój kraju, regionów i miast", "Development of the country, regions and cities"),
        ("Metropolie + ośrodki regionalne", "Metropolises + regional centres"),
        ("Smart City", "Smart City"),
        ("Ośrodki subregionalne", "Sub-regional centres"),
    ]
    sessions = list(edition.sessions.select_related("track", "room").order_by("starts_at", "pk"))
    assert 10 <= len(sessions) <= 14
    assert sessions[0].kind == Session.Kind.PLENARY
    assert sessions[0].title_pl.startswith("Otwarcie kongresu")
    assert sessions[-1].kind == Session.Kind.PLENARY
    assert sessions[-1].title_pl.startswith("Zamknięcie kongresu")
    assert any(s.kind == Session.Kind.BREAK for s in sessions)
    (workshop,) = [s for s in sessions if s.takes_signups]  # issue 18: places shown
    assert (workshop.kind, workshop.places_capacity) == (Session.Kind.WORKSHOP, 30)
    for track in edition.tracks.all():
        assert any(s.track == track and s.kind == Session.Kind.PANEL for s in sessions), track
    local_days = {s.starts_at.astimezone(WARSAW).date() for s in sessions}
    assert local_days == {edition.start_date, edition.end_date}
    for session in sessions:
        start, end = session.starts_at.astimezone(WARSAW), session.ends_at.astimezone(WARSAW)
        assert dt.time(9, 0) <= start.time() and end.time() <= dt.time(18, 0)
        assert session.title_en
    opening = sessions[0].starts_at.astimezone(WARSAW)
    assert (opening.hour, opening.minute) == (10, 0)
    names = set(Speaker.objects.values_list("name", flat=True))
    assert names and all("do potwierdzenia" in name for name in names)
    assert set(Speaker.objects.values_list("affiliation_en", flat=True)) == {"To be confirmed"}
    assert sessions[0].speakers.exists() and sessions[0].moderators.exists()


def test_demo_news_post_is_the_announcement_with_links_to_our_pages(db):
    load()
    post = NewsPost.objects.get(edition__slug="iv-kongres")
    assert post.title_pl == "IV Kongres Polityki Miejskiej i Regionalnej już za miesiąc"
    assert post.title_en == "The 4th Congress of Urban and Regional Policy is just a month away"
    assert post.edition == Edition.objects.get(slug="iv-kongres")
    published = post.published_at.astimezone(WARSAW)
    assert published.date() == timezone.localdate()
    assert published.time() in (dt.time(10, 0), dt.time(0, 0))  # midnight before 10:00
    assert post.published_at <= timezone.now()

    pl = links("pl")
    expected_body = "\n\n".join(SEED_BODY).format(**pl) + "\n"
    assert post.body_pl == expected_body
    assert "[formularz](/" in post.body_pl
    en = links("en")
    assert en["registration"].startswith("/en/")
    assert f"[form]({en['registration']})" in post.body_en
    assert f"[on the website]({en['edition']})" in post.body_en
    assert "largest forum in Poland" in post.body_en
    assert "“A multi-speed Poland? Strategic development challenges" in post.body_en
    # In the relative mode only the dates of the lead follow the congress.
    first = Edition.objects.get(slug="iv-kongres").start_date
    assert post.lead_pl.startswith(f"W dniach {first.day}-")
    assert post.lead_pl.endswith(SEED_LEAD.split("października, ")[1])
    assert post.lead_en.startswith(f"On {first.day}")


def test_demo_pages_in_both_languages(db):
    load()
    pages = {page.kind: page for page in Page.objects.all()}
    assert set(pages) == {Page.Kind.PRIVACY, Page.Kind.ACCESSIBILITY, Page.Kind.PRACTICAL}
    for page in pages.values():
        assert page.is_published
        assert page.title_pl and page.title_en and page.body_pl and page.body_en
        assert "{{" not in page.body_pl + page.body_en

    privacy = pages[Page.Kind.PRIVACY]
    for phrase in [*ORGANISERS, "art. 6 ust. 1", "Prezesa Urzędu Ochrony Danych", "Dane przykł"]:
        assert phrase in privacy.body_pl, phrase
    for phrase in ["joint controllers", "Article 6(1)", "Demo data", "withdraw"]:
        assert phrase in privacy.body_en, phrase

    declaration = pages[Page.Kind.ACCESSIBILITY].body_pl
    headings = re.findall(r"^## (.+)$", declaration, flags=re.MULTILINE)
    assert headings == [
        "Wstęp",
        "Data publikacji i aktualizacji",
        "Status pod względem zgodności z ustawą",
        "Przygotowanie deklaracji w sprawie dostępności",
        "Skróty klawiaturowe",
        "Informacje zwrotne i dane kontaktowe",
        "Procedura wnioskowo-skargowa",
        "Dostępność architektoniczna",
        "Aplikacje mobilne",
    ]
    assert "ustawy z dnia 4 kwietnia 2019 r. o dostępności cyfrowej" in declaration
    assert "Rzecznika Praw Obywatelskich" in declaration
    assert f"Deklarację sporządzono dnia: {timezone.localdate().isoformat()}" in declaration
    assert "ul. Fabryczna 13, 31-553 Kraków" in declaration
    declaration_en = pages[Page.Kind.ACCESSIBILITY].body_en
    assert len(re.findall(r"^## ", declaration_en, flags=re.MULTILINE)) == len(headings)
    assert "Commissioner for Human Rights" in declaration_en

    practical = pages[Page.Kind.PRACTICAL]
    assert "bezpłatny" in practical.body_pl
    assert f"]({links('pl')['registration']})" in practical.body_pl
    assert f"]({links('en')['registration']})" in practical.body_en
    assert "What to bring" in practical.body_en


# -- idempotency and the two date modes ----------------------------------------------------------


def test_demo_twice_changes_nothing(db):
    load()
    before = snapshot()
    output = load()
    assert snapshot() == before
    assert "nothing (already loaded)" in output
    assert Edition.objects.count() == 2  # and the past one of the archive (demo/archive.py)
    # 12 of the programme, the workshop with sign-ups
    assert Session.objects.filter(edition__slug="iv-kongres").count() == 13


def test_demo_as_published_uses_the_announcements_dates(db):
    output = load(as_published=True)
    edition = Edition.objects.get(slug="iv-kongres")
    assert (edition.start_date, edition.end_date) == (dt.date(2024, 10, 7), dt.date(2024, 10, 8))
    assert edition.status == Edition.Status.ARCHIVED
    assert edition.registration_closes_at < timezone.now()
    assert edition.registration_opens_at == dt.datetime(2024, 8, 28, 10, 0, tzinfo=WARSAW)
    post = NewsPost.objects.get(edition__slug="iv-kongres")
    assert post.published_at == dt.datetime(2024, 8, 28, 10, 0, tzinfo=WARSAW)
    assert post.lead_pl == SEED_LEAD
    assert post.lead_en.startswith("On 7\u20138 October, Kraków")
    assert [d.date for d in Day.objects.all()] == [dt.date(2024, 10, 7), dt.date(2024, 10, 8)]
    opening = Session.objects.get(slug="otwarcie-kongresu")
    assert opening.starts_at == dt.datetime(2024, 10, 7, 10, 0, tzinfo=WARSAW)
    declaration = Page.objects.get(kind=Page.Kind.ACCESSIBILITY).body_pl
    assert "Deklarację sporządzono dnia: 2024-08-28" in declaration
    assert "2024-10-07, 2024-10-08" in output


def test_demo_switching_modes_moves_the_dates_without_duplicates(db):
    load()
    counts = {label: len(rows) for label, rows in snapshot().items()}
    day_ids = list(Day.objects.order_by("date").values_list("pk", flat=True))
    load(as_published=True)
    assert {label: len(rows) for label, rows in snapshot().items()} == counts
    assert list(Day.objects.order_by("date").values_list("pk", flat=True)) == day_ids
    assert Edition.objects.get(slug="iv-kongres").start_date == dt.date(2024, 10, 7)
    load()
    assert {label: len(rows) for label, rows in snapshot().items()} == counts
    edition = Edition.objects.get(slug="iv-kongres")
    assert edition.start_date == timezone.localdate() + dt.timedelta(days=40)
    assert edition.status == Edition.Status.PUBLISHED


def test_demo_keeps_the_seeds_distance_from_any_today(db):
    result = demo_load(today=dt.date(2030, 3, 31), as_published=False)
    assert [d.date for d in result.days] == [dt.date(2030, 5, 10), dt.date(2030, 5, 11)]
    assert result.news_post.lead_pl.startswith("W dniach 10-11 maja, Kraków")
    assert result.news_post.lead_en.startswith("On 10\u201311 May, Kraków")
    result = demo_load(today=dt.date(2030, 9, 21), as_published=False)  # across two months
    assert result.news_post.lead_pl.startswith("W dniach 31 października \u2013 1 listopada")


# -- what the edition has planned: a reconfirmation round, three scheduled mails ---------------


def test_demo_plans_a_reconfirmation_round_and_the_three_usual_mails(client, db):
    output = load()
    edition = Edition.objects.get(slug="iv-kongres")
    round_ = ReconfirmationRound.objects.get(edition=edition)
    assert round_.enabled and round_.on_no_answer == "flag"
    assert round_.asks_at == dt.datetime.combine(
        edition.start_date - dt.timedelta(days=7), dt.time(9), tzinfo=WARSAW
    )
    mails = {m.name: m for m in ScheduledMail.objects.filter(edition=edition)}
    assert {name: (m.anchor, m.offset_days, m.audience, m.status) for name, m in mails.items()} == {
        "Przypomnienie na tydzień przed": ("start", -7, "confirmed", "scheduled"),
        "Informacje praktyczne dzień przed": ("start", -1, "confirmed", "scheduled"),
        "Podziękowanie po kongresie": ("end", 1, "came", "scheduled"),
    }
    assert all(m.send_at > timezone.now() for m in mails.values())
    assert all(m.subject_en and m.body_en for m in mails.values())
    assert "/orga/iv-kongres/wiadomosci-planowane/ (scheduled mails)" in output

    # the newcomer sees them in the back office
    from django.contrib.auth import get_user_model

    client.force_login(get_user_model().objects.create_superuser("root", "root@example.org"))
    listing = client.get(reverse("orga:scheduled-list", kwargs={"edition": edition.slug}))
    page = listing.content.decode()
    for name in mails:
        assert name in page
    assert "ci, którzy przyszli" in page
    settings_page = client.get(reverse("orga:reconfirmation", kwargs={"edition": edition.slug}))
    page = settings_page.content.decode()
    assert "Pytanie wysłane" in page  # the round's dates are shown
    assert round_.asks_at.astimezone(WARSAW).strftime("%H:%M") in page
    assert re.search(r'<input[^>]*name="enabled"[^>]*checked', page)

    # the dates move with the edition; again, nothing changes (a change of an organiser stays)
    ScheduledMail.objects.filter(name="Podziękowanie po kongresie").update(subject_pl="Dzięki!")
    load(as_published=True)
    load()
    assert ScheduledMail.objects.filter(edition=edition).count() == 3
    assert ReconfirmationRound.objects.count() == 1
    assert ScheduledMail.objects.get(name="Podziękowanie po kongresie").subject_pl == "Dzięki!"


# -- the pages -----------------------------------------------------------------------------------


def test_demo_home_shows_the_announcements_facts(client, db):
    load(as_published=True)
    home = client.get("/")
    assert home.status_code == 200
    text = home.text
    for fact in [MOTTO, "Centrum Konferencyjne Fabryczna 13", "Kraków", *ORGANISERS]:
        assert fact in text, fact
    assert re.search(r"7\D{0,20}8 października|7 października.{0,80}8 października", text, re.S)
    english = client.get("/en/")
    assert "4th Congress of Urban and Regional Policy" in english.text
    assert "A multi-speed Poland?" in english.text


def test_demo_home_in_the_relative_mode_shows_its_dates(client, db):
    load()
    edition = Edition.objects.get(slug="iv-kongres")
    text = client.get("/").text
    assert MOTTO in text
    month = [
        "stycznia", "lutego", "marca", "kwietnia", "maja", "czerwca", "lipca", "sierpnia",
        "września", "października", "listopada", "grudnia",
    ][edition.end_date.month - 1]  # fmt: skip
    assert f"{edition.end_date.day} {month}" in text
    assert "IV Kongres Polityki Miejskiej i Regionalnej już za miesiąc" in text


@pytest.mark.parametrize("language", ["pl", "en"])
def test_demo_news_post_page_links_to_registration(client, db, language):
    load()
    post = NewsPost.objects.get(edition__slug="iv-kongres")
    with override(language):
        url = post.get_absolute_url()
        register = reverse("registration:register")
        edition_url = reverse("events:edition", kwargs={"slug": "iv-kongres"})
    page = client.get(url)
    assert page.status_code == 200
    title = post.title_pl if language == "pl" else post.title_en
    assert title in page.text
    assert f'href="{register}"' in page.text
    assert f'href="{edition_url}"' in page.text
    assert client.get(register).status_code == 200
    if language == "pl":
        assert "Wszyscy zainteresowani udziałem w wydarzeniu mogą się zarejestrować" in page.text
    else:
        assert "Everyone interested in taking part can register" in page.text


def test_demo_pages_are_served(client, db):
    load()
    with override("pl"):
        privacy = client.get(reverse("content:privacy"))
    assert "Informacja o przetwarzaniu danych osobowych" in privacy.text
    with override("en"):
        accessibility = client.get(reverse("content:accessibility"))
    assert "Accessibility declaration" in accessibility.text
    assert "Request and complaint procedure" in accessibility.text
