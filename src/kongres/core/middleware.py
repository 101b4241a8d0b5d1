from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
from django.utils.functional import SimpleLazyObject


class CurrentEditionMiddleware:
    """``request.edition``: the edition the public site shows, looked up at most once."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        from kongres.events.selectors import edition_current

        request.edition = SimpleLazyObject(edition_current)
        return self.get_response(request)
