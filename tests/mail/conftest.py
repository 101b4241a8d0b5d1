from pathlib import Path

import pytest

from tests.mail.smtp import LocalSMTPServer

TEMPLATES_DIR = Path(__file__).parent / "templates"


@pytest.fixture
def smtp_server(settings):
    """A real SMTP server on a free 127.0.0.1 port; MAILERS point at it."""
    server = LocalSMTPServer()
    server.start()
    settings.MAILERS = server.mailers_setting()
    yield server
    server.stop()


@pytest.fixture(autouse=True)
def _mail_test_templates(settings):
    """Templates used only by these tests (tests/mail/templates/mailtest/…)."""
    engine = settings.TEMPLATES[0]
    settings.TEMPLATES = [{**engine, "DIRS": [*engine["DIRS"], TEMPLATES_DIR]}]
