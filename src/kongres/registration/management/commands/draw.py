"""``kongres draw run EDITION`` runs an edition's draw now (as the organiser's button does);
``kongres draw verify EDITION --seed SEED`` re-runs a published draw from its published data
and says whether it matches (exit status 1 and MISMATCH when not)."""

from django.core.management.base import BaseCommand, CommandError

from kongres.events.models import Edition
from kongres.registration.exceptions import RegistrationError
from kongres.registration.models import Draw
from kongres.registration.services.draw import draw_run, draw_verify


class Command(BaseCommand):
    help = "Allocation by draw: run an edition's draw, or verify a published one."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        run = sub.add_parser("run", help="run the edition's draw now (once the window closed)")
        run.add_argument("edition", help="the edition's slug")
        verify = sub.add_parser("verify", help="re-run a published draw and compare")
        verify.add_argument("edition", help="the edition's slug")
        verify.add_argument("--seed", required=True, help="the published seed (hexadecimal)")

    def handle(self, *args, action, edition, **options):
        found = Edition.objects.filter(slug=edition).first()
        if found is None:
            raise CommandError(f"no edition with the slug {edition!r}")
        if action == "run":
            try:
                draw = draw_run(edition=found)
            except RegistrationError as error:
                raise CommandError(str(error)) from error
            places = draw.entries.filter(outcome="place").count()
            self.stdout.write(
                f"{found.slug}: {draw.entries.count()} applications, {places} places given "
                f"({draw.algorithm}, seed {draw.seed})"
            )
            return
        draw = Draw.objects.filter(edition=found).first()
        if draw is None:
            raise CommandError(f"{found.slug} has no draw yet")
        result = draw_verify(draw=draw, seed_hex=options["seed"])
        if not result.matches:
            raise CommandError("MISMATCH: " + "; ".join(result.problems))
        self.stdout.write(
            f"match: {draw.entries.count()} applications, {draw.places} places, {draw.algorithm}"
        )
