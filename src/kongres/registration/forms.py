"""Forms of the public registration pages: register, edit one's answers, ask for one's link.

The forms only parse and check what was typed; ``services`` decide everything else (seats,
windows, duplicates). ``RegistrationForm.to_data()`` turns the cleaned form into the
``RegistrationData`` the services take.
"""

from __future__ import annotations

import time
from collections.abc import Sequence

from django import forms
from django.conf import settings
from django.urls import reverse
from django.utils.functional import lazy
from django.utils.html import format_html
from django.utils.safestring import SafeString
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from kongres.events.models import Day, Edition, Track
from kongres.registration import antibot
from kongres.registration.choices import (
    MunicipalitySize,
    QuestionKind,
    Sector,
    Voivodeship,
)
from kongres.registration.data import RegistrationData
from kongres.registration.fields import (
    OTHER_NEED,
    OTHER_NEED_STORED,
    AccessibleFormMixin,
    Condition,
    EmailField,
    FieldRow,
    LineField,
    NameField,
    TextField,
    _choice_label,
    _max_length,
    accessibility_choices,
    day_label,
)
from kongres.registration.models import Question, Registration

QUESTION_PREFIX = "q_"
TEXT_ANSWER_MAX_LENGTH = 1000
DEFAULT_MIN_FILL_SECONDS = 5


def min_fill_seconds() -> float:
    return float(
        getattr(settings, "KONGRES_REGISTRATION_MIN_FILL_SECONDS", DEFAULT_MIN_FILL_SECONDS)
    )


def _day_label(day: Day, full: bool) -> str:
    if full:
        return f"{day_label(day)} \u2013 {_('no seats left: waiting list')}"
    return day_label(day)


_day_choice_label = lazy(_day_label, str)


def _sector_choices() -> list[tuple[str, str]]:
    return Sector.choices


def _voivodeship_choices() -> list[tuple[str, str]]:
    return [("", _("Choose a voivodeship")), *Voivodeship.choices]


def _municipality_size_choices() -> list[tuple[str, str]]:
    return MunicipalitySize.choices


