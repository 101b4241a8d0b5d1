from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
from django.utils.functional import SimpleLazyObject

from kongres.core.cache import memoized
from kongres.events.selectors import edition_current


def _edition_current():
    return memoized("events:edition-current", edition_current)


class CurrentEditionMiddleware:
    """``request.edition``: the edition the public site shows, looked up at most once per
    request, and read from the database only when the cache does not have it for the current
    content (``memoized``)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        request.edition = SimpleLazyObject(_edition_current)
        return self.get_response(request)
