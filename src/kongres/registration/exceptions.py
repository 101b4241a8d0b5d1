from kongres.core.exceptions import KongresError


class RegistrationError(KongresError):
    """Codes: not_open, closed, duplicate, invalid, invalid_link, expired, offer_expired,
    no_offer, not_active, deadline, full, wrong_status, conflict, not_confirmed, busy."""

    code = "registration"
