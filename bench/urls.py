"""The project's URLs plus the bench's ceiling views (the project's urls.py stays untouched)."""

from django.urls import path

from bench import views
from kongres.urls import handler404, handler500
from kongres.urls import urlpatterns as kongres_urlpatterns

urlpatterns = [
    path("bench/hello/", views.hello, name="bench-hello"),
    path("bench/naive-register/", views.naive_register, name="bench-naive-register"),
    *kongres_urlpatterns,
]

__all__ = ["handler404", "handler500", "urlpatterns"]
