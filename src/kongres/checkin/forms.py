"""Input of the check-in pages and their JSON endpoints."""

from __future__ import annotations

import datetime as dt

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from kongres.checkin import selectors
from kongres.checkin.models import CertificateTemplate, Gate
from kongres.checkin.services import NONCE_MAX_LENGTH, OFFLINE_VERDICTS
from kongres.events.models import Day, Edition, Session
from kongres.registration.choices import Sector
from kongres.registration.models import Registration


class _EditionForm(forms.Form):
    """A form whose day and gate choices are the edition's."""

    def __init__(self, *args, edition: Edition, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.edition = edition
        if "day" in self.fields:
            self.fields["day"].queryset = Day.objects.filter(edition=edition)
        if "gate" in self.fields:
            self.fields["gate"].queryset = Gate.objects.filter(edition=edition)


class PlaceForm(_EditionForm):
    """Where and when the staff member scans (kept by the browser between scans): a gate of
    the day, or the door of a session's room (``sessions``: the day's)."""

    day = forms.ModelChoiceField(label=_("Day"), queryset=Day.objects.none(), empty_label=None)
    gate = forms.ModelChoiceField(
        label=_("Gate"), queryset=Gate.objects.none(), required=False, empty_label=_("no gate")
    )
    session = forms.ChoiceField(label=_("Session / room"), required=False)

    def __init__(self, *args, sessions: list[Session] = (), **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["session"].choices = [("", _("entrance (the whole day)"))] + [
            (
                session.pk,
                f"{timezone.localtime(session.starts_at):%H:%M} {session.title}"
                + (f" ({session.room.name})" if session.room else ""),
            )
            for session in sessions
        ]


class ScanForm(forms.Form):
    """One scan. The day and the gate are checked against the edition's, kept in the shared
    cache while the content is unchanged and read in one round trip to it
    (``selectors.checkin_days_and_gates``): a scan spends no query on them."""

    code = forms.CharField(label=_("Ticket code"), max_length=200, required=False)
    registration = forms.ModelChoiceField(
        queryset=Registration.objects.none(), required=False, widget=forms.HiddenInput
    )
    day = forms.TypedChoiceField(coerce=int)
    gate = forms.TypedChoiceField(coerce=int, required=False, empty_value=None)
    nonce = forms.CharField(max_length=NONCE_MAX_LENGTH)
    at = forms.DateTimeField(required=False)
    device = forms.CharField(max_length=64, required=False)
    # the account whose phone queue the scan was saved in (the page's script sends it): a scan
    # saved under one account is never recorded under another (review 2026-12, L7)
    by = forms.IntegerField(required=False, min_value=1)
    # what the page decided without a network, for a scan sent later (kongres.checkin.offline)
    offline = forms.ChoiceField(
        choices=[("", "")] + [(verdict, verdict) for verdict in OFFLINE_VERDICTS], required=False
    )
    # the session at whose door the scan was made (the page's "session / room" mode)
    session = forms.ModelChoiceField(queryset=Session.objects.none(), required=False)

    def __init__(self, *args, edition: Edition, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.edition = edition
        self.fields["registration"].queryset = Registration.objects.filter(edition=edition)
        self.fields["session"].queryset = Session.objects.filter(edition=edition).select_related(
            "edition"
        )
        days, gates = selectors.checkin_days_and_gates(edition=edition)
        self.days = {day.pk: day for day in days}
        self.gates = {gate.pk: gate for gate in gates}
        self.fields["day"].choices = [(pk, str(day)) for pk, day in self.days.items()]
        self.fields["gate"].choices = [(pk, str(gate)) for pk, gate in self.gates.items()]

    def clean_day(self) -> Day:
        return self.days[self.cleaned_data["day"]]

    def clean_gate(self) -> Gate | None:
        gate = self.cleaned_data.get("gate")
        return None if gate is None else self.gates[gate]

    def clean_at(self) -> dt.datetime | None:
        at = self.cleaned_data.get("at")
        if at is not None and at.tzinfo is None:
            raise forms.ValidationError(_("Give the time with its offset."))
        return at

    def clean(self) -> dict:
        data = super().clean()
        if not data.get("code", "").strip() and data.get("registration") is None:
            raise forms.ValidationError(_("Scan or type a ticket code."), code="empty")
        return data


class OfflineListForm(forms.Form):
    """Which list the page downloads: a day of the edition (a day of another edition is
    refused; none given: today's, as on the page)."""

    day = forms.TypedChoiceField(coerce=int, required=False, empty_value=None)
    session = forms.ModelChoiceField(queryset=Session.objects.none(), required=False)

    def __init__(self, *args, edition: Edition, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["session"].queryset = Session.objects.filter(edition=edition).select_related(
            "edition"
        )
        self.days = {day.pk: day for day in selectors.checkin_days(edition=edition)}
        self.fields["day"].choices = [(pk, str(day)) for pk, day in self.days.items()]

    def clean_day(self) -> Day | None:
        day = self.cleaned_data.get("day")
        return None if day is None else self.days[day]


class SearchForm(forms.Form):
    q = forms.CharField(label=_("Name or institution"), max_length=100, required=False)


class BadgeFilterForm(_EditionForm):
    sector = forms.ChoiceField(
        label=_("Sector"), choices=[("", _("all sectors")), *Sector.choices], required=False
    )
    day = forms.ModelChoiceField(
        label=_("Day"), queryset=Day.objects.none(), required=False, empty_label=_("all days")
    )
    # which part of a large selection (``checkin.views.badges``: at most
    # settings.KONGRES_BADGES_PER_PDF badges per PDF)
    part = forms.IntegerField(min_value=1, required=False, widget=forms.HiddenInput)


class CertificateTemplateForm(forms.ModelForm):
    """What the certificates of an edition say and who signs them. A signature's image needs
    its alternative text (in Polish at least): what the image shows, for a screen reader."""

    class Meta:
        model = CertificateTemplate
        fields = [
            "intro_pl",
            "intro_en",
            "closing_pl",
            "closing_en",
            *(
                f"signature_{n}_{part}"
                for n in (1, 2)
                for part in ("name", "role_pl", "role_en", "image", "alt_pl", "alt_en")
            ),
        ]
        widgets = {
            name: forms.Textarea(attrs={"rows": 3})
            for name in ("intro_pl", "intro_en", "closing_pl", "closing_en")
        }

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        for n in (1, 2):
            self.fields[f"signature_{n}_image"].widget.attrs["accept"] = (
                "image/png,image/jpeg,image/gif,image/webp"
            )

    def clean(self) -> dict:
        data = super().clean()
        for n in (1, 2):
            image = data.get(f"signature_{n}_image")
            if image and not data.get(f"signature_{n}_alt_pl"):
                self.add_error(
                    f"signature_{n}_alt_pl",
                    _(
                        "Describe the signature's image "
                        "(for instance: “signature of Jan Kowalski”)."
                    ),
                )
        return data


class CertificateRevokeForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason (kept in the audit log)"), max_length=300, required=False
    )
