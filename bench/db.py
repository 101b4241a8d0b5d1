"""The bench's database work, done in the harness process through Django (bench.settings):
create and migrate the database, load the demo, the editions the bench uses, the bench's own
tables, resetting and checking the rush edition. ``environment`` must be in ``os.environ``
before ``setup`` is called."""

from __future__ import annotations

import datetime as dt
import io
from dataclasses import dataclass

import psycopg
from psycopg import sql
from psycopg.conninfo import conninfo_to_dict, make_conninfo

from bench.exports import registrations_ensure

BENCH_SERIES = "kongres-bench"
CEILING_EDITION = "bench-ceiling"
RUSH_EDITION = "bench-rush"
# Without other editions' registrations, the rush started on an empty registration table,
# freshly analysed: PostgreSQL then plans the foreign-key checks of the rows that refer to a
# registration (its days, its link's token) as scans of the whole table, and keeps the plans for
# the rest of the rush: 37 million rows read in a rush of 5,000 (2026-12-07). A site's table
# holds the editions before, or was never analysed empty. Nor was `make bench`'s empty (it
# makes the exports' 50,000 registrations first): only runs with --only saw it.
PAST_EDITION = "bench-past"
PAST_REGISTRATIONS = 5_000
EMAIL_DOMAIN = "bench.example.org"


def database_ensure(url: str) -> bool:
    """Create the database named in ``url`` if it is missing; True if it was created."""
    name = conninfo_to_dict(url).get("dbname")
    if not name:
        raise RuntimeError(f"the bench database URL names no database: {url}")
    with psycopg.connect(make_conninfo(url, dbname="postgres"), autocommit=True) as conn:
        if conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            return False
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
        return True


def setup() -> None:
    import django

    django.setup()


def cache_clear() -> None:
    """Empty the servers' cache (Redis, ``KONGRES_CACHE_URL``): a run starts from no cached page
    and no counter of an earlier run."""
    from django.core.cache import caches

    caches["default"].clear()


def close_connections() -> None:
    from django.db import connections

    connections.close_all()


def vacuum() -> None:
    """``VACUUM (ANALYZE)`` the bench's database, so that each run starts from the same tables:
    the runs delete what the one before wrote (tens of thousands of rows), and what is left to
    clean up must not be done during the next measurement, nor pile up (autovacuum may be off,
    as on the bench machine, where half a million dead rows had piled up in the registrations'
    table; or it may start in the middle of a run)."""
    from django.db import connection

    with connection.cursor() as cursor:  # autocommit: VACUUM runs outside a transaction
        cursor.execute("VACUUM (ANALYZE)")


def queues_clear() -> None:
    """Empty the outbox and the task queue (the bench database is the bench's own): the mail of
    an earlier run (the API's creates leave thousands) must not be delivered by the workers of
    the next one, nor be deleted under them by a reset (a deadlock, 2026-12-07)."""
    from django_tasks_db.models import DBTaskResult

    from kongres.mail.models import OutboxMessage

    OutboxMessage.objects.all().delete()
    DBTaskResult.objects.all().delete()


def server_version() -> str:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        return cursor.fetchone()[0]


def has_command(name: str) -> bool:
    from django.core.management import get_commands

    return name in get_commands()


def prepare(*, log) -> dict:
    """Migrate, collect static files (the manifest that DEBUG=False needs), load the demo if
    the project has a demo loader, create the bench's tables and editions. Returns what the
    scenarios need: edition ids and whether demo data is there."""
    from django.core.management import call_command

    log("migrating the bench database")
    call_command("migrate", interactive=False, verbosity=0)
    log("collecting static files")
    call_command("collectstatic", interactive=False, verbosity=0)
    demo = has_command("demo")
    if demo:
        log("loading the demo (kongres demo)")
        call_command("demo", verbosity=0, stdout=io.StringIO())
    from kongres.registration.models import SeatPool

    ceiling = _edition_ceiling()
    # no limit on the ceiling's pool, whatever an earlier run or a hand left in this database
    SeatPool.objects.update_or_create(edition=ceiling, day=None, defaults={"capacity": None})
    rush = _edition_rush(demo=demo)
    # A past edition's registrations, as a recurring congress's database holds (vacuumed next).
    registrations_ensure(slug=PAST_EDITION, rows=PAST_REGISTRATIONS, log=log, analyse=False)
    queues_clear()
    vacuum()  # what earlier runs left
    return {"demo": demo, "ceiling_edition": ceiling.pk, "rush_edition": rush.pk if rush else None}


def _series():
    from kongres.events.models import Series

    series, _ = Series.objects.get_or_create(
        slug=BENCH_SERIES, defaults={"name_pl": "Kongres (bench)", "name_en": "Congress (bench)"}
    )
    return series


def _edition_ceiling():
    """A draft edition (never the one the site shows) whose row the ceilings lock."""
    from django.utils import timezone

    from kongres.events.models import Edition

    start = timezone.localdate() + dt.timedelta(days=365)
    edition, _ = Edition.objects.get_or_create(
        slug=CEILING_EDITION,
        defaults={
            "series": _series(),
            "ordinal": 1,
            "title_pl": "Sufit (bench)",
            "title_en": "Ceiling (bench)",
            "start_date": start,
            "end_date": start,
            "status": Edition.Status.DRAFT,
        },
    )
    return edition


def _edition_rush(*, demo: bool):
    """The edition of the rush: the demo's edition (the one the site shows) when the demo is
    loaded, else a published bench edition made here."""
    from django.utils import timezone

    from kongres.events.models import Edition
    from kongres.events.selectors import edition_current

    if demo:
        Edition.objects.filter(slug=RUSH_EDITION).delete()
        return edition_current()
    start = timezone.localdate() + dt.timedelta(days=30)
    edition, _ = Edition.objects.get_or_create(
        slug=RUSH_EDITION,
        defaults={
            "series": _series(),
            "ordinal": 2,
            "title_pl": "Kongres (bench)",
            "title_en": "Congress (bench)",
            "start_date": start,
            "end_date": start + dt.timedelta(days=1),
            "status": Edition.Status.PUBLISHED,
        },
    )
    return edition


def ceiling_rows_clear(*, edition_id: int) -> None:
    """Empty what the ceilings wrote (tens of thousands of rows a run)."""
    from kongres.registration.models import Registration, SeatPool

    Registration.objects.filter(edition_id=edition_id).delete()
    SeatPool.objects.filter(edition_id=edition_id).update(taken=0, overbooked=0)
    vacuum()
    close_connections()


@dataclass
class PublicPage:
    name: str
    path: str


def public_pages() -> list[PublicPage]:
    """Home, the programme, a session and a news post of the edition the site shows (in Polish,
    the default language); a page the data lacks is left out."""
    from django.urls import reverse
    from django.utils import translation

    from kongres.content.models import NewsPost
    from kongres.events.models import Session
    from kongres.events.selectors import edition_current

    edition = edition_current()
    pages = []
    with translation.override("pl"):
        pages.append(PublicPage("home", reverse("events:home")))
        pages.append(PublicPage("programme", reverse("events:programme")))
        session = Session.objects.filter(edition=edition).order_by("starts_at", "pk").first()
        if session is not None:
            pages.append(
                PublicPage("session", reverse("events:session", kwargs={"slug": session.slug}))
            )
        post = (
            NewsPost.objects.filter(published_at__lte=dt.datetime.now(tz=dt.UTC))
            .order_by("-published_at")
            .first()
        )
        if post is not None:
            pages.append(PublicPage("news post", post.get_absolute_url()))
    return pages
