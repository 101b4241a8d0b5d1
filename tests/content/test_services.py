"""content.services: every change of a news post is audited and bumps the content generation
(the public pages cached before are not served again)."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.utils import timezone
from PIL import Image

from kongres.audit.models import AuditLogEntry
from kongres.content.models import NewsPost
from kongres.content.services import (
    ContentError,
    news_post_create,
    news_post_delete,
    news_post_publish,
    news_post_unpublish,
    news_post_update,
)
from kongres.core.cache import generation
from tests.factories import EditionFactory, NewsPostFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def image(name: str = "plakat.png", kind: str = "PNG") -> SimpleUploadedFile:
    buffer = io.BytesIO()
    Image.new("RGB", (4, 4), "white").save(buffer, kind)
    return SimpleUploadedFile(name, buffer.getvalue())


def test_create_folds_polish_letters_into_the_address_and_audits():
    edition = EditionFactory()
    post = news_post_create(edition=edition, actor=None, title_pl="  Łódź, Żółć i Gęś  ")
    assert (post.title_pl, post.slug, post.state) == (
        "Łódź, Żółć i Gęś",
        "lodz-zolc-i-ges",
        "draft",
    )
    entry = AuditLogEntry.objects.get()
    assert (entry.action, entry.edition_id, entry.after["slug"]) == (
        "news.create",
        edition.pk,
        "lodz-zolc-i-ges",
    )


def test_every_change_bumps_the_content_generation():
    edition = EditionFactory()
    seen = [generation()]
    with transaction.atomic():
        post = news_post_create(edition=edition, actor=None, title_pl="A")
        seen.append(generation())
    post = news_post_update(post=post, actor=None, title_pl="B")
    seen.append(generation())
    post = news_post_publish(post=post, actor=None)
    seen.append(generation())
    post = news_post_unpublish(post=post, actor=None)
    seen.append(generation())
    news_post_delete(post=post, actor=None)
    seen.append(generation())
    assert seen == sorted(set(seen))  # each one higher than the one before


def test_title_is_required():
    with pytest.raises(ContentError) as error:
        news_post_create(edition=EditionFactory(), actor=None, title_pl=" ")
    assert (error.value.code, error.value.field) == ("title_required", "title_pl")
    assert not NewsPost.objects.exists()
    assert not AuditLogEntry.objects.exists()


def test_image_is_checked_by_the_service_too():
    with pytest.raises(ContentError) as error:
        news_post_create(
            edition=EditionFactory(), actor=None, title_pl="A", image=image("gif.png", "GIF")
        )
    assert (error.value.code, error.value.field) == ("invalid_image", "image")
    assert not NewsPost.objects.exists()


def test_replacing_and_removing_the_image_delete_the_old_file(
    settings, django_capture_on_commit_callbacks
):
    post = news_post_create(edition=EditionFactory(), actor=None, title_pl="A", image=image())
    first = settings.MEDIA_ROOT / post.image.name
    assert first.exists()
    with django_capture_on_commit_callbacks(execute=True):
        post = news_post_update(post=post, actor=None, title_pl="A", image=image("nowy.png"))
    second = settings.MEDIA_ROOT / post.image.name
    assert (first.exists(), second.exists()) == (False, True)
    with django_capture_on_commit_callbacks(execute=True):
        post = news_post_update(post=post, actor=None, title_pl="A", remove_image=True)
    assert (post.image.name, second.exists()) == ("", False)
    entry = AuditLogEntry.objects.filter(action="news.update").order_by("pk").last()
    assert entry.after == {"image": ""}


def test_publish_brings_a_scheduled_post_forward_and_leaves_a_published_one():
    later = timezone.now() + dt.timedelta(days=1)
    scheduled = NewsPostFactory(published_at=later)
    published = NewsPostFactory()
    kept = published.published_at

    assert news_post_publish(post=scheduled, actor=None).published_at <= timezone.now()
    assert news_post_publish(post=published, actor=None).published_at == kept
    assert list(AuditLogEntry.objects.values_list("action", "object_id")) == [
        ("news.publish", str(scheduled.pk))
    ]


def test_unchanged_update_writes_no_audit_entry():
    post = NewsPostFactory(title_pl="A", title_en="", lead_pl="", body_pl="", published_at=None)
    news_post_update(post=post, actor=None, title_pl="A", slug=post.slug)
    assert list(AuditLogEntry.objects.values_list("before", "after")) == []
