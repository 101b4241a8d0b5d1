"""Two clients sending the same creation with the same Idempotency-Key at once: one
registration, and the other answer is the first one's or "still running" (409)."""

import threading

import pytest
from django.db import connection
from django.test import Client

from kongres.accounts.services import api_token_create
from kongres.registration.models import Registration
from tests.factories import DayFactory, EditionFactory


@pytest.mark.django_db(transaction=True)
def test_same_idempotency_key_at_once_creates_one_registration():
    edition = EditionFactory(slug="iv", capacity=5)
    day = DayFactory(edition=edition)
    secret = api_token_create(
        edition=edition, name="x", scopes=["write_registrations"], actor=None
    )[1]
    body = {
        "first_name": "Jan",
        "last_name": "Nowak",
        "email": "jan@example.org",
        "privacy_consent": True,
        "days": [day.pk],
    }
    start = threading.Barrier(4)
    answers = []

    def send():
        try:
            start.wait()
            response = Client().post(
                "/api/v1/editions/iv/registrations",
                body,
                content_type="application/json",
                headers={"Authorization": f"Bearer {secret}", "Idempotency-Key": "k"},
            )
            answers.append((response.status_code, response.json()))
        finally:
            connection.close()

    threads = [threading.Thread(target=send) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert Registration.objects.count() == 1
    created = [body for status, body in answers if status == 201]
    assert created and all(body == created[0] for body in created)
    assert {status for status, _body in answers} <= {201, 409}
    assert all(b["code"] == "idempotency_in_progress" for s, b in answers if s == 409)
