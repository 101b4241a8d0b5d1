"""Periodic jobs of the campaigns app, run by ``kongres worker`` (see
``settings.KONGRES_PERIODIC_JOBS``)."""

from kongres.campaigns.services import scheduled_mail_due as _due


def scheduled_mail_due() -> int:
    """Queue the planned mails whose time has come."""
    return _due()
