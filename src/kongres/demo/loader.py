"""The demo: the IV Kongres Polityki Miejskiej i Regionalnej from the announcement of 2024-08-28
(``shared/seed``), loaded as data in Polish and English.

``demo_load`` is idempotent: every row has a stable key (a slug, a kind, an edition and a date),
is created when missing and saved only when a value differs, so that running it twice changes
nothing and switching between the two date modes moves the dates without duplicating anything.
Long texts (the news post, the privacy notice, the accessibility declaration, the practical
information) are Markdown files in ``demo/templates/demo/``. What the edition has planned (a
reconfirmation round, three scheduled mails) is ``demo/plans.py``.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import models, transaction
from django.template import Context, Engine
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import override

from kongres.content.models import NewsPost, Page
from kongres.demo.data import (
    DEMO_EN,
    DEMO_PL,
    MODERATOR_COUNT,
    ORGANISATIONS,
    ROOMS,
    SESSIONS,
    SPEAKER_COUNT,
    TRACKS,
)
from kongres.demo.plans import demo_plans_load
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

TIME_ZONE = "Europe/Warsaw"
SEED_PUBLISHED = dt.date(2024, 8, 28)  # the announcement
SEED_FIRST_DAY = dt.date(2024, 10, 7)  # the congress: 7-8 October
DAYS_BEFORE_CONGRESS = (SEED_FIRST_DAY - SEED_PUBLISHED).days  # 40
PUBLISHED_AT = dt.time(10, 0)
DASH = "\u2013"  # en dash

EDITION_SLUG = "iv-kongres"
NEWS_SLUG = "iv-kongres-polityki-miejskiej-i-regionalnej-juz-za-miesiac"

MONTHS_PL = [
    "stycznia", "lutego", "marca", "kwietnia", "maja", "czerwca", "lipca", "sierpnia",
    "września", "października", "listopada", "grudnia",
]  # fmt: skip
MONTHS_EN = [
    "January", "February", "March", "April", "May", "June", "July", "August", "September",
    "October", "November", "December",
]  # fmt: skip


@dataclass(frozen=True)
class DemoResult:
    edition: Edition
    days: list[Day]
    session_count: int
    news_post: NewsPost
    changed: int  # rows created or updated; 0 when the database already held the demo


@dataclass
class _Writer:
    """Create-or-update that saves a row only when one of the given values differs."""

    changed: int = 0
    seen: list[models.Model] = field(default_factory=list)

    def upsert[M: models.Model](
        self, model: type[M], *, lookup: dict[str, Any], values: dict[str, Any]
    ) -> M:
        obj = model.objects.filter(**lookup).first()
        if obj is None:
            obj = model(**lookup, **values)
            obj.full_clean(validate_unique=False, validate_constraints=False)
            obj.save()
            self.changed += 1
            return obj
        if any(getattr(obj, name) != value for name, value in values.items()):
            for name, value in values.items():
                setattr(obj, name, value)
            obj.save()
            self.changed += 1
        return obj

    def set_m2m(self, manager: Any, objects: list[models.Model]) -> None:
        if {o.pk for o in manager.all()} != {o.pk for o in objects}:
            manager.set(objects)
            self.changed += 1


def _local(day: dt.date, time: dt.time) -> dt.datetime:
    return dt.datetime.combine(day, time, tzinfo=ZoneInfo(TIME_ZONE))


def date_range_pl(first: dt.date, last: dt.date) -> str:
    """``7-8 października`` (the announcement's own style), across months with a dash."""
    if first.month == last.month:
        return f"{first.day}-{last.day} {MONTHS_PL[first.month - 1]}"
    return f"{first.day} {MONTHS_PL[first.month - 1]} {DASH} {last.day} {MONTHS_PL[last.month - 1]}"


def date_range_en(first: dt.date, last: dt.date) -> str:
    if first.month == last.month:
        return f"{first.day}{DASH}{last.day} {MONTHS_EN[first.month - 1]}"
    return f"{first.day} {MONTHS_EN[first.month - 1]} {DASH} {last.day} {MONTHS_EN[last.month - 1]}"


def _text(name: str, language: str, context: dict[str, str]) -> str:
    template = Engine.get_default().get_template(f"demo/{name}.{language}.md")
    return template.render(Context(context, autoescape=False)).strip() + "\n"


def _both(name: str, context_pl: dict[str, str], context_en: dict[str, str]) -> dict[str, str]:
    return {f"{name}_pl": context_pl[name], f"{name}_en": context_en[name]}


# -- the data ------------------------------------------------------------------------------------


@transaction.atomic
def demo_load(*, today: dt.date, as_published: bool = False) -> DemoResult:
    """Load (or bring up to date) the demo edition.

    By default the dates keep the announcement's distances from ``today``: the news post is
    published today at 10:00 local time (or at midnight when it is not yet 10:00, so that it
    is visible at once) and the congress is 40 and 41 days later, open for registration.
    ``as_published`` uses the announcement's own dates (2024) and archives the edition.
    """
    with override("pl"):  # the untranslated columns (``title``) hold Polish
        return _load(today=today, as_published=as_published)


def _load(*, today: dt.date, as_published: bool) -> DemoResult:
    if as_published:
        published_on = SEED_PUBLISHED
        published_at = _local(published_on, PUBLISHED_AT)
    else:
        published_on = today
        published_at = _local(published_on, PUBLISHED_AT)
        if published_at > timezone.now():
            published_at = _local(published_on, dt.time(0, 0))
    first_day = published_on + dt.timedelta(days=DAYS_BEFORE_CONGRESS)
    day_dates = [first_day, first_day + dt.timedelta(days=1)]
    status = Edition.Status.ARCHIVED if as_published else Edition.Status.PUBLISHED

    w = _Writer()

    series = w.upsert(
        Series,
        lookup={"slug": "kongres-polityki-miejskiej-i-regionalnej"},
        values={
            "name_pl": "Kongres Polityki Miejskiej i Regionalnej",
            "name_en": "Congress of Urban and Regional Policy",
            "description_pl": (
                "Największe w Polsce forum poświęcone tworzeniu i wdrażaniu polityk miejskich "
                "i regionalnych."
            ),
            "description_en": (
                "The largest forum in Poland devoted to shaping and implementing urban and "
                "regional policies."
            ),
        },
    )

    venue = w.upsert(
        Venue,
        lookup={"name_pl": "Centrum Konferencyjne Fabryczna 13"},
        values={
            "name_en": "Centrum Konferencyjne Fabryczna 13",
            "address": "ul. Fabryczna 13",
            "postal_code": "31-553",
            "city_pl": "Kraków",
            "city_en": "Kraków",
            "latitude": Decimal("50.066000"),  # approximate
            "longitude": Decimal("19.962000"),
            "directions_pl": (
                "**Dane przykładowe (demo)** — organizator uzupełnia opis dojazdu.\n\n"
                "Centrum Konferencyjne Fabryczna 13 mieści się przy ul. Fabrycznej 13 w "
                "Krakowie. Z Dworca Głównego dojedziesz tramwajem lub autobusem; aktualne "
                "połączenia sprawdzisz w wyszukiwarce przewoźnika.\n\n"
                "Nazwy i liczby miejsc sal (Sala plenarna, Sala A, Sala B) to także dane "
                "przykładowe."
            ),
            "directions_en": (
                "**Demo data** — the organiser fills in how to get there.\n\n"
                "Centrum Konferencyjne Fabryczna 13 is at ul. Fabryczna 13 in Kraków. From "
                "Kraków Główny railway station you can take a tram or a bus; check current "
                "connections in the operator's journey planner.\n\n"
                "The names and sizes of the rooms (Plenary hall, Room A, Room B) are demo data "
                "too."
            ),
            "accessibility_pl": (
                "**Dane przykładowe (demo)** — organizator uzupełnia informacje o dostępności "
                "budynku po jego sprawdzeniu. Szczegóły: deklaracja dostępności."
            ),
            "accessibility_en": (
                "**Demo data** — the organiser fills in the building's accessibility after "
                "checking it. Details: the accessibility declaration."
            ),
        },
    )
    rooms = {}
    for order, (slug, name_pl, name_en, capacity) in enumerate(ROOMS):
        rooms[slug] = w.upsert(
            Room,
            lookup={"venue": venue, "slug": slug},
            values={"name_pl": name_pl, "name_en": name_en, "capacity": capacity, "order": order},
        )

    edition = w.upsert(
        Edition,
        lookup={"slug": EDITION_SLUG},
        values={
            "series": series,
            "ordinal": 4,
            "title_pl": "IV Kongres Polityki Miejskiej i Regionalnej",
            "title_en": "4th Congress of Urban and Regional Policy",
            "motto_pl": (
                "Polska wielu prędkości? Strategiczne wyzwania rozwojowe polskich miast i regionów"
            ),
            "motto_en": (
                "A multi-speed Poland? Strategic development challenges for Polish cities "
                "and regions"
            ),
            "lead_pl": (
                "Największe w Polsce forum poświęcone tworzeniu i wdrażaniu polityk miejskich "
                "i regionalnych: dwa dni debaty o przyszłości polskich miast i miasteczek."
            ),
            "lead_en": (
                "The largest forum in Poland devoted to shaping and implementing urban and "
                "regional policies: two days of debate on the future of Polish cities and towns."
            ),
            "description_pl": (
                "W centrum uwagi IV Kongresu jest wsparcie średnich i małych miast oraz "
                "najmniejszych miasteczek — obszarów, które najszybciej tracą dystans "
                "rozwojowy.\n\n"
                "Nie można przy tym zapominać o obszarach metropolitalnych: to napędy rozwoju "
                "kraju i centra innowacji, które również zmagają się z własnymi wyzwaniami. "
                "Uczestnicy zastanowią się, jakie inwestycje są kluczowe, aby nasze miasta "
                "i miasteczka tworzyły zintegrowaną sieć, a nie odizolowane wyspy.\n\n"
                "To dwudniowe wydarzenie naukowo-branżowe służące debacie i integracji "
                "środowisk naukowo-eksperckich, biznesowych, politycznych, samorządowych "
                "i pozarządowych wokół najważniejszych wyzwań rozwojowych do roku 2050."
            ),
            "description_en": (
                "The 4th Congress focuses on support for medium-sized and small cities and the "
                "smallest towns — the areas that are losing ground in development the fastest."
                "\n\n"
                "The importance of metropolitan areas must not be forgotten either: they are "
                "the country's engines of development and centres of innovation, though they "
                "also face challenges of their own. Participants will consider which "
                "investments are key for our cities and towns to form an integrated network "
                "rather than isolated islands.\n\n"
                "It is a two-day scientific and professional event for debate and for bringing "
                "together scientific and expert, business, political, local-government and "
                "non-governmental communities around the most important development challenges "
                "up to 2050."
            ),
            "start_date": day_dates[0],
            "end_date": day_dates[-1],
            "time_zone": TIME_ZONE,
            "venue": venue,
            "host_city_pl": "Kraków",
            "host_city_en": "Kraków",
            "status": status,
            "is_free": True,
            "capacity": 600,
            "registration_opens_at": published_at,
            "registration_closes_at": _local(day_dates[0] - dt.timedelta(days=1), dt.time(23, 59)),
        },
    )

    organisations = []
    for order, (slug, name_pl, name_en, role) in enumerate(ORGANISATIONS):
        organisation = w.upsert(
            Organisation,
            lookup={"slug": slug},
            values={"name_pl": name_pl, "name_en": name_en},
        )
        organisations.append(organisation)
        w.upsert(
            EditionOrganisation,
            lookup={"edition": edition, "organisation": organisation, "role": role},
            values={"order": order},
        )

    days = _days_set(w, edition=edition, dates=day_dates)

    tracks = {}
    for order, (slug, name_pl, name_en, description_pl, description_en) in enumerate(TRACKS):
        tracks[slug] = w.upsert(
            Track,
            lookup={"edition": edition, "slug": slug},
            values={
                "name_pl": name_pl,
                "name_en": name_en,
                "description_pl": description_pl,
                "description_en": description_en,
                "order": order,
            },
        )

    speakers = {}
    for number in range(1, SPEAKER_COUNT + 1):
        speakers[number] = w.upsert(
            Speaker,
            lookup={"slug": f"prelegent-do-potwierdzenia-{number}"},
            values={
                "name": f"Prelegent(ka) do potwierdzenia {number}",
                "affiliation_pl": "Do potwierdzenia",
                "affiliation_en": "To be confirmed",
                "bio_pl": "Dane przykładowe: organizatorzy ogłoszą prelegentów wkrótce.",
                "bio_en": (
                    "Demo data: speaker to be confirmed; the organisers will announce the "
                    "speakers soon."
                ),
            },
        )
    moderators = {}
    for number in range(1, MODERATOR_COUNT + 1):
        moderators[number] = w.upsert(
            Speaker,
            lookup={"slug": f"moderator-do-potwierdzenia-{number}"},
            values={
                "name": f"Moderator(ka) do potwierdzenia {number}",
                "affiliation_pl": "Do potwierdzenia",
                "affiliation_en": "To be confirmed",
                "bio_pl": "Dane przykładowe: organizatorzy ogłoszą moderatorów wkrótce.",
                "bio_en": (
                    "Demo data: moderator to be confirmed; the organisers will announce the "
                    "moderators soon."
                ),
            },
        )

    for spec in SESSIONS:
        day = day_dates[spec["day"]]
        start, end = (dt.time.fromisoformat(t) for t in spec["time"])
        kind = spec.get("kind", Session.Kind.PANEL)
        track = tracks[spec["track"]] if "track" in spec else None
        if "description" in spec:
            description = spec["description"]
        elif track is not None:
            description = (
                f"Panel tematyczny „{track.name_pl}”. {DEMO_PL}",
                f"Thematic panel “{track.name_en}”. {DEMO_EN}",
            )
        else:
            description = ("", "")
        session = w.upsert(
            Session,
            lookup={"edition": edition, "slug": spec["slug"]},
            values={
                "title_pl": spec["title"][0],
                "title_en": spec["title"][1],
                "description_pl": description[0],
                "description_en": description[1],
                "kind": kind,
                "track": track,
                "room": rooms[spec["room"]] if "room" in spec else None,
                "starts_at": _local(day, start),
                "ends_at": _local(day, end),
                "language": "pl",
            },
        )
        w.set_m2m(session.speakers, [speakers[n] for n in spec.get("speakers", [])])
        w.set_m2m(session.moderators, [moderators[n] for n in spec.get("moderators", [])])

    _workshop_with_signups(w, edition=edition, room=rooms["sala-b"], day=day_dates[0])

    with override("pl"):
        context_pl = {
            "registration_url": reverse("registration:register"),
            "edition_url": edition.get_absolute_url(),
            "venue_url": reverse("events:venue"),
        }
    with override("en"):
        context_en = {
            "registration_url": reverse("registration:register"),
            "edition_url": edition.get_absolute_url(),
            "venue_url": reverse("events:venue"),
        }
    names_pl = [o.name_pl for o in organisations if o.slug != "miasto-krakow"]
    names_en = [f"the {o.name_en}" for o in organisations if o.slug != "miasto-krakow"]
    context_pl |= {
        "edition_title": edition.title_pl,
        "edition_title_genitive": "IV Kongresu Polityki Miejskiej i Regionalnej",
        "organisers": ", ".join(names_pl[:-1]) + " oraz " + names_pl[-1],
        "dates": f"{date_range_pl(*day_dates)} {day_dates[0].year} r.",
    }
    context_en |= {
        "edition_title": edition.title_en,
        "organisers": ", ".join(names_en[:-1]) + " and " + names_en[-1],
        "dates": f"{date_range_en(*day_dates)} {day_dates[0].year}",
    }
    for context in (context_pl, context_en):
        context |= {
            "published": published_on.isoformat(),
            "site_url": settings.SITE_URL + "/",
            "venue_name": venue.name_pl,
            "venue_address": f"{venue.address}, {venue.postal_code} {venue.city_pl}",
        }

    news_post = w.upsert(
        NewsPost,
        lookup={"slug": NEWS_SLUG},
        values={
            "edition": edition,
            "title_pl": "IV Kongres Polityki Miejskiej i Regionalnej już za miesiąc",
            "title_en": "The 4th Congress of Urban and Regional Policy is just a month away",
            "lead_pl": (
                f"W dniach {date_range_pl(*day_dates)}, Kraków stanie się miejscem "
                "najważniejszej debaty o przyszłości polskich miast i miasteczek. W Centrum "
                "Konferencyjne Fabryczna 13 odbędzie się IV Kongres Polityki Miejskiej "
                "i Regionalnej."
            ),
            "lead_en": (
                f"On {date_range_en(*day_dates)}, Kraków will become the venue of the most "
                "important debate on the future of Polish cities and towns. The 4th Congress "
                "of Urban and Regional Policy will take place at Centrum Konferencyjne "
                "Fabryczna 13."
            ),
            "body_pl": _text("news", "pl", context_pl),
            "body_en": _text("news", "en", context_en),
            "published_at": published_at,
        },
    )

    pages = [
        (
            Page.Kind.PRIVACY,
            "polityka-prywatnosci",
            "Informacja o przetwarzaniu danych osobowych",
            "Privacy notice",
        ),
        (
            Page.Kind.ACCESSIBILITY,
            "deklaracja-dostepnosci",
            "Deklaracja dostępności",
            "Accessibility declaration",
        ),
        (
            Page.Kind.PRACTICAL,
            "informacje-praktyczne",
            "Informacje praktyczne",
            "Practical information",
        ),
    ]
    for kind, slug, title_pl, title_en in pages:
        w.upsert(
            Page,
            lookup={"kind": kind},
            values={
                "slug": slug,
                "title_pl": title_pl,
                "title_en": title_en,
                "body_pl": _text(kind, "pl", context_pl),
                "body_en": _text(kind, "en", context_en),
                "is_published": True,
            },
        )

    w.changed += demo_plans_load(edition=edition)

    return DemoResult(
        edition=edition,
        days=days,
        session_count=len(SESSIONS),
        news_post=news_post,
        changed=w.changed,
    )


def _workshop_with_signups(w: _Writer, *, edition: Edition, room: Room, day: dt.date) -> None:
    """A workshop of 30 places that takes sign-ups (issue 18): the programme shows its places
    left, and a confirmed participant signs up from it or from their personal page."""
    w.upsert(
        Session,
        lookup={"edition": edition, "slug": "warsztat-partycypacji"},
        values={
            "title_pl": "Warsztat: partycypacja w praktyce (zapisy)",
            "title_en": "Workshop: participation in practice (sign-up)",
            "description_pl": f"Warsztat dla 30 osób; obowiązują zapisy. {DEMO_PL}",
            "description_en": f"A workshop for 30 people; sign-up required. {DEMO_EN}",
            "kind": Session.Kind.WORKSHOP,
            "track": None,
            "room": room,
            "starts_at": _local(day, dt.time(14, 30)),
            "ends_at": _local(day, dt.time(16, 0)),
            "language": "pl",
            "capacity": 30,
            "signup_mode": Session.SignupMode.REQUIRED,
        },
    )


def _days_set(w: _Writer, *, edition: Edition, dates: list[dt.date]) -> list[Day]:
    """The edition's days on ``dates``, moving existing rows rather than adding new ones (other
    rows, such as registrations for a day, may point at them)."""
    days = list(Day.objects.filter(edition=edition).order_by("date"))
    for extra in days[len(dates) :]:  # not part of the demo
        extra.delete()
        w.changed += 1
    days = days[: len(dates)]
    if [d.date for d in days] != dates[: len(days)]:
        # Move through dates no edition uses, so that (edition, date) stays unique meanwhile.
        for index, day in enumerate(days):
            day.date = dt.date(1900, 1, 1) + dt.timedelta(days=index)
            day.save(update_fields=["date"])
    result = []
    for index, date in enumerate(dates):
        values = {"name_pl": f"Dzień {index + 1}", "name_en": f"Day {index + 1}", "date": date}
        if index < len(days):
            day = days[index]
            if any(getattr(day, name) != value for name, value in values.items()):
                for name, value in values.items():
                    setattr(day, name, value)
                day.save()
                w.changed += 1
        else:
            day = Day.objects.create(edition=edition, **values)
            w.changed += 1
        result.append(day)
    return result
