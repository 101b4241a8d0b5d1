from django.http import HttpRequest
from django.utils.functional import cached_property

from kongres.core.cache import cache_seconds, request_generation


class Chrome:
    """What the cached parts of the pages' frame (brand, menu, footer: ``{% cache %}`` in
    ``public/base.html``) are keyed on: read only by a page that renders them."""

    @property
    def seconds(self) -> int:
        return cache_seconds()

    def __init__(self, request: HttpRequest) -> None:
        self.request = request

    @cached_property  # read only by a page that renders them
    def generation(self) -> int:
        return request_generation(self.request)  # at most one read per request


def site(request: HttpRequest) -> dict:
    return {"current_edition": getattr(request, "edition", None), "chrome": Chrome(request)}
