"""Certificates of attendance are personal data: the export lists them, erasure (by hand or by
the retention purge) removes the name from them and revokes a valid one, and their
verification page then names nobody."""

import pytest
from django.test import override_settings

from kongres.checkin.certificates import certificate_issue
from kongres.checkin.models import Certificate
from kongres.mail.models import OutboxMessage
from kongres.privacy.retention import purge_run
from kongres.privacy.services import registration_erase, registration_export
from tests.privacy.test_gdpr import _move_to_past, person, privacy_page  # noqa: F401 - fixtures

pytestmark = pytest.mark.django_db


def test_export_lists_the_certificates(person):  # noqa: F811
    certificate = certificate_issue(registration=person, actor=None)
    assert registration_export(person)["certificates"] == [
        {
            "serial": certificate.serial,
            "name": "Zuzanna Przybylska",
            "status": "valid",
            "days": [day["date"] for day in certificate.attendance],
            "issued": certificate.issued_at.isoformat(),
            "revoked": None,
        }
    ]


def test_erase_removes_the_name_and_revokes(client, edition, person):  # noqa: F811
    certificate = certificate_issue(registration=person, actor=None)
    page = client.get(certificate.get_absolute_url()).content.decode()
    assert "Zuzanna Przybylska" in page
    assert OutboxMessage.objects.filter(kind="certificate", to=person.email).exists()
    _move_to_past(edition)

    assert registration_erase(registration=person, actor=None) is True

    certificate.refresh_from_db()
    assert (certificate.holder_name, certificate.status, certificate.revoked_reason) == (
        "—",
        Certificate.Status.REVOKED,
        "erased",
    )
    page = client.get(certificate.get_absolute_url()).content.decode()
    assert "Zuzanna" not in page and "Przybylska" not in page
    assert "Unieważnione zaświadczenie" in page
    assert not OutboxMessage.objects.filter(kind="certificate", to__icontains="zuzanna").exists()
    assert registration_export(person)["certificates"][0]["name"] == "—"


def test_retention_purge_erases_the_certificates_of_an_old_edition(edition, person):  # noqa: F811
    certificate = certificate_issue(registration=person, actor=None)
    _move_to_past(edition, days_ago=400)
    with override_settings(KONGRES_PURGE_AFTER_DAYS=365):
        assert purge_run() == 1
    certificate.refresh_from_db()
    assert (certificate.holder_name, certificate.status) == ("—", Certificate.Status.REVOKED)
