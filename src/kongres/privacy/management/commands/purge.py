"""``kongres purge``: erase the personal data of editions that ended long ago."""

import time

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from kongres.events.models import Edition
from kongres.privacy.services import (
    PURGE_AFTER_DAYS,
    purge_candidates,
    purge_editions,
    registration_erase,
)


class Command(BaseCommand):
    help = (
        "Erase the personal data of the registrations of editions that ended more than N days "
        f"ago (default {PURGE_AFTER_DAYS}); the counts and statistics stay "
        "(see kongres/privacy/services.py). "
        "Without --execute it only shows what would be erased."
    )

    def add_arguments(self, parser):
        parser.add_argument("--edition", default="", help="only this edition (its slug)")
        parser.add_argument(
            "--after-days",
            type=int,
            default=None,
            help="editions whose last day is more than this many days ago (default: "
            f"purge_after_days of kongres.toml, {PURGE_AFTER_DAYS} unless set)",
        )
        parser.add_argument(
            "--execute",
            "--yes",
            action="store_true",
            help="erase (without it: a dry run that changes nothing)",
        )

    def handle(self, *args, edition, after_days, execute, **options):
        if after_days is None:
            after_days = settings.KONGRES_PURGE_AFTER_DAYS
        if after_days < 0:
            raise CommandError("--after-days must be 0 or more")
        editions = list(purge_editions(after_days=after_days))
        if edition:
            found = Edition.objects.filter(slug=edition).first()
            if found is None:
                raise CommandError(f"no edition with the slug {edition!r}")
            if found not in editions:
                raise CommandError(
                    f"the edition {edition!r} ended on {found.end_date}, not more than "
                    f"{after_days} days ago; nothing erased"
                )
            editions = [found]
        plan = [
            (found, list(purge_candidates(edition=found).values_list("pk", flat=True)))
            for found in editions
        ]
        total = sum(len(ids) for _found, ids in plan)
        for found, ids in plan:
            self.stdout.write(f"{found.slug} (ended {found.end_date}): {len(ids)} to erase")
        if not execute:
            self.stdout.write(
                f"Dry run: {total} registrations in {len(plan)} editions would be erased; "
                "nothing changed. Run again with --execute to erase them."
            )
            return
        started = time.monotonic()
        done = erased = 0
        note = f"kongres purge --after-days {after_days}"
        self._progress(done, total)
        for found, ids in plan:
            for pk in ids:
                registration = purge_candidates(edition=found).filter(pk=pk).first()
                if registration is not None and registration_erase(
                    registration=registration, actor=None, note=note
                ):
                    erased += 1
                done += 1
                self._progress(done, total)
        if total:
            self.stderr.write("")
        others = f"; {done - erased} were erased meanwhile by others" if done > erased else ""
        self.stdout.write(
            f"Erased {erased} registrations in {len(plan)} editions in "
            f"{time.monotonic() - started:.1f} s{others}."
        )

    def _progress(self, done: int, total: int) -> None:
        if not total or (done % 50 and done != total):
            return
        self.stderr.write(f"\r  {done}/{total} {done * 100 // total}%", ending="")
        self.stderr.flush()
