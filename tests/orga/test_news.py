"""The edition's news posts in the back office: an editor writes, schedules, publishes, takes
back, edits and deletes a post; the public pages (cached whole) show each change at once; bad
input is refused with what was typed kept; every change is in the audit log."""

from __future__ import annotations

import datetime as dt
import io
import os
from zoneinfo import ZoneInfo

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from PIL import Image

from kongres.audit.models import AuditLogEntry
from kongres.content.models import NewsPost
from tests.factories import EditionFactory, NewsPostFactory

pytestmark = pytest.mark.django_db

WARSAW = ZoneInfo("Europe/Warsaw")


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def editor(role_user):
    return role_user("editor", "redaktorka")


@pytest.fixture
def editor_client(client, editor):
    client.force_login(editor)
    return client


def png(size=(4, 4)) -> bytes:
    """A real PNG of noise (it does not compress: about 3 bytes a pixel)."""
    buffer = io.BytesIO()
    Image.frombytes("RGB", size, os.urandom(size[0] * size[1] * 3)).save(buffer, "PNG")
    return buffer.getvalue()


def gif() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (4, 4), "white").save(buffer, "GIF")
    return buffer.getvalue()


def url(edition, name: str = "", pk: int | None = None) -> str:
    base = f"/orga/{edition.slug}/aktualnosci/"
    if pk is None:
        return base + ("nowa/" if name == "create" else "")
    return f"{base}{pk}/" + {"": "", "publish": "opublikuj/", "unpublish": "wycofaj/",
                             "delete": "usun/"}[name]  # fmt: skip


def form_data(**changes) -> dict:
    data = {
        "title_pl": "Zażółć gęślą jaźń: program gotowy",
        "title_en": "The programme is ready",
        "lead_pl": "Znamy już program.",
        "lead_en": "The programme is known.",
        "body_pl": "## Panele\n\n- **mobilność**\n- rewitalizacja",
        "body_en": "## Panels\n\n- **mobility**",
        "image_alt_pl": "",
        "image_alt_en": "",
        "published_at": "",
        "slug": "",
    }
    return {**data, **changes}


def test_urls_are_translated(edition):
    from django.urls import reverse
    from django.utils import translation

    with translation.override("en"):
        assert reverse("orga:news-create", kwargs={"edition": edition.slug}) == (
            f"/en/orga/{edition.slug}/news/new/"
        )
    assert reverse("orga:news-publish", kwargs={"edition": edition.slug, "pk": 7}) == (
        url(edition, "publish", 7)
    )


def test_editor_writes_a_draft_in_polish_and_english(editor_client, edition, editor):
    response = editor_client.post(url(edition, "create"), form_data())

    assert response.status_code == 302
    assert response["Location"] == url(edition)
    post = NewsPost.objects.get()
    assert (post.edition, post.slug, post.state) == (
        edition,
        "zazolc-gesla-jazn-program-gotowy",
        NewsPost.State.DRAFT,
    )
    assert (post.title_pl, post.title_en, post.lead_en) == (
        "Zażółć gęślą jaźń: program gotowy",
        "The programme is ready",
        "The programme is known.",
    )
    entry = AuditLogEntry.objects.get()
    assert (entry.action, entry.actor, entry.edition, entry.object_id) == (
        "news.create",
        editor,
        edition,
        str(post.pk),
    )
    assert entry.after["title_en"] == "The programme is ready"
    page = editor_client.get(url(edition)).text
    assert "Wpis „Zażółć gęślą jaźń: program gotowy” zapisano (szkic)." in page
    assert '<span class="orga-state orga-state--draft">szkic</span>' in page
    # a draft is not on the site
    assert editor_client.get(f"/aktualnosci/{post.slug}/").status_code == 404


def test_publication_time_is_read_in_warsaw_and_schedules_the_post(editor_client, edition):
    edition.time_zone = "Europe/Warsaw"
    edition.save()
    when = (
        (timezone.now() + dt.timedelta(days=3)).astimezone(WARSAW).replace(second=0, microsecond=0)
    )

    editor_client.post(
        url(edition, "create"), form_data(published_at=when.strftime("%Y-%m-%dT%H:%M"))
    )

    post = NewsPost.objects.get()
    assert post.published_at == when
    assert post.state == NewsPost.State.SCHEDULED
    page = editor_client.get(url(edition)).text
    assert f">{when:%Y-%m-%d %H:%M}</time>" in page  # shown in Warsaw time too
    assert "zaplanowany" in page
    edit = editor_client.get(url(edition, pk=post.pk)).text
    assert f'value="{when:%Y-%m-%dT%H:%M}"' in edit
    assert "Strefa czasowa: Europe/Warsaw." in edit


