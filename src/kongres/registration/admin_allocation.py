"""The organisers' priority groups of an edition's draw, in the Django admin (the rest of the
allocation is set in the back office, through the services, so that the seed is made there)."""

from django.contrib import admin

from kongres.registration.models import PriorityGroup


@admin.register(PriorityGroup)
class PriorityGroupAdmin(admin.ModelAdmin):
    list_display = ["name", "tier", "allocation"]
    list_filter = ["allocation__edition"]
    search_fields = ["name"]
