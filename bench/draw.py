"""Benchmark of the allocation draw (issue 19): 5,000 applications for 600 places with quotas,
in under 10 s: the pure draw (``registration.lottery.draw``), and the service's transaction
(``draw_run``: the draw, 5,000 entries, 600 seats, 5,000 status changes and audit entries).
The 5,000 result mails, queued in batches after it (``draw_mails_send``), are timed apart.

    .venv/bin/python -m bench.draw [--applications 5000] [--places 600] [--database-url URL]

The service runs on a fresh SQLite file in a temporary folder unless ``--database-url`` names
a PostgreSQL database (created and migrated if missing; each run makes its own edition).
Exits 1 when a target is missed.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time

TARGET_SECONDS = 10.0
SLUG = "bench-draw"


def population(count: int):
    from kongres.registration.choices import Sector, Voivodeship

    sectors, voivodeships = Sector.values, Voivodeship.values
    # uneven: half the applications from two voivodeships, few NGOs
    for n in range(count):
        sector = sectors[(n * 7) % len(sectors)] if n % 9 else "ngo"
        voivodeship = voivodeships[n % 4] if n % 2 else voivodeships[(n // 2) % len(voivodeships)]
        yield n, sector, voivodeship


def quotas():
    from kongres.registration.lottery import Quota

    return [
        Quota("sector", "ngo", min_percent=15),
        Quota("sector", "business", max_percent=30),
        Quota("voivodeship", "mazowieckie", max_percent=20),
        Quota("voivodeship", "malopolskie", max_percent=20),
        Quota("voivodeship", "podlaskie", min_percent=5),
    ]


def bench_pure(applications: int, places: int) -> float:
    from kongres.registration.lottery import Applicant, draw

    applicants = [
        Applicant(number=n + 1, sector=s, voivodeship=v, priority=int(n % 50 == 0))
        for n, s, v in population(applications)
    ]
    started = time.perf_counter()
    result = draw(applicants, places, os.urandom(32), quotas())
    seconds = time.perf_counter() - started
    assert len(result.winners) == places
    return seconds


def bench_service(applications: int, places: int, url: str) -> tuple[float, int]:
    os.environ["KONGRES_DATABASE_URL"] = url
    if url.startswith("postgres"):
        from bench.db import database_ensure

        database_ensure(url)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kongres.settings")
    import django

    django.setup()
    import datetime as dt

    from django.core.management import call_command
    from django.utils import timezone

    from kongres.events.models import Edition, Series
    from kongres.mail.models import OutboxMessage
    from kongres.registration import seats
    from kongres.registration.models import AllocationQuota, Registration
    from kongres.registration.services.draw import (
        allocation_configure,
        draw_mails_send,
        draw_run,
    )

    call_command("migrate", interactive=False, verbosity=0)
    series, _ = Series.objects.get_or_create(
        slug="kongres-bench", defaults={"name_pl": "Kongres (bench)", "name_en": "Congress"}
    )
    start = timezone.localdate() + dt.timedelta(days=60)
    edition = Edition.objects.create(
        series=series,
        ordinal=900 + Edition.objects.filter(slug__startswith=SLUG).count(),
        slug=f"{SLUG}-{int(time.time())}",
        title_pl="Losowanie (bench)",
        title_en="Draw (bench)",
        start_date=start,
        end_date=start + dt.timedelta(days=1),
        status=Edition.Status.PUBLISHED,
        capacity=places,
    )
    now = timezone.now()
    Registration.objects.bulk_create(
        (
            Registration(
                edition=edition,
                status=Registration.Status.WAITING,
                email=f"zgloszenie{n}@example.invalid",
                email_key=f"zgloszenie{n}@example.invalid",
                first_name="Testowa",
                last_name=f"Osoba Zmyślona {n}",
                sector=sector,
                voivodeship=voivodeship,
                language="pl" if n % 3 else "en",
                verified_at=now - dt.timedelta(seconds=applications - n),
            )
            for n, sector, voivodeship in population(applications)
        ),
        batch_size=1000,
    )
    seats.pools_create(edition.pk)
    allocation = allocation_configure(edition=edition, mode="draw")
    for quota in quotas():
        AllocationQuota.objects.create(allocation=allocation, **quota.__dict__)
    before = OutboxMessage.objects.count()
    started, cpu = time.perf_counter(), time.process_time()
    draw = draw_run(edition=edition, now=now, mail=False)
    seconds = time.perf_counter() - started
    print(f"draw (service): {time.process_time() - cpu:.2f} s of this process's CPU time")
    assert draw.entries.filter(outcome="place").count() == places
    started, cpu = time.perf_counter(), time.process_time()
    draw_mails_send(draw=draw)
    print(
        f"result mails: {time.perf_counter() - started:.2f} s "
        f"({time.process_time() - cpu:.2f} s CPU), in batches after the draw"
    )
    return seconds, OutboxMessage.objects.count() - before


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.draw", description=__doc__)
    parser.add_argument("--applications", type=int, default=5000)
    parser.add_argument("--places", type=int, default=600)
    parser.add_argument("--database-url", default="")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as folder:
        url = args.database_url or f"sqlite:///{folder}/bench-draw.sqlite3"
        os.environ.setdefault("KONGRES_DATA_DIR", folder)
        os.environ.setdefault("KONGRES_SECRET_KEY", "bench-draw-" + "x" * 50)
        pure = bench_pure(args.applications, args.places)
        service, mails = bench_service(args.applications, args.places, url)
    ok = pure < TARGET_SECONDS and service < TARGET_SECONDS
    print(
        f"draw (pure): {args.applications:,} applications, {args.places} places, "
        f"5 quotas in {pure:.2f} s"
    )
    print(f"draw (service, {url.split(':')[0]}): {service:.2f} s with {mails:,} mails queued")
    print(
        f"target: a draw over {args.applications:,} applications for {args.places} places with "
        f"quotas < {TARGET_SECONDS:.0f} s: {'met' if ok else 'MISSED'} "
        f"(pure {pure:.2f} s, service {service:.2f} s)"
    )
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
