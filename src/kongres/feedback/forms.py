"""The participant's answer form (one field a question, in the page's language) and the
organisers' forms for the survey and its questions."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from kongres.events.models import Session
from kongres.feedback.models import RATING_MAX, RATING_MIN, Question, Survey
from kongres.feedback.services import MAX_TEXT_LENGTH, QuestionData
from kongres.registration.fields import AccessibleFormMixin, FieldRow, TextField

FIELD_PREFIX = "q_"
RATING_LABELS = {
    1: _("1 - very poor"),
    2: _("2 - poor"),
    3: _("3 - fair"),
    4: _("4 - good"),
    5: _("5 - very good"),
}


def field_name(question: Question) -> str:
    return f"{FIELD_PREFIX}{question.pk}"


class AnswerForm(AccessibleFormMixin, forms.Form):
    """One field per question of ``groups`` ((session or None, questions)); a bound form that
    is not valid shows again with everything that was typed or chosen."""

    def __init__(self, *args, groups: list[tuple[object, list[Question]]], **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.groups = groups
        self.questions = [question for _session, questions in groups for question in questions]
        for question in self.questions:
            self.fields[field_name(question)] = self._field(question)

    def _field(self, question: Question) -> forms.Field:
        common = {"label": question.text(), "required": question.required}
        if question.kind == Question.Kind.RATING:
            return forms.TypedChoiceField(
                choices=[
                    (str(mark), RATING_LABELS[mark]) for mark in range(RATING_MIN, RATING_MAX + 1)
                ],
                coerce=int,
                empty_value=None,
                widget=forms.RadioSelect,
                error_messages={"required": _("Choose a rating.")},
                **common,
            )
        if question.kind == Question.Kind.SINGLE:
            return forms.ChoiceField(
                choices=question.choice_list(),
                widget=forms.RadioSelect,
                error_messages={"required": _("Choose an answer.")},
                **common,
            )
        if question.kind == Question.Kind.MULTIPLE:
            return forms.MultipleChoiceField(
                choices=question.choice_list(),
                widget=forms.CheckboxSelectMultiple,
                error_messages={"required": _("Choose at least one answer.")},
                **common,
            )
        return TextField(
            max_length=MAX_TEXT_LENGTH,
            widget=forms.Textarea(attrs={"rows": 4}),
            error_messages={"required": _("Write your answer.")},
            **common,
        )

    def grouped_rows(self) -> list[tuple[object, list[FieldRow]]]:
        return [
            (session, [self._row(field_name(question)) for question in questions])
            for session, questions in self.groups
        ]

    def answers(self) -> dict[int, object]:
        return {
            question.pk: self.cleaned_data.get(field_name(question)) for question in self.questions
        }


class SurveyForm(forms.Form):
    title_pl = forms.CharField(label=_("Title (Polish)"), max_length=200)
    title_en = forms.CharField(label=_("Title (English)"), max_length=200, required=False)
    intro_pl = forms.CharField(
        label=_("Introduction (Polish)"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    intro_en = forms.CharField(
        label=_("Introduction (English)"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    invite_after = forms.DateTimeField(
        label=_("Invite the participants after"),
        required=False,
        help_text=_("Empty: the day after the congress's last day. Format: 2027-10-09 09:00."),
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
    )
    only_attended = forms.BooleanField(
        label=_("Invite only those checked in on at least one day"), required=False
    )

    @classmethod
    def initial_of(cls, survey: Survey | None) -> dict:
        if survey is None:
            return {"only_attended": True}
        return {name: getattr(survey, name) for name in cls.base_fields}


class QuestionForm(forms.Form):
    text_pl = forms.CharField(label=_("Question (Polish)"), max_length=300)
    text_en = forms.CharField(label=_("Question (English)"), max_length=300, required=False)
    kind = forms.ChoiceField(label=_("Kind"), choices=Question.Kind.choices)
    choices_pl = forms.CharField(
        label=_("Choices (Polish), one a line"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("For one or several choices only."),
    )
    choices_en = forms.CharField(
        label=_("Choices (English), one a line, in the same order"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
    )
    session = forms.ModelChoiceField(
        label=_("About the session"),
        queryset=Session.objects.none(),
        required=False,
        empty_label=_("— the congress as a whole —"),
    )
    required = forms.BooleanField(label=_("An answer is required"), required=False)
    order = forms.IntegerField(label=_("Order"), min_value=0, max_value=32767, initial=0)

    def __init__(self, *args, edition, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["session"].queryset = Session.objects.filter(edition=edition).order_by(
            "starts_at", "pk"
        )

    @staticmethod
    def initial_of(question: Question | None) -> dict:
        if question is None:
            return {"kind": Question.Kind.RATING, "order": 0}
        return {
            "text_pl": question.text_pl,
            "text_en": question.text_en,
            "kind": question.kind,
            "choices_pl": "\n".join(choice.get("label_pl", "") for choice in question.choices),
            "choices_en": "\n".join(choice.get("label_en", "") for choice in question.choices),
            "session": question.session_id,
            "required": question.required,
            "order": question.order,
        }

    def to_data(self) -> QuestionData:
        data = self.cleaned_data
        return QuestionData(
            text_pl=data["text_pl"],
            text_en=data["text_en"],
            kind=data["kind"],
            choices_pl=tuple(data["choices_pl"].splitlines()),
            choices_en=tuple(data["choices_en"].splitlines()),
            session_id=data["session"].pk if data["session"] else None,
            required=data["required"],
            order=data["order"],
        )
