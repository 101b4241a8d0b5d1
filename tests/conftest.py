import pytest


@pytest.fixture(autouse=True)
def _test_settings(settings, tmp_path):
    """Static files without a manifest (no collectstatic in tests); mail kept in memory."""
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    settings.MAILERS = {"default": {"BACKEND": "django.core.mail.backends.locmem.EmailBackend"}}
    settings.MEDIA_ROOT = tmp_path / "media"
