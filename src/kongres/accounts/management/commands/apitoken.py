import datetime as dt

from django.core.management.base import BaseCommand, CommandError

from kongres.accounts.models import ApiToken
from kongres.accounts.services import AccountsError, api_token_create
from kongres.events.models import Edition


class Command(BaseCommand):
    help = (
        "Create a token of the JSON API (/api/v1/) for an edition and print its key (shown "
        "once; only its hash is kept). The back office does the same under 'API tokens'."
    )

    def add_arguments(self, parser):
        parser.add_argument("edition", help="the edition's slug")
        parser.add_argument("name", help="who uses it, e.g. 'CRM'")
        parser.add_argument(
            "--scope", action="append", choices=ApiToken.Scope.values, required=True
        )
        parser.add_argument("--expires", type=dt.date.fromisoformat, help="YYYY-MM-DD")

    def handle(self, *args, edition, name, scope, expires, **options):
        found = Edition.objects.filter(slug=edition).first()
        if found is None:
            raise CommandError(f"No edition {edition!r}.")
        expires_at = dt.datetime.combine(expires, dt.time.max, dt.UTC) if expires else None
        try:
            _token, secret = api_token_create(
                edition=found, name=name, scopes=scope, expires_at=expires_at, actor=None
            )
        except AccountsError as error:
            raise CommandError(str(error.message)) from error
        self.stdout.write(secret)
