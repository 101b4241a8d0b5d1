"""A new server process does before its first request what that request would otherwise pay
for (kongres.core.warmup, run by kongres.wsgi and kongres.asgi)."""

import pytest
from django.forms.renderers import get_default_renderer
from django.template import engines
from django.template.base import Template
from django.urls import clear_url_caches, reverse
from django.urls.resolvers import URLResolver
from django.utils import translation

from kongres.core.warmup import project_templates, warm_up
from tests.factories import DayFactory, EditionFactory


def _as_a_new_process() -> None:
    """Forget the compiled templates and the URL tables, as in a process that just started."""
    template_engines = [engine.engine for engine in engines.all()]
    template_engines.append(get_default_renderer().engine.engine)
    for engine in template_engines:
        for loader in engine.template_loaders:
            loader.reset()
    clear_url_caches()


def _not_on_a_request(*args, **kwargs):
    raise AssertionError("a template compiled or a URL table built while answering a request")


@pytest.fixture
def edition(db):
    edition = EditionFactory(capacity=50)
    DayFactory(edition=edition, date=edition.start_date)
    return edition


@pytest.mark.parametrize("path", ["/rejestracja/", "/en/registration/", "/", "/en/"])
def test_after_warm_up_a_page_compiles_no_template_and_builds_no_url_table(
    client, edition, monkeypatch, path
):
    _as_a_new_process()
    warm_up()
    monkeypatch.setattr(Template, "compile_nodelist", _not_on_a_request)
    monkeypatch.setattr(URLResolver, "_populate", _not_on_a_request)
    response = client.get(path)
    assert response.status_code == 200
    assert 'name="email"' in response.text or path in ("/", "/en/")
    with translation.override("en"):
        assert reverse("registration:register") == "/en/registration/"


def test_a_new_process_without_warm_up_would_compile_on_its_first_request(
    client, edition, monkeypatch
):
    _as_a_new_process()
    monkeypatch.setattr(Template, "compile_nodelist", _not_on_a_request)
    with pytest.raises(AssertionError, match="while answering a request"):
        client.get("/rejestracja/")


def test_the_project_templates_are_those_of_its_own_apps():
    names = project_templates()
    assert "registration/register.html" in names
    assert "registration/_field.html" in names
    assert not any(name.startswith("admin/change_list") for name in names)
