"""The Edition and Day admins with the seats: a changed capacity is saved through the
registration services (``edition_capacity_change``, ``day_capacity_change``), which offer the
seats that became free to the waiting list. The events app knows nothing of registrations, so
this app registers its admins again with these hooks (as ``UserAdmin`` is re-registered)."""

from __future__ import annotations

from django.contrib import admin, messages
from django.forms import BaseInlineFormSet, ModelForm
from django.http import HttpRequest
from django.utils.translation import ngettext

from kongres.events.admin import DayAdmin, EditionAdmin
from kongres.events.models import Day, Edition
from kongres.registration.services import day_capacity_change, edition_capacity_change


def _report_offers(model_admin: admin.ModelAdmin, request: HttpRequest, offers: int) -> None:
    if offers:
        model_admin.message_user(
            request,
            ngettext(
                "%(count)d seat offered to the waiting list.",
                "%(count)d seats offered to the waiting list.",
                offers,
            )
            % {"count": offers},
            messages.SUCCESS,
        )


def _capacity_later(form: ModelForm) -> tuple[bool, int | None]:
    """A changed capacity of an existing row is not saved with the row: it is set afterwards
    through the registration services, which offer the seats that became free. Puts the old
    value back on the instance and returns (changed, new value)."""
    if form.instance.pk is None or "capacity" not in form.changed_data:
        return False, None
    new = form.instance.capacity
    form.instance.capacity = form.initial.get("capacity")
    return True, new


def _day_capacities_save(
    model_admin: admin.ModelAdmin, request: HttpRequest, formset: BaseInlineFormSet
) -> None:
    """Save a formset of days, their changed capacities through ``day_capacity_change``."""
    deleted = set(formset.deleted_forms) if formset.can_delete else set()
    later = []
    for form in formset.forms:
        if form in deleted or not form.has_changed():
            continue
        changed, capacity = _capacity_later(form)
        if changed:
            later.append((form.instance, capacity))
    formset.save()
    offers = sum(
        day_capacity_change(day=day, capacity=capacity, actor=request.user)
        for day, capacity in later
    )
    _report_offers(model_admin, request, offers)


class EditionCapacityAdmin(EditionAdmin):
    def save_model(self, request: HttpRequest, obj: Edition, form: ModelForm, change: bool):
        """A changed capacity goes through ``edition_capacity_change`` (offers to the waiting
        list)."""
        changed, capacity = _capacity_later(form)
        super().save_model(request, obj, form, change)
        if changed:
            offers = edition_capacity_change(edition=obj, capacity=capacity, actor=request.user)
            _report_offers(self, request, offers)

    def save_formset(self, request: HttpRequest, form, formset, change: bool) -> None:
        if formset.model is Day:
            _day_capacities_save(self, request, formset)
        else:
            super().save_formset(request, form, formset, change)


class DayCapacityAdmin(DayAdmin):
    def save_model(self, request: HttpRequest, obj: Day, form: ModelForm, change: bool) -> None:
        """A changed capacity goes through ``day_capacity_change``."""
        changed, capacity = _capacity_later(form)
        super().save_model(request, obj, form, change)
        if changed:
            offers = day_capacity_change(day=obj, capacity=capacity, actor=request.user)
            _report_offers(self, request, offers)


def capacity_admins_register(site: admin.AdminSite) -> None:
    """Replace the events app's Edition and Day admins on ``site`` by the ones above."""
    for model, model_admin in ((Edition, EditionCapacityAdmin), (Day, DayCapacityAdmin)):
        if site.is_registered(model):
            site.unregister(model)
        site.register(model, model_admin)
