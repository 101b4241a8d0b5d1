"""Invitations (security review 2026-12, H1): an edition's administrator invites an e-mail
address to a role in the back office; the mail goes through the outbox (a real SMTP server
here); the link sets a password for a new account, or is accepted by a signed-in account of
that address; it works once, expires, can be withdrawn; every step is in the audit log. The
accounts made so are not staff: the back office and the check-in let them in by their role,
the admin does not."""

import datetime as dt
import re
from urllib.parse import urlsplit

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from django.utils import timezone, translation

from kongres.accounts.invitations import invitation_create
from kongres.accounts.models import EditionRole, Invitation
from kongres.audit.models import AuditLogEntry
from kongres.mail.models import OutboxMessage
from tests.orga.conftest import PASSWORD, make_user

NEW_PASSWORD = "Bramka-Wschodnia-2026"


@pytest.fixture
def admin(role_user):
    return role_user("admin", "szefowa")


@pytest.fixture
def admin_client(client, admin):
    client.force_login(admin)
    return client


def roles_url(edition) -> str:
    return reverse("orga:roles", kwargs={"edition": edition.slug})


def invite_url(edition) -> str:
    return reverse("orga:invitation-create", kwargs={"edition": edition.slug})


def link_in(text: str) -> str:
    return re.search(r"https?://\S+/zaproszenie/[\w-]+/|https?://\S+/invitation/[\w-]+/", text)[0]


def invite(edition, admin, email="nowa@example.org", role="checkin_staff", language="pl"):
    """An invitation through the service; the link read from the queued mail."""
    invitation = invitation_create(
        edition=edition, email=email, role=role, actor=admin, language=language
    )
    body = OutboxMessage.objects.get(related=f"accounts.invitation:{invitation.pk}").body_text
    return invitation, urlsplit(link_in(body)).path


def actions(edition) -> list[str]:
    return list(
        AuditLogEntry.objects.filter(edition=edition)
        .order_by("pk")
        .values_list("action", flat=True)
    )


def test_an_invited_volunteer_sets_a_password_and_checks_people_in(
    transactional_db, admin_client, edition, smtp_server
):
    page = admin_client.get(roles_url(edition))
    assert "Zaproś osobę" in page.text and 'action="' + invite_url(edition) + '"' in page.text

    response = admin_client.post(
        invite_url(edition), {"email": "Nowa.Bramkarka@example.org", "role": "checkin_staff"}
    )

    assert response.status_code == 302
    listing = admin_client.get(roles_url(edition)).text
    assert "Zaproszenie wysłano na adres Nowa.Bramkarka@example.org." in listing
    assert "Nowa.Bramkarka@example.org</th><td>obsługa wejścia</td>" in listing
    message = OutboxMessage.objects.get(kind="invitation")
    assert message.priority == OutboxMessage.Priority.TRANSACTIONAL
    call_command("worker", "--batch", verbosity=0)
    [mail] = smtp_server.messages
    assert mail["To"] == "Nowa.Bramkarka@example.org"
    assert mail["Subject"] == f"Zaproszenie do zespołu: {edition.title_pl}"
    text = mail.get_body(("plain",)).get_content()
    html = mail.get_body(("html",)).get_content()
    assert "szefowa zaprasza Cię do pracy przy wydarzeniu" in text
    assert "w roli: obsługa wejścia." in text
    link = link_in(text)
    assert f'href="{link}"' in html
    token = link.rstrip("/").rsplit("/", 1)[1]
    message.refresh_from_db()
    assert message.status == "sent" and token not in message.body_text  # redacted once sent
    path = urlsplit(link).path

    visitor = Client()
    form = visitor.get(path)
    assert form.status_code == 200
    assert "Nowa.Bramkarka@example.org" in form.text and 'name="password1"' in form.text
    done = visitor.post(
        path,
        {
            "first_name": "Nowa",
            "last_name": "Bramkarka",
            "password1": NEW_PASSWORD,
            "password2": NEW_PASSWORD,
        },
    )

    assert done.status_code == 302 and done["Location"] == reverse("orga:index")
    user = get_user_model().objects.get(email="Nowa.Bramkarka@example.org")
    assert (user.is_staff, user.is_superuser, user.get_full_name()) == (
        False,
        False,
        "Nowa Bramkarka",
    )
    assert user.check_password(NEW_PASSWORD)
    assert list(EditionRole.objects.filter(user=user).values_list("edition", "role")) == [
        (edition.pk, "checkin_staff")
    ]
    assert visitor.get(reverse("checkin:page")).status_code == 200  # by the role, not is_staff
    assert visitor.get(reverse("orga:index")).status_code == 200
    admin_page = visitor.get(reverse("admin:index"))
    assert admin_page.status_code == 302 and admin_page["Location"].startswith(
        reverse("admin:login")
    )
    visitor.logout()
    assert visitor.login(username="Nowa.Bramkarka@example.org", password=NEW_PASSWORD)
    assert actions(edition) == [
        "invitation.create",
        "account.create",
        "invitation.accept",
        "role.grant",
    ]
    again = Client().get(path)
    assert again.status_code == 410
    assert "To zaproszenie zostało już wykorzystane." in again.text


