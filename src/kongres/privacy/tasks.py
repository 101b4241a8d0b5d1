"""Periodic jobs of the privacy app, run by ``kongres worker`` (see
``settings.KONGRES_PERIODIC_JOBS``)."""

from kongres.privacy.retention import purge_run


def purge_due() -> int:
    """Erase the personal data the retention rules no longer allow to keep (``retention``)."""
    return purge_run()
