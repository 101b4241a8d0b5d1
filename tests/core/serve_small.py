"""Settings of a small site for the stop test of ``kongres serve`` (tests/core/test_serve.py):
the same command, server and signals, around an application that starts in a fraction of a
second, so that the server can be started and stopped 40 times in a test."""

from django.http import HttpResponse
from django.urls import path

from kongres.settings import *  # noqa: F403 -- the site's settings, trimmed below

INSTALLED_APPS = ["django.contrib.staticfiles", "kongres.core"]  # core: `kongres serve`
MIDDLEWARE = []
TEMPLATES = []
ROOT_URLCONF = __name__
# no database: the page cache in this process, and no migration to warn about
CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
MIGRATION_MODULES = {"core": None}
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}


def hello(request):
    return HttpResponse("hello")


urlpatterns = [path("", hello)]
