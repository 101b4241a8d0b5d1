"""A speaker sends materials through the secret link; an organiser approves them; the session
page shows them with their type and size. Wrong types, files too large and polyglots are
refused with a clear message, in Polish and in English, and the form keeps what was typed."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.files.storage import storages
from django.urls import reverse
from django.utils import timezone, translation

from kongres.audit.models import AuditLogEntry
from kongres.materials.models import Material, UploadLink
from kongres.materials.services import (
    MaterialsError,
    material_approve,
    material_reject,
    material_submit,
    token_hash,
    upload_link_get,
    upload_link_revoke,
)
from tests.materials.conftest import token_from_mail
from tests.materials.files import mp4_bytes, pdf_bytes, upload, zip_bytes


def _upload_url(token: str, language: str = "pl") -> str:
    with translation.override(language):
        return reverse("materials:upload", kwargs={"token": token})


def test_upload_link_is_mailed_and_only_its_hash_is_kept(link_and_token):
    link, token = link_and_token
    assert token_from_mail(link) == token
    assert link.token_hash == token_hash(token) != token
    assert not UploadLink.objects.filter(token_hash=token).exists()
    assert _upload_url(token).startswith("/materialy/przeslij/")
    assert upload_link_get(token=token) == link


def test_speaker_sends_a_pdf_and_it_shows_after_approval(
    client, link_and_token, editor, django_capture_on_commit_callbacks
):
    link, token = link_and_token
    page = client.get(_upload_url(token))
    assert page.status_code == 200
    assert "Rewitalizacja miast" in page.text
    response = client.post(
        _upload_url(token),
        {"title": "Slajdy", "file": upload("slajdy.pdf", pdf_bytes(), "application/pdf")},
    )
    assert response.status_code == 302
    material = Material.objects.get()
    assert (material.state, material.kind, material.content_type, material.size) == (
        "pending",
        "document",
        "application/pdf",
        len(pdf_bytes()),
    )
    pending = material.file.name
    assert pending.startswith(f"materials-pending/{link.session.edition.slug}/")
    assert storages["materials"].open(pending).read() == pdf_bytes()
    assert "slajdy" not in material.file.name  # a random name, not the speaker's
    session_url = link.session.get_absolute_url()
    assert "Slajdy" not in client.get(session_url).text  # waiting for approval
    page = client.get(_upload_url(token))
    assert "czeka na zatwierdzenie" in page.text
    with django_capture_on_commit_callbacks(execute=True):
        material_approve(material=material, actor=editor)
    material.refresh_from_db()
    assert material.file.name == pending.replace("materials-pending/", "materials/", 1)
    assert storages["materials"].open(material.file.name).read() == pdf_bytes()
    assert not storages["materials"].exists(pending)  # moved, nothing left behind
    shown = client.get(session_url).text
    assert "Materiały i nagrania" in shown
    assert f'href="{material.file.url}"' in shown
    assert "PDF" in shown and "Slajdy" in shown
    assert list(
        AuditLogEntry.objects.filter(object_type="materials.material")
        .order_by("pk")
        .values_list("action", flat=True)
    ) == ["materials.submit", "materials.approve"]


def test_a_file_waiting_for_approval_is_served_to_nobody_but_the_organisers(
    client, link_and_token, editor, settings
):
    settings.KONGRES_SERVE_MEDIA = True  # the application serves /media/ (as in the demo)
    link, token = link_and_token
    client.post(
        _upload_url(token),
        {"title": "Slajdy", "file": upload("slajdy.pdf", pdf_bytes(), "application/pdf")},
    )
    material = Material.objects.get()
    assert client.get(material.file.url).status_code == 404  # not even with its name
    edition = link.session.edition
    with translation.override("pl"):
        download = reverse(
            "orga:material-file", kwargs={"edition": edition.slug, "pk": material.pk}
        )
    assert client.get(download).status_code == 302  # anonymous: the login page
    client.force_login(editor)
    response = client.get(download)
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == pdf_bytes()
    assert response["Content-Disposition"] == 'attachment; filename="slajdy.pdf"'
    assert response["Content-Security-Policy"] == "default-src 'none'; sandbox"
    material_approve(material=material, actor=editor)
    material.refresh_from_db()
    client.logout()
    public = client.get(material.file.url)
    assert public.status_code == 200
    assert b"".join(public.streaming_content) == pdf_bytes()


def test_recording_link_must_be_https(client, link_and_token):
    _, token = link_and_token
    response = client.post(
        _upload_url(token), {"title": "Nagranie", "url": "http://example.org/wideo"}
    )
    assert response.status_code == 200
    assert "Podaj adres nagrania zaczynający się od https://." in response.text
    assert 'value="http://example.org/wideo"' in response.text
    assert 'value="Nagranie"' in response.text
    client.post(_upload_url(token), {"title": "Nagranie", "url": "https://example.org/wideo"})
    assert Material.objects.get().url == "https://example.org/wideo"


@pytest.mark.parametrize(
    ("language", "name", "data", "message"),
    [
        (
            "pl",
            "slajdy.pdf",
            b"MZ\x90\x00 not a pdf",
            "Plik nie jest prezentacją PDF, PPTX ani ODP",
        ),
        ("en", "slajdy.pdf", b"MZ\x90\x00 not a pdf", "The file is not a PDF, PPTX or ODP"),
        ("pl", "slajdy.pdf", pdf_bytes() + zip_bytes([("a.js", b"x")]), "zawiera też treść"),
        ("en", "slajdy.pdf", pdf_bytes() + zip_bytes([("a.js", b"x")]), "holds content of"),
        ("pl", "slajdy.pdf", pdf_bytes(b"x" * 3000), "Plik jest za duży"),
        ("en", "slajdy.pdf", pdf_bytes(b"x" * 3000), "The file is too large"),
    ],
)
def test_bad_upload_is_refused_with_a_message_and_the_form_keeps_the_title(
    client, link_and_token, settings, language, name, data, message
):
    settings.KONGRES_MATERIAL_MAX_BYTES = 2000
    _, token = link_and_token
    response = client.post(
        _upload_url(token, language),
        {"title": "Moje slajdy", "file": upload(name, data, "application/pdf")},
    )
    assert response.status_code == 200
    assert message in response.text
    assert 'value="Moje slajdy"' in response.text
    assert not Material.objects.exists()
    assert not storages["materials"].exists("materials")  # nothing stored


def test_nothing_or_both_is_refused(link_and_token):
    link, _ = link_and_token
    with pytest.raises(MaterialsError) as error:
        material_submit(session=link.session, title="x", link=link)
    assert error.value.code == "file_or_url"
    with pytest.raises(MaterialsError):
        material_submit(
            session=link.session,
            title="x",
            file=upload("a.pdf", pdf_bytes()),
            url="https://example.org",
            link=link,
        )


@pytest.mark.parametrize("how", ["revoked", "expired", "unknown"])
def test_link_that_does_not_work_says_why(client, link_and_token, editor, how):
    link, token = link_and_token
    if how == "revoked":
        upload_link_revoke(link=link, actor=editor)
    elif how == "expired":
        UploadLink.objects.filter(pk=link.pk).update(expires_at=timezone.now())
    else:
        token = token[:-4] + "AAAA"
    response = client.get(_upload_url(token))
    assert response.status_code == (404 if how == "unknown" else 410)
    expected = {
        "revoked": "Ten link został wycofany.",
        "expired": "Ten link wygasł.",
        "unknown": "Ten link jest nieprawidłowy.",
    }[how]
    assert expected in response.text
    response = client.post(_upload_url(token), {"title": "x", "file": upload("a.pdf", pdf_bytes())})
    assert not Material.objects.exists()


def test_upload_page_is_rate_limited(client, link_and_token, settings):
    settings.KONGRES_RATELIMIT_TOKEN_IP = "2/h"
    _, token = link_and_token
    assert [client.get(_upload_url(token)).status_code for _ in range(3)] == [200, 200, 429]


def test_rejected_material_is_hidden_and_its_file_deleted(
    django_capture_on_commit_callbacks, link_and_token, editor
):
    link, _ = link_and_token
    material = material_submit(
        session=link.session, title="Wideo", file=upload("w.mp4", mp4_bytes()), link=link
    )
    assert material.kind == "video"
    name = material.file.name
    with django_capture_on_commit_callbacks(execute=True):
        material = material_reject(material=material, actor=editor)
    assert material.state == "rejected"
    assert not storages["materials"].exists(name)
    with pytest.raises(MaterialsError):
        material_approve(material=material, actor=editor)


def test_upload_link_validity(link_and_token):
    link, _ = link_and_token
    assert link.expires_at - link.created_at == dt.timedelta(days=30)
