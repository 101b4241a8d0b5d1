"""Periodic jobs of the privacy app, run by ``kongres worker`` (see
``settings.KONGRES_PERIODIC_JOBS``)."""

from kongres.privacy.retention import logs_purge, purge_run
from kongres.privacy.speakers import upload_link_emails_purge


def purge_due() -> int:
    """Erase the personal data the retention rules no longer allow to keep (``retention``,
    and speakers' addresses on old upload links: ``speakers``)."""
    return purge_run() + upload_link_emails_purge()


def logs_purge_due() -> int:
    """Delete the API's Idempotency-Key answers and the webhook delivery log past their
    retention (``retention.logs_purge``); how many rows."""
    return sum(logs_purge().values())
