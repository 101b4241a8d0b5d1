import getpass
import os
import sys

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import DatabaseError
from django.urls import reverse
from django.utils import translation

from kongres.accounts.models import EditionRole
from kongres.accounts.organisers import DEMO_ORGANISER_FILE, demo_organiser_ensure, organiser_create
from kongres.accounts.services import role_ensure
from kongres.core.exceptions import KongresError
from kongres.events.models import Edition

PASSWORD_ENV = "KONGRES_ORGANISER_PASSWORD"  # noqa: S105 -- a variable name  # nosec B105


class Command(BaseCommand):
    help = (
        "Create the site's superuser (--superuser; the admin is theirs alone) or the demo "
        "organiser (--demo). Everyone else is invited by an edition's administrator in the "
        "back office (Roles, Invite). The password comes from --password, "
        "KONGRES_ORGANISER_PASSWORD or a prompt."
    )

    def add_arguments(self, parser):
        parser.add_argument("email", nargs="?", help="e-mail address, also the login")
        parser.add_argument("--password", help=f"the password (or set {PASSWORD_ENV})")
        parser.add_argument(
            "--superuser",
            action="store_true",
            help="a superuser, allowed everything (required: other accounts are invited)",
        )
        parser.add_argument(
            "--demo",
            action="store_true",
            help=(
                "create or keep the demo organiser organizator@example.org, whose password is "
                f"kept in DATA_DIR/{DEMO_ORGANISER_FILE}"
            ),
        )

    def handle(self, *args, email, password, superuser, demo, **options):
        try:
            if demo:
                if email or password or superuser:
                    raise CommandError("--demo takes no e-mail, password or --superuser")
                self._demo()
                return
            if not email:
                raise CommandError("give the organiser's e-mail address (or --demo)")
            if not superuser:
                raise CommandError(
                    "only a superuser is made here (--superuser); an edition's staff are "
                    "invited by its administrator in the back office (Roles, Invite)"
                )
            password = password or os.environ.get(PASSWORD_ENV) or self._ask_password()
            user = organiser_create(email=email, password=password, superuser=superuser)
        except KongresError as error:
            raise CommandError(str(error.message)) from error
        except DatabaseError as error:
            raise CommandError(
                f"the database is not ready ({str(error).splitlines()[0]}); "
                "run `kongres migrate` first"
            ) from error
        with translation.override(settings.LANGUAGE_CODE):  # the addresses without /en/
            admin_url = settings.SITE_URL + reverse("admin:index")
            orga_url = settings.SITE_URL + reverse("orga:index")
        self.stdout.write(
            f"Superuser {user.username} created; log in at {admin_url} (the admin) "
            f"or {orga_url} (the back office, where you invite the edition's staff)"
        )

    def _demo(self) -> None:
        demo = demo_organiser_ensure(data_dir=settings.DATA_DIR)
        # the demo organiser runs every edition loaded (the demo's) in the back office
        for edition in Edition.objects.all():
            role_ensure(edition=edition, user=demo.user, role=EditionRole.Role.ADMIN)
        with translation.override(settings.LANGUAGE_CODE):  # the addresses without /en/
            admin_url = settings.SITE_URL + reverse("admin:index")
            orga_url = settings.SITE_URL + reverse("orga:index")
        self.stdout.write(
            "\n"
            "  Organiser login (demo)\n"
            f"    back office: {orga_url}\n"
            f"    admin:    {admin_url}\n"
            f"    user:     {demo.user.username}\n"
            f"    password: {demo.password}\n"
            f"  (kept in {settings.DATA_DIR / DEMO_ORGANISER_FILE})\n"
        )

    def _ask_password(self) -> str:
        if not sys.stdin.isatty():
            raise CommandError(
                f"no password: give --password, set {PASSWORD_ENV} or run this in a terminal"
            )
        try:
            password = getpass.getpass("Password: ")
            again = getpass.getpass("Password (again): ")
        except (EOFError, KeyboardInterrupt) as error:
            raise CommandError("cancelled") from error
        if password != again:
            raise CommandError("the two passwords differ")
        if not password:
            raise CommandError("the password is empty")
        return password
