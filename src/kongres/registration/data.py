"""What a registration is made of, as the services take it: the answers of the form
(``RegistrationData``) and the parts of an edition the caller has already read
(``EditionParts``)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from kongres.events.models import Day, Track
from kongres.registration.models import Question


@dataclass
class RegistrationData:
    first_name: str
    last_name: str
    email: str
    institution: str = ""
    position: str = ""
    sector: str = ""
    town: str = ""
    voivodeship: str = ""
    municipality_size: str = ""
    day_ids: list[int] = field(default_factory=list)
    track_ids: list[int] = field(default_factory=list)
    accessibility_needs: list[str] = field(default_factory=list)
    accessibility_other: str = ""
    dietary_needs: str = ""
    privacy_consent: bool = False
    photo_consent: bool = False
    newsletter_consent: bool = False
    answers: dict[str, object] = field(default_factory=dict)
    language: str = "pl"


@dataclass(frozen=True)
class EditionParts:
    """The days, panels and questions of an edition as the caller has just read them (the
    registration form view does): ``registration_create`` checks the answers against these
    instead of reading them again."""

    days: Sequence[Day]
    tracks: Sequence[Track]
    questions: Sequence[Question]
    # draw mode before the draw: a registration now is an application (what the page after the
    # form says; the seat itself is decided on the seat pools' fresh read)
    seats_closed: bool = False
    # whether the edition has an active webhook subscription (read with the parts; a change of
    # the subscriptions bumps the content generation): without one, a participant's
    # registration on PostgreSQL is one statement with no transaction around it. True when
    # not read: the webhooks' own read decides.
    subscribed: bool = True
    # the privacy notice's version, when read with the parts (``registration_create_parts``);
    # None: ``registration_create`` reads it
    privacy_notice_version: str | None = None
    # the verification mail's stencils (``registration.mails.stencil_loads``) by language and
    # status, when read with the parts; one that is not here is read with the mail
    stencils: Mapping[tuple[str, str], tuple[str, str, str]] = field(default_factory=dict)
