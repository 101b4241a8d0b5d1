from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.core.validators import validate_email
from django.db import transaction

from kongres.mail.services import mail_queue


class Command(BaseCommand):
    help = "Queue a test message for ADDRESS; `kongres worker` delivers it (see the admin outbox)."

    def add_arguments(self, parser):
        parser.add_argument("address")
        parser.add_argument("--language", default="pl", choices=["pl", "en"])

    def handle(self, *, address: str, language: str, **options) -> None:
        try:
            validate_email(address)
        except ValidationError as error:
            raise CommandError(f"{address!r} is not an e-mail address") from error
        with transaction.atomic():
            message = mail_queue(
                to=address, template="mail/test", context={}, language=language, kind="test"
            )
        self.stdout.write(f"Queued message {message.pk} for {address}.")
