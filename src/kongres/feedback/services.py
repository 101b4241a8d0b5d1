"""Every change of the feedback survey: build it (``survey_save``, ``question_save``,
``question_delete``), open or close it (``survey_status_change``), invite the participants
(``survey_invite``: by the worker after the event, or an organiser's button; nobody twice) and
take one anonymous response per invitation (``survey_response_submit``). How anonymity is kept
is the docstring of ``models``."""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.contrib.auth.base_user import AbstractBaseUser
from django.db import transaction
from django.db.models import Exists, OuterRef
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _

from kongres.audit.services import audit_log
from kongres.checkin.models import CheckIn
from kongres.core.exceptions import KongresError
from kongres.core.locks import atomic_bounded
from kongres.events.ics import edition_zone
from kongres.events.models import Edition, Session
from kongres.feedback.models import (
    RATING_MAX,
    RATING_MIN,
    Answer,
    Invitation,
    Question,
    Response,
    Survey,
)
from kongres.mail.services import BulkMail, mail_queue_bulk
from kongres.registration.models import ERASED_DOMAIN, Registration
from kongres.registration.selectors import registration_mail_key

TOKEN_BYTES = 32
MAX_TOKEN_LENGTH = 64
MAX_TEXT_LENGTH = 4000
LANGUAGES = ("pl", "en")


class FeedbackError(KongresError):
    """Codes: invalid, not_open, closed, used, unknown, answered, busy."""

    code = "feedback"

    def __init__(self, message, code: str | None = None, field: str | None = None) -> None:
        super().__init__(message, code)
        self.field = field


def _busy() -> FeedbackError:
    return FeedbackError(
        _("The survey is being changed right now. Please try again in a moment."), "busy"
    )


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def token_looks_valid(token: str) -> bool:
    return (
        0 < len(token) <= MAX_TOKEN_LENGTH
        and token.isascii()
        and all(char.isalnum() or char in "-_" for char in token)
    )


def _actor(actor: AbstractBaseUser | None) -> AbstractBaseUser | None:
    return actor if actor is not None and actor.is_authenticated else None


# -- building ---------------------------------------------------------------------------------


def survey_save(
    *,
    edition: Edition,
    title_pl: str,
    title_en: str = "",
    intro_pl: str = "",
    intro_en: str = "",
    invite_after: dt.datetime | None = None,
    only_attended: bool = True,
    actor: AbstractBaseUser | None,
) -> Survey:
    """Create the edition's survey, or change its texts and invitation settings."""
    if not title_pl.strip():
        raise FeedbackError(_("Write the Polish title."), "invalid", field="title_pl")
    values = {
        "title_pl": title_pl.strip(),
        "title_en": title_en.strip(),
        "intro_pl": intro_pl.strip(),
        "intro_en": intro_en.strip(),
        "invite_after": invite_after,
        "only_attended": only_attended,
    }
    with transaction.atomic():
        survey, created = Survey.objects.select_for_update().get_or_create(
            edition=edition, defaults=values
        )
        before = {} if created else {name: str(getattr(survey, name)) for name in values}
        if not created:
            for name, value in values.items():
                setattr(survey, name, value)
            survey.save()
        audit_log(
            actor=actor,
            action="feedback.survey_create" if created else "feedback.survey_update",
            obj=survey,
            before=before,
            after={name: str(value) for name, value in values.items()},
        )
    return survey


@dataclass(frozen=True)
class QuestionData:
    text_pl: str
    kind: str
    text_en: str = ""
    choices_pl: tuple[str, ...] = ()
    choices_en: tuple[str, ...] = ()
    session_id: int | None = None
    required: bool = False
    order: int = 0


def _choices(data: QuestionData) -> list[dict[str, str]]:
    if data.kind not in {Question.Kind.SINGLE, Question.Kind.MULTIPLE}:
        return []
    labels_pl = [label.strip() for label in data.choices_pl if label.strip()]
    labels_en = [label.strip() for label in data.choices_en if label.strip()]
    if len(labels_pl) < 2:
        raise FeedbackError(
            _("Give at least two choices, one a line."), "invalid", field="choices_pl"
        )
    if labels_en and len(labels_en) != len(labels_pl):
        raise FeedbackError(
            _("Give as many English choices as Polish ones, in the same order, or none."),
            "invalid",
            field="choices_en",
        )
    return [
        {
            "value": str(number),
            "label_pl": label,
            "label_en": labels_en[number - 1] if labels_en else "",
        }
        for number, label in enumerate(labels_pl, start=1)
    ]


