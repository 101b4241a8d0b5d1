"""Fixed lists the registration form offers: sector, voivodeship, size of the municipality,
accessibility needs. Stored values are short English slugs; labels are translated."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Sector(models.TextChoices):
    """The communities the congress brings together."""

    SCIENCE = "science", _("science and expert bodies")
    BUSINESS = "business", _("business")
    POLITICS = "politics", _("politics and central government")
    LOCAL_GOVERNMENT = "local_government", _("local government")
    NGO = "ngo", _("non-governmental organisation")
    PUBLIC_ADMINISTRATION = "public_administration", _("public administration")
    MEDIA = "media", _("media")
    OTHER = "other", _("other")


class Voivodeship(models.TextChoices):
    """The sixteen voivodeships of Poland."""

    DOLNOSLASKIE = "dolnoslaskie", _("Lower Silesian")
    KUJAWSKO_POMORSKIE = "kujawsko-pomorskie", _("Kuyavian-Pomeranian")
    LUBELSKIE = "lubelskie", _("Lublin")
    LUBUSKIE = "lubuskie", _("Lubusz")
    LODZKIE = "lodzkie", _("Łódź")
    MALOPOLSKIE = "malopolskie", _("Lesser Poland")
    MAZOWIECKIE = "mazowieckie", _("Masovian")
    OPOLSKIE = "opolskie", _("Opole")
    PODKARPACKIE = "podkarpackie", _("Subcarpathian")
    PODLASKIE = "podlaskie", _("Podlaskie")
    POMORSKIE = "pomorskie", _("Pomeranian")
    SLASKIE = "slaskie", _("Silesian")
    SWIETOKRZYSKIE = "swietokrzyskie", _("Holy Cross")
    WARMINSKO_MAZURSKIE = "warminsko-mazurskie", _("Warmian-Masurian")
    WIELKOPOLSKIE = "wielkopolskie", _("Greater Poland")
    ZACHODNIOPOMORSKIE = "zachodniopomorskie", _("West Pomeranian")


class MunicipalitySize(models.TextChoices):
    """Inhabitants of the municipality the participant works for or in."""

    UNDER_5K = "under_5k", _("under 5,000 inhabitants")
    FROM_5K = "5k_20k", _("5,000 to 20,000 inhabitants")
    FROM_20K = "20k_100k", _("20,000 to 100,000 inhabitants")
    FROM_100K = "100k_500k", _("100,000 to 500,000 inhabitants")
    OVER_500K = "over_500k", _("over 500,000 inhabitants")
    NOT_APPLICABLE = "not_applicable", _("not applicable")


class AccessibilityNeed(models.TextChoices):
    STEP_FREE = "step_free", _("step-free access or a wheelchair space")
    SIGN_LANGUAGE = "sign_language", _("Polish Sign Language interpreter")
    INDUCTION_LOOP = "induction_loop", _("induction loop")
    CAPTIONS = "captions", _("live captions")
    ACCESSIBLE_MATERIALS = "accessible_materials", _("materials in large print or electronic form")
    ASSISTANT = "assistant", _("I will come with an assistant")
    ASSISTANCE_DOG = "assistance_dog", _("I will come with an assistance dog")
    QUIET_ROOM = "quiet_room", _("a quiet room")


class QuestionKind(models.TextChoices):
    TEXT = "text", _("text")
    SINGLE = "single", _("one of the choices")
    MULTIPLE = "multiple", _("any of the choices")
    YESNO = "yesno", _("yes or no")
