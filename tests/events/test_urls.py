import pytest
from django.urls import reverse
from django.utils import translation

PATHS = [
    ("events:home", {}, "/", "/en/"),
    ("events:programme", {}, "/program/", "/en/programme/"),
    ("events:session", {"slug": "s"}, "/program/s/", "/en/programme/s/"),
    ("events:session-ics", {"slug": "s"}, "/program/s.ics", "/en/programme/s.ics"),
    ("events:speakers", {}, "/prelegenci/", "/en/speakers/"),
    ("events:speaker", {"slug": "s"}, "/prelegenci/s/", "/en/speakers/s/"),
    ("events:venue", {}, "/miejsce/", "/en/venue/"),
    ("events:organisers", {}, "/organizatorzy/", "/en/organisers/"),
    ("events:archive", {}, "/archiwum/", "/en/archive/"),
    ("events:edition", {"slug": "iv"}, "/edycje/iv/", "/en/editions/iv/"),
    ("events:edition-ics", {"slug": "iv"}, "/edycje/iv.ics", "/en/editions/iv.ics"),
]


@pytest.mark.parametrize(("name", "kwargs", "polish", "english"), PATHS)
def test_paths_are_translated(name, kwargs, polish, english):
    with translation.override("pl"):
        assert reverse(name, kwargs=kwargs) == polish
    with translation.override("en"):
        assert reverse(name, kwargs=kwargs) == english


@pytest.mark.parametrize("method", ["post", "put", "delete"])
def test_pages_only_answer_reads(client, db, method):
    assert getattr(client, method)("/program/").status_code == 405
