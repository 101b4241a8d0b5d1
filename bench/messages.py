"""Benchmark of messages to participants (issue 5): 10,000 recipients queued in under 10 s.

    .venv/bin/python -m bench.messages [--rows 10000] [--database-url URL]

Makes 10,000 registrations (bulk_create, edition ``bench-messages`` of the bench database, see
bench/exports.py), then, in a fresh subprocess, writes a message with every placeholder to all
of them and times ``campaign_queue`` (render once per language, a new secret link each, the
outbox rows and their tasks in bulk inserts), with the peak memory. The queued rows are removed
afterwards. Exits 1 when the target is missed.
"""

from __future__ import annotations

import argparse
import json
import sys
import time

from bench.exports import database_url, django_setup, prepare, rss_mb, run_measure

EDITION = "bench-messages"
TARGET_SECONDS = 10.0


def measure(url: str) -> dict:
    django_setup(url)
    from django_tasks_db.models import DBTaskResult

    from kongres.campaigns.models import Campaign
    from kongres.campaigns.services import campaign_create, campaign_queue
    from kongres.events.models import Edition
    from kongres.mail.models import OutboxMessage
    from kongres.registration.models import RegistrationToken

    edition = Edition.objects.get(slug=EDITION)
    campaign = campaign_create(
        edition=edition,
        segment={},
        subject_pl="Zaproszenie, {first_name}",
        body_pl="Dzień dobry, {first_name}!\n\nTwoje zgłoszenie: {personal_link}\n\n"
        "Bilet: {ticket}\n\n**Zażółć gęślą jaźń.**",
        subject_en="Invitation, {first_name}",
        body_en="Hello {first_name}!\n\nYour registration: {personal_link}\n\nTicket: {ticket}",
        transactional=True,  # about the registration itself: every confirmed participant
        actor=None,
    )
    started = time.perf_counter()
    count = campaign_queue(campaign=campaign, actor=None)
    seconds = time.perf_counter() - started
    result = {"kind": "messages", "recipients": count, "seconds": seconds, "rss_mb": rss_mb()}
    messages = OutboxMessage.objects.filter(related=campaign.mail_key)
    DBTaskResult.objects.filter(id__in=list(messages.values_list("task_id", flat=True))).delete()
    messages.delete()
    RegistrationToken.objects.filter(registration__edition=edition).delete()
    Campaign.objects.filter(pk=campaign.pk).delete()
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.messages", description=__doc__)
    parser.add_argument("--rows", type=int, default=10_000)
    parser.add_argument("--database-url", default=database_url())
    parser.add_argument("--measure", choices=["messages"], help=argparse.SUPPRESS)
    options = parser.parse_args(argv)
    if options.measure:
        print(json.dumps(measure(options.database_url)))
        return 0
    prepare(options.database_url, slug=EDITION, rows=options.rows)
    result = run_measure(options.database_url, "messages", trace=False, module="bench.messages")
    ok = result["seconds"] < TARGET_SECONDS
    print(
        f"messages: {result['recipients']:,} recipients queued in {result['seconds']:.2f} s, "
        f"peak RSS {result['rss_mb']:.0f} MB; target < {TARGET_SECONDS:.0f} s: "
        f"{'met' if ok else 'MISSED'}"
    )
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
