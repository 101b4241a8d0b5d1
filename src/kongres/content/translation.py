from modeltranslation.translator import TranslationOptions, register

from kongres.content import models


@register(models.NewsPost)
class NewsPostTranslation(TranslationOptions):
    fields = ("title", "lead", "body", "image_alt")


@register(models.Page)
class PageTranslation(TranslationOptions):
    fields = ("title", "body")
