import pytest

from kongres.events.models import EditionOrganisation
from tests.events.conftest import page_text
from tests.factories import EditionOrganisationFactory, OrganisationFactory

Role = EditionOrganisation.Role


def test_organisers_page_groups_by_role(client, edition):
    ministry = OrganisationFactory(
        name_pl="Ministerstwo Funduszy i Polityki Regionalnej",
        name_en="Ministry of Funds and Regional Policy",
        url="https://www.gov.pl/web/fundusze-regiony",
        description_pl="Ministerstwo odpowiada za **fundusze**.",
        description_en="The ministry is in charge of **funds**.",
        logo="logos/mfipr.svg",
        logo_alt_pl="Godło i nazwa ministerstwa",
        logo_alt_en="Emblem and name of the ministry",
    )
    krakow = OrganisationFactory(name_pl="Miasto Kraków", name_en="City of Krakow")
    EditionOrganisationFactory(edition=edition, organisation=krakow, role=Role.HOST_CITY)
    EditionOrganisationFactory(edition=edition, organisation=ministry, role=Role.ORGANISER)

    response = client.get("/organizatorzy/")
    text = page_text(response)
    assert response.status_code == 200
    assert (
        "Organizatorzy i partnerzy Organizatorzy Ministerstwo Funduszy i Polityki Regionalnej "
        "Ministerstwo odpowiada za fundusze. Strona internetowa"
    ) in text
    assert "Miasto gospodarz Miasto Kraków" in text
    assert "<strong>fundusze</strong>" in response.text
    assert '<a href="https://www.gov.pl/web/fundusze-regiony">Strona internetowa' in response.text
    assert 'src="/media/logos/mfipr.svg" alt="Godło i nazwa ministerstwa"' in response.text

    response = client.get("/en/organisers/")
    text = page_text(response)
    assert "Organisers Ministry of Funds and Regional Policy The ministry is in charge" in text
    assert "Host city City of Krakow" in text
    assert 'alt="Emblem and name of the ministry"' in response.text


def test_organisers_page_without_organisations(client, edition):
    response = client.get("/en/organisers/")
    assert "The organisers will be listed here." in page_text(response)


def test_organisers_page_without_edition(client, db):
    assert client.get("/organizatorzy/").status_code == 200


@pytest.mark.parametrize("count", [1, 3])
def test_organisers_queries_do_not_grow(client, edition, django_assert_num_queries, count):
    for n in range(count):
        EditionOrganisationFactory(
            edition=edition, organisation__name_pl=f"Partner {n}", role=Role.PARTNER
        )
    with django_assert_num_queries(2):  # edition, organisations with their roles
        response = client.get("/organizatorzy/")
    text = page_text(response)
    assert all(f"Partner {n}" in text for n in range(count))
