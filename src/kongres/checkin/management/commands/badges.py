from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from kongres.checkin.badges import badges_pdf
from kongres.checkin.selectors import badge_registrations
from kongres.events.models import Edition
from kongres.registration.choices import Sector


class Command(BaseCommand):
    help = (
        "Write the name badges of an edition's confirmed participants to a PDF (eight per A4 "
        "sheet, with cut marks). For large editions, where the web page could time out."
    )

    def add_arguments(self, parser):
        parser.add_argument("edition", help="the edition's slug")
        parser.add_argument("output", type=Path, help="the PDF file to write")
        parser.add_argument("--sector", choices=Sector.values, default="", help="only one sector")
        parser.add_argument("--language", default="pl", choices=["pl", "en"])

    def handle(self, *args, edition, output, sector, language, **options):
        found = Edition.objects.filter(slug=edition).first()
        if found is None:
            raise CommandError(f"no edition with the slug {edition!r}")
        registrations = badge_registrations(edition=found, sector=sector)
        output.write_bytes(
            badges_pdf(edition=found, registrations=registrations, language=language)
        )
        self.stdout.write(f"{len(registrations)} badges written to {output}")