def question_save(
    *,
    survey: Survey,
    data: QuestionData,
    question: Question | None = None,
    actor: AbstractBaseUser | None,
) -> Question:
    """Add a question to ``survey`` or change ``question``. Once a question has answers its
    kind and choices stay (the answers refer to them); its texts may be corrected."""
    if not data.text_pl.strip():
        raise FeedbackError(_("Write the question in Polish."), "invalid", field="text_pl")
    if data.kind not in Question.Kind.values:
        raise FeedbackError(_("Choose the kind of question."), "invalid", field="kind")
    if (
        data.session_id is not None
        and not Session.objects.filter(pk=data.session_id, edition=survey.edition_id).exists()
    ):
        raise FeedbackError(_("Choose a session of this edition."), "invalid", field="session")
    choices = _choices(data)
    with transaction.atomic():
        if question is not None:
            question = Question.objects.select_for_update().get(pk=question.pk, survey=survey)
            answered = question.answers.exists()
            if answered and (question.kind != data.kind or question.choices != choices):
                raise FeedbackError(
                    _(
                        "This question has answers already: its kind and choices cannot change "
                        "any more. Correct the texts only, or add a new question."
                    ),
                    "answered",
                    field="kind",
                )
            before = {"text_pl": question.text_pl, "kind": question.kind}
        else:
            question = Question(survey=survey)
            before = {}
        question.text_pl = data.text_pl.strip()
        question.text_en = data.text_en.strip()
        question.kind = data.kind
        question.choices = choices
        question.session_id = data.session_id
        question.required = data.required
        question.order = data.order
        question.save()
        audit_log(
            actor=actor,
            action="feedback.question_save",
            obj=question,
            edition=survey.edition,
            before=before,
            after={"text_pl": question.text_pl, "kind": question.kind},
        )
    return question


def question_delete(*, question: Question, actor: AbstractBaseUser | None) -> None:
    """Delete a question that has no answers yet."""
    with transaction.atomic():
        question = Question.objects.select_for_update().select_related("survey").get(pk=question.pk)
        if question.answers.exists():
            raise FeedbackError(
                _("This question has answers already: it stays, so that the results do."),
                "answered",
            )
        audit_log(
            actor=actor,
            action="feedback.question_delete",
            obj=question,
            edition=question.survey.edition,
            before={"text_pl": question.text_pl, "kind": question.kind},
        )
        question.delete()


def survey_status_change(*, survey: Survey, status: str, actor: AbstractBaseUser | None) -> Survey:
    """Open (invitations may go out, answers are taken) or close the survey, or take it back
    to a draft while nobody is invited yet."""
    if status not in Survey.Status.values:
        raise FeedbackError(_("Unknown state."), "invalid")
    with atomic_bounded(_busy):
        locked = Survey.objects.select_for_update().get(pk=survey.pk)
        if status == Survey.Status.OPEN and not locked.questions.exists():
            raise FeedbackError(_("Add a question before opening the survey."), "invalid")
        if status == Survey.Status.DRAFT and locked.invitations.exists():
            raise FeedbackError(
                _("Participants have been invited: the survey cannot be a draft again."),
                "invalid",
            )
        before = {"status": locked.status}
        locked.status = status
        locked.save(update_fields=["status", "updated_at"])
        audit_log(
            actor=actor,
            action="feedback.survey_status",
            obj=locked,
            before=before,
            after={"status": status},
        )
    survey.refresh_from_db()
    return survey


# -- invitations ------------------------------------------------------------------------------


def survey_invite_after(*, survey: Survey) -> dt.datetime:
    """When the worker invites: ``invite_after``, else the start of the day after the
    edition's last day, in its time zone."""
    if survey.invite_after is not None:
        return survey.invite_after
    day_after = survey.edition.end_date + dt.timedelta(days=1)
    return dt.datetime.combine(
        day_after, dt.time(0, 0), tzinfo=edition_zone(edition=survey.edition)
    )


def survey_invitees(*, survey: Survey):
    """The registrations to invite now: confirmed, the address confirmed and not erased, not
    invited yet, and checked in on at least one day when the survey says so."""
    found = (
        Registration.objects.filter(
            edition=survey.edition_id,
            status=Registration.Status.CONFIRMED,
            verified_at__isnull=False,
        )
        .exclude(email__iendswith=f"@{ERASED_DOMAIN}")
        .exclude(Exists(Invitation.objects.filter(survey=survey, registration=OuterRef("pk"))))
    )
    if survey.only_attended:
        found = found.filter(
            Exists(CheckIn.objects.filter(registration=OuterRef("pk"), result=CheckIn.Result.OK))
        )
    return found.order_by("pk")


def _invitation_mail(
    *, survey: Survey, email: str, first_name: str, language: str, token: str, key: str
) -> BulkMail:
    language = language if language in LANGUAGES else "pl"
    with translation.override(language):
        link = settings.SITE_URL + reverse("feedback:survey", kwargs={"token": token})
        context = {
            "survey_title": survey.title(language),
            "edition_title": survey.edition.title_en
            if language == "en" and survey.edition.title_en
            else survey.edition.title_pl,
            "first_name": first_name,
            "link": link,
            "site_url": settings.SITE_URL,
        }
        subject = " ".join(
            render_to_string("feedback/mail/invitation_subject.txt", context).split()
        )
        context["subject"] = subject
        text = render_to_string("feedback/mail/invitation.txt", context).strip() + "\n"
        html = render_to_string("feedback/mail/invitation.html", context)
    return BulkMail(
        to=email,
        language=language,
        subject=subject,
        body_text=text,
        body_html=html,
        kind="feedback.invitation",
        related=key,
        secrets=[token],
    )


