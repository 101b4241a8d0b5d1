"""What a registration form sent, checked as the last word (the form checks it too) and
normalised; the privacy notice version a consent refers to."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import connection
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from kongres.content.models import PrivacyNoticeVersion
from kongres.core.cache import memoized, memoized_many
from kongres.events.models import Day, Edition, Track
from kongres.events.selectors import edition_current, edition_memo_key
from kongres.registration import mails, selectors
from kongres.registration.choices import (
    AccessibilityNeed,
    MunicipalitySize,
    QuestionKind,
    Sector,
    Voivodeship,
)
from kongres.registration.data import EditionParts, RegistrationData
from kongres.registration.exceptions import RegistrationError
from kongres.registration.models import (
    Question,
)

_UPDATABLE_FIELDS = (
    "first_name",
    "last_name",
    "institution",
    "position",
    "sector",
    "town",
    "voivodeship",
    "municipality_size",
    "accessibility_needs",
    "accessibility_other",
    "dietary_needs",
    "photo_consent",
    "newsletter_consent",
    "answers",
    "language",
)


def _clean(
    edition: Edition,
    data: RegistrationData,
    *,
    participant: bool,
    parts: EditionParts | None = None,
) -> RegistrationData:
    """Check what the form sent (the form checks it too; this is the last word) and return it
    normalised. Raises "invalid" with a message naming the problem. The days, panels and
    questions are ``parts`` when given, else read."""

    def invalid(message) -> RegistrationError:
        return RegistrationError(message, "invalid")

    first_name, last_name = data.first_name.strip(), data.last_name.strip()
    if not first_name or not last_name:
        raise invalid(_("Enter your first and last name."))
    email = data.email.strip()
    try:
        validate_email(email)
    except ValidationError as error:
        raise invalid(_("Enter a valid e-mail address.")) from error
    local, _at, domain = email.rpartition("@")
    email = f"{local}@{domain.lower()}"
    for value, choices, label in (
        (data.sector, Sector, _("sector")),
        (data.voivodeship, Voivodeship, _("voivodeship")),
        (data.municipality_size, MunicipalitySize, _("size of the municipality")),
    ):
        if value and value not in choices.values:
            raise invalid(_("Choose a %(field)s from the list.") % {"field": label})
    if not set(data.accessibility_needs) <= set(AccessibilityNeed.values):
        raise invalid(_("Choose accessibility needs from the list."))
    languages = {code for code, _name in settings.LANGUAGES}
    language = data.language if data.language in languages else settings.LANGUAGE_CODE
    if participant and not data.privacy_consent:
        raise invalid(_("Please accept the privacy notice."))

    try:
        day_ids = sorted(set(map(int, data.day_ids)))
        track_ids = sorted(set(map(int, data.track_ids)))
    except (TypeError, ValueError) as error:
        raise invalid(_("Choose days and panels from the list.")) from error
    if parts is not None:
        edition_days = {day.pk: day.date for day in parts.days}
    else:
        edition_days = dict(Day.objects.filter(edition=edition).values_list("pk", "date"))
    if not set(day_ids) <= set(edition_days):
        raise invalid(_("Choose days of this edition."))
    if edition_days and not day_ids:
        raise invalid(_("Choose at least one day."))
    day_ids.sort(key=edition_days.__getitem__)  # date order, the lock order of the day pools
    if parts is not None:
        tracks_ok = set(track_ids) <= {track.pk for track in parts.tracks}
    else:
        tracks_ok = not track_ids or Track.objects.filter(
            edition=edition, pk__in=track_ids
        ).count() == len(track_ids)
    if not tracks_ok:
        raise invalid(_("Choose panels of this edition."))

    return RegistrationData(
        first_name=first_name[:100],
        last_name=last_name[:100],
        email=email,
        institution=data.institution.strip()[:200],
        position=data.position.strip()[:150],
        sector=data.sector,
        town=data.town.strip()[:100],
        voivodeship=data.voivodeship,
        municipality_size=data.municipality_size,
        day_ids=day_ids,
        track_ids=track_ids,
        accessibility_needs=sorted(set(data.accessibility_needs)),
        accessibility_other=data.accessibility_other.strip(),
        dietary_needs=data.dietary_needs.strip(),
        privacy_consent=bool(data.privacy_consent),
        photo_consent=bool(data.photo_consent),
        newsletter_consent=bool(data.newsletter_consent),
        answers=_clean_answers(
            edition,
            data.answers,
            participant=participant,
            questions=parts.questions if parts is not None else None,
        ),
        language=language,
    )


def _clean_answers(
    edition: Edition,
    answers: dict,
    *,
    participant: bool,
    questions: Sequence[Question] | None = None,
) -> dict:
    """Keep the answers to the questions asked (in the form the kind says); a required
    question asked must be answered (organisers adding someone may leave it open)."""
    if questions is None:
        questions = selectors.question_list(edition=edition)
    clean: dict[str, object] = {}
    for question in questions:  # in order, so that a dependency is checked before its dependant
        if question.depends_on_id is not None and not question.is_asked(clean):
            continue
        value = _clean_answer(question, answers.get(question.slug))
        if value in (None, "", []):
            if question.required and participant:
                raise RegistrationError(
                    _("Please answer: %(question)s") % {"question": question.label}, "invalid"
                )
            continue
        clean[question.slug] = value
    return clean


def _clean_answer(question: Question, value: object) -> object:
    def invalid() -> RegistrationError:
        return RegistrationError(
            _("The answer to “%(question)s” is not one of the choices.")
            % {"question": question.label},
            "invalid",
        )

    if value is None:
        return None
    if question.kind == QuestionKind.YESNO:
        if isinstance(value, bool):
            return value
        if value in ("yes", "no"):
            return value == "yes"
        raise invalid()
    if question.kind == QuestionKind.MULTIPLE:
        values = [str(item) for item in (value if isinstance(value, list | tuple) else [value])]
        if not set(values) <= set(question.choice_values):
            raise invalid()
        return [item for item in question.choice_values if item in values]  # the choices' order
    value = str(value).strip()
    if question.kind == QuestionKind.SINGLE and value and value not in question.choice_values:
        raise invalid()
    return value[:2000]


PRIVACY_NOTICE_MEMO_KEY = "registration:privacy-notice"


def registration_create_parts(
    *, edition_id: int, language: str = "", now: dt.datetime | None = None
) -> tuple[Edition, EditionParts]:
    """The edition, its days, panels and questions (``edition_form_parts``), the privacy
    notice's version (``_privacy_notice_version``) and, with ``language``, the verification
    mail's stencils in that language, in one round trip to the cache, for a caller of
    ``registration_create`` that has only the edition's id (the API)."""
    loaded: list[Edition] = []

    def edition_load() -> Edition:
        loaded.append(Edition.objects.get(pk=edition_id))
        return loaded[0]

    def edition_loaded() -> Edition:
        # the edition as loaded just before (else read: its related rows point to it)
        return loaded[0] if loaded else Edition.objects.get(pk=edition_id)

    loads = {
        edition_memo_key(edition_id): edition_load,
        selectors.form_parts_memo_key(edition_id): lambda: selectors.form_parts_load(
            edition_loaded()
        ),
        PRIVACY_NOTICE_MEMO_KEY: lambda: _privacy_notice_store(now or timezone.now()),
    }
    language = language if _stencils_used() else ""
    if language:
        loads |= mails.stencil_loads(edition_id, language, edition_loaded)
    edition, found, version, *stencils = memoized_many(loads)
    return edition, _parts(edition, found, version, language, stencils)


