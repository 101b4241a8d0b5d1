"""The IV Kongres as the announcement of 2024-08-28 describes it (``shared/seed``): its
organisers, rooms, the five thematic panels and a programme of sessions with placeholder
speakers. Read by ``loader.demo_load``; the longer texts are Markdown files in
``templates/demo/``."""

from __future__ import annotations

from typing import Any

from kongres.events.models import EditionOrganisation, Session

ORGANISATIONS = [
    # slug, Polish name, English name, role
    (
        "obserwatorium-polityki-miejskiej-i-regionalnej",
        "Obserwatorium Polityki Miejskiej i Regionalnej",
        "Urban and Regional Policy Observatory",
        EditionOrganisation.Role.ORGANISER,
    ),
    (
        "instytut-rozwoju-miast-i-regionow",
        "Instytut Rozwoju Miast i Regionów",
        "Institute of Urban and Regional Development",
        EditionOrganisation.Role.ORGANISER,
    ),
    (
        "ministerstwo-funduszy-i-polityki-regionalnej",
        "Ministerstwo Funduszy i Polityki Regionalnej",
        "Ministry of Development Funds and Regional Policy",
        EditionOrganisation.Role.ORGANISER,
    ),
    ("miasto-krakow", "Miasto Kraków", "City of Kraków", EditionOrganisation.Role.HOST_CITY),
]

ROOMS = [
    # slug, Polish name, English name, capacity
    ("sala-plenarna", "Sala plenarna", "Plenary hall", 600),
    ("sala-a", "Sala A", "Room A", 200),
    ("sala-b", "Sala B", "Room B", 150),
]

TRACKS = [
    # slug, Polish name, English name, Polish and English description: the thematic panels of
    # the announcement, described in its own words
    (
        "rewitalizacja",
        "Rewitalizacja",
        "Revitalisation",
        "Jak przywracać do życia zdegradowane obszary miast i miasteczek.",
        "How to bring run-down areas of cities and towns back to life.",
    ),
    (
        "rozwoj-kraju-regionow-i-miast",
        "Rozwój kraju, regionów i miast",
        "Development of the country, regions and cities",
        "Strategiczne wyzwania rozwojowe polskich miast i regionów do roku 2050.",
        "Strategic development challenges for Polish cities and regions up to 2050.",
    ),
    (
        "metropolie-i-osrodki-regionalne",
        "Metropolie + ośrodki regionalne",
        "Metropolises + regional centres",
        "Obszary metropolitalne jako napędy rozwoju kraju i centra innowacji — oraz ich "
        "własne wyzwania.",
        "Metropolitan areas as the country's engines of development and centres of innovation "
        "— and their own challenges.",
    ),
    (
        "smart-city",
        "Smart City",
        "Smart City",
        "Technologie i dane w służbie mieszkańców miast i miasteczek.",
        "Technology and data serving the people of cities and towns.",
    ),
    (
        "osrodki-subregionalne",
        "Ośrodki subregionalne",
        "Sub-regional centres",
        "Jak wspierać rozwój średnich i małych miast, które najszybciej tracą dystans rozwojowy.",
        "How to support medium-sized and small towns, which are losing ground the fastest.",
    ),
]

SPEAKER_COUNT = 8
MODERATOR_COUNT = 3

DEMO_PL = "Skład i szczegółowy opis: dane przykładowe, do uzupełnienia przez organizatorów."
DEMO_EN = "Participants and a detailed description: demo data, to be completed by the organisers."

