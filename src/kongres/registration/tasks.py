"""Periodic jobs of the registration app, run by ``kongres worker`` (see
``settings.KONGRES_PERIODIC_JOBS``)."""

from kongres.registration.services import registration_expire_due


def expire_due() -> int:
    """End holds and offers whose time has passed and offer their seats to the waiting list."""
    return registration_expire_due()
