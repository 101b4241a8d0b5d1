"""Mails sent before the outbox redacted secret links (review 2026-12, M3): blank the links of
registrations in the stored copies of sent mails, and mark queued ones for redaction once sent.
A word of a mail is a link's token when its SHA-256 is a stored token hash."""

import hashlib
import re

from django.db import migrations

WORD = re.compile(r"[A-Za-z0-9_-]{40,64}")
PLACEHOLDER = "[…]"
FIELDS = ("subject", "body_text", "body_html")


def redact(apps, schema_editor):
    RegistrationToken = apps.get_model("registration", "RegistrationToken")
    OutboxMessage = apps.get_model("mail", "OutboxMessage")
    known = set(RegistrationToken.objects.values_list("token_hash", flat=True))
    if not known:
        return
    changed = []
    for message in OutboxMessage.objects.only("pk", "status", "redact", *FIELDS).iterator(2000):
        found = set()

        def replace(match, found=found, sent=message.status == "sent"):
            hashed = hashlib.sha256(match.group(0).encode()).hexdigest()
            if hashed not in known:
                return match.group(0)
            found.add(hashed)
            return PLACEHOLDER if sent else match.group(0)

        for name in FIELDS:
            setattr(message, name, WORD.sub(replace, getattr(message, name)))
        if found:
            message.redact = sorted(set(message.redact or []) | found)
            changed.append(message)
        if len(changed) >= 500:
            OutboxMessage.objects.bulk_update(changed, ["redact", *FIELDS])
            changed = []
    OutboxMessage.objects.bulk_update(changed, ["redact", *FIELDS])


class Migration(migrations.Migration):
    dependencies = [
        ("registration", "0006_token_salt"),
        ("mail", "0007_outbox_redact"),
    ]

    operations = [migrations.RunPython(redact, migrations.RunPython.noop)]