def test_publishing_shows_the_post_on_the_cached_public_pages_at_once(
    client, editor, edition, settings
):
    settings.PUBLIC_CACHE_SECONDS = 60
    post = NewsPostFactory(edition=edition, published_at=None, title_pl="Wielkie ogłoszenie")
    assert "Wielkie ogłoszenie" not in client.get("/aktualnosci/").text  # cached now
    assert client.get("/aktualnosci/").text.count("Wielkie ogłoszenie") == 0  # from the cache

    staff = client_for(editor)
    assert staff.post(url(edition, "publish", post.pk))["Location"] == url(edition)

    post.refresh_from_db()
    assert post.state == NewsPost.State.PUBLISHED
    assert "Wielkie ogłoszenie" in client.get("/aktualnosci/").text
    assert client.get(f"/aktualnosci/{post.slug}/").status_code == 200

    staff.post(url(edition, "unpublish", post.pk))

    post.refresh_from_db()
    assert post.published_at is None
    assert "Wielkie ogłoszenie" not in client.get("/aktualnosci/").text
    assert client.get(f"/aktualnosci/{post.slug}/").status_code == 404
    assert list(AuditLogEntry.objects.order_by("pk").values_list("action", flat=True)) == [
        "news.publish",
        "news.unpublish",
    ]


def client_for(user):
    from django.test import Client

    other = Client()
    other.force_login(user)
    return other


def test_editing_changes_the_post_and_audits_what_changed(editor_client, edition):
    post = NewsPostFactory(edition=edition, slug="stary-adres", title_pl="Stary tytuł")

    response = editor_client.post(
        url(edition, pk=post.pk),
        form_data(
            title_pl="Nowy tytuł",
            lead_pl=post.lead_pl,
            published_at=post.published_at.astimezone(WARSAW).strftime("%Y-%m-%dT%H:%M"),
            slug="stary-adres",
        ),
    )

    assert response.status_code == 302
    post.refresh_from_db()
    assert (post.title_pl, post.slug, post.body_en) == (
        "Nowy tytuł",
        "stary-adres",
        "## Panels\n\n- **mobility**",
    )
    entry = AuditLogEntry.objects.get(action="news.update")
    assert entry.before["title_pl"] == "Stary tytuł"
    assert entry.after["title_pl"] == "Nowy tytuł"
    assert "slug" not in entry.after  # only what changed
    assert "published_at" not in entry.after  # shown to the minute, kept to the microsecond
    text = editor_client.get(f"/en/news/{post.slug}/").text
    assert "<h2>Panels</h2>" in text  # the Markdown, rendered as the site renders it


def test_image_upload_and_deletion_remove_the_file(
    editor_client, edition, settings, django_capture_on_commit_callbacks
):
    image = SimpleUploadedFile("plakat.png", png(), content_type="image/png")
    editor_client.post(
        url(edition, "create"),
        {**form_data(image_alt_pl="Plakat", image_alt_en="Poster"), "image": image},
    )
    post = NewsPost.objects.get()
    stored = settings.MEDIA_ROOT / post.image.name
    assert stored.exists()
    assert post.image_alt_en == "Poster"

    confirm = editor_client.get(url(edition, "delete", post.pk))
    assert "Wpis „Zażółć gęślą jaźń: program gotowy” zostanie usunięty" in confirm.text
    assert NewsPost.objects.exists()  # GET only asks
    with django_capture_on_commit_callbacks(execute=True):
        response = editor_client.post(url(edition, "delete", post.pk))

    assert response.status_code == 302
    assert not NewsPost.objects.exists()
    assert not stored.exists()
    assert AuditLogEntry.objects.filter(action="news.delete", object_id=str(post.pk)).exists()


# -- bad input: refused, with what was typed kept ---------------------------------------------


def test_empty_title_is_refused_and_the_rest_kept(editor_client, edition):
    response = editor_client.post(url(edition, "create"), form_data(title_pl="  "))

    assert response.status_code == 200
    assert not NewsPost.objects.exists()
    text = response.text
    assert "Wpis nie został zapisany. Popraw zaznaczone pola:" in text
    assert 'value="The programme is ready"' in text
    assert "## Panele\n\n- **mobilność**\n- rewitalizacja</textarea>" in text
    assert 'aria-invalid="true"' in text


@pytest.mark.parametrize(
    ("upload", "message"),
    [
        (
            lambda: SimpleUploadedFile("duzy.png", png((40, 40)), content_type="image/png"),
            "Plik jest za duży",
        ),
        (
            lambda: SimpleUploadedFile(
                "udaje.png", b"<?php echo 'x'; ?>" * 10, content_type="image/png"
            ),
            "Prześlij poprawny plik graficzny.",
        ),
        (  # an image, but a GIF named .png: the upload validator's content check
            lambda: SimpleUploadedFile("gif-udaje.png", gif(), content_type="image/png"),
            "Plik nie jest obrazem PNG, JPEG, GIF ani WebP",
        ),
    ],
    ids=["too-big", "not-an-image", "gif-named-png"],
)
def test_bad_image_is_refused_and_the_text_kept(editor_client, edition, settings, upload, message):
    settings.KONGRES_UPLOAD_MAX_BYTES = 1000

    response = editor_client.post(
        url(edition, "create"), {**form_data(image_alt_pl="Opis obrazu"), "image": upload()}
    )

    assert response.status_code == 200
    assert not NewsPost.objects.exists()
    assert message in response.text
    assert 'value="Zażółć gęślą jaźń: program gotowy"' in response.text
    assert 'value="Opis obrazu"' in response.text
    assert not (settings.MEDIA_ROOT / "news").exists() or not any(
        (settings.MEDIA_ROOT / "news").iterdir()
    )


