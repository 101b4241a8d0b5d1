"""What a new server process does before its first request (``kongres.wsgi``, ``kongres.asgi``).

Django imports the URL configuration (and with it every view), builds the tables that
``reverse`` uses (one per language), loads the translations and compiles each template when
the first request needs them. A new process then answers its first requests in about a tenth
of a second more than the others (0.13 s for the registration form on the bench machine), and
at the opening of registration every process is new to the form at the same moment.
``warm_up`` does all that at start-up instead. It sends no query: it may run where no database
connection may be opened yet (``kongres serve`` before granian forks its workers).
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path

import django.forms
from django.apps import apps
from django.conf import settings
from django.forms.renderers import get_default_renderer
from django.template import engines
from django.urls import NoReverseMatch, URLResolver, get_resolver, reverse
from django.utils import translation

TEMPLATE_SUFFIXES = (".html", ".txt")


def warm_up() -> None:
    """Import the URLs, build ``reverse``'s tables (reversing every named URL) and load the
    translations of each language, compile the project's templates and the form widgets'
    templates."""
    names = list(_url_names(get_resolver().url_patterns))
    for code, _name in settings.LANGUAGES:
        with translation.override(code):
            # Each namespace's table is built by its first ``reverse``, also one that fails
            # for want of arguments.
            for name in names:
                with contextlib.suppress(NoReverseMatch):
                    reverse(name)
    for engine in engines.all():
        for name in project_templates():
            engine.get_template(name)
    renderer = get_default_renderer()
    for name in _templates_in(Path(django.forms.__file__).parent / "templates"):
        renderer.get_template(name)


def _url_names(patterns, namespace: str = "") -> Iterator[str]:
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            inner = f"{namespace}{pattern.namespace}:" if pattern.namespace else namespace
            yield from _url_names(pattern.url_patterns, inner)
        elif pattern.name:
            yield namespace + pattern.name


def project_templates() -> list[str]:
    """The names of the templates in the project's own apps (not Django's, not the admin's)."""
    names: list[str] = []
    for config in apps.get_app_configs():
        if config.name.startswith("kongres."):
            names += _templates_in(Path(config.path) / "templates")
    return sorted(set(names))


def _templates_in(directory: Path) -> list[str]:
    if not directory.is_dir():
        return []
    return [
        path.relative_to(directory).as_posix()
        for path in directory.rglob("*")
        if path.suffix in TEMPLATE_SUFFIXES and path.is_file()
    ]
