from django.apps import AppConfig


class ApiConfig(AppConfig):
    name = "kongres.api"
    label = "api"
    verbose_name = "API"
