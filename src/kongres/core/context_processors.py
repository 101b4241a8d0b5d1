from django.http import HttpRequest
from django.utils.functional import cached_property

from kongres.core.cache import cache_seconds, generation


class Chrome:
    """What the cached parts of the pages' frame (brand, menu, footer: ``{% cache %}`` in
    ``public/base.html``) are keyed on: read only by a page that renders them."""

    @property
    def seconds(self) -> int:
        return cache_seconds()

    @cached_property  # one read per page (this object lives for one request)
    def generation(self) -> int:
        return generation()


def site(request: HttpRequest) -> dict:
    return {"current_edition": getattr(request, "edition", None), "chrome": Chrome()}