def _stencils_used() -> bool:
    """Whether a participant's registration fills in its mail from a stencil: on PostgreSQL,
    where the registration function writes the mail (the ORM path renders its mail)."""
    return connection.vendor == "postgresql"


def _parts(
    edition: Edition, found: tuple, version: str | None, language: str, stencils: list
) -> EditionParts:
    """The parts read through ``memoized_many``: ``found`` as ``form_parts_load`` gives it, the
    stencils as ``mails.stencil_loads`` (in ``language``; "": none read)."""
    return selectors.form_parts_of(
        found,
        privacy_notice_version=version,
        stencils=mails.stencils_of(edition, language, stencils) if language else {},
    )


CURRENT_FORM_MEMO_KEY = "registration:current-form:2"  # 2: the parts with "subscribed"


def registration_current_parts(
    *, privacy: bool = False, language: str = "", now: dt.datetime | None = None
) -> tuple[Edition | None, EditionParts | None]:
    """The edition the public site shows (``events.selectors.edition_current``, as
    ``request.edition``) with its days, panels and questions in one round trip to the cache:
    what the registration form's page and the form sent need before the database. For the
    form sent, with ``privacy`` the privacy notice's version (reading it may store the notice's
    text, and a GET writes nothing) and with ``language`` the verification mail's stencils in
    that language, in the same round trip. The edition and its parts are kept under one key,
    so they are always of the same edition. (None, None) without an edition."""
    loaded: list[tuple] = []

    def current_load() -> tuple[Edition | None, tuple | None]:
        edition = edition_current()
        loaded.append((edition, selectors.form_parts_load(edition) if edition else None))
        return loaded[0]

    def edition_loaded() -> Edition | None:
        return loaded[0][0] if loaded else edition_current()

    loads = {CURRENT_FORM_MEMO_KEY: current_load}
    if privacy:
        loads[PRIVACY_NOTICE_MEMO_KEY] = lambda: _privacy_notice_store(now or timezone.now())
    language = language if _stencils_used() else ""
    if language:
        loads |= mails.stencil_loads("current", language, edition_loaded)
    (edition, found), *rest = memoized_many(loads)
    if edition is None:
        return None, None
    version = rest.pop(0) if privacy else None
    return edition, _parts(edition, found, version, language, rest)


def _privacy_notice_version(now: dt.datetime) -> str:
    """The fingerprint of the privacy notice now shown ("" without one), its text kept as a
    ``PrivacyNoticeVersion`` the first time a consent refers to it. Stored before the consent's
    own transaction (a text kept that nobody consented to in the end does no harm) and kept in
    the cache while the content is unchanged (``memoized``: editing the page bumps the content
    generation), so a registration spends no query on it."""
    return memoized(PRIVACY_NOTICE_MEMO_KEY, lambda: _privacy_notice_store(now))


def _privacy_notice_store(now: dt.datetime) -> str:
    texts = selectors.privacy_notice_texts()
    version = selectors.privacy_fingerprint(texts)
    if version:
        PrivacyNoticeVersion.objects.bulk_create(
            [PrivacyNoticeVersion(fingerprint=version, first_seen_at=now, **texts)],
            ignore_conflicts=True,
        )
    return version
