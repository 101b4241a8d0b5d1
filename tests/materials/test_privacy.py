"""Speakers' addresses on upload links: erased by the periodic purge 30 days after the link
expired or was revoked, and at once on request, with the mails that carried the links."""

from __future__ import annotations

import datetime as dt
import io

from django.core.management import call_command
from django.utils import timezone

from kongres.mail.models import OutboxMessage
from kongres.materials.models import UploadLink
from kongres.materials.services import upload_link_create
from kongres.privacy.speakers import upload_link_email_erase, upload_link_emails_purge
from kongres.privacy.tasks import purge_due


def test_old_link_addresses_are_purged(session, editor):
    old, _ = upload_link_create(
        session=session, email="stara@example.org", language="pl", actor=editor
    )
    fresh, _ = upload_link_create(
        session=session, email="nowa@example.org", language="pl", actor=editor
    )
    UploadLink.objects.filter(pk=old.pk).update(expires_at=timezone.now() - dt.timedelta(days=31))
    assert upload_link_emails_purge() == 1
    assert dict(UploadLink.objects.values_list("pk", "email")) == {
        old.pk: "",
        fresh.pk: "nowa@example.org",
    }
    assert not OutboxMessage.objects.filter(to="stara@example.org").exists()
    assert OutboxMessage.objects.filter(to="nowa@example.org").count() == 1
    assert purge_due() == 0  # nothing left to purge


def test_address_is_erased_on_request(session, editor):
    upload_link_create(session=session, email="Ala@Example.org", language="pl", actor=editor)
    assert upload_link_email_erase(email="ala@example.org") == 1
    assert UploadLink.objects.get().email == ""
    assert not OutboxMessage.objects.filter(to__iexact="ala@example.org").exists()


def test_erase_command(session, editor):
    upload_link_create(session=session, email="ola@example.org", language="pl", actor=editor)
    out = io.StringIO()
    call_command("erase_speaker_email", "ola@example.org", stdout=out)
    assert out.getvalue().strip() == "Erased from 1 upload link(s)."
    assert UploadLink.objects.get().email == ""
