from tests.factories import EditionFactory


def test_home_shows_current_edition_title(client, db):
    EditionFactory(title_pl="Kongres próbny", title_en="Trial congress")
    response = client.get("/")
    assert response.status_code == 200
    assert "Kongres próbny" in response.text
    response = client.get("/en/")
    assert "Trial congress" in response.text
