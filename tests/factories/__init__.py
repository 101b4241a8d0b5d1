"""factory_boy factories with boring defaults."""

import datetime as dt

import factory
from django.utils import timezone

from kongres.content.models import NewsPost, Page
from kongres.events.models import (
    Day,
    Edition,
    EditionOrganisation,
    Organisation,
    Room,
    Series,
    Session,
    Speaker,
    Track,
    Venue,
)


class SeriesFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Series
        django_get_or_create = ("slug",)

    name_pl = "Kongres Testowy"
    name_en = "Test Congress"
    slug = "kongres-testowy"


class VenueFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Venue

    name_pl = "Centrum Testowe"
    address = "ul. Testowa 1"
    postal_code = "00-001"
    city_pl = "Kraków"
    city_en = "Krakow"
    step_free_access = True


class EditionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Edition

    series = factory.SubFactory(SeriesFactory)
    ordinal = factory.Sequence(lambda n: n + 1)
    slug = factory.Sequence(lambda n: f"edycja-{n + 1}")
    title_pl = factory.Sequence(lambda n: f"Edycja {n + 1}")
    title_en = factory.Sequence(lambda n: f"Edition {n + 1}")
    motto_pl = "Hasło edycji"
    start_date = factory.LazyFunction(lambda: timezone.localdate() + dt.timedelta(days=40))
    end_date = factory.LazyAttribute(lambda o: o.start_date + dt.timedelta(days=1))
    venue = factory.SubFactory(VenueFactory)
    status = Edition.Status.PUBLISHED
    capacity = 100


class OrganisationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Organisation

    name_pl = factory.Sequence(lambda n: f"Organizacja {n}")
    name_en = factory.Sequence(lambda n: f"Organisation {n}")
    slug = factory.Sequence(lambda n: f"organizacja-{n}")


class EditionOrganisationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = EditionOrganisation

    edition = factory.SubFactory(EditionFactory)
    organisation = factory.SubFactory(OrganisationFactory)
    role = EditionOrganisation.Role.ORGANISER


class DayFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Day

    edition = factory.SubFactory(EditionFactory)
    date = factory.LazyAttribute(lambda o: o.edition.start_date)


class RoomFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Room

    venue = factory.SubFactory(VenueFactory)
    name_pl = factory.Sequence(lambda n: f"Sala {n}")
    slug = factory.Sequence(lambda n: f"sala-{n}")
    capacity = 100


class TrackFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Track

    edition = factory.SubFactory(EditionFactory)
    name_pl = factory.Sequence(lambda n: f"Panel {n}")
    name_en = factory.Sequence(lambda n: f"Panel {n} (en)")
    slug = factory.Sequence(lambda n: f"panel-{n}")


class SpeakerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Speaker

    name = factory.Sequence(lambda n: f"Prelegent {n}")
    slug = factory.Sequence(lambda n: f"prelegent-{n}")
    affiliation_pl = "Instytucja"


class SessionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Session

    edition = factory.SubFactory(EditionFactory)
    title_pl = factory.Sequence(lambda n: f"Sesja {n}")
    title_en = factory.Sequence(lambda n: f"Session {n}")
    slug = factory.Sequence(lambda n: f"sesja-{n}")
    kind = Session.Kind.PANEL
    track = factory.SubFactory(TrackFactory, edition=factory.SelfAttribute("..edition"))
    room = factory.SubFactory(RoomFactory, venue=factory.SelfAttribute("..edition.venue"))
    starts_at = factory.LazyAttribute(
        lambda o: timezone.make_aware(dt.datetime.combine(o.edition.start_date, dt.time(10, 0)))
    )
    ends_at = factory.LazyAttribute(lambda o: o.starts_at + dt.timedelta(minutes=90))


class NewsPostFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = NewsPost

    edition = factory.SubFactory(EditionFactory)
    title_pl = factory.Sequence(lambda n: f"Aktualność {n}")
    title_en = factory.Sequence(lambda n: f"News {n}")
    slug = factory.Sequence(lambda n: f"aktualnosc-{n}")
    lead_pl = "Wstęp"
    body_pl = "Treść **wpisu**."
    published_at = factory.LazyFunction(lambda: timezone.now() - dt.timedelta(hours=1))


class PageFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Page

    kind = Page.Kind.OTHER
    title_pl = factory.Sequence(lambda n: f"Strona {n}")
    slug = factory.Sequence(lambda n: f"strona-{n}")
    body_pl = "Treść strony."
