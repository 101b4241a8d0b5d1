"""Certificates of attendance (issue 20): 1,000 in under 60 s, issued and made into PDFs.

    .venv/bin/python -m bench.certificates [--count 1000] [--processes N] [--database-url URL]

On a fresh SQLite file in a temporary folder (or a PostgreSQL database named by
``--database-url``, created and migrated if missing) it makes one edition of two days with a
programme, ``count`` confirmed registrations with tickets checked in (as rows: what is measured
is the certificates), then times, one after the other:

* issuing: ``certificates_issue_edition`` as the worker runs it after the event (numbers under
  the lock, rows, one mail each queued in the outbox, in bulk, with its PDF to be made when
  sent; one sending task for every hundred mails, which the workers share);
* the PDFs: each certificate's tagged PDF, as the mail worker makes it for the attachment
  (``certificate_pdf_attachment``: template, QR code, WeasyPrint, the fonts shared as in
  ``kongres worker``), in ``--processes`` processes at once (default: the machine's CPUs, as
  many as ``kongres worker`` processes one would run); the first one is read back with pdfium
  and zxing-cpp (dev dependencies).

Figures are wall-clock time, with CPU time beside them (the main process's for the issue, the
PDF processes' for the PDFs); the machine is small and shared, so a busy neighbour shows as
wall time well above CPU time. A last line gives the CPU time of a PDF and the wall time the
run would take on idle cores (the issue's CPU time plus the PDFs' CPU time shared among the
processes): the figure to compare between runs on a shared machine. Exits 1 when the target
is missed.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor

TARGET_SECONDS = 60.0
SLUG = "bench-certificates"


def _setup(url: str) -> None:
    os.environ["KONGRES_DATABASE_URL"] = url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kongres.settings")
    import django

    django.setup()


def prepare(count: int):
    from django.core.management import call_command
    from django.utils import timezone

    from kongres.checkin.models import CheckIn
    from kongres.events.models import Day, Edition, Series, Session
    from kongres.registration.models import Registration, Ticket
    from kongres.registration.tickets import ticket_code_new

    call_command("migrate", verbosity=0)
    # a run before on the same database: its registrations first (they protect the edition)
    Registration.objects.filter(edition__slug=SLUG).delete()
    Edition.objects.filter(slug=SLUG).delete()
    today = timezone.localdate()
    series, _created = Series.objects.get_or_create(slug=SLUG, defaults={"name": "Kongres"})
    edition = Edition.objects.create(
        series=series,
        ordinal=Edition.objects.filter(series=series).count() + 1,
        slug=SLUG,
        title_pl="IV Kongres Polityki Miejskiej i Regionalnej",
        title_en="4th Congress of Urban and Regional Policy",
        start_date=today - dt.timedelta(days=2),
        end_date=today - dt.timedelta(days=1),
        status=Edition.Status.PUBLISHED,
    )
    days = [Day.objects.create(edition=edition, date=edition.start_date + dt.timedelta(days=n))
            for n in range(2)]  # fmt: skip
    for n, day in enumerate(days):
        starts = timezone.make_aware(dt.datetime.combine(day.date, dt.time(9, 0)))
        Session.objects.create(
            edition=edition, title=f"Sesja {n}", slug=f"sesja-{n}", starts_at=starts,
            ends_at=starts + dt.timedelta(hours=7, minutes=30),
        )  # fmt: skip
    now = timezone.now()
    registrations = Registration.objects.bulk_create(
        (
            Registration(
                edition=edition,
                status=Registration.Status.CONFIRMED,
                email=f"osoba{n}@bench.example.org",
                first_name="Zofia" if n % 2 else "Bartłomiej",
                last_name=f"Grzegorzewska-Żółć {n}",
                language="en" if n % 5 == 0 else "pl",
                confirmed_at=now,
            )
            for n in range(count)
        ),
        batch_size=1000,
    )
    tickets = Ticket.objects.bulk_create(
        (Ticket(registration=r, code=ticket_code_new()) for r in registrations), batch_size=1000
    )
    CheckIn.objects.bulk_create(
        (
            CheckIn(
                nonce=f"bench-{ticket.pk}-{day.pk}",
                edition=edition,
                day=day,
                code=ticket.code,
                ticket=ticket,
                registration_id=ticket.registration_id,
                result=CheckIn.Result.OK,
                scanned_at=now,
            )
            for ticket in tickets
            for day in (days if ticket.pk % 3 else days[:1])
        ),
        batch_size=2000,
    )
    return edition


def _render(ids: list[int]) -> tuple[int, float]:
    """In a worker process: the PDFs of these certificates, as ``kongres worker`` makes them
    (the mail's attachment renderer, fonts shared); returns their total size and the process's
    CPU time spent on them."""
    from kongres.checkin.certificates import certificate_pdf_attachment
    from kongres.core.pdf import pdf_fonts_shared

    size, cpu = 0, time.process_time()
    with pdf_fonts_shared():
        for pk in ids:
            size += len(certificate_pdf_attachment(certificate=pk))
    return size, time.process_time() - cpu


def _init(url: str) -> None:
    _setup(url)


def check(pdf: bytes, code: str) -> str:
    try:
        import pypdfium2
        import zxingcpp
    except ImportError:
        return "not checked (install the dev dependencies: pypdfium2, zxing-cpp)"
    image = pypdfium2.PdfDocument(pdf)[0].render(scale=2).to_pil()
    texts = [result.text for result in zxingcpp.read_barcodes(image)]
    ok = len(texts) == 1 and texts[0].endswith(f"/c/{code}/")
    return (
        f"first PDF read back: QR code {'decodes to its verification address' if ok else 'WRONG'}"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.certificates", description=__doc__)
    parser.add_argument("--count", type=int, default=1000)
    parser.add_argument("--processes", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--database-url", default="")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as folder:
        url = args.database_url or f"sqlite:///{folder}/bench-certificates.sqlite3"
        os.environ.setdefault("KONGRES_DATA_DIR", folder)
        os.environ.setdefault("KONGRES_SECRET_KEY", "bench-certificates-" + "x" * 50)
        _setup(url)
        from django.db import connections

        from kongres.checkin.certificates import certificate_pdf, certificates_issue_edition
        from kongres.checkin.models import Certificate
        from kongres.mail.models import OutboxMessage

        edition = prepare(args.count)
        before = OutboxMessage.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
        wall, cpu = time.perf_counter(), time.process_time()
        report = certificates_issue_edition(edition=edition, actor=None)
        issue, issue_cpu = time.perf_counter() - wall, time.process_time() - cpu
        mails = OutboxMessage.objects.filter(kind="certificate", pk__gt=before).count()
        assert report.issued == args.count == mails, (report, mails)
        ids = list(Certificate.objects.filter(edition=edition).values_list("pk", flat=True))
        first = Certificate.objects.select_related("edition").get(pk=ids[0])
        connections.close_all()  # the processes open their own
        chunks = [ids[n :: args.processes] for n in range(args.processes)]
        wall = time.perf_counter()
        with ProcessPoolExecutor(args.processes, initializer=_init, initargs=(url,)) as pool:
            done = list(pool.map(_render, chunks))
        size, pdfs_cpu = sum(d[0] for d in done), sum(d[1] for d in done)
        pdfs = time.perf_counter() - wall
        print(check(certificate_pdf(certificate=first), first.code))
    total = issue + pdfs
    ok = total < TARGET_SECONDS * args.count / 1000
    print(
        f"certificates: {args.count:,} issued in {issue:.2f} s ({issue_cpu:.2f} s CPU; "
        f"{mails:,} mails queued, {url.split(':')[0]})"
    )
    print(
        f"certificates: {args.count:,} PDFs in {pdfs:.1f} s with {args.processes} processes "
        f"({pdfs / args.count * args.processes * 1000:.0f} ms a PDF in a process), "
        f"{size / 1e6:.1f} MB"
    )
    # CPU time does not grow when a neighbour takes the cores: the figure to compare between
    # runs on a shared machine, and the wall time it would take on idle cores
    projected = issue_cpu + pdfs_cpu / args.processes
    print(
        f"certificates: {pdfs_cpu / args.count * 1000:.0f} ms CPU a PDF ({pdfs_cpu:.1f} s CPU "
        f"in all); on {args.processes} idle cores: about {projected:.1f} s for "
        f"{args.count:,} (issue {issue_cpu:.2f} s + PDFs {pdfs_cpu / args.processes:.1f} s)"
    )
    print(
        f"target: {args.count:,} certificates issued and their PDFs made < "
        f"{TARGET_SECONDS * args.count / 1000:.0f} s: {'met' if ok else 'MISSED'} "
        f"(issue {issue:.2f} s, PDFs {pdfs:.1f} s)"
    )
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
