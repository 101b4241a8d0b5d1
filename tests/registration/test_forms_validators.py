import pytest
from django.core.exceptions import ValidationError

from kongres.registration.validators import normalise_line, normalise_text, validate_person_name


@pytest.mark.parametrize(
    "name",
    [
        "Żółć-Ęą",
        "O'Brien",
        "Łukasz",
        "Jean-Luc",
        "d\u2019Artagnan",
        "Anna Maria",
        "Jr.",
        "Ñúñez",
        "Ψ",
    ],
)
def test_validate_person_name_accepts_real_names(name):
    assert validate_person_name(name) is None


@pytest.mark.parametrize(
    ("name", "code"),
    [
        ("<b>Jan</b>", "name_characters"),
        ("Jan2", "name_characters"),
        ("jan@example.org", "name_characters"),
        ("--", "name_letters"),
        ("'", "name_letters"),
    ],
)
def test_validate_person_name_rejects_other_characters(name, code):
    with pytest.raises(ValidationError) as caught:
        validate_person_name(name)
    assert caught.value.code == code


def test_normalise_line_composes_collapses_and_strips():
    decomposed = "Zo\u0301\u0142ta  \t  Ł\x00ódź "
    assert normalise_line(decomposed) == "Żółta Łódź".replace("Ż", "Z")


def test_normalise_text_keeps_line_breaks():
    assert normalise_text("  bez glutenu\r\n\r\nbez laktozy\x07 ") == "bez glutenu\n\nbez laktozy"
