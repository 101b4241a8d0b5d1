"""Every change of a news post: create, update, publish, unpublish, delete. Each runs in one
transaction with its audit log entry, and bumps the content generation (``core.cache``), so that
the public pages cached before show the change at once (the ``post_save``/``post_delete``
signals bump it too, for any save, the admin's included; the services do not rely on them).

Entry points (the back office, the admin's superusers through their own forms, commands) parse
their input and call these; a ``ContentError`` carries a translated message, a code and the form
field it belongs to."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib.auth.base_user import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.core.files import File
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext_lazy as _

from kongres.audit.services import audit_log
from kongres.content.models import NewsPost
from kongres.core.cache import content_changed
from kongres.core.exceptions import KongresError
from kongres.core.search import fold
from kongres.core.validators import validate_uploaded_image
from kongres.events.models import Edition

SLUG_MAX = NewsPost._meta.get_field("slug").max_length
# What the audit log records of a post (the image by its stored name).
AUDITED = (
    "title_pl", "title_en", "slug", "lead_pl", "lead_en", "body_pl", "body_en",
    "image", "image_alt_pl", "image_alt_en", "published_at",
)  # fmt: skip


class ContentError(KongresError):
    """A news post that cannot be saved; ``field``: the form field it is about (or None)."""

    def __init__(self, message, code: str | None = None, *, field: str | None = None) -> None:
        super().__init__(message, code)
        self.field = field


def _snapshot(post: NewsPost) -> dict[str, Any]:
    # an English field never filled is None (django-modeltranslation), an emptied one "": same
    values = {name: getattr(post, name) or "" for name in AUDITED}
    values["published_at"] = post.published_at
    values["image"] = post.image.name if post.image else ""
    return values


def _slug_free(slug: str, *, post: NewsPost | None) -> bool:
    others = NewsPost.objects.filter(slug=slug)
    if post is not None and post.pk is not None:
        others = others.exclude(pk=post.pk)
    return not others.exists()


def _slug_for(*, slug: str, title: str, post: NewsPost | None) -> str:
    """``slug`` as given (it must be free), or made from ``title`` (Polish letters folded:
    "Żółć" → "zolc"), with "-2", "-3", … when another post has it."""
    if slug:
        slug = slugify(slug)[:SLUG_MAX]
        if not slug:
            raise ContentError(
                _("Use letters, digits and hyphens in the address."), "invalid_slug", field="slug"
            )
        if not _slug_free(slug, post=post):
            raise ContentError(
                _("Another news post has this address. Choose another one."),
                "slug_taken",
                field="slug",
            )
        return slug
    base = slugify(fold(title))[: SLUG_MAX - 4].strip("-") or "aktualnosc"
    candidate, number = base, 1
    while not _slug_free(candidate, post=post):
        number += 1
        candidate = f"{base}-{number}"
    return candidate


def _check_image(image: File | None) -> None:
    if not image:
        return
    try:
        validate_uploaded_image(image)
    except ValidationError as error:
        raise ContentError(error.messages[0], "invalid_image", field="image") from error


def _delete_file_on_commit(name: str) -> None:
    """Remove a stored image once the transaction that stopped using it has committed."""
    if name:
        storage = NewsPost._meta.get_field("image").storage
        transaction.on_commit(lambda: storage.delete(name))


def _apply(
    post: NewsPost,
    *,
    title_pl: str,
    title_en: str,
    lead_pl: str,
    lead_en: str,
    body_pl: str,
    body_en: str,
    image_alt_pl: str,
    image_alt_en: str,
    published_at: dt.datetime | None,
    slug: str,
) -> None:
    title_pl = title_pl.strip()
    if not title_pl:
        raise ContentError(_("Give the post a Polish title."), "title_required", field="title_pl")
    if published_at is not None and timezone.is_naive(published_at):
        raise ValueError("published_at must be an aware datetime")
    post.title_pl = title_pl
    post.title_en = title_en.strip()
    post.lead_pl, post.lead_en = lead_pl.strip(), lead_en.strip()
    post.body_pl, post.body_en = body_pl, body_en
    post.image_alt_pl, post.image_alt_en = image_alt_pl.strip(), image_alt_en.strip()
    post.published_at = published_at
    post.slug = _slug_for(slug=slug.strip(), title=title_pl, post=post)


def _save(post: NewsPost) -> None:
    try:
        with transaction.atomic():  # a savepoint: the caller's transaction stays usable
            post.save()
    except IntegrityError as error:  # the same address taken meanwhile by another post
        raise ContentError(
            _("Another news post has this address. Choose another one."),
            "slug_taken",
            field="slug",
        ) from error


def news_post_create(
    *,
    edition: Edition,
    actor: AbstractBaseUser | None,
    title_pl: str,
    title_en: str = "",
    lead_pl: str = "",
    lead_en: str = "",
    body_pl: str = "",
    body_en: str = "",
    image: File | None = None,
    image_alt_pl: str = "",
    image_alt_en: str = "",
    published_at: dt.datetime | None = None,
    slug: str = "",
) -> NewsPost:
    """A new post of ``edition``: a draft without ``published_at``, scheduled with a time to
    come, published with a time past. ``slug`` empty: made from the Polish title."""
    _check_image(image)
    post = NewsPost(edition=edition)
    with transaction.atomic():
        _apply(
            post,
            title_pl=title_pl,
            title_en=title_en,
            lead_pl=lead_pl,
            lead_en=lead_en,
            body_pl=body_pl,
            body_en=body_en,
            image_alt_pl=image_alt_pl,
            image_alt_en=image_alt_en,
            published_at=published_at,
            slug=slug,
        )
        if image:
            post.image = image
        _save(post)
        audit_log(actor=actor, action="news.create", obj=post, after=_snapshot(post))
        content_changed()
    return post


def news_post_update(
    *,
    post: NewsPost,
    actor: AbstractBaseUser | None,
    title_pl: str,
    title_en: str = "",
    lead_pl: str = "",
    lead_en: str = "",
    body_pl: str = "",
    body_en: str = "",
    image: File | None = None,
    remove_image: bool = False,
    image_alt_pl: str = "",
    image_alt_en: str = "",
    published_at: dt.datetime | None = None,
    slug: str = "",
) -> NewsPost:
    """Every field of ``post`` as given. ``image``: a new image (the old file is deleted after
    the commit); None keeps the present one, unless ``remove_image``."""
    _check_image(image)
    with transaction.atomic():
        post = NewsPost.objects.select_for_update().get(pk=post.pk)
        before = _snapshot(post)
        old_file = post.image.name if post.image else ""
        _apply(
            post,
            title_pl=title_pl,
            title_en=title_en,
            lead_pl=lead_pl,
            lead_en=lead_en,
            body_pl=body_pl,
            body_en=body_en,
            image_alt_pl=image_alt_pl,
            image_alt_en=image_alt_en,
            published_at=published_at,
            slug=slug,
        )
        if image:
            post.image = image
        elif remove_image:
            post.image = ""
        _save(post)
        after = _snapshot(post)
        changed = [name for name in AUDITED if before[name] != after[name]]
        if changed:
            audit_log(
                actor=actor,
                action="news.update",
                obj=post,
                before={name: before[name] for name in changed},
                after={name: after[name] for name in changed},
            )
        if old_file and old_file != after["image"]:
            _delete_file_on_commit(old_file)
        content_changed()
    return post


def _set_published_at(
    *, post: NewsPost, actor: AbstractBaseUser | None, value: dt.datetime | None, action: str
) -> NewsPost:
    with transaction.atomic():
        post = NewsPost.objects.select_for_update().get(pk=post.pk)
        before = post.published_at
        post.published_at = value
        post.save(update_fields=["published_at", "updated_at"])
        audit_log(
            actor=actor,
            action=action,
            obj=post,
            before={"published_at": before},
            after={"published_at": value},
        )
        content_changed()
    return post


def news_post_publish(*, post: NewsPost, actor: AbstractBaseUser | None) -> NewsPost:
    """Show ``post`` from now on (a draft, or a scheduled post brought forward). A post already
    published keeps its publication time."""
    if post.state == NewsPost.State.PUBLISHED:
        return post
    return _set_published_at(post=post, actor=actor, value=timezone.now(), action="news.publish")


def news_post_unpublish(*, post: NewsPost, actor: AbstractBaseUser | None) -> NewsPost:
    """Back to a draft: no longer shown (nor scheduled)."""
    if post.published_at is None:
        return post
    return _set_published_at(post=post, actor=actor, value=None, action="news.unpublish")


def news_post_delete(*, post: NewsPost, actor: AbstractBaseUser | None) -> None:
    """Delete ``post`` and, after the commit, its image file."""
    with transaction.atomic():
        image = post.image.name if post.image else ""
        audit_log(actor=actor, action="news.delete", obj=post, before=_snapshot(post))
        post.delete()
        _delete_file_on_commit(image)
        content_changed()
