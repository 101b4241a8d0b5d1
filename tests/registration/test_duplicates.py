"""Duplicates are found on the normalised address; the verification mail's greeting is short."""

import importlib

import pytest
from django.apps import apps
from django.db import IntegrityError, transaction

from kongres.mail.models import OutboxMessage
from kongres.registration.models import Registration
from kongres.registration.selectors import registration_get_active
from kongres.registration.services import RegistrationError, registration_create
from kongres.registration.validators import email_key
from tests.factories import EditionFactory
from tests.factories.registration import RegistrationDataFactory


@pytest.fixture
def edition(db):
    return EditionFactory(capacity=5)


def create(edition, **data):
    return registration_create(edition=edition, data=RegistrationDataFactory(**data))


@pytest.mark.parametrize(
    ("address", "key"),
    [
        ("Jan+x@Gmail.com", "jan@gmail.com"),
        ("jan+a+b@googlemail.com", "jan@googlemail.com"),
        ("Jan.Kowalski+kongres@Outlook.com", "jan.kowalski@outlook.com"),
        ("jan+x@example.org", "jan+x@example.org"),  # a domain not listed keeps its +tag
        ("+x@gmail.com", "+x@gmail.com"),  # nothing before the tag: left as it is
        (" ANNA@Example.ORG ", "anna@example.org"),
    ],
)
def test_email_key(address, key):
    assert email_key(address) == key


def test_email_key_domains_are_configurable(settings):
    settings.KONGRES_EMAIL_TAG_DOMAINS = ["urzad.example.pl"]
    assert email_key("jan+1@urzad.example.pl") == "jan@urzad.example.pl"
    assert email_key("jan+1@gmail.com") == "jan+1@gmail.com"


def test_a_tagged_address_is_a_duplicate(edition):
    create(edition, email="jan@gmail.com")
    with pytest.raises(RegistrationError) as error:
        create(edition, email="Jan+x@Gmail.com")
    assert error.value.code == "duplicate"
    with pytest.raises(RegistrationError):
        create(edition, email="JAN+y@gmail.com")
    assert Registration.objects.count() == 1
    assert registration_get_active(edition=edition, email="JAN+z@gmail.com") is not None


def test_a_tag_at_another_domain_is_another_person(edition):
    create(edition, email="jan@example.org")
    other, _token = create(edition, email="jan+x@example.org")
    assert other.email_key == "jan+x@example.org"


def test_the_database_refuses_a_duplicate_key(edition):
    """The constraint is the second guard: rows with the same normalised address collide."""
    first, _token = create(edition, email="jan@gmail.com")
    clone = Registration.objects.get(pk=first.pk)
    clone.pk = None
    clone.email = "jan+other@gmail.com"
    with pytest.raises(IntegrityError), transaction.atomic():
        clone.save(force_insert=True)


def test_the_migration_fills_the_key_and_keeps_old_collisions(edition):
    """Existing rows get their key; two active rows that only now look alike keep an empty key
    for the younger one (compared by lower(email), as before), so the migration cannot fail."""
    migration = importlib.import_module("kongres.registration.migrations.0005_email_key")
    first, _token = create(edition, email="ewa+1@gmail.com")
    second, _token = create(edition, email="ewa@example.org")
    # as before 0005: no key, and two addresses that only the key makes alike
    Registration.objects.filter(pk__in=[first.pk, second.pk]).update(email_key=None)
    Registration.objects.filter(pk=second.pk).update(email="ewa+2@gmail.com")
    migration.fill_email_key(apps, None)
    keys = dict(Registration.objects.values_list("pk", "email_key"))
    assert keys[first.pk] == "ewa@gmail.com"
    assert keys[second.pk] is None
    with pytest.raises(RegistrationError):  # a new one is checked on the normalised address
        create(edition, email="Ewa+3@gmail.com")


def test_the_verification_mail_greets_with_40_characters_of_the_first_name(edition):
    name = "Your account expires visit bank example pl now and log in"
    registration, _token = create(edition, first_name=name, language="en")
    assert registration.first_name == name
    mail = OutboxMessage.objects.get(kind="registration.verify")
    assert f"Hello {name[:40]}," in mail.body_text
    assert name[:41] not in mail.body_text
    assert name[:41] not in mail.body_html
    assert name[:40] in mail.body_html


def test_a_first_name_of_40_characters_or_fewer_is_whole(edition):
    create(edition, first_name="Anna Maria", language="en")
    assert "Hello Anna Maria," in OutboxMessage.objects.get(kind="registration.verify").body_text
