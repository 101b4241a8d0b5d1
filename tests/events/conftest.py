import datetime as dt
import re

import pytest
from django.utils.html import strip_tags

from tests.factories import EditionFactory, VenueFactory


def page_text(response) -> str:
    """The page as a reader sees it: tags stripped, whitespace collapsed."""
    return re.sub(r"\s+", " ", strip_tags(response.content.decode())).strip()


@pytest.fixture
def venue(db):
    return VenueFactory(name_pl="Centrum Konferencyjne Fabryczna 13", city_pl="Kraków")


@pytest.fixture
def edition(venue):
    """The current edition, 7-8 October 2027 (in the future), in Kraków."""
    return EditionFactory(
        title_pl="IV Kongres Polityki Miejskiej",
        title_en="4th Urban Policy Congress",
        motto_pl="Polska wielu prędkości?",
        motto_en="A multi-speed Poland?",
        start_date=dt.date(2027, 10, 7),
        end_date=dt.date(2027, 10, 8),
        venue=venue,
        host_city_pl="Kraków",
        host_city_en="Krakow",
    )
