import re

import pytest
from django.contrib.auth import get_user_model
from django.utils import translation

from kongres.accounts.models import EditionRole
from kongres.mail.models import OutboxMessage
from kongres.materials.services import upload_link_create
from tests.factories import EditionFactory, SessionFactory


@pytest.fixture(autouse=True)
def _polish():
    with translation.override("pl"):
        yield


@pytest.fixture
def session(db):
    return SessionFactory(
        edition=EditionFactory(), title_pl="Rewitalizacja miast", title_en="Urban renewal"
    )


@pytest.fixture
def editor(session):
    user = get_user_model().objects.create_user("redaktor", "redaktor@example.org", "x")
    EditionRole.objects.create(edition=session.edition, user=user, role="editor")
    return user


def token_from_mail(link) -> str:
    body = OutboxMessage.objects.get(related=f"materials.uploadlink:{link.pk}").body_text
    return re.search(r"/([\w-]{40,})/", body).group(1)


@pytest.fixture
def link_and_token(session, editor):
    link, token = upload_link_create(
        session=session, email="prelegentka@example.org", language="pl", actor=editor
    )
    return link, token