SESSIONS: list[dict[str, Any]] = [
    {
        "slug": "otwarcie-kongresu",
        "day": 0,
        "time": ("10:00", "11:30"),
        "kind": Session.Kind.PLENARY,
        "room": "sala-plenarna",
        "title": (
            "Otwarcie kongresu. Polska wielu prędkości?",
            "Opening of the congress. A multi-speed Poland?",
        ),
        "description": (
            "Otwarcie IV Kongresu i debata wokół jego hasła: „Polska wielu prędkości? "
            "Strategiczne wyzwania rozwojowe polskich miast i regionów”. " + DEMO_PL,
            "Opening of the 4th Congress and a debate on its motto: “A multi-speed Poland? "
            "Strategic development challenges for Polish cities and regions”. " + DEMO_EN,
        ),
        "speakers": [1, 2, 3],
        "moderators": [1],
    },
    {
        "slug": "przerwa-kawowa-dzien-1",
        "day": 0,
        "time": ("11:30", "12:00"),
        "kind": Session.Kind.BREAK,
        "title": ("Przerwa kawowa", "Coffee break"),
    },
    {
        "slug": "panel-rewitalizacja",
        "day": 0,
        "time": ("12:00", "13:30"),
        "track": "rewitalizacja",
        "room": "sala-a",
        "title": ("Panel: Rewitalizacja", "Panel: Revitalisation"),
        "speakers": [4, 5],
        "moderators": [2],
    },
    {
        "slug": "panel-rozwoj-kraju-regionow-i-miast",
        "day": 0,
        "time": ("12:00", "13:30"),
        "track": "rozwoj-kraju-regionow-i-miast",
        "room": "sala-b",
        "title": (
            "Panel: Rozwój kraju, regionów i miast",
            "Panel: Development of the country, regions and cities",
        ),
        "speakers": [6, 7],
        "moderators": [3],
    },
    {
        "slug": "przerwa-obiadowa-dzien-1",
        "day": 0,
        "time": ("13:30", "14:30"),
        "kind": Session.Kind.BREAK,
        "title": ("Przerwa obiadowa", "Lunch break"),
    },
    {
        "slug": "panel-metropolie-i-osrodki-regionalne",
        "day": 0,
        "time": ("14:30", "16:00"),
        "track": "metropolie-i-osrodki-regionalne",
        "room": "sala-plenarna",
        "title": (
            "Panel: Metropolie + ośrodki regionalne. Napędy rozwoju i centra innowacji",
            "Panel: Metropolises + regional centres. Engines of development and centres of "
            "innovation",
        ),
        "speakers": [1, 8],
        "moderators": [1],
    },
    {
        "slug": "panel-smart-city",
        "day": 1,
        "time": ("09:30", "11:00"),
        "track": "smart-city",
        "room": "sala-a",
        "title": ("Panel: Smart City", "Panel: Smart City"),
        "speakers": [2, 5],
        "moderators": [2],
    },
    {
        "slug": "panel-osrodki-subregionalne",
        "day": 1,
        "time": ("09:30", "11:00"),
        "track": "osrodki-subregionalne",
        "room": "sala-b",
        "title": (
            "Panel: Ośrodki subregionalne. Jak wspierać średnie i małe miasta?",
            "Panel: Sub-regional centres. How to support medium-sized and small towns?",
        ),
        "speakers": [3, 6],
        "moderators": [3],
    },
    {
        "slug": "przerwa-kawowa-dzien-2",
        "day": 1,
        "time": ("11:00", "11:30"),
        "kind": Session.Kind.BREAK,
        "title": ("Przerwa kawowa", "Coffee break"),
    },
    {
        "slug": "panel-wyzwania-rozwojowe-do-2050",
        "day": 1,
        "time": ("11:30", "13:00"),
        "track": "rozwoj-kraju-regionow-i-miast",
        "room": "sala-plenarna",
        "title": (
            "Panel: Zintegrowana sieć, a nie odizolowane wyspy. Wyzwania rozwojowe do roku 2050",
            "Panel: An integrated network, not isolated islands. Development challenges up to 2050",
        ),
        "speakers": [4, 7, 8],
        "moderators": [1],
    },
    {
        "slug": "przerwa-obiadowa-dzien-2",
        "day": 1,
        "time": ("13:00", "14:00"),
        "kind": Session.Kind.BREAK,
        "title": ("Przerwa obiadowa", "Lunch break"),
    },
    {
        "slug": "zamkniecie-kongresu",
        "day": 1,
        "time": ("14:00", "15:00"),
        "kind": Session.Kind.PLENARY,
        "room": "sala-plenarna",
        "title": (
            "Zamknięcie kongresu. Podsumowanie paneli",
            "Closing of the congress. Summing up the panels",
        ),
        "speakers": [1, 2],
        "moderators": [2],
    },
]


# -- the loader ----------------------------------------------------------------------------------