def test_image_without_description_is_refused(editor_client, edition):
    image = SimpleUploadedFile("plakat.png", png(), content_type="image/png")

    response = editor_client.post(url(edition, "create"), {**form_data(), "image": image})

    assert not NewsPost.objects.exists()
    assert "Opisz obraz dla osób, które go nie widzą." in response.text


def test_address_taken_by_another_post_is_refused(editor_client, edition):
    NewsPostFactory(edition=EditionFactory(), slug="zajety")

    response = editor_client.post(url(edition, "create"), form_data(slug="zajety"))

    assert NewsPost.objects.count() == 1
    assert "Inny wpis ma już ten adres. Wybierz inny." in response.text
    assert 'value="zajety"' in response.text


def test_same_title_gets_a_numbered_address(editor_client, edition):
    for _ in range(2):
        editor_client.post(url(edition, "create"), form_data(title_pl="Komunikat"))
    assert sorted(NewsPost.objects.values_list("slug", flat=True)) == ["komunikat", "komunikat-2"]


# -- the list, the menu, other editions ---------------------------------------------------------


@pytest.mark.parametrize("count", [1, 6])
def test_list_query_count_is_constant(editor_client, edition, django_assert_num_queries, count):
    NewsPostFactory.create_batch(count, edition=edition)
    NewsPostFactory(edition=EditionFactory(), title_pl="Cudza aktualność")
    editor_client.get(url(edition))  # the session, the roles: as on every page
    # session, user (with whether it must give a second factor and its roles), edition, the
    # posts
    with django_assert_num_queries(4):
        response = editor_client.get(url(edition))
    assert response.text.count('class="orga-state ') == count
    assert "Cudza aktualność" not in response.text


def test_list_orders_drafts_first_then_newest(editor_client, edition):
    now = timezone.now()
    NewsPostFactory(edition=edition, title_pl="Starsza", published_at=now - dt.timedelta(days=2))
    NewsPostFactory(edition=edition, title_pl="Szkic", published_at=None)
    NewsPostFactory(edition=edition, title_pl="Jutrzejsza", published_at=now + dt.timedelta(days=1))
    text = editor_client.get(url(edition)).text
    positions = [text.index(title) for title in ("Szkic", "Jutrzejsza", "Starsza")]
    assert positions == sorted(positions)


def test_menu_links_to_news_for_editors_and_administrators_only(client, role_user, edition):
    link = f'href="{url(edition)}"'
    for role, page, shown in (
        ("editor", url(edition), True),
        ("admin", f"/orga/{edition.slug}/", True),
        ("registration_manager", f"/orga/{edition.slug}/", False),
    ):
        client.force_login(role_user(role))
        assert (link in client.get(page).text) is shown, role
        assert (link in client.get("/orga/").text) is shown, role


def test_post_of_another_edition_is_not_found(editor_client, edition):
    foreign = NewsPostFactory(edition=EditionFactory())
    for name in ("", "delete"):
        assert editor_client.get(url(edition, name, foreign.pk)).status_code == 404
    for name in ("publish", "unpublish", "delete"):
        assert editor_client.post(url(edition, name, foreign.pk)).status_code == 404
    assert NewsPost.objects.filter(pk=foreign.pk).exists()


def test_english_left_empty_falls_back_to_polish_on_the_site(editor_client, edition):
    editor_client.post(
        url(edition, "create"),
        form_data(title_en="", lead_en="", body_en="", published_at="2026-01-02T10:00"),
    )
    post = NewsPost.objects.get()
    assert post.state == NewsPost.State.PUBLISHED

    text = editor_client.get(f"/en/news/{post.slug}/").text

    assert "Zażółć gęślą jaźń: program gotowy" in text
    assert "<li><strong>mobilność</strong></li>" in text


def test_edit_form_shows_the_image_and_can_remove_it(
    editor_client, edition, settings, django_capture_on_commit_callbacks
):
    image = SimpleUploadedFile("plakat.png", png(), content_type="image/png")
    editor_client.post(url(edition, "create"), {**form_data(image_alt_pl="Plakat"), "image": image})
    post = NewsPost.objects.get()
    stored = settings.MEDIA_ROOT / post.image.name
    page = editor_client.get(url(edition, pk=post.pk)).text
    assert f'href="/media/{post.image.name}"' in page
    assert '<label for="image-clear_id">Wyczyść</label>' in page

    # the image kept: its description may not be emptied
    response = editor_client.post(url(edition, pk=post.pk), form_data(slug=post.slug))
    assert "Opisz obraz dla osób, które go nie widzą." in response.text
    with django_capture_on_commit_callbacks(execute=True):
        response = editor_client.post(
            url(edition, pk=post.pk), {**form_data(slug=post.slug), "image-clear": "on"}
        )

    assert response.status_code == 302
    post.refresh_from_db()
    assert not post.image
    assert not stored.exists()