def survey_invite(
    *, survey: Survey, actor: AbstractBaseUser | None = None, now: dt.datetime | None = None
) -> int:
    """Invite every participant ``survey_invitees`` gives, once: an invitation row (the
    token's hash) and a mail through the outbox each, in one transaction; returns how many.
    Safe to repeat and to run twice at once (the survey's row is locked; a unique constraint
    is the second guard): nobody is invited twice."""
    now = now or timezone.now()
    with atomic_bounded(_busy):
        locked = Survey.objects.select_for_update().select_related("edition").get(pk=survey.pk)
        if locked.status != Survey.Status.OPEN:
            raise FeedbackError(_("Open the survey before inviting the participants."), "not_open")
        rows = list(
            survey_invitees(survey=locked).values_list("pk", "email", "first_name", "language")
        )
        invitations, mails = [], []
        for pk, email, first_name, language in rows:
            token = secrets.token_urlsafe(TOKEN_BYTES)
            invitations.append(
                Invitation(
                    survey=locked, registration_id=pk, token_hash=token_hash(token), invited_at=now
                )
            )
            mails.append(
                _invitation_mail(
                    survey=locked,
                    email=email,
                    first_name=first_name,
                    language=language,
                    token=token,
                    key=registration_mail_key(Registration(pk=pk)),
                )
            )
        Invitation.objects.bulk_create(invitations, batch_size=1000)
        if mails:
            mail_queue_bulk(mails=mails)
            audit_log(
                actor=actor,
                action="feedback.invite",
                obj=locked,
                after={"invited": len(mails)},
            )
    return len(mails)


def survey_invite_due(*, now: dt.datetime | None = None) -> int:
    """The worker's periodic job: invite the participants of every open survey whose time has
    come (``survey_invite_after``); returns how many were invited."""
    now = now or timezone.now()
    invited = 0
    for survey in Survey.objects.filter(status=Survey.Status.OPEN).select_related("edition"):
        if survey_invite_after(survey=survey) <= now:
            try:
                invited += survey_invite(survey=survey, now=now)
            except FeedbackError as error:
                if error.code != "busy":  # busy: an organiser's button is inviting right now
                    raise
    return invited


# -- responses --------------------------------------------------------------------------------


def invitation_get_by_token(*, token: str) -> Invitation | None:
    """The invitation of a link (with its survey and edition), or None."""
    if not token_looks_valid(token):
        return None
    return (
        Invitation.objects.select_related("survey", "survey__edition")
        .filter(token_hash=token_hash(token))
        .first()
    )


def _answer(question: Question, value: Any) -> Answer | None:
    """The answer row for ``value`` (as the form cleans it), None when not answered."""
    if value in (None, "", [], ()):
        return None
    if question.kind == Question.Kind.RATING:
        rating = int(value)
        if not RATING_MIN <= rating <= RATING_MAX:
            raise FeedbackError(_("Choose a rating from 1 to 5."), "invalid")
        return Answer(question=question, rating=rating)
    if question.kind == Question.Kind.TEXT:
        return Answer(question=question, text=str(value)[:MAX_TEXT_LENGTH])
    allowed = {choice_value for choice_value, _label in question.choice_list()}
    chosen = [str(item) for item in (value if isinstance(value, list | tuple) else [value])]
    if not set(chosen) <= allowed:
        raise FeedbackError(_("Choose one of the answers given."), "invalid")
    return Answer(question=question, values=chosen)


def survey_response_submit(*, token: str, answers: dict[int, Any]) -> Response:
    """Take the answers (question id → value) given through the link ``token``, once.

    One transaction, with the survey's row locked (submissions of a survey one at a time):
    the invitation is marked used by a conditional update (a second try finds it used:
    ``FeedbackError`` "used"), every used invitation of the survey is rewritten (so that no
    transaction id joins an invitation to its response: ``models``' docstring), and the
    response is inserted with no reference to the invitation."""
    invitation = invitation_get_by_token(token=token)
    if invitation is None:
        raise FeedbackError(_("This link does not open any survey."), "unknown")
    hashed = token_hash(token)
    with atomic_bounded(_busy):
        survey = Survey.objects.select_for_update().get(pk=invitation.survey_id)
        if survey.status != Survey.Status.OPEN:
            raise FeedbackError(_("The survey is closed: thank you all the same."), "closed")
        questions = {question.pk: question for question in survey.questions.all()}
        for pk, question in questions.items():
            if question.required and answers.get(pk) in (None, "", [], ()):
                raise FeedbackError(_("Answer the required questions."), "invalid")
        rows = [_answer(questions[pk], value) for pk, value in answers.items() if pk in questions]
        marked = Invitation.objects.filter(survey=survey, token_hash=hashed, used=False).update(
            used=True
        )
        if not marked:
            raise FeedbackError(_("You have answered this survey already. Thank you!"), "used")
        # every used invitation rewritten in this transaction: see the models' docstring
        Invitation.objects.filter(survey=survey, used=True).update(used=True)
        response = Response.objects.create(survey=survey)
        for row in rows:
            if row is not None:
                row.response = response
        Answer.objects.bulk_create([row for row in rows if row is not None])
    return response
