"""Links of the public pages that are the same for the current edition and for a past one in
the archive: a template rendered with ``archive`` (the edition, in the archive) links to the
archive's addresses (``/archiwum/<edition>/…``), else to the current edition's."""

from __future__ import annotations

from django import template
from django.urls import reverse

register = template.Library()


def _archive_slug(context) -> str | None:
    archive = context.get("archive")
    return archive.slug if archive else None


@register.simple_tag(takes_context=True)
def edition_url(context, name: str) -> str:
    """``{% edition_url "programme" %}``: events:programme, or events:archive-programme."""
    slug = _archive_slug(context)
    if slug is None:
        return reverse(f"events:{name}")
    return reverse(f"events:archive-{name}", kwargs={"archive": slug})


@register.simple_tag(takes_context=True)
def session_url(context, session) -> str:
    slug = _archive_slug(context)
    if slug is None:
        return session.get_absolute_url()
    return reverse("events:archive-session", kwargs={"archive": slug, "slug": session.slug})


@register.simple_tag(takes_context=True)
def speaker_url(context, speaker) -> str:
    slug = _archive_slug(context)
    if slug is None:
        return speaker.get_absolute_url()
    return reverse("events:archive-speaker", kwargs={"archive": slug, "slug": speaker.slug})
