"""``kongres erase_speaker_email <address>``: a speaker's request to erase their address from
the materials upload links (and the mails that carried them)."""

from django.core.management.base import BaseCommand

from kongres.privacy.speakers import upload_link_email_erase


class Command(BaseCommand):
    help = "Erase a speaker's e-mail address from every materials upload link and its mails."

    def add_arguments(self, parser):
        parser.add_argument("email")

    def handle(self, *args, email: str, **options):
        count = upload_link_email_erase(email=email)
        self.stdout.write(f"Erased from {count} upload link(s).")
