"""The registration's secret link: one live link per registration, made again for each mail
(review 2026-12, L3 and L6). Nobody but the owner replaces it (``link_tokens_replace``); a
stranger asking for "my link" for someone's address only gets the same link mailed to them.
Links open nothing once the edition is over by ``KONGRES_LINK_VALID_DAYS``
(``selectors.registration_get_by_token``)."""

from __future__ import annotations

from collections.abc import Iterable

from kongres.registration.models import Registration, RegistrationToken
from kongres.registration.tokens import token_derive, token_hash, token_new


def link_tokens(*, registration_ids: Iterable[int]) -> dict[int, str]:
    """The live token of each registration: the newest derivable one, else a new one (one
    insert for all the missing ones)."""
    ids = set(registration_ids)
    found: dict[int, str] = {}
    rows = (
        RegistrationToken.objects.filter(registration_id__in=ids)
        .exclude(salt="")
        .order_by("registration_id", "-pk")
        .values_list("registration_id", "salt", "token_hash")
    )
    for pk, salt, hashed in rows:
        if pk in found:
            continue
        token = token_derive(salt)
        if token_hash(token) == hashed:  # else SECRET_KEY changed since: mint a new one
            found[pk] = token
    new = []
    for pk in ids - found.keys():
        found[pk], hashed, salt = token_new()
        new.append(RegistrationToken(registration_id=pk, token_hash=hashed, salt=salt))
    RegistrationToken.objects.bulk_create(new, batch_size=2000)
    return found


def link_token(*, registration: Registration) -> str:
    """The registration's live token (see ``link_tokens``)."""
    return link_tokens(registration_ids=[registration.pk])[registration.pk]


def link_tokens_replace(*, registration: Registration) -> str:
    """Revoke every link of the registration and return a new one: for its owner only."""
    RegistrationToken.objects.filter(registration=registration).delete()
    token, hashed, salt = token_new()
    RegistrationToken.objects.create(registration=registration, token_hash=hashed, salt=salt)
    return token
