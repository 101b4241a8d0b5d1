"""The back office's draw page: its forms (the allocation's settings, the quotas) and its
numbers and charts (places drawn against applications, by sector, by voivodeship and by day)."""

from __future__ import annotations

import pygal
from django import forms
from django.utils.translation import gettext_lazy as _

from kongres.events.models import Day, Edition
from kongres.orga.dashboard import chart_config
from kongres.registration import lottery
from kongres.registration.choices import Sector, Voivodeship
from kongres.registration.models import Allocation, AllocationQuota, Draw, DrawEntry

GROUPS = [
    (_("Sector"), [(f"sector:{value}", label) for value, label in Sector.choices]),
    (_("Voivodeship"), [(f"voivodeship:{value}", label) for value, label in Voivodeship.choices]),
]


class AllocationForm(forms.Form):
    mode = forms.ChoiceField(label=_("Allocation of places"), choices=Allocation.Mode.choices)
    window_opens_at = forms.DateTimeField(label=_("Applications open"), required=False)
    window_closes_at = forms.DateTimeField(label=_("Applications close"), required=False)
    draw_at = forms.DateTimeField(label=_("Draw time"), required=False)
    waiting_list_size = forms.IntegerField(
        label=_("Length of the waiting list"),
        min_value=0,
        required=False,
        help_text=_("Empty: everybody not drawn stays on the waiting list."),
    )

    def clean(self):
        data = super().clean()
        opens, closes, draw_at = (
            data.get("window_opens_at"),
            data.get("window_closes_at"),
            data.get("draw_at"),
        )
        if opens and closes and closes <= opens:
            self.add_error("window_closes_at", _("The window must close after it opens."))
        if closes and draw_at and draw_at < closes:
            self.add_error("draw_at", _("The draw cannot be before the window closes."))
        if data.get("mode") == Allocation.Mode.DRAW and not closes:
            self.add_error("window_closes_at", _("A draw needs the time the window closes."))
        return data


class QuotaForm(forms.Form):
    group = forms.ChoiceField(label=_("Group"), choices=[("", "—"), *GROUPS], required=False)
    min_percent = forms.IntegerField(
        label=_("At least (%)"), min_value=0, max_value=100, required=False
    )
    max_percent = forms.IntegerField(
        label=_("At most (%)"), min_value=0, max_value=100, required=False
    )

    def clean(self):
        data = super().clean()
        low, high = data.get("min_percent"), data.get("max_percent")
        if low is not None and high is not None and low > high:
            self.add_error("max_percent", _("The maximum share cannot be below the minimum."))
        if data.get("group") and low is None and high is None:
            self.add_error("min_percent", _("Give a minimum share, a maximum share or both."))
        return data


class BaseQuotaFormSet(forms.BaseFormSet):
    def clean(self):
        if any(self.errors):
            return
        groups = [form.cleaned_data.get("group") for form in self.forms if form.cleaned_data]
        groups = [group for group in groups if group]
        if len(groups) != len(set(groups)):
            raise forms.ValidationError(_("One quota per group."))
        for dimension in ("sector", "voivodeship"):
            total = sum(
                form.cleaned_data.get("min_percent") or 0
                for form in self.forms
                if (form.cleaned_data.get("group") or "").startswith(f"{dimension}:")
            )
            if total > 100:
                raise forms.ValidationError(
                    _("The minimum shares of one kind add up to more than 100%.")
                )


QuotaFormSet = forms.formset_factory(QuotaForm, formset=BaseQuotaFormSet, extra=3, max_num=30)


def quota_initial(allocation: Allocation | None) -> list[dict]:
    if allocation is None:
        return []
    return [
        {
            "group": f"{quota.dimension}:{quota.value}",
            "min_percent": quota.min_percent,
            "max_percent": quota.max_percent,
        }
        for quota in allocation.quotas.all()
    ]


