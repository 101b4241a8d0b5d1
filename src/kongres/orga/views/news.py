"""The edition's news posts: list (with their state), write, edit, publish or take back,
delete. Administrators and editors (the need "content"); every change through
``content.services``."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from kongres.content import selectors
from kongres.content.models import NewsPost
from kongres.content.services import (
    ContentError,
    news_post_create,
    news_post_delete,
    news_post_publish,
    news_post_unpublish,
    news_post_update,
)
from kongres.events.models import Edition
from kongres.orga.access import orga_access_news_post, orga_view
from kongres.orga.forms import NewsPostForm

FIELDS = (
    "title_pl", "title_en", "lead_pl", "lead_en", "body_pl", "body_en",
    "image_alt_pl", "image_alt_en", "published_at", "slug",
)  # fmt: skip


@require_safe
@orga_view("content")
def news_list(request: HttpRequest, edition: Edition) -> HttpResponse:
    return render(
        request,
        "orga/news_list.html",
        {"edition": edition, "posts": list(selectors.news_of_edition(edition=edition))},
    )


def _form(request: HttpRequest, post: NewsPost | None) -> NewsPostForm:
    initial = {}
    if post is not None:
        initial = {name: getattr(post, name) for name in FIELDS}
        initial["image"] = post.image or None
    return NewsPostForm(
        request.POST or None,
        request.FILES or None,
        initial=initial,
        has_image=bool(post is not None and post.image),
        zone=timezone.get_current_timezone_name(),
    )


def _saved(request: HttpRequest, edition: Edition, post: NewsPost) -> HttpResponse:
    messages.success(
        request,
        _("The news post “%(title)s” was saved (%(state)s).")
        % {"title": post.title_pl, "state": post.get_state_display()},
    )
    return redirect("orga:news-list", edition=edition.slug)


@require_http_methods(["GET", "HEAD", "POST"])
@orga_view("content")
def news_create(request: HttpRequest, edition: Edition) -> HttpResponse:
    form = _form(request, None)
    if request.method == "POST" and form.is_valid():
        data = {name: form.cleaned_data[name] for name in FIELDS}
        try:
            post = news_post_create(
                edition=edition, actor=request.user, image=form.cleaned_data["image"], **data
            )
        except ContentError as error:
            form.add_error(error.field, error.message)
        else:
            return _saved(request, edition, post)
    return render(
        request,
        "orga/news_form.html",
        {"edition": edition, "form": form, "post": None},
    )


@require_http_methods(["GET", "HEAD", "POST"])
@orga_view("content")
def news_edit(request: HttpRequest, edition: Edition, pk: int) -> HttpResponse:
    post = orga_access_news_post(user=request.user, edition=edition, post_id=pk)
    form = _form(request, post)
    if request.method == "POST" and form.is_valid():
        data = {name: form.cleaned_data[name] for name in FIELDS}
        kept = post.published_at
        if kept is not None and data["published_at"] == kept.replace(second=0, microsecond=0):
            data["published_at"] = kept  # the form shows minutes: an unchanged time stays exact
        image = form.cleaned_data["image"]
        try:
            post = news_post_update(
                post=post,
                actor=request.user,
                image=image or None,
                remove_image=image is False,
                **data,
            )
        except ContentError as error:
            form.add_error(error.field, error.message)
        else:
            return _saved(request, edition, post)
    return render(
        request,
        "orga/news_form.html",
        {"edition": edition, "form": form, "post": post},
    )


@require_POST
@orga_view("content")
def news_publish(request: HttpRequest, edition: Edition, pk: int) -> HttpResponse:
    post = orga_access_news_post(user=request.user, edition=edition, post_id=pk)
    post = news_post_publish(post=post, actor=request.user)
    messages.success(request, _("“%(title)s” is published.") % {"title": post.title_pl})
    return redirect("orga:news-list", edition=edition.slug)


@require_POST
@orga_view("content")
def news_unpublish(request: HttpRequest, edition: Edition, pk: int) -> HttpResponse:
    post = orga_access_news_post(user=request.user, edition=edition, post_id=pk)
    post = news_post_unpublish(post=post, actor=request.user)
    messages.success(
        request, _("“%(title)s” is a draft again: not shown.") % {"title": post.title_pl}
    )
    return redirect("orga:news-list", edition=edition.slug)


@require_http_methods(["GET", "HEAD", "POST"])
@orga_view("content")
def news_delete(request: HttpRequest, edition: Edition, pk: int) -> HttpResponse:
    """GET: what will be deleted, with a confirm button; POST: delete."""
    post = orga_access_news_post(user=request.user, edition=edition, post_id=pk)
    if request.method == "POST":
        news_post_delete(post=post, actor=request.user)
        messages.success(request, _("“%(title)s” was deleted.") % {"title": post.title_pl})
        return redirect("orga:news-list", edition=edition.slug)
    return render(request, "orga/news_delete.html", {"edition": edition, "post": post})
