from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import DatabaseError
from django.urls import reverse
from django.utils import timezone, translation

from kongres.demo.after import demo_after, demo_after_today
from kongres.demo.archive import demo_archive_load
from kongres.demo.draw import demo_draw
from kongres.demo.loader import demo_load


class Command(BaseCommand):
    help = (
        "Load the demo edition (IV Kongres Polityki Miejskiej i Regionalnej, in Polish and "
        "English). Running it again changes nothing. Its pages link to site_url (make demo: "
        "http://127.0.0.1:PORT)."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--as-published",
            action="store_true",
            help="use the announcement's own dates (2024) and archive the edition",
        )
        parser.add_argument(
            "--draw",
            action="store_true",
            help="switch the edition to allocation by draw, with 2,000 invented applicants, "
            "and run the draw",
        )

        parser.add_argument(
            "--after",
            action="store_true",
            help="the demo after the congress (it ended yesterday): invented participants "
            "checked in, their certificates of attendance issued",
        )

    def handle(self, *args, as_published: bool, draw: bool = False, after: bool = False, **options):
        if after and (as_published or draw):
            raise CommandError("--after goes with neither --as-published nor --draw")
        today = timezone.localdate()
        try:
            result = demo_load(
                today=demo_after_today(today=today) if after else today,
                as_published=as_published,
            )
        except DatabaseError as error:
            first_line = str(error).splitlines()[0] if str(error) else type(error).__name__
            raise CommandError(
                f"the database is not ready ({first_line}); run `kongres migrate` first"
            ) from error
        edition = result.edition
        demo_archive_load(edition=edition)  # a past edition, so that the archive shows one
        days = ", ".join(day.date.isoformat() for day in result.days)
        with translation.override("pl"):
            planned = reverse("orga:scheduled-list", kwargs={"edition": edition.slug})
            asking = reverse("orga:reconfirmation", kwargs={"edition": edition.slug})
        changed = f"{result.changed} rows" if result.changed else "nothing (already loaded)"
        self.stdout.write(
            f"Demo loaded: {edition.title_pl} ({edition.status})\n"
            f"  days:      {days}\n"
            f"  sessions:  {result.session_count}\n"
            f"  news post: {result.news_post.title_pl}"
            f" ({timezone.localtime(result.news_post.published_at):%Y-%m-%d %H:%M})\n"
            f"  changed:   {changed}\n"
            f"  site:      {settings.SITE_URL}/\n"
            f"  planned:   {settings.SITE_URL}{planned} (scheduled mails),\n"
            f"             {settings.SITE_URL}{asking} (reconfirmation round)"
        )
        if draw:
            done = demo_draw(edition=edition)
            places = done.entries.filter(outcome="place").count()
            self.stdout.write(
                f"Draw: {done.entries.count()} applications, {places} places "
                f"({done.algorithm})\n"
                f"  public page: {settings.SITE_URL}/rejestracja/losowanie/\n"
                f"  verify:      kongres draw verify {edition.slug} --seed {done.seed}"
            )
        if after:
            for line in demo_after(edition=edition).lines:
                self.stdout.write(line)
