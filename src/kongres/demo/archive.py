"""The demo's past edition, so that a newcomer sees the archive: "III Kongres" a year before
the demo edition, archived, with a short programme (visibly demo data), a speaker, a news
post, and an approved material (a PDF of slides) and a recording link. Running it again
changes nothing."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.files.base import ContentFile
from django.db import models
from django.utils import timezone
from django.utils.html import escape

from kongres.content.models import NewsPost
from kongres.core.pdf import pdf_from_html
from kongres.events.models import Edition, Session, Speaker
from kongres.materials.models import Material
from kongres.materials.services import material_approve, material_submit

PAST_SLUG = "iii-kongres"
SESSIONS = [
    # slug, title (pl, en), hours
    (
        "otwarcie-2025",
        ("Otwarcie III Kongresu (demo)", "Opening of the 3rd Congress (demo)"),
        (10, 11),
    ),
    (
        "rewitalizacja-2025",
        ("Panel: rewitalizacja miast średnich (demo)", "Panel: renewal of mid-sized towns (demo)"),
        (11, 13),
    ),
]
SLIDES_HTML = (
    '<html lang="pl"><head><title>{title}</title></head><body><h1>{title}</h1>'
    "<p>Przykładowe slajdy wersji demonstracyjnej. Demo slides.</p></body></html>"
)


def _upsert[M: models.Model](
    model: type[M], *, lookup: dict[str, Any], values: dict[str, Any]
) -> M:
    """Create the row, or update it only when a value differs (a second run changes nothing)."""
    obj = model.objects.filter(**lookup).first()
    if obj is None:
        return model.objects.create(**lookup, **values)
    if any(getattr(obj, name) != value for name, value in values.items()):
        for name, value in values.items():
            setattr(obj, name, value)
        obj.save()
    return obj


def demo_archive_load(*, edition: Edition) -> Edition:
    """The past edition of the demo, a year before ``edition``."""
    start = edition.start_date - dt.timedelta(days=364)
    zone = timezone.get_current_timezone()
    past = _upsert(
        Edition,
        lookup={"slug": PAST_SLUG},
        values={
            "series": edition.series,
            "ordinal": 3,
            "title_pl": "III Kongres Polityki Miejskiej i Regionalnej (demo)",
            "title_en": "3rd Congress of Urban and Regional Policy (demo)",
            "motto_pl": "Miasta dla ludzi (dane przykładowe)",
            "motto_en": "Cities for people (demo data)",
            "start_date": start,
            "end_date": start + dt.timedelta(days=1),
            "venue": edition.venue,
            "host_city_pl": edition.host_city_pl,
            "host_city_en": edition.host_city_en,
            "status": Edition.Status.ARCHIVED,
        },
    )
    speaker = _upsert(  # the demo edition's first speaker (demo/loader.py) spoke here too
        Speaker,
        lookup={"slug": "prelegent-do-potwierdzenia-1"},
        values={
            "name": "Prelegent(ka) do potwierdzenia 1",
            "affiliation_pl": "Do potwierdzenia",
            "affiliation_en": "To be confirmed",
        },
    )
    sessions = []
    for slug, (title_pl, title_en), (first, last) in SESSIONS:
        session = _upsert(
            Session,
            lookup={"edition": past, "slug": slug},
            values={
                "title_pl": title_pl,
                "title_en": title_en,
                "starts_at": dt.datetime.combine(start, dt.time(first), tzinfo=zone),
                "ends_at": dt.datetime.combine(start, dt.time(last), tzinfo=zone),
                "language": "pl",
            },
        )
        if list(session.speakers.all()) != [speaker]:
            session.speakers.set([speaker])
        sessions.append(session)
    _upsert(
        NewsPost,
        lookup={"slug": "relacja-z-iii-kongresu-demo"},
        values={
            "edition": past,
            "title_pl": "Relacja z III Kongresu (demo)",
            "title_en": "Report from the 3rd Congress (demo)",
            "lead_pl": "Przykładowa wiadomość archiwalnej edycji.",
            "lead_en": "A demo news post of the archived edition.",
            "published_at": dt.datetime.combine(start, dt.time(18), tzinfo=zone),
        },
    )
    panel = sessions[-1]
    if not Material.objects.filter(session=panel).exists():
        title = "Slajdy: rewitalizacja miast średnich (demo)"
        slides = ContentFile(pdf_from_html(SLIDES_HTML.format(title=escape(title))), "slajdy.pdf")
        material_approve(
            material=material_submit(session=panel, title=title, file=slides), actor=None
        )
        recording = material_submit(
            session=panel, title="Nagranie panelu (demo)", url="https://example.org/nagranie-demo"
        )
        material_approve(material=recording, actor=None)
    return past
