"""The back office's reconfirmation page: the round's settings form and its counts."""

from __future__ import annotations

from django import forms
from django.db.models import Count, Q
from django.utils.translation import gettext_lazy as _

from kongres.events.models import Edition
from kongres.registration.models import Reconfirmation, ReconfirmationRound


class ReconfirmationForm(forms.Form):
    enabled = forms.BooleanField(label=_("Ask participants to reconfirm"), required=False)
    days_before = forms.IntegerField(
        label=_("Ask (days before the first day)"), min_value=1, max_value=90, initial=7
    )
    reminder_after_days = forms.IntegerField(
        label=_("Remind those who have not answered after (days)"),
        min_value=1,
        max_value=60,
        initial=2,
    )
    deadline_days_before = forms.IntegerField(
        label=_("Deadline (days before the first day)"), min_value=0, max_value=89, initial=2
    )
    warning_hours = forms.IntegerField(
        label=_("Warning mail before the deadline (hours)"),
        min_value=1,
        max_value=240,
        initial=24,
    )
    on_no_answer = forms.ChoiceField(
        label=_("When someone does not answer by the deadline"),
        choices=ReconfirmationRound.NoAnswer.choices,
        widget=forms.RadioSelect,
        initial=ReconfirmationRound.NoAnswer.FLAG,
    )

    def clean(self):
        data = super().clean()
        asks, deadline = data.get("days_before"), data.get("deadline_days_before")
        if asks is not None and deadline is not None and deadline >= asks:
            self.add_error(
                "deadline_days_before",
                _("The deadline must come after the question: fewer days before the first day."),
            )
        return data


def reconfirmation_initial(round_: ReconfirmationRound | None) -> dict:
    if round_ is None:
        return {}
    return {name: getattr(round_, name) for name in ReconfirmationForm.base_fields}


def reconfirmation_counts(*, edition: Edition) -> dict[str, int]:
    answer = Reconfirmation.Answer
    return Reconfirmation.objects.filter(edition=edition).aggregate(
        asked=Count("pk", filter=Q(asked_at__isnull=False)),
        coming=Count("pk", filter=Q(answer=answer.COMING)),
        not_coming=Count("pk", filter=Q(answer=answer.NOT_COMING)),
        no_answer=Count("pk", filter=Q(answer=answer.NONE, asked_at__isnull=False)),
        released=Count("pk", filter=Q(released_at__isnull=False)),
        flagged=Count("pk", filter=Q(flagged_at__isnull=False)),
    )


def reconfirmation_flagged(*, edition: Edition):
    """Those who did not answer by the deadline (flagged or released), for the organisers."""
    return (
        Reconfirmation.objects.filter(edition=edition)
        .filter(Q(flagged_at__isnull=False) | Q(released_at__isnull=False))
        .select_related("registration")
        .order_by("registration__last_name", "registration__first_name", "pk")
    )