def test_the_invitation_mail_and_page_in_english(edition, admin):
    _invitation, path = invite(edition, admin, language="en")
    message = OutboxMessage.objects.get(kind="invitation")
    assert message.subject == f"Invitation to the team of {edition.title_en}"
    assert "/en/orga/invitation/" in message.body_text
    with translation.override("en"):
        page = Client().get(path)
    assert "You are invited to" in page.text and "as: check-in staff" in page.text


@pytest.mark.parametrize(
    ("data", "field", "error"),
    [
        (
            {"first_name": "Ala", "last_name": "Nowak", "password1": "krótkie1", "password2": ""},
            "password2",
            "To pole jest wymagane.",
        ),
        (
            {"first_name": "Ala", "last_name": "Nowak", "password1": "Krotkie-h4s"},
            "password1",
            "To hasło jest za krótkie. Musi zawierać co najmniej 12 znaków.",
        ),
        (
            {
                "first_name": "Ala",
                "last_name": "Nowak",
                "password1": NEW_PASSWORD,
                "password2": "Inne-haslo-2026",
            },
            "password2",
            "Hasła w obu polach nie są zgodne.",
        ),
        (
            {
                "first_name": "",
                "last_name": "Nowak",
                "password1": NEW_PASSWORD,
                "password2": NEW_PASSWORD,
            },
            "first_name",
            "To pole jest wymagane.",
        ),
    ],
)
def test_bad_input_on_the_invitation_page_keeps_what_was_typed_except_passwords(
    client, edition, admin, data, field, error
):
    _invitation, path = invite(edition, admin)
    data = {"password2": data.get("password1", ""), **data}
    response = client.post(path, data)
    assert response.status_code == 200
    form = response.context["form"]
    assert error in form.errors[field]
    assert f'id="id_{field}_error">{error}' in response.text.replace("&quot;", '"')
    if data["first_name"]:
        assert f'value="{data["first_name"]}"' in response.text
    assert 'value="Nowak"' in response.text
    for password in {data["password1"], data["password2"]} - {""}:
        assert password not in response.text
    assert not get_user_model().objects.filter(email="nowa@example.org").exists()
    assert Invitation.objects.get().accepted_at is None


@pytest.mark.parametrize("language", ["pl", "en"])
@pytest.mark.parametrize(
    ("spoil", "status", "message_pl", "message_en"),
    [
        (
            lambda invitation: Invitation.objects.filter(pk=invitation.pk).update(
                expires_at=timezone.now() - dt.timedelta(seconds=1)
            ),
            410,
            "To zaproszenie wygasło. Poproś administratora edycji o nowe.",
            "This invitation has expired. Ask the edition's administrator for a new one.",
        ),
        (
            lambda invitation: Invitation.objects.filter(pk=invitation.pk).update(
                accepted_at=timezone.now()
            ),
            410,
            "To zaproszenie zostało już wykorzystane. Zaloguj się do biura organizatora.",
            "This invitation has already been used. Sign in to the back office.",
        ),
        (
            lambda invitation: Invitation.objects.filter(pk=invitation.pk).update(
                revoked_at=timezone.now()
            ),
            410,
            "To zaproszenie zostało wycofane. Poproś administratora edycji o nowe.",
            "This invitation was withdrawn. Ask the edition's administrator for a new one.",
        ),
        (
            lambda invitation: Invitation.objects.filter(pk=invitation.pk).update(
                token_hash="0" * 64
            ),
            404,
            "Ten link z zaproszeniem jest nieprawidłowy. Sprawdź, czy został skopiowany w całości.",
            "This invitation link is not valid. Check that it was copied whole.",
        ),
    ],
    ids=["expired", "used", "withdrawn", "unknown"],
)
def test_a_spent_link_says_why_in_polish_and_english(
    client, edition, admin, spoil, status, message_pl, message_en, language
):
    invitation, path = invite(edition, admin, language=language)
    spoil(invitation)
    with translation.override(language):
        for response in (
            client.get(path),
            client.post(
                path,
                {
                    "first_name": "Ala",
                    "last_name": "Nowak",
                    "password1": NEW_PASSWORD,
                    "password2": NEW_PASSWORD,
                },
            ),
        ):
            assert response.status_code == status
            expected = message_pl if language == "pl" else message_en
            assert expected in response.text.replace("&#x27;", "'")
    assert not get_user_model().objects.filter(email="nowa@example.org").exists()