class RegistrationFieldsForm(AccessibleFormMixin, forms.Form):
    """The participant's answers, shared by the registration and the edit form."""

    first_name = NameField(
        label=_("First name"),
        max_length=_max_length("first_name"),
        widget=forms.TextInput(attrs={"autocomplete": "given-name"}),
    )
    last_name = NameField(
        label=_("Last name"),
        max_length=_max_length("last_name"),
        widget=forms.TextInput(attrs={"autocomplete": "family-name"}),
    )
    email = EmailField(
        label=_("E-mail address"),
        max_length=254,
        help_text=_("We send the link that confirms your registration to this address."),
        widget=forms.EmailInput(attrs={"autocomplete": "email", "spellcheck": "false"}),
    )
    institution = LineField(
        label=_("Institution or organisation"),
        max_length=_max_length("institution"),
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "organization"}),
    )
    position = LineField(
        label=_("Position"),
        max_length=_max_length("position"),
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "organization-title"}),
    )
    # Fixed choices are given as functions: a form copies its fields for each request, and a
    # function is copied as it is, where a list would be copied choice by choice.
    sector = forms.ChoiceField(label=_("Sector"), choices=_sector_choices, widget=forms.RadioSelect)
    town = LineField(
        label=_("Town or city"),
        max_length=_max_length("town"),
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "address-level2"}),
    )
    voivodeship = forms.ChoiceField(
        label=_("Voivodeship"),
        choices=_voivodeship_choices,
        required=False,
        help_text=_("Leave empty if you come from outside Poland."),
        widget=forms.Select(attrs={"autocomplete": "address-level1"}),
    )
    municipality_size = forms.ChoiceField(
        label=_("Size of your municipality"),
        choices=_municipality_size_choices,
        required=False,
        widget=forms.RadioSelect,
    )
    days = forms.TypedMultipleChoiceField(
        label=_("Days you will attend"),
        coerce=int,
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": _("Choose at least one day.")},
    )
    tracks = forms.TypedMultipleChoiceField(
        label=_("Panels you are interested in"),
        coerce=int,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("This helps us plan the rooms; you may attend any panel."),
    )
    accessibility_needs = forms.MultipleChoiceField(
        label=_("Accessibility needs"),
        choices=accessibility_choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    accessibility_other = LineField(
        label=_("Other accessibility needs"),
        max_length=_max_length("accessibility_other", 300),
        required=False,
    )
    dietary_needs = TextField(
        label=_("Dietary needs"),
        max_length=_max_length("dietary_needs", 500),
        required=False,
        help_text=_("For example vegetarian, vegan, gluten-free, allergies."),
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    photo_consent = forms.BooleanField(
        label=_(
            "I agree to be photographed and recorded during the congress and to the "
            "publication of the photos and recordings."
        ),
        required=False,
    )
    newsletter_consent = forms.BooleanField(
        label=_("Send me news about this and future congresses by e-mail."),
        required=False,
    )

    SECTIONS: Sequence[tuple[str, Sequence[str]]] = ()

    def __init__(
        self,
        *args,
        edition: Edition,
        days: Sequence[Day],
        tracks: Sequence[Track],
        questions: Sequence[Question] = (),
        full_day_ids: frozenset[int] = frozenset(),
        **kwargs,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.edition = edition
        self.language = (get_language() or settings.LANGUAGE_CODE).split("-")[0]
        self.days = list(days)
        self.mark_full_days(full_day_ids)
        if not days:
            del self.fields["days"]
        elif len(days) == 1 and not self.is_bound and "days" not in self.initial:
            self.initial["days"] = [days[0].pk]
        self.fields["tracks"].choices = [(track.pk, track.name) for track in tracks]
        if not tracks:
            del self.fields["tracks"]
        self.questions = list(questions)
        self.conditions: dict[str, Condition] = {
            "accessibility_other": Condition(
                parent="accessibility_needs",
                value=OTHER_NEED,
                hint=str(_("Answer only if you chose “other” above.")),
            )
        }
        self._add_question_fields()

    def mark_full_days(self, full_day_ids: frozenset[int]) -> None:
        """Label the days (those in ``full_day_ids`` as having no seat left). The labels are
        made when the form is shown: a form sent and valid only checks the days' ids."""
        if "days" not in self.fields:
            return
        self.fields["days"].choices = [
            (day.pk, _day_choice_label(day, day.pk in full_day_ids)) for day in self.days
        ]

    # -- organisers' questions -------------------------------------------------------------

    def _add_question_fields(self) -> None:
        by_pk = {question.pk: question for question in self.questions}
        for question in self.questions:
            name = QUESTION_PREFIX + question.slug
            self.fields[name] = self._question_field(question)
            parent = by_pk.get(question.depends_on_id) if question.depends_on_id else None
            if parent is not None:
                value_label = self._question_value_label(parent, question.depends_value)
                hint = str(
                    _("Answer only if your answer to “%(question)s” was “%(answer)s”.")
                    % {"question": parent.label, "answer": value_label}
                )
                self.conditions[name] = Condition(
                    parent=QUESTION_PREFIX + parent.slug, value=question.depends_value, hint=hint
                )
                self.fields[name].help_text = hint
            initial = self.initial.get("answers", {}).get(question.slug)
            if isinstance(initial, bool):
                initial = "yes" if initial else "no"
            if initial is not None:
                self.initial[name] = initial

    def _question_choices(self, question: Question) -> list[tuple[str, str]]:
        if question.kind == QuestionKind.YESNO:
            return [("yes", str(_("Yes"))), ("no", str(_("No")))]
        return [
            (str(choice.get("value")), _choice_label(choice, self.language))
            for choice in (question.choices or [])
        ]

    def _question_value_label(self, question: Question, value: str) -> str:
        return dict(self._question_choices(question)).get(value, value)

    def _question_field(self, question: Question) -> forms.Field:
        # Never required at field level: clean() requires it only when its condition holds.
        common = {"label": question.label, "required": False}
        if question.kind == QuestionKind.TEXT:
            field = TextField(
                max_length=TEXT_ANSWER_MAX_LENGTH,
                widget=forms.Textarea(attrs={"rows": 2}),
                **common,
            )
        elif question.kind == QuestionKind.MULTIPLE:
            field = forms.MultipleChoiceField(
                choices=self._question_choices(question),
                widget=forms.CheckboxSelectMultiple,
                **common,
            )
        else:  # single choice, yes/no
            field = forms.ChoiceField(
                choices=self._question_choices(question), widget=forms.RadioSelect, **common
            )
        field.is_required_answer = question.required
        if question.required and not question.depends_on_id:
            field.widget.attrs["required"] = True
        return field

    def _raw_values(self, name: str) -> list[str]:
        if name not in self.fields:
            return []
        value = self[name].data
        if value is None:
            return []
        if isinstance(value, list | tuple):
            return [str(item) for item in value]
        return [str(value)]

    def is_asked(self, name: str, _seen: frozenset[str] = frozenset()) -> bool:
        """Whether the question is asked given the other answers (as typed, so that the page
        and the browser script agree): its parent is asked and was answered with the value."""
        condition = self.conditions.get(name)
        if condition is None:
            return True
        if name in _seen:  # a loop of conditions: ask it
            return True
        return condition.value in self._raw_values(condition.parent) and self.is_asked(
            condition.parent, _seen | {name}
        )

    # -- cleaning --------------------------------------------------------------------------

    def clean(self):
        cleaned = super().clean()
        answers: dict[str, object] = {}
        for question in self.questions:
            name = QUESTION_PREFIX + question.slug
            if not self.is_asked(name):
                self.errors.pop(name, None)  # not asked: what was typed there does not count
                cleaned.pop(name, None)
                continue
            value = cleaned.get(name)
            if value in (None, "", [], ()):
                if question.required and name not in self.errors:
                    self.add_error(name, _("Answer this question."))
                continue
            if question.kind == QuestionKind.YESNO:
                value = value == "yes"
            answers[question.slug] = value
        cleaned["answers"] = answers
        if "accessibility_other" in self.fields:
            other = cleaned.get("accessibility_other", "")
            if not self.is_asked("accessibility_other"):
                cleaned["accessibility_other"] = ""
            elif not other and "accessibility_other" not in self.errors:
                self.add_error(
                    "accessibility_other", _("Tell us what you need, or untick “other”.")
                )
        return cleaned

    def to_data(
        self, *, email: str | None = None, privacy_consent: bool | None = None
    ) -> RegistrationData:
        data = self.cleaned_data
        return RegistrationData(
            first_name=data["first_name"],
            last_name=data["last_name"],
            email=email if email is not None else data["email"],
            institution=data["institution"],
            position=data.get("position", ""),
            sector=data["sector"],
            town=data["town"],
            voivodeship=data["voivodeship"],
            municipality_size=data.get("municipality_size", ""),
            day_ids=list(data.get("days", [])),
            track_ids=list(data.get("tracks", [])),
            accessibility_needs=[
                need
                for need in data.get("accessibility_needs", [])
                if OTHER_NEED_STORED or need != OTHER_NEED
            ],
            accessibility_other=data.get("accessibility_other", ""),
            dietary_needs=data.get("dietary_needs", ""),
            privacy_consent=(
                privacy_consent if privacy_consent is not None else data["privacy_consent"]
            ),
            photo_consent=data.get("photo_consent", False),
            newsletter_consent=data.get("newsletter_consent", False),
            answers=data.get("answers", {}),
            language=self.language,
        )

    # -- presentation ----------------------------------------------------------------------

    def display_order(self) -> list[str]:
        shown = [row.field.name for _title, rows in self.sections() for row in rows]
        return shown + [name for name in self.fields if name not in shown]

    def sections(self) -> list[tuple[str, list[FieldRow]]]:
        """The fields in groups, each group a fieldset on the page; the organisers' questions
        come before the consents."""
        out = []
        for title, names in self.SECTIONS:
            rows = [self._row(name) for name in names if name in self.fields]
            if rows:
                out.append((title, rows))
        questions = [self._row(QUESTION_PREFIX + question.slug) for question in self.questions]
        if questions:
            out.insert(len(out) - 1, (_("Questions from the organisers"), questions))
        return out


def _privacy_link() -> SafeString:
    return format_html(
        '<a href="{}" target="_blank" rel="noopener">{}</a>',
        reverse("content:privacy"),
        _("Read the privacy notice (opens in a new tab)"),
    )


class RegistrationForm(RegistrationFieldsForm):
    """The public registration form, with the checks against bots."""

    privacy_consent = forms.BooleanField(
        label=_(
            "I have read the privacy notice and agree to the processing of my data "
            "for this registration."
        ),
        # made when the form is shown, in its language (a form sent and valid is not)
        help_text=lazy(_privacy_link, SafeString)(),
        error_messages={"required": _("Registration needs your agreement to the privacy notice.")},
    )
    # A field people never see or fill in; simple bots fill in every field.
    homepage = forms.CharField(
        label=_("Leave this field empty"),
        required=False,
        widget=forms.TextInput(attrs={"tabindex": "-1", "autocomplete": "off"}),
    )
    started = forms.CharField(required=False, widget=forms.HiddenInput)

    SECTIONS = (
        (_("About you"), ("first_name", "last_name", "email")),
        (
            _("Where you work"),
            ("institution", "position", "sector", "town", "voivodeship", "municipality_size"),
        ),
        (_("Your participation"), ("days", "tracks")),
        (_("Your needs"), ("accessibility_needs", "accessibility_other", "dietary_needs")),
        (_("Consents"), ("privacy_consent", "photo_consent", "newsletter_consent")),
    )

    def __init__(
        self,
        *args,
        now: float | None = None,
        proof_required: bool = False,
        token_used: tuple[antibot.FormToken | None, bool] | None = None,
        **kwargs,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.now = time.time() if now is None else now
        # past the soft limit of the address: the browser must solve a proof of work
        self.proof_required = proof_required
        # the sent token as the view read it, and whether it was used now for the first time,
        # when the view has used it already (with the rate limits, in one round trip); None:
        # the form reads and uses it
        self._token_used = token_used
        self._token: antibot.FormToken | None = None
        self._token_fresh = False  # the token was genuine and not used before
        self.fields["privacy_consent"].summary_label = _("Privacy notice")

    @staticmethod
    def sign_started(now: float) -> str:
        """A new one-time form token for a form opened at ``now``."""
        return antibot.form_token_new(started=now)

    def started_value(self) -> str:
        """The token to put in the page: a new one, with the start time of the one sent back
        if that was genuine and not a replay (so that a person who sent the form too quickly
        or mistyped can just send it again), else with now."""
        started = self._token.started if self._token and self._token_fresh else self.now
        return self.sign_started(started)

    @staticmethod
    def proof_challenge() -> str:
        """The proof-of-work challenge for the widget (JSON)."""
        return antibot.pow_challenge()

    def clean_homepage(self) -> str:
        if self.cleaned_data.get("homepage"):
            raise forms.ValidationError(
                _("The form could not be sent. Please check your answers and send it again."),
                code="honeypot",
            )
        return ""

    def clean(self):
        cleaned = super().clean()
        if "homepage" in self.errors:  # show it once, at the top
            messages = self.errors.pop("homepage")
            for message in messages:
                self.add_error(None, message)
        if self._token_used is not None:
            self._token, used_now = self._token_used
        else:
            self._token = antibot.form_token_read(self.data.get("started", "") or "")
            used_now = None
        if self._token is None:
            self.add_error(
                None,
                forms.ValidationError(
                    _("The form was incomplete. Please check your answers and send it again."),
                    code="started_missing",
                ),
            )
        elif not (used_now if used_now is not None else antibot.form_token_use(self._token)):
            self.add_error(
                None,
                forms.ValidationError(
                    _("This form was sent already. Please check your answers and send it again."),
                    code="replayed",
                ),
            )
        else:
            self._token_fresh = True
            if self.now - self._token.started < min_fill_seconds():
                self.add_error(
                    None,
                    forms.ValidationError(
                        _(
                            "The form was sent faster than a person can fill it in. Please "
                            "check your answers and send it again."
                        ),
                        code="too_fast",
                    ),
                )
        if self.proof_required and not antibot.pow_verify(self.data.get("altcha", "") or ""):
            self.add_error(
                None,
                forms.ValidationError(
                    _(
                        "Many registrations come from your network just now. Please tick the "
                        "check box “I'm not a robot” above the button and send the form again; "
                        "your browser then solves a small puzzle."
                    ),
                    code="proof",
                ),
            )
        return cleaned


class RegistrationEditForm(RegistrationFieldsForm):
    """The answers a participant may change after registering (not the e-mail address, not
    the privacy consent)."""

    SECTIONS = (
        (_("About you"), ("first_name", "last_name")),
        (
            _("Where you work"),
            ("institution", "position", "sector", "town", "voivodeship", "municipality_size"),
        ),
        (_("Your participation"), ("days", "tracks")),
        (_("Your needs"), ("accessibility_needs", "accessibility_other", "dietary_needs")),
        (_("Consents"), ("photo_consent", "newsletter_consent")),
    )

    def __init__(self, *args, registration: Registration, **kwargs) -> None:
        kwargs.setdefault("initial", registration_initial(registration))
        super().__init__(*args, **kwargs)
        self.registration = registration
        del self.fields["email"]

    def to_data(self) -> RegistrationData:  # type: ignore[override]
        # No new privacy consent here: the one given at registration (with the version of the
        # notice then shown) stays as it was.
        data = super().to_data(email=self.registration.email, privacy_consent=False)
        data.language = self.registration.language
        return data


def registration_initial(registration: Registration) -> dict:
    return {
        "first_name": registration.first_name,
        "last_name": registration.last_name,
        "institution": registration.institution,
        "position": registration.position,
        "sector": registration.sector,
        "town": registration.town,
        "voivodeship": registration.voivodeship,
        "municipality_size": registration.municipality_size,
        "days": [day.pk for day in registration.days.all()],
        "tracks": [track.pk for track in registration.tracks.all()],
        "accessibility_needs": [
            *(registration.accessibility_needs or []),
            *([OTHER_NEED] if registration.accessibility_other and not OTHER_NEED_STORED else []),
        ],
        "accessibility_other": registration.accessibility_other,
        "dietary_needs": registration.dietary_needs,
        "photo_consent": registration.photo_consent,
        "newsletter_consent": registration.newsletter_consent,
        "answers": dict(registration.answers or {}),
    }


class LinkRequestForm(AccessibleFormMixin, forms.Form):
    """ "I lost my link": the e-mail address used to register."""

    email = EmailField(
        label=_("E-mail address"),
        max_length=254,
        widget=forms.EmailInput(attrs={"autocomplete": "email", "spellcheck": "false"}),
    )
