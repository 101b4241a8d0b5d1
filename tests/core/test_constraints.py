"""A violated constraint is recognised by its name as the database reports it (PostgreSQL's
diagnostics, SQLite's message), on whichever database the tests run."""

import pytest
from django.db import IntegrityError, connection, transaction
from django.db.models import F

from kongres.checkin.models import Gate
from kongres.core.constraints import constraint_name, constraint_violated
from kongres.registration.models import Registration, SeatPool
from tests.factories import EditionFactory
from tests.factories.registration import RegistrationDataFactory, RegistrationFactory

pytestmark = pytest.mark.django_db


def violation(write) -> IntegrityError:
    with pytest.raises(IntegrityError) as caught, transaction.atomic():
        write()
    return caught.value


def test_a_unique_index_with_a_condition_is_named():
    first = RegistrationFactory(data=RegistrationDataFactory(email="anna@example.org"))
    error = violation(
        lambda: Registration.objects.create(
            edition=first.edition,
            email="ANNA@example.org",
            first_name="Anna",
            last_name="Nowak",
            status=Registration.Status.WAITING,
        )
    )
    assert constraint_name(error) == "registration_active_email_unique"
    assert constraint_violated(error, "registration_active_email_unique")
    assert not constraint_violated(error, "seatpool_taken_within_capacity")


def test_a_check_constraint_is_named():
    edition = EditionFactory(capacity=1)
    RegistrationFactory(edition=edition)  # the pools exist, the one seat is taken
    pool = SeatPool.objects.filter(edition=edition, day__isnull=True)
    error = violation(lambda: pool.update(taken=F("taken") + 1))
    assert constraint_violated(error, "seatpool_taken_within_capacity")
    assert not constraint_violated(error, "registration_active_email_unique")


def test_a_unique_constraint_over_plain_columns():
    """PostgreSQL names it; SQLite names its columns only, so it is not recognised there."""
    edition = EditionFactory()
    Gate.objects.create(edition=edition, name="A")
    error = violation(lambda: Gate.objects.create(edition=edition, name="A"))
    if connection.vendor == "postgresql":
        assert constraint_violated(error, "checkin_gate_name_unique")
    else:
        assert connection.vendor == "sqlite"
        assert "checkin_gate.edition_id, checkin_gate.name" in str(error)
        assert constraint_name(error) is None


def test_an_error_that_names_no_constraint():
    assert constraint_name(IntegrityError("something else")) is None
