from django.utils.translation import gettext_lazy as _

from kongres.core.exceptions import KongresError


class RegistrationError(KongresError):
    """Codes: not_open, closed, duplicate, invalid, invalid_link, expired, offer_expired,
    no_offer, not_active, deadline, full, wrong_status, conflict, not_confirmed, busy."""

    code = "registration"


def busy() -> RegistrationError:
    """The error of a transaction whose wait for a lock ran out (``atomic_bounded``)."""
    return RegistrationError(
        _("Too many people are registering right now. Please try again in a moment."), "busy"
    )