def test_an_existing_account_signs_in_and_accepts(client, edition, admin):
    person = make_user("redaktorka")  # redaktorka@example.org
    _invitation, path = invite(edition, admin, email="Redaktorka@Example.org", role="editor")
    page = client.get(path)
    assert "Konto z tym adresem już istnieje." in page.text
    assert f"{reverse('orga:login')}?next=" in page.text
    login = client.post(
        reverse("orga:login"), {"username": "redaktorka", "password": PASSWORD, "next": path}
    )
    assert login["Location"] == path
    assert "Przyjmij zaproszenie" in client.get(path).text
    accepted = client.post(path)
    assert accepted["Location"] == reverse("orga:index")
    assert list(EditionRole.objects.filter(user=person).values_list("role", flat=True)) == [
        "editor"
    ]
    assert client.post(path).status_code == 410  # once


def test_another_signed_in_account_cannot_take_the_invitation(client, edition, admin):
    _invitation, path = invite(edition, admin, email="nowa@example.org")
    client.force_login(make_user("ktos-inny"))
    page = client.get(path)
    assert "a to zaproszenie jest dla nowa@example.org" in page.text
    assert client.post(path).status_code == 200
    assert Invitation.objects.get().accepted_at is None
    assert not EditionRole.objects.filter(user__username="ktos-inny").exists()


def test_bad_input_on_the_invite_form_keeps_what_was_typed(admin_client, edition, admin):
    response = admin_client.post(invite_url(edition), {"email": "nie-adres", "role": "editor"})
    assert response.status_code == 200
    assert "Wprowadź poprawny adres email." in response.context["invite_form"].errors["email"]
    assert 'value="nie-adres"' in response.text
    assert '<option value="editor" selected>' in response.text
    editor = make_user("ma-role")
    EditionRole.objects.create(edition=edition, user=editor, role="editor")
    duplicate = admin_client.post(
        invite_url(edition), {"email": "MA-ROLE@example.org", "role": "editor"}
    )
    assert "Ta osoba ma już tę rolę." in duplicate.text
    assert 'value="MA-ROLE@example.org"' in duplicate.text
    assert not Invitation.objects.exists() and not OutboxMessage.objects.exists()


def test_a_new_invitation_replaces_the_pending_one_and_can_be_withdrawn(
    admin_client, edition, admin
):
    _first, first_path = invite(edition, admin)
    second, second_path = invite(edition, admin)
    assert Client().get(first_path).status_code == 410
    revoke = reverse("orga:invitation-revoke", kwargs={"edition": edition.slug, "pk": second.pk})
    assert "przestanie działać" in admin_client.get(revoke).text
    admin_client.post(revoke)
    assert Client().get(second_path).status_code == 410
    assert admin_client.get(revoke).status_code == 404  # no longer pending
    assert actions(edition) == [
        "invitation.create",
        "invitation.revoke",
        "invitation.create",
        "invitation.revoke",
    ]
    assert AuditLogEntry.objects.filter(action="invitation.revoke").last().actor == admin


def test_an_administrator_of_another_edition_cannot_withdraw_or_invite(client, edition, admin):
    from tests.factories import EditionFactory

    other = EditionFactory()
    invitation, path = invite(edition, admin)
    stranger = make_user("obca")
    EditionRole.objects.create(edition=other, user=stranger, role="admin")
    client.force_login(stranger)
    revoke = reverse(
        "orga:invitation-revoke", kwargs={"edition": edition.slug, "pk": invitation.pk}
    )
    assert client.post(revoke).status_code == 403
    assert (
        client.post(invite_url(edition), {"email": "x@example.org", "role": "admin"}).status_code
        == 403
    )
    wrong_edition = reverse(
        "orga:invitation-revoke", kwargs={"edition": other.slug, "pk": invitation.pk}
    )
    assert client.post(wrong_edition).status_code == 404
    assert Client().get(path).status_code == 200  # still pending
