from modeltranslation.translator import TranslationOptions, register

from kongres.registration import models


@register(models.Question)
class QuestionTranslation(TranslationOptions):
    fields = ("label",)
