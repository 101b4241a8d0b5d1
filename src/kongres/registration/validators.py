"""Validators and normalisers for what people type into the registration form."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

# Allowed inside a name besides letters and combining marks: spaces, hyphens (ASCII and
# Unicode), apostrophes (ASCII and typographic) and full stops ("Jr.").
NAME_PUNCTUATION = frozenset(" -\u2010\u2011'\u2019.")
WHITESPACE = re.compile(r"\s+")


def normalise_line(value: str) -> str:
    """One line of text: Unicode NFC (so that "ó" typed two ways compares equal), control
    characters removed, runs of whitespace made one space, trimmed."""
    value = unicodedata.normalize("NFC", value)
    value = "".join(
        char for char in value if char in "\t\n\r" or unicodedata.category(char) != "Cc"
    )
    return WHITESPACE.sub(" ", value).strip()


def normalise_text(value: str) -> str:
    """Several lines of text: NFC, control characters other than line breaks removed, ``\\r\\n``
    made ``\\n``, trimmed."""
    value = unicodedata.normalize("NFC", value).replace("\r\n", "\n").replace("\r", "\n")
    value = "".join(char for char in value if char in "\t\n" or unicodedata.category(char) != "Cc")
    return value.strip()


def validate_person_name(value: str) -> None:
    """Letters of any alphabet (with diacritics), spaces, hyphens, apostrophes and full stops:
    "Żółć-Ęą", "O'Brien", "Łukasz", "Jean-Luc", "d\u2019Artagnan"; at least one letter."""
    has_letter = False
    for char in value:
        category = unicodedata.category(char)
        if category.startswith("L"):
            has_letter = True
        elif category.startswith("M") or char in NAME_PUNCTUATION:
            continue
        else:
            raise ValidationError(
                _("Use only letters, spaces, hyphens and apostrophes."), code="name_characters"
            )
    if not has_letter:
        raise ValidationError(_("Enter a name with at least one letter."), code="name_letters")


def email_key(address: str, *, tag_domains: Iterable[str] | None = None) -> str:
    """The address as duplicates are found: in lower case, and without a ``+tag`` at the
    domains that ignore it (``settings.KONGRES_EMAIL_TAG_DOMAINS``): ``Jan+x@Gmail.com`` and
    ``jan@gmail.com`` are one person."""
    address = address.strip().lower()
    local, at, domain = address.rpartition("@")
    if not at:
        return address
    if tag_domains is None:
        tag_domains = settings.KONGRES_EMAIL_TAG_DOMAINS
    if domain in {name.strip().lower() for name in tag_domains} and "+" in local:
        local = local.split("+", 1)[0] or local
    return f"{local}@{domain}"
