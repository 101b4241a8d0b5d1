from django.urls import path

from kongres.registration import views

app_name = "registration"

urlpatterns = [
    path("", views.register, name="register"),
]
