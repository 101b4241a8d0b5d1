"""The back office's materials page: send a link, approve, reject, revoke; for the need
"content" of the material's own edition only (another edition's editor gets 404/403)."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.urls import reverse

from kongres.accounts.models import EditionRole
from kongres.mail.models import OutboxMessage
from kongres.materials.models import Material, UploadLink
from kongres.materials.services import material_submit
from tests.factories import EditionFactory, SessionFactory
from tests.materials.files import pdf_bytes, upload


def test_editor_sends_a_link_and_sees_it_once(client, session, editor):
    client.force_login(editor)
    url = reverse("orga:materials", kwargs={"edition": session.edition.slug})
    assert client.get(url).status_code == 200
    create = reverse("orga:material-link-create", kwargs={"edition": session.edition.slug})
    bad = client.post(create, {"session": session.pk, "email": "nie-adres", "language": "en"})
    assert bad.status_code == 200
    assert 'value="nie-adres"' in bad.text  # the form keeps what was typed
    assert not UploadLink.objects.exists()
    response = client.post(
        create, {"session": session.pk, "email": "ala@example.org", "language": "en"}
    )
    assert response.status_code == 200
    link = UploadLink.objects.get()
    assert (link.email, link.language, link.session) == ("ala@example.org", "en", session)
    shown = response.context["created_url"]
    assert shown.endswith("/") and "/en/materials/send/" in shown
    assert shown in OutboxMessage.objects.get(kind="materials-link").body_text
    assert shown not in client.get(url).text  # shown only once


def test_editor_approves_and_rejects(client, session, editor):
    client.force_login(editor)
    first = material_submit(session=session, title="A", file=upload("a.pdf", pdf_bytes()))
    second = material_submit(session=session, title="B", url="https://example.org/b")
    kwargs = {"edition": session.edition.slug}
    page = client.get(reverse("orga:materials", kwargs=kwargs)).text
    assert "A" in page and "PDF" in page and "czeka na zatwierdzenie" in page
    client.post(reverse("orga:material-approve", kwargs={**kwargs, "pk": first.pk}))
    client.post(reverse("orga:material-reject", kwargs={**kwargs, "pk": second.pk}))
    assert dict(Material.objects.values_list("title", "state")) == {
        "A": "published",
        "B": "rejected",
    }


def test_another_editions_editor_cannot_approve(client, session):
    material = material_submit(session=session, title="A", url="https://example.org/a")
    other = EditionFactory()
    SessionFactory(edition=other)
    user = get_user_model().objects.create_user("inny", "inny@example.org", "x")
    EditionRole.objects.create(edition=other, user=user, role="editor")
    client.force_login(user)
    own = client.post(
        reverse(
            "orga:material-approve", kwargs={"edition": session.edition.slug, "pk": material.pk}
        )
    )
    assert own.status_code == 403
    theirs = client.post(
        reverse("orga:material-approve", kwargs={"edition": other.slug, "pk": material.pk})
    )
    assert theirs.status_code == 404
    assert Material.objects.get().state == "pending"


def test_editor_adds_a_recording_published_at_once(client, session, editor):
    client.force_login(editor)
    url = reverse("orga:material-add", kwargs={"edition": session.edition.slug})
    bad = client.post(
        url,
        {
            "add-session": session.pk,
            "add-title": "Nagranie panelu",
            "add-file": upload("nagranie.mp4", b"GIF89a not a video"),
        },
    )
    assert bad.status_code == 200
    assert "Plik nie jest prezentacją PDF, PPTX ani ODP" in bad.text
    assert 'value="Nagranie panelu"' in bad.text  # the form keeps what was typed
    assert not Material.objects.exists()
    response = client.post(
        url,
        {"add-session": session.pk, "add-title": "Nagranie panelu", "add-url": "https://x.org/v"},
    )
    assert response.status_code == 302
    material = Material.objects.get()
    assert (material.state, material.kind, material.decided_by) == ("published", "link", editor)
    assert "Nagranie panelu" in client.get(session.get_absolute_url()).text
