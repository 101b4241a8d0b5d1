"""The admin for news posts and pages, Polish and English next to each other."""

from django.contrib import admin
from modeltranslation.admin import TranslationAdmin

from kongres.content.models import NewsPost, Page


@admin.register(NewsPost)
class NewsPostAdmin(TranslationAdmin):
    list_display = ["title", "published_at", "edition"]
    list_filter = ["edition"]
    search_fields = ["title_pl", "title_en", "lead_pl", "lead_en"]
    prepopulated_fields = {"slug": ["title_pl"]}
    date_hierarchy = "published_at"
    ordering = ["-published_at"]
    list_select_related = ["edition"]


@admin.register(Page)
class PageAdmin(TranslationAdmin):
    list_display = ["title", "kind", "is_published", "updated_at"]
    list_filter = ["kind", "is_published"]
    search_fields = ["title_pl", "title_en", "body_pl", "body_en"]
    prepopulated_fields = {"slug": ["title_pl"]}
    ordering = ["kind", "title_pl"]
