"""Speakers' e-mail addresses on materials upload links (``kongres.materials.UploadLink``):
kept while the link may be used and ``UPLOAD_LINK_EMAIL_KEEP_DAYS`` days after it expired or
was revoked (the organisers may want to know to whom it went), then erased by the periodic
purge; erased at once on request (``upload_link_email_erase``), with the mails that carried
the links. The materials themselves are published content and stay."""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from kongres.mail.models import OutboxMessage
from kongres.materials.models import UploadLink

UPLOAD_LINK_EMAIL_KEEP_DAYS = 30


def upload_link_emails_purge(*, now: dt.datetime | None = None) -> int:
    """Erase the addresses of links expired or revoked over ``UPLOAD_LINK_EMAIL_KEEP_DAYS``
    days ago; how many links."""
    before = (now or timezone.now()) - dt.timedelta(days=UPLOAD_LINK_EMAIL_KEEP_DAYS)
    old = UploadLink.objects.exclude(email="").filter(
        Q(expires_at__lte=before) | Q(revoked_at__lte=before)
    )
    with transaction.atomic():
        _erase_mails(list(old.values_list("pk", flat=True)))
        return old.update(email="")


def upload_link_email_erase(*, email: str) -> int:
    """Erase ``email`` from every upload link and its mails (a request to erase); how many
    links."""
    links = UploadLink.objects.filter(email__iexact=email.strip())
    with transaction.atomic():
        _erase_mails(list(links.values_list("pk", flat=True)))
        return links.update(email="")


def _erase_mails(link_ids: list[int]) -> None:
    related = [f"materials.uploadlink:{pk}" for pk in link_ids]
    mails = OutboxMessage.objects.filter(kind="materials-link", related__in=related)
    unsent = (OutboxMessage.Status.QUEUED, OutboxMessage.Status.SENDING)
    mails.filter(status__in=unsent).delete()
    mails.update(to="erased@invalid", subject="", body_text="", body_html="", last_error="")
