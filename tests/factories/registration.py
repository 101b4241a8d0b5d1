"""Factories for registrations. Registrations are made through the services (so that the seat
pools count them), never as bare rows."""

import factory

from kongres.registration.choices import MunicipalitySize, QuestionKind, Sector, Voivodeship
from kongres.registration.models import Question, Registration
from kongres.registration.services import (
    RegistrationData,
    registration_create,
    registration_verify,
)
from tests.factories import EditionFactory


class RegistrationDataFactory(factory.Factory):
    class Meta:
        model = RegistrationData

    first_name = "Anna"
    last_name = factory.Sequence(lambda n: f"Nowak {n}")
    email = factory.Sequence(lambda n: f"osoba{n}@example.org")
    institution = "Urząd Miasta Krakowa"
    position = "specjalistka"
    sector = Sector.LOCAL_GOVERNMENT
    town = "Kraków"
    voivodeship = Voivodeship.MALOPOLSKIE
    municipality_size = MunicipalitySize.OVER_500K
    privacy_consent = True
    language = "pl"


class RegistrationFactory(factory.Factory):
    """``RegistrationFactory(edition=e, verified=True, data__email="a@b.pl")``: registered (and
    confirmed) through the services. The secret token is kept on ``registration.token``."""

    class Meta:
        model = Registration

    edition = factory.SubFactory(EditionFactory)
    data = factory.SubFactory(RegistrationDataFactory)
    verified = False

    @classmethod
    def _create(
        cls, model_class, *, edition, data, verified, now=None, actor=None, over_capacity=False
    ):
        registration, token = registration_create(
            edition=edition, data=data, now=now, actor=actor, over_capacity=over_capacity
        )
        if verified:
            registration = registration_verify(token=token, now=now)
        registration.token = token
        return registration


class QuestionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Question

    edition = factory.SubFactory(EditionFactory)
    slug = factory.Sequence(lambda n: f"pytanie-{n}")
    label_pl = factory.Sequence(lambda n: f"Pytanie {n}")
    label_en = factory.Sequence(lambda n: f"Question {n}")
    kind = QuestionKind.TEXT
