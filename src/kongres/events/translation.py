from modeltranslation.translator import TranslationOptions, register

from kongres.events import models


@register(models.Organisation)
class OrganisationTranslation(TranslationOptions):
    fields = ("name", "short_name", "logo_alt", "description")


@register(models.Series)
class SeriesTranslation(TranslationOptions):
    fields = ("name", "description")


@register(models.Venue)
class VenueTranslation(TranslationOptions):
    fields = ("name", "city", "directions", "accessibility")


@register(models.Edition)
class EditionTranslation(TranslationOptions):
    fields = ("title", "motto", "lead", "description", "host_city")


@register(models.Day)
class DayTranslation(TranslationOptions):
    fields = ("name",)


@register(models.Room)
class RoomTranslation(TranslationOptions):
    fields = ("name", "accessibility")


@register(models.Track)
class TrackTranslation(TranslationOptions):
    fields = ("name", "description")


@register(models.Speaker)
class SpeakerTranslation(TranslationOptions):
    fields = ("affiliation", "bio", "photo_alt")


@register(models.Session)
class SessionTranslation(TranslationOptions):
    fields = ("title", "description")
