"""The admin for the congress data. Translated fields (``title_pl``, ``title_en``) are edited
next to each other (modeltranslation's ``TranslationAdmin``). The registration app registers
the Edition and Day admins again with its capacity hooks (``registration/admin_capacity.py``):
a changed capacity offers the seats that became free."""

from __future__ import annotations

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest
from modeltranslation.admin import TranslationAdmin, TranslationTabularInline

from kongres.events.models import (
    Day,
    Edition,
    EditionOrganisation,
    Organisation,
    Room,
    Series,
    Session,
    Speaker,
    Track,
    Venue,
)


@admin.register(Series)
class SeriesAdmin(TranslationAdmin):
    list_display = ["name", "slug"]
    search_fields = ["name_pl", "name_en"]
    prepopulated_fields = {"slug": ["name_pl"]}
    ordering = ["name_pl"]


@admin.register(Organisation)
class OrganisationAdmin(TranslationAdmin):
    list_display = ["name", "short_name", "url"]
    search_fields = ["name_pl", "name_en", "short_name_pl", "short_name_en"]
    prepopulated_fields = {"slug": ["name_pl"]}
    ordering = ["name_pl"]


class RoomInline(TranslationTabularInline):
    model = Room
    extra = 0
    fields = ["name", "slug", "capacity", "accessibility", "order"]
    prepopulated_fields = {"slug": ["name_pl"]}


@admin.register(Venue)
class VenueAdmin(TranslationAdmin):
    list_display = ["name", "address", "city", "step_free_access"]
    list_filter = ["step_free_access", "accessible_toilets", "induction_loop"]
    search_fields = ["name_pl", "name_en", "address", "city_pl"]
    ordering = ["name_pl"]
    inlines = [RoomInline]


class EditionOrganisationInline(admin.TabularInline):
    model = EditionOrganisation
    extra = 0
    autocomplete_fields = ["organisation"]
    fields = ["organisation", "role", "order"]


class DayInline(TranslationTabularInline):
    model = Day
    extra = 0
    fields = ["date", "name", "capacity"]


@admin.register(Edition)
class EditionAdmin(TranslationAdmin):
    list_display = ["title", "ordinal", "start_date", "end_date", "status", "capacity"]
    list_filter = ["status", "series"]
    search_fields = ["title_pl", "title_en", "motto_pl", "motto_en"]
    prepopulated_fields = {"slug": ["title_pl"]}
    date_hierarchy = "start_date"
    ordering = ["-start_date"]
    list_select_related = ["series"]
    autocomplete_fields = ["venue"]
    inlines = [EditionOrganisationInline, DayInline]


@admin.register(Day)
class DayAdmin(TranslationAdmin):
    list_display = ["date", "name", "edition", "capacity"]
    list_filter = ["edition"]
    ordering = ["-date"]
    list_select_related = ["edition"]


@admin.register(Room)
class RoomAdmin(TranslationAdmin):
    list_display = ["name", "venue", "capacity", "order"]
    list_filter = ["venue"]
    search_fields = ["name_pl", "name_en"]
    prepopulated_fields = {"slug": ["name_pl"]}
    ordering = ["venue", "order", "name_pl"]
    list_select_related = ["venue"]


@admin.register(Track)
class TrackAdmin(TranslationAdmin):
    list_display = ["name", "edition", "order"]
    list_filter = ["edition"]
    search_fields = ["name_pl", "name_en"]
    prepopulated_fields = {"slug": ["name_pl"]}
    ordering = ["edition", "order"]
    list_select_related = ["edition"]


@admin.register(Speaker)
class SpeakerAdmin(TranslationAdmin):
    list_display = ["name", "affiliation"]
    search_fields = ["name", "affiliation_pl", "affiliation_en"]
    prepopulated_fields = {"slug": ["name"]}
    ordering = ["name"]


class SessionDayFilter(admin.SimpleListFilter):
    """The days of the editions (of the chosen edition, when one is chosen)."""

    title = Day._meta.verbose_name
    parameter_name = "day"

    def lookups(self, request: HttpRequest, model_admin: admin.ModelAdmin) -> list[tuple]:
        days = Day.objects.order_by("date")
        edition = request.GET.get("edition__id__exact")
        if edition and edition.isdigit():
            days = days.filter(edition_id=int(edition))
        dates = sorted({day.date for day in days})
        return [(date.isoformat(), date.isoformat()) for date in dates]

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        value = self.value()
        if value:
            return queryset.filter(starts_at__date=value)
        return queryset


@admin.register(Session)
class SessionAdmin(TranslationAdmin):
    list_display = ["title", "starts_at", "ends_at", "kind", "track", "room", "edition"]
    list_filter = ["edition", SessionDayFilter, "kind", "track", "room"]
    search_fields = ["title_pl", "title_en", "speakers__name", "moderators__name"]
    prepopulated_fields = {"slug": ["title_pl"]}
    filter_horizontal = ["speakers", "moderators"]
    date_hierarchy = "starts_at"
    ordering = ["starts_at", "room__order"]
    list_select_related = ["edition", "track", "room"]
