"""The feedback survey of an edition: its questions (about the edition, or about one session),
the invitations (one per participant, by a secret link) and the anonymous responses.

Anonymity by design (issue 20): nothing stored joins a response to a person, not even for
someone who reads the database itself.

* ``Invitation`` is personal data (it names the registration); it keeps only the SHA-256 of
  its token and a ``used`` flag, no time of use.
* ``Response`` and ``Answer`` have no foreign key to an invitation or a registration, no
  timestamp and no language; a response's key is a random UUID, so that its key says nothing
  about the order of the responses either.
* PostgreSQL stamps every row version with the id of the transaction that wrote it (the system
  column ``xmin``): the response and the invitation marked used in the same transaction would
  share it. So the submission rewrites *every* used invitation of the survey in that
  transaction (``services.survey_response_submit``): afterwards all of them carry the newest
  transaction's id, which matches only the newest response — that is, it tells which of the
  used invitations none. Submissions of one survey are serialised by a lock on the survey's
  row, so two of them never rewrite the same rows in opposite orders. (Dead row versions stay
  on disk until VACUUM; reading them needs a superuser's forensic tools, and a web server's
  access log holds the link and its time: both are outside what the application stores.)
* Questions are shown to everyone alike (the per-session ones are not filtered by the check-ins
  of the person), so the set of questions answered does not point at anyone either.
"""

from __future__ import annotations

import uuid

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from kongres.core.models import TimeStampedModel
from kongres.events.models import Edition, Session
from kongres.registration.models import Registration

RATING_MIN, RATING_MAX = 1, 5


def _in_language(obj, name: str, language: str | None = None) -> str:
    language = (language or get_language() or "pl").split("-")[0]
    if language == "en":
        return getattr(obj, f"{name}_en") or getattr(obj, f"{name}_pl")
    return getattr(obj, f"{name}_pl")


class Survey(TimeStampedModel):
    """The edition's survey. Draft: organisers build it; open: invitations go out (the worker,
    from ``invite_after``, or an organiser's button) and answers are taken; closed: no more
    answers, the results stay."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("draft")
        OPEN = "open", _("open")
        CLOSED = "closed", _("closed")

    edition = models.OneToOneField(
        Edition, on_delete=models.CASCADE, related_name="survey", verbose_name=_("edition")
    )
    title_pl = models.CharField(_("title (Polish)"), max_length=200)
    title_en = models.CharField(_("title (English)"), max_length=200, blank=True)
    intro_pl = models.TextField(_("introduction (Polish)"), blank=True)
    intro_en = models.TextField(_("introduction (English)"), blank=True)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.DRAFT
    )
    invite_after = models.DateTimeField(
        _("invite after"),
        null=True,
        blank=True,
        help_text=_("Empty: the day after the congress's last day."),
    )
    only_attended = models.BooleanField(
        _("invite only those who came"),
        default=True,
        help_text=_("Only participants checked in on at least one day are invited."),
    )

    class Meta:
        verbose_name = _("feedback survey")
        verbose_name_plural = _("feedback surveys")

    def __str__(self) -> str:
        return self.title_pl

    def title(self, language: str | None = None) -> str:
        return _in_language(self, "title", language)

    def intro(self, language: str | None = None) -> str:
        return _in_language(self, "intro", language)


class Question(models.Model):
    """One question: about the edition (``session`` empty) or one of its sessions. Choices are
    ``[{"value": "1", "label_pl": …, "label_en": …}, …]``."""

    class Kind(models.TextChoices):
        RATING = "rating", _("rating from 1 to 5")
        SINGLE = "single", _("one choice")
        MULTIPLE = "multiple", _("several choices")
        TEXT = "text", _("free text")

    survey = models.ForeignKey(
        Survey, on_delete=models.CASCADE, related_name="questions", verbose_name=_("survey")
    )
    session = models.ForeignKey(
        Session,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="feedback_questions",
        verbose_name=_("session"),
    )
    text_pl = models.CharField(_("question (Polish)"), max_length=300)
    text_en = models.CharField(_("question (English)"), max_length=300, blank=True)
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices, default=Kind.RATING)
    choices = models.JSONField(_("choices"), default=list, blank=True)
    required = models.BooleanField(_("required"), default=False)
    order = models.PositiveSmallIntegerField(_("order"), default=0)

    class Meta:
        verbose_name = _("survey question")
        verbose_name_plural = _("survey questions")
        ordering = ["order", "pk"]

    def __str__(self) -> str:
        return self.text_pl

    def text(self, language: str | None = None) -> str:
        return _in_language(self, "text", language)

    def choice_list(self, language: str | None = None) -> list[tuple[str, str]]:
        """(value, label) of each choice in ``language`` (Polish when there is no English)."""
        language = (language or get_language() or "pl").split("-")[0]
        return [
            (
                str(choice["value"]),
                str(choice.get(f"label_{language}") or choice.get("label_pl") or choice["value"]),
            )
            for choice in self.choices
        ]

    @property
    def has_choices(self) -> bool:
        return self.kind in {self.Kind.SINGLE, self.Kind.MULTIPLE}


class Invitation(models.Model):
    """One participant's invitation: personal data (it names the registration). Only the
    token's SHA-256 is kept, and whether it was used — never when, never which response (see
    the module's docstring). Erasure (``kongres.privacy``) empties ``registration`` and
    ``token_hash``, keeping the row for the response rate."""

    survey = models.ForeignKey(
        Survey, on_delete=models.CASCADE, related_name="invitations", verbose_name=_("survey")
    )
    registration = models.ForeignKey(
        Registration,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="survey_invitations",
        verbose_name=_("registration"),
    )
    token_hash = models.CharField(  # NULL once erased (unique among the others)
        _("SHA-256 of the token"), max_length=64, unique=True, null=True, blank=True
    )
    used = models.BooleanField(_("answered"), default=False)
    invited_at = models.DateTimeField(_("invited"))

    class Meta:
        verbose_name = _("survey invitation")
        verbose_name_plural = _("survey invitations")
        constraints = [
            models.UniqueConstraint(
                fields=["survey", "registration"], name="feedback_invitation_once"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.survey_id}: {self.registration_id}"


class Response(models.Model):
    """One anonymous response: no person, no invitation, no time (see the module's docstring)."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    survey = models.ForeignKey(
        Survey, on_delete=models.CASCADE, related_name="responses", verbose_name=_("survey")
    )

    class Meta:
        verbose_name = _("survey response")
        verbose_name_plural = _("survey responses")

    def __str__(self) -> str:
        return str(self.pk)


class Answer(models.Model):
    """The answer to one question in one response: a rating, the values chosen, or a text."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    response = models.ForeignKey(
        Response, on_delete=models.CASCADE, related_name="answers", verbose_name=_("response")
    )
    question = models.ForeignKey(
        Question, on_delete=models.CASCADE, related_name="answers", verbose_name=_("question")
    )
    rating = models.PositiveSmallIntegerField(
        _("rating"),
        null=True,
        blank=True,
        validators=[MinValueValidator(RATING_MIN), MaxValueValidator(RATING_MAX)],
    )
    values = models.JSONField(_("chosen"), default=list, blank=True)
    text = models.TextField(_("text"), blank=True)

    class Meta:
        verbose_name = _("answer")
        verbose_name_plural = _("answers")
        constraints = [
            models.UniqueConstraint(fields=["response", "question"], name="feedback_answer_once"),
            models.CheckConstraint(
                condition=models.Q(rating__isnull=True)
                | models.Q(rating__gte=RATING_MIN, rating__lte=RATING_MAX),
                name="feedback_answer_rating_range",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.question_id}"
