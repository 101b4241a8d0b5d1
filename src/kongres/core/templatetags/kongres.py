"""Template tags used everywhere (loaded as a builtin)."""

from __future__ import annotations

from django import template
from django.conf import settings
from django.urls import NoReverseMatch, Resolver404, resolve, reverse
from django.utils.html import format_html
from django.utils.safestring import SafeString
from django.utils.translation import get_language, override

from kongres.core.markdown import render_markdown

register = template.Library()


def _translated(obj, field: str) -> tuple[str, str | None]:
    """The field's text in the active language, and the language it really is in when it fell
    back to another one (None when it is in the active language)."""
    active = (get_language() or settings.LANGUAGE_CODE).split("-")[0]
    own = getattr(obj, f"{field}_{active}", None)
    if own:
        return own, None
    for code, _name in settings.LANGUAGES:
        value = getattr(obj, f"{field}_{code}", None)
        if value:
            return value, code
    return "", None


@register.simple_tag
def tr(obj, field: str, markdown: bool = False, tag: str = "span") -> SafeString:
    """``{% tr post "title" %}``: the text in the active language; when only the Polish text
    exists, it is shown marked ``lang="pl"`` so that screen readers pronounce it right."""
    value, fallback = _translated(obj, field)
    body = render_markdown(value) if markdown else value
    if fallback is None:
        return format_html("{}", body)
    if markdown:
        tag = "div"
    return format_html('<{} lang="{}">{}</{}>', tag, fallback, body, tag)


@register.filter
def markdown(text: str) -> SafeString:
    return render_markdown(text)


@register.simple_tag(takes_context=True)
def other_language_url(context, code: str, absolute: bool = False) -> str:
    """The address of the page being shown, in the language ``code`` (``/aktualnosci/x/`` ↔
    ``/en/news/x/``). An address that names no page (a 404) leads to that language's home page."""
    request = context.get("request")
    if request is None:
        return "/"
    known = request.__dict__.setdefault("_other_language_urls", {})  # a page asks 4 times
    url = known.get(code)
    if url is None:
        url = known[code] = _other_language_url(request, code)
    return request.build_absolute_uri(url) if absolute else url


def _other_language_url(request, code: str) -> str:
    # The view Django resolved for this request (no second resolve); a page that has none
    # (an address that names no page) leads to that language's home page.
    match = request.resolver_match
    if match is None:
        try:
            match = resolve(request.path_info)
        except Resolver404:
            with override(code):
                return reverse("events:home")
    with override(code):
        try:
            url = reverse(match.view_name, args=match.args, kwargs=match.kwargs)
        except NoReverseMatch:
            return request.get_full_path_info()
    query = request.META.get("QUERY_STRING", "")
    return f"{url}?{query}" if query else url
