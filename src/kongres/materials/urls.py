from django.urls import path
from django.utils.translation import gettext_lazy as _

from kongres.materials import views

app_name = "materials"

urlpatterns = [
    path(_("materials/send/<str:token>/"), views.upload, name="upload"),
]
