"""Periodic jobs of the registration app, run by ``kongres worker`` (see
``settings.KONGRES_PERIODIC_JOBS``)."""

from kongres.registration.services import registration_expire_due


def expire_due() -> int:
    """End holds and offers whose time has passed and offer their seats to the waiting list."""
    return registration_expire_due()


def draw_due() -> int:
    """Run the draws whose configured time has come (allocation by draw)."""
    from kongres.registration.services.draw import draw_due as run  # noqa: PLC0415

    return run()


def reconfirmation_due() -> int:
    """Run the reconfirmation rounds: questions, reminders, warnings, the deadline."""
    from kongres.registration.services.reconfirm import reconfirmation_due as run  # noqa: PLC0415

    return run()
