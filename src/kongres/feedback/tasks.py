"""Periodic jobs of the feedback survey, run by ``kongres worker``
(``settings.KONGRES_PERIODIC_JOBS``)."""

from kongres.feedback.services import survey_invite_due


def invite_due() -> int:
    """Invite the participants of every open survey whose time has come, once each."""
    return survey_invite_due()