def quota_rows(formset) -> list[AllocationQuota]:
    rows = []
    for form in formset.forms:
        group = form.cleaned_data.get("group")
        if group:
            dimension, value = group.split(":", 1)
            rows.append(
                AllocationQuota(
                    dimension=dimension,
                    value=value,
                    min_percent=form.cleaned_data.get("min_percent"),
                    max_percent=form.cleaned_data.get("max_percent"),
                )
            )
    return rows


def draw_breakdown(*, draw: Draw, dimension: str) -> list[tuple[str, int, int]]:
    """(label, applications, places) per group of ``dimension``, largest first."""
    labels = dict({"sector": Sector, "voivodeship": Voivodeship}[dimension].choices)
    applied: dict[str, int] = {}
    placed: dict[str, int] = {}
    for value, outcome in draw.entries.values_list(dimension, "outcome"):
        applied[value] = applied.get(value, 0) + 1
        placed[value] = placed.get(value, 0) + (outcome == DrawEntry.Outcome.PLACE)
    rows = [
        (str(labels.get(value, _("not given"))), count, placed[value])
        for value, count in applied.items()
    ]
    return sorted(rows, key=lambda row: (-row[1], row[0]))


def draw_days(*, draw: Draw) -> list[dict]:
    """Each day of the edition in the draw: its places when the draw ran (None: only the
    edition's limit), the applications for it and the places given on it."""
    applied: dict[int, int] = {}
    given: dict[int, int] = {}
    for days, days_given in draw.entries.values_list("days", "days_given"):
        for day in days:
            applied[day] = applied.get(day, 0) + 1
        for day in days_given:
            given[day] = given.get(day, 0) + 1
    if not applied:
        return []
    return [
        {
            "day": day,
            "places": draw.day_places.get(str(day.pk)),
            "applications": applied.get(day.pk, 0),
            "given": given.get(day.pk, 0),
        }
        for day in Day.objects.filter(edition_id=draw.edition_id).order_by("date")
    ]


def quotas_reached(*, draw: Draw) -> list[dict]:
    """Each quota of the draw: its group, shares, the minimum and cap in places, the places
    given and the applications of the group."""
    rows = []
    needs = lottery.minimums([lottery.Quota(**quota) for quota in draw.quotas], draw.places)
    for quota in draw.quotas:
        dimension, value = quota["dimension"], quota["value"]
        entries = draw.entries.filter(**{dimension: value})
        minimum = needs.get((dimension, value))
        cap = None if quota["max_percent"] is None else draw.places * quota["max_percent"] // 100
        given = entries.filter(outcome=DrawEntry.Outcome.PLACE).count()
        labels = dict({"sector": Sector, "voivodeship": Voivodeship}[dimension].choices)
        rows.append(
            {
                "label": labels.get(value, value),
                "min_percent": quota["min_percent"],
                "max_percent": quota["max_percent"],
                "minimum": minimum,
                "cap": cap,
                "given": given,
                "applications": entries.count(),
                "met": (minimum is None or given >= min(minimum, entries.count()))
                and (cap is None or given <= cap),
            }
        )
    return rows


def draw_chart_svg(*, edition: Edition, name: str) -> str | None:
    draw = Draw.objects.filter(edition=edition).first()
    if draw is None or name not in {"sector", "voivodeship"}:
        return None
    data = draw_breakdown(draw=draw, dimension=name)
    title = str(
        {
            "sector": _("Applications and places drawn by sector"),
            "voivodeship": _("Applications and places drawn by voivodeship"),
        }[name]
    )
    chart = chart_config(
        pygal.HorizontalBar, title, show_legend=True, height=max(300, 48 * len(data) + 100)
    )
    chart.x_labels = [label for label, _a, _p in reversed(data)]
    chart.add(str(_("applications")), [applied for _l, applied, _p in reversed(data)])
    chart.add(str(_("places drawn")), [placed for _l, _a, placed in reversed(data)])
    return chart.render(is_unicode=True)
