"""Every URL pattern of the project, for an anonymous visitor and for each back-office role:
anonymous → the login page, a role without the right → 403, a role with it → 200. Each URL
name needs a rule in ``RULES``; adding a URL without a rule fails ``test_every_url_has_a_rule``."""

from __future__ import annotations

import re
import time
from urllib.parse import quote

import pytest
from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone, translation

from kongres.accounts.invitations import invitation_create
from kongres.accounts.middleware import TwoFactorMiddleware
from kongres.accounts.models import EditionRole, Invitation
from kongres.accounts.reauth import PASSWORD_AT
from kongres.accounts.roles import NEEDS
from kongres.accounts.services import api_token_create
from kongres.audit.models import AuditLogEntry
from kongres.campaigns.models import ScheduledMail
from kongres.campaigns.services import campaign_create
from kongres.checkin.certificates import certificate_issue
from kongres.checkin.models import Certificate
from kongres.checkin.services import checkin_perform
from kongres.content.models import PrivacyNoticeVersion
from kongres.feedback.models import Question as SurveyQuestion
from kongres.feedback.models import Survey
from kongres.feedback.services import (
    QuestionData,
    question_save,
    survey_invite,
    survey_save,
    survey_status_change,
)
from kongres.mail.models import OutboxMessage
from kongres.materials.services import material_submit, upload_link_create
from kongres.registration.services.draw import allocation_configure, draw_run
from kongres.registration.sessions import feed_key
from kongres.registration.tickets import ticket_issue
from kongres.webhooks.services import webhook_subscription_create
from tests.factories import (
    DayFactory,
    EditionFactory,
    NewsPostFactory,
    PageFactory,
    SessionFactory,
    SpeakerFactory,
)
from tests.factories.registration import RegistrationFactory

ROLES = [None, *EditionRole.Role.values]  # None: logged in, no role anywhere
# a speaker's slides (a PDF, checked by its content), waiting for approval
MATERIAL_PDF = (
    b"%PDF-1.4\n1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\n"
    b"2 0 obj << /Type /Pages /Kids [] /Count 0 >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
)

# kind: "public" (everyone 200), "secret" (the key in the URL is the access: everyone gets the
# same answer, nobody is sent to a login page; "same": public pages that need data or
# redirect), "auth" (the login/logout pages themselves),
# "user" (any logged-in account), ("orga", need), ("checkin", api) or ("checkin", api, need)
# (the check-in pages: need "checkin" unless named), "admin" (Django's own).
# "user" (any logged-in account), "reauth" (any logged-in account that entered its password in
# the last five minutes: others are sent to confirm it), ("orga", need), ("checkin", api),
# "admin" (Django's own).
RULES: dict[str, object] = {
    "robots": "public",
    "favicon": "same",  # public; needs data or redirects: same answer for all
    "sitemap": "public",
    "set_language": "auth",  # POST only; GET answers 405 to everyone
    "media": "secret",
    "admin": "admin",
    **{f"registration:{name}": "public" for name in ("register", "link", "link-sent")},
    **{
        f"registration:{name}": "secret"
        for name in (
            "verify",
            "claim",
            "manage",
            "edit",
            "cancel",
            "export",
            "links-replace",
            "reconfirm-coming",
            "reconfirm-not-coming",
        )
    },
    "registration:submitted": "same",  # redirects to the form without a submission
    # places in sessions (issue 18): the participant is the cookie their personal page sets
    # (without it: 403 with the way to their link), or the link of the offer's mail
    "registration:session-signup": "post",  # POST only: GET answers 405 to everyone
    "registration:session-leave": "post",  # POST only: GET answers 405 to everyone
    "registration:session-claim": "secret",  # the personal link in the offer's mail
    "registration:agenda-feed": "secret",  # the calendar feed's secret address
    # the edition's draw (the world's edition has one, with no applications)
    "registration:draw": "public",
    "registration:draw-json": "public",
    "checkin:page": ("checkin", False),
    # every participant's name and ticket code: a role that may see them (review 2026-12, L11)
    "checkin:badges": ("checkin", False, "badges"),
    "checkin:service-worker": "public",
    "checkin:login": "auth",
    "checkin:logout": "auth",
    "checkin:api-scan": "post",  # POST only: GET answers 405 to everyone
    "checkin:api-counts": ("checkin", True),
    "checkin:api-counts-all": ("checkin", True),
    "checkin:api-search": ("checkin", True),
    "checkin:api-offline-list": ("checkin", True),
    "checkin:ticket-pdf": "secret",  # by the registration's secret link
    "checkin:certificate-pdf": "secret",  # by the registration's secret link
    "checkin:certificate-verify": "secret",  # the certificate's full code is the key
    "checkin:certificate-verify-start": "public",  # a form to type the code
    "orga:index": "user",
    "orga:login": "auth",
    "orga:logout": "auth",
    "orga:two-factor": "user",
    "orga:two-factor-setup": "reauth",
    "orga:two-factor-qr": "reauth",
    "orga:confirm-password": "user",
    "orga:dashboard": ("orga", "view"),
    "orga:chart": ("orga", "view"),
    "orga:registration-list": ("orga", "view"),
    "orga:registration-add": ("orga", "change"),
    "orga:registration-detail": ("orga", "view"),
    "orga:registration-edit": ("orga", "change"),
    "orga:registration-action": ("orga", "change"),
    "orga:registration-data": ("orga", "export"),
    "orga:registration-erase": ("orga", "gdpr"),
    "orga:retention": ("orga", "gdpr"),
    "orga:privacy-notice-version": ("orga", "view"),
    "orga:audit-log": ("orga", "audit"),
    "orga:registration-export": ("orga", "export"),
    "orga:campaign-list": ("orga", "message"),
    "orga:campaign-compose": ("orga", "message"),
    "orga:campaign-detail": ("orga", "message"),
    "orga:campaign-send": ("orga", "message"),
    "orga:campaign-test": "post",  # POST only: GET answers 405 to everyone
    "orga:scheduled-list": ("orga", "message"),
    "orga:scheduled-create": ("orga", "message"),
    "orga:scheduled-detail": ("orga", "message"),
    "orga:roles": ("orga", "roles"),
    "orga:draw": ("orga", "settings"),
    # places in sessions (issue 18)
    "orga:session-list": ("orga", "view"),
    "orga:session-chart": ("orga", "view"),
    "orga:session-detail": ("orga", "view"),
    "orga:session-edit": ("orga", "settings"),
    "orga:session-export": ("orga", "export"),
    "orga:draw-run": "post",  # POST only: GET answers 405 to everyone
    "orga:draw-chart": ("orga", "settings"),
    "orga:reconfirmation": ("orga", "settings"),
    "orga:role-revoke": ("orga", "roles"),
    "orga:settings": ("orga", "settings"),
    "orga:invitation-create": ("orga", "roles"),
    "orga:invitation-revoke": ("orga", "roles"),
    "orga:invitation-accept": "secret",  # the invitation's one-time link
    "orga:api-tokens": ("orga", "settings"),
    "orga:api-token-revoke": ("orga", "settings"),
    "orga:news-list": ("orga", "content"),
    "orga:news-create": ("orga", "content"),
    "orga:news-edit": ("orga", "content"),
    "orga:news-delete": ("orga", "content"),
    "orga:news-publish": "post",  # POST only: GET answers 405 to everyone (POSTs: below)
    "orga:news-unpublish": "post",  # POST only: GET answers 405 to everyone (POSTs: below)
    "orga:materials": ("orga", "content"),
    "orga:material-link-create": "post",  # POST only: GET answers 405 to everyone
    "orga:material-add": "post",
    "orga:material-link-revoke": "post",
    "orga:material-approve": "post",
    "orga:material-reject": "post",
    "orga:material-file": ("orga", "content"),  # a file waiting for approval: organisers only
    "materials:upload": "secret",  # the speaker's secret upload link
    "orga:feedback": ("orga", "feedback"),
    "orga:feedback-question-add": ("orga", "feedback"),
    "orga:feedback-question-edit": ("orga", "feedback"),
    "orga:feedback-question-delete": ("orga", "feedback"),
    "orga:feedback-status": "post",  # POST only: GET answers 405 to everyone (POSTs: below)
    "orga:feedback-invite": "post",  # POST only: GET answers 405 to everyone (POSTs: below)
    "orga:feedback-results": ("orga", "feedback_results"),
    "orga:feedback-chart": ("orga", "feedback_results"),
    "orga:feedback-export": ("orga", "feedback_results"),
    "feedback:survey": "secret",  # the invitation's one-time link
    "feedback:thanks": "public",
    "orga:webhooks": ("orga", "settings"),
    "orga:webhook-detail": ("orga", "settings"),
    "orga:webhook-manage": ("orga", "settings"),
    "orga:webhook-test": "post",  # POST only: GET answers 405 to everyone
    "orga:certificates": ("orga", "view"),
    "orga:certificates-issue": "post",  # POST only: GET answers 405 to everyone (POSTs: below)
    "orga:certificate-detail": ("orga", "change"),  # revoke, re-issue (POSTs: below)
    "orga:certificate-pdf": ("orga", "view"),
    "orga:certificate-template": ("orga", "settings"),
    "content:news-list": "public",
    "content:news-feed": "public",
    "content:news-detail": "public",
    "content:privacy": "same",  # public; needs data or redirects: same answer for all
    "content:accessibility": "same",  # public; needs data or redirects: same answer for all
    "content:page": "public",
    "events:home": "public",
    "events:programme": "public",
    "events:session": "public",
    "events:session-ics": "public",
    "events:programme-ics": "public",
    "events:speakers": "public",
    "events:speaker": "same",  # public; needs data or redirects: same answer for all
    "events:venue": "public",
    "events:organisers": "public",
    "events:archive": "public",
    "events:edition": "public",
    # every public edition in the archive (/archiwum/<edition>/…)
    **{
        f"events:archive-{name}": "public"
        for name in ("home", "programme", "session", "speakers", "materials")
    },
    "events:archive-speaker": "same",  # public; needs data or redirects: same answer for all
    "content:archive-news-list": "public",
    "content:archive-news-feed": "public",
    "events:edition-ics": "public",
    # the JSON API: cookies authenticate nothing there (a token per edition and scope does:
    # its own matrix, over every operation of the OpenAPI document, is tests/api/test_access.py)
    "api:api-root": "same",
    "api:openapi-json": "public",
    "api:openapi-view": "public",
    **{
        f"api:{name}": "public"
        for name in (
            "edition_list",
            "edition_detail",
            "day_list",
            "room_list",
            "track_list",
            "session_list",
            "session_detail",
            "speaker_list",
            "news_list",
        )
    },
    **{
        f"api:{name}": "token"
        for name in (
            "registration_list",
            "registration_detail",
            "counts",
            "tickets",
            "message_detail",
        )
    },
    "api:registration_add": "token",  # the same address as registration_list (GET and POST)
    **{  # POST only: GET answers 405 to everyone
        f"api:{name}": "post"
        for name in (
            "registration_cancel_view",
            "registration_approve_view",
            "registration_reject_view",
            "scan",
            "message_send",
        )
    },
}


def invite(edition, email: str, actor) -> tuple[Invitation, str]:
    """An invitation through the service, and its token read from the mail in the outbox."""
    invitation = invitation_create(
        edition=edition,
        email=email,
        role=EditionRole.Role.CHECKIN_STAFF,
        actor=actor,
        language="pl",
    )
    body = OutboxMessage.objects.get(related=f"accounts.invitation:{invitation.pk}").body_text
    return invitation, re.search(r"/zaproszenie/([\w-]+)/", body).group(1)


def feedback_survey(edition):
    """An open survey of ``edition`` with a rating question; every confirmed participant
    invited: (survey, question, the first invitation's token read from its mail)."""
    survey = survey_save(edition=edition, title_pl="Ankieta", only_attended=False, actor=None)
    question = question_save(
        survey=survey, data=QuestionData(text_pl="Ocena", kind="rating"), actor=None
    )
    survey_status_change(survey=survey, status="open", actor=None)
    survey_invite(survey=survey)
    body = OutboxMessage.objects.filter(kind="feedback.invitation").first().body_text
    return survey, question, re.search(r"/ankieta/([\w-]+)/", body).group(1)


def url_names() -> list[str]:
    """The names of all URL patterns (the admin counted as one), "?" + route when unnamed."""
    names: list[str] = []

    def walk(patterns, namespace: str, route: str) -> None:
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                if pattern.namespace == "admin":
                    names.append("admin")
                    continue
                inner = f"{namespace}{pattern.namespace}:" if pattern.namespace else namespace
                walk(pattern.url_patterns, inner, route + str(pattern.pattern))
            elif isinstance(pattern, URLPattern):
                names.append(
                    f"{namespace}{pattern.name}" if pattern.name else f"?{route}{pattern.pattern}"
                )

    walk(get_resolver().url_patterns, "", "")
    return names


def test_every_url_has_a_rule():
    missing = [name for name in url_names() if name not in RULES]
    assert missing == [], f"URL patterns without a rule in tests/test_access_matrix.py: {missing}"


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    """Six accounts per test: made with a fast hasher (the default takes about a second each)."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def world(db):
    edition = EditionFactory(capacity=10)
    day = DayFactory(edition=edition)
    session = SessionFactory(edition=edition)
    speaker = SpeakerFactory()
    news = NewsPostFactory(edition=edition)
    upload_link, upload_token = upload_link_create(
        session=session, email="prelegent@example.org", language="pl", actor=None
    )
    material = material_submit(
        session=session,
        title="Slajdy",
        file=SimpleUploadedFile("slajdy.pdf", MATERIAL_PDF, "application/pdf"),
        link=upload_link,
    )
    page = PageFactory()
    registration = RegistrationFactory(edition=edition, verified=True, data__day_ids=[day.pk])
    ticket = ticket_issue(registration=registration)
    checkin_perform(code=ticket.code, day=day, gate=None, staff=None, nonce="world")
    certificate = certificate_issue(registration=registration, actor=None)
    allocation_configure(edition=edition, mode="draw")
    draw_run(edition=edition)  # nobody waits: a draw of no application
    campaign = campaign_create(
        edition=edition, segment={}, subject_pl="Temat", body_pl="Treść", actor=None
    )
    scheduled = ScheduledMail.objects.create(
        edition=edition, name="Tydzień przed", subject_pl="Temat", body_pl="Treść"
    )
    users = {}
    User = get_user_model()
    for role in ROLES:
        user = User.objects.create_user(f"u-{role}", f"{role}@example.org", "x-hasło-123")
        if role:
            role_row = EditionRole.objects.create(edition=edition, user=user, role=role)
        users[role] = user
    invitation, invitation_token = invite(edition, "zaproszona@example.org", users["admin"])
    _survey, survey_question, survey_token = feedback_survey(edition)
    kwargs = {
        "media": {"path": "nothing.png"},
        "registration": {"token": registration.token},
        "registration:session-signup": {"pk": session.pk},
        "registration:session-leave": {"pk": session.pk},
        "registration:session-claim": {"token": registration.token, "pk": session.pk},
        "registration:agenda-feed": {"key": feed_key(registration=registration)},
        "checkin:ticket": {"token": registration.token},
        "checkin:certificate-pdf": {"token": registration.token},
        "checkin:certificate-verify": {"code": certificate.code},
        "orga:certificate": {"edition": edition.slug, "pk": certificate.pk},
        "orga": {"edition": edition.slug},
        "orga:chart": {"edition": edition.slug, "name": "sector"},
        "orga:draw-chart": {"edition": edition.slug, "name": "sector"},
        "orga:registration-detail": {"edition": edition.slug, "pk": registration.pk},
        "orga:registration-edit": {"edition": edition.slug, "pk": registration.pk},
        "orga:registration-action": {
            "edition": edition.slug,
            "pk": registration.pk,
            "action": "cancel",
        },
        "orga:role-revoke": {"edition": edition.slug, "pk": role_row.pk},
        "orga:invitation-revoke": {"edition": edition.slug, "pk": invitation.pk},
        "orga:invitation-accept": {"token": invitation_token},
        "orga:api-token-revoke": {
            "edition": edition.slug,
            "pk": api_token_create(edition=edition, name="t", scopes=["checkin"], actor=None)[0].pk,
        },
        "orga:campaign": {"edition": edition.slug, "pk": campaign.pk},
        "orga:session": {"edition": edition.slug, "pk": session.pk},
        "orga:session-export": {"edition": edition.slug, "pk": session.pk, "kind": "csv"},
        "orga:scheduled": {"edition": edition.slug, "pk": scheduled.pk},
        "orga:news": {"edition": edition.slug, "pk": news.pk},
        "orga:material": {"edition": edition.slug, "pk": material.pk},
        "orga:material-link-revoke": {"edition": edition.slug, "pk": upload_link.pk},
        "materials:upload": {"token": upload_token},
        "orga:feedback-question": {"edition": edition.slug, "pk": survey_question.pk},
        "orga:feedback-chart": {"edition": edition.slug, "pk": survey_question.pk},
        "orga:feedback-export": {"edition": edition.slug, "extension": "csv"},
        "feedback:survey": {"token": survey_token},
        "orga:webhook": {  # detail, manage, test (a public address: no setting needed)
            "edition": edition.slug,
            "pk": webhook_subscription_create(
                edition=edition, url="https://93.184.215.14/hooks", events=[], actor=None
            ).pk,
        },
        "orga:registration-data": {"edition": edition.slug, "pk": registration.pk},
        "orga:registration-erase": {"edition": edition.slug, "pk": registration.pk},
        "orga:privacy-notice-version": {
            "edition": edition.slug,
            "fingerprint": PrivacyNoticeVersion.objects.create(
                fingerprint="0123456789abcdef", title_pl="Prywatność", first_seen_at=timezone.now()
            ).fingerprint,
        },
        "content:news-detail": {"slug": news.slug},
        "content:page": {"slug": page.slug},
        "events:session": {"slug": session.slug},
        "events:session-ics": {"slug": session.slug},
        "events:speaker": {"slug": speaker.slug},
        "events:edition": {"slug": edition.slug},
        "events:archive": {"archive": edition.slug},
        "events:archive-session": {"archive": edition.slug, "slug": session.slug},
        "events:archive-speaker": {"archive": edition.slug, "slug": speaker.slug},
        "content:archive-news": {"archive": edition.slug},
        "events:edition-ics": {"slug": edition.slug},
        "api": {"slug": edition.slug},
        "api:session_detail": {"slug": edition.slug, "session": session.slug},
        "api:registration_list": {"edition": edition.slug},
        "api:registration_add": {"edition": edition.slug},
        "api:counts": {"edition": edition.slug},
        "api:tickets": {"edition": edition.slug},
        "api:scan": {"edition": edition.slug},
        "api:message_send": {"edition": edition.slug},
        "api:message_detail": {"edition": edition.slug, "message_id": campaign.pk},
        **{
            f"api:registration_{name}": {
                "edition": edition.slug,
                "registration_id": registration.pk,
            }
            for name in ("detail", "cancel_view", "approve_view", "reject_view")
        },
    }
    superuser = User.objects.create_superuser("u-super", "super@example.org", "x-hasło-123")
    return {
        "edition": edition,
        "registration": registration,
        "certificate": certificate,
        "users": users,
        "superuser": superuser,
        "kwargs": kwargs,
        "speaker": speaker,
    }


def _url(name: str, kwargs: dict) -> str:
    if name == "admin":
        return reverse("admin:index")
    for key in (name, name.rsplit("-", 1)[0], name.split(":")[0]):
        if key in kwargs:
            try:
                return reverse(name, kwargs=kwargs[key])
            except Exception:  # noqa: S112 - try the next, wider set of arguments
                continue
    return reverse(name)


def _status(client, user, url: str, *, password: bool = False):
    client.logout()
    if user is not None:
        client.force_login(user)
    if password:  # as if the password had been entered just now
        session = client.session
        session[PASSWORD_AT] = [user.pk, int(time.time())]
        session.save()
    return client.get(url)


@pytest.mark.parametrize("name", sorted(RULES))
def test_access(client, world, name):
    with translation.override("pl"):
        if name not in url_names():
            pytest.fail(f"{name} has a rule but no URL pattern: remove the rule")
        url = _url(name, world["kwargs"])
    rule = RULES[name]
    users = world["users"]
    anonymous = _status(client, None, url)
    answers = {role: _status(client, users[role], url) for role in ROLES}
    if rule == "public":
        assert anonymous.status_code == 200, url
        assert {role: r.status_code for role, r in answers.items()} == dict.fromkeys(ROLES, 200)
    elif rule in {"secret", "auth", "same"}:
        for response in [anonymous, *answers.values()]:
            assert response.status_code not in {401, 403}, url
            assert "login" not in response.get("Location", ""), url
    elif rule == "post":
        for response in [anonymous, *answers.values()]:
            assert response.status_code == 405, url
    elif rule == "admin":  # superusers only: every role is sent to the admin's login
        for response in [anonymous, *answers.values()]:
            assert response.status_code == 302
            assert response["Location"].startswith(reverse("admin:login"))
    elif rule == "token":  # the API: no session is a credential, only a token
        for response in [anonymous, *answers.values()]:
            assert response.status_code == 401, url
            assert response.json()["code"] == "unauthorized"
    elif rule == "user":
        assert anonymous.status_code == 302
        assert reverse("orga:login") in anonymous["Location"]
        assert {role: r.status_code for role, r in answers.items()} == dict.fromkeys(ROLES, 200)
    elif rule == "reauth":
        assert anonymous.status_code == 302
        assert reverse("orga:login") in anonymous["Location"]
        confirm = reverse("orga:confirm-password")
        assert {
            role: (r.status_code, r["Location"].split("?")[0]) for role, r in answers.items()
        } == (dict.fromkeys(ROLES, (302, confirm)))
        answers = {role: _status(client, users[role], url, password=True) for role in ROLES}
        assert {role: r.status_code for role, r in answers.items()} == dict.fromkeys(ROLES, 200)
    else:
        kind, detail, *need = rule
        if kind == "orga":
            assert anonymous.status_code == 302, url
            assert anonymous["Location"].startswith(reverse("orga:login"))
            allowed = NEEDS[detail]
        else:  # check-in: admin and check-in staff
            if detail:  # JSON API: 403 with a code saying to log in
                assert anonymous.status_code == 403
                assert anonymous.json()["code"] == "login"
            else:
                assert anonymous.status_code == 302
                assert reverse("checkin:login") in anonymous["Location"]
            allowed = NEEDS[need[0] if need else "checkin"]
        expected = {role: 200 if role in allowed else 403 for role in ROLES}
        assert {role: r.status_code for role, r in answers.items()} == expected, url


# -- the news posts' changes (POST), for every role and another edition's staff ---------------
#
# The GET rows above cover the pages; here what each one may *do*: write, edit, publish, take
# back, delete a post of edition A. The need "content" (administrators, editors) of edition A
# changes it; anyone else changes nothing (anonymous: the login page; another role, or an
# administrator or editor of edition B: 403).

NEWS_WHO = ["anonymous", *ROLES, "other-edition-admin", "other-edition-editor"]


@pytest.mark.parametrize("who", NEWS_WHO)
def test_news_post_changes_by_role(client, world, who):
    from kongres.content.models import NewsPost

    edition = world["edition"]
    other = EditionFactory()
    users = dict(world["users"])
    for role in ("admin", "editor"):
        user = get_user_model().objects.create_user(f"b-{role}", f"b-{role}@example.org")
        EditionRole.objects.create(edition=other, user=user, role=role)
        users[f"other-edition-{role}"] = user
    user = None if who == "anonymous" else users[who]
    if user is not None:
        client.force_login(user)
    post = NewsPostFactory(edition=edition, published_at=None, title_pl="Przed")
    with translation.override("pl"):
        urls = {
            name: reverse(f"orga:news-{name}", kwargs={"edition": edition.slug, "pk": post.pk})
            for name in ("edit", "publish", "unpublish", "delete")
        }
        urls["create"] = reverse("orga:news-create", kwargs={"edition": edition.slug})
    allowed = who in NEEDS["content"]
    steps = [
        ("create", {"title_pl": "Nowa"}),
        ("edit", {"title_pl": "Po"}),
        ("publish", {}),
        ("unpublish", {}),
        ("delete", {}),
    ]
    for name, data in steps:
        response = client.post(urls[name], data)
        if who == "anonymous":
            assert response.status_code == 302, name
            assert response["Location"].startswith(reverse("orga:login")), name
        else:
            assert response.status_code == (302 if allowed else 403), (name, who)
    if allowed:
        assert not NewsPost.objects.filter(pk=post.pk).exists()
        assert NewsPost.objects.filter(edition=edition, title_pl="Nowa").count() == 1
        assert list(
            AuditLogEntry.objects.filter(object_id=str(post.pk), action__startswith="news.")
            .order_by("pk")
            .values_list("action", flat=True)
        ) == ["news.update", "news.publish", "news.unpublish", "news.delete"]
    else:
        assert list(NewsPost.objects.order_by("pk").values_list("pk", "title_pl", "published_at"))[
            1:
        ] == [(post.pk, "Przed", None)]
        assert not AuditLogEntry.objects.filter(action__startswith="news.").exists()


# -- the feedback survey's changes (POST), for every role and another edition's staff ----------
#
# Administrators and editors of edition A (the need "feedback") build, open, close and send the
# survey; anyone else changes nothing (anonymous: the login page; another role, or an
# administrator or editor of edition B: 403).


@pytest.mark.parametrize("who", NEWS_WHO)
def test_feedback_survey_changes_by_role(client, world, who):
    edition = world["edition"]
    other = EditionFactory()
    users = dict(world["users"])
    for role in ("admin", "editor"):
        user = get_user_model().objects.create_user(f"b-{role}", f"b-{role}@example.org")
        EditionRole.objects.create(edition=other, user=user, role=role)
        users[f"other-edition-{role}"] = user
    user = None if who == "anonymous" else users[who]
    if user is not None:
        client.force_login(user)
    question = SurveyQuestion.objects.get(survey__edition=edition)
    with translation.override("pl"):
        kwargs = {"edition": edition.slug}
        steps = [
            (reverse("orga:feedback", kwargs=kwargs), {"title_pl": "Zmieniona"}),
            (
                reverse("orga:feedback-question-add", kwargs=kwargs),
                {"text_pl": "Nowe", "kind": "text", "order": "1"},
            ),
            (
                reverse("orga:feedback-question-edit", kwargs={**kwargs, "pk": question.pk}),
                {"text_pl": "Ocena (popr.)", "kind": "rating", "order": "0"},
            ),
            (reverse("orga:feedback-invite", kwargs=kwargs), {}),
            (reverse("orga:feedback-status", kwargs=kwargs), {"status": "closed"}),
        ]
    invitations = OutboxMessage.objects.filter(kind="feedback.invitation").count()
    allowed = who in NEEDS["feedback"]
    for url, data in steps:
        response = client.post(url, data)
        if who == "anonymous":
            assert response.status_code == 302, url
            assert response["Location"].startswith(reverse("orga:login")), url
        else:
            assert response.status_code == (302 if allowed else 403), (url, who)
    survey = Survey.objects.get(edition=edition)
    texts = sorted(survey.questions.values_list("text_pl", flat=True))
    if allowed:
        assert (survey.title_pl, survey.status) == ("Zmieniona", "closed")
        assert texts == ["Nowe", "Ocena (popr.)"]
    else:
        assert (survey.title_pl, survey.status, texts) == ("Ankieta", "open", ["Ocena"])
    assert OutboxMessage.objects.filter(kind="feedback.invitation").count() == invitations


# -- the certificates' changes (POST), for every role and another edition's staff -------------
#
# Issuing, re-issuing and revoking a certificate of edition A needs "change" there
# (administrators, registration managers); the template needs "settings" (administrators).
# Anyone else changes nothing: anonymous → the login page; another role, or an administrator
# of edition B → 403.

CERTIFICATE_WHO = ["anonymous", *ROLES, "other-edition-admin"]


@pytest.mark.parametrize("who", CERTIFICATE_WHO)
def test_certificate_changes_by_role(client, world, who):
    edition, certificate = world["edition"], world["certificate"]
    users = dict(world["users"])
    other = get_user_model().objects.create_user("b-admin", "b-admin@example.org")
    EditionRole.objects.create(edition=EditionFactory(), user=other, role="admin")
    users["other-edition-admin"] = other
    user = None if who == "anonymous" else users[who]
    if user is not None:
        client.force_login(user)
    with translation.override("pl"):
        slug = {"edition": edition.slug}
        detail = reverse("orga:certificate-detail", kwargs={**slug, "pk": certificate.pk})
        issue = reverse("orga:certificates-issue", kwargs=slug)
        template = reverse("orga:certificate-template", kwargs=slug)
    steps = [
        (issue, {"registration": world["registration"].pk}, "change"),
        (detail, {"action": "revoke", "reason": "x"}, "change"),
        (template, {"intro_pl": "Wstęp"}, "settings"),
    ]
    for url, data, need in steps:
        response = client.post(url, data)
        if who == "anonymous":
            assert response.status_code == 302, url
            assert response["Location"].startswith(reverse("orga:login")), url
        else:
            expected = 302 if who in NEEDS[need] else 403
            assert response.status_code == expected, (url, who)
    statuses = sorted(Certificate.objects.values_list("status", flat=True))
    if who in NEEDS["change"]:  # re-issued (the first superseded); revoking that one is refused
        assert statuses == ["superseded", "valid"]
    else:
        assert statuses == ["valid"]
    assert AuditLogEntry.objects.filter(action="certificate.template_update").exists() == (
        who in NEEDS["settings"]
    )


# -- the reconfirmation settings and the scheduled mails (POST), for every role and another
# edition's staff: the need ("settings", "message") of edition A changes them; anyone else
# changes nothing (anonymous: the login page; another role, or edition B's admin: 403).

CHANGE_WHO = ["anonymous", *ROLES, "other-edition-admin"]


@pytest.mark.parametrize("who", CHANGE_WHO)
def test_reconfirmation_and_scheduled_mail_changes_by_role(client, world, who):
    from kongres.registration.models import ReconfirmationRound

    edition = world["edition"]
    users = dict(world["users"])
    other_admin = get_user_model().objects.create_user("b-admin", "b-admin@example.org")
    EditionRole.objects.create(edition=EditionFactory(), user=other_admin, role="admin")
    users["other-edition-admin"] = other_admin
    user = None if who == "anonymous" else users[who]
    if user is not None:
        client.force_login(user)
    scheduled = ScheduledMail.objects.get(edition=edition)
    mail = {
        "name": "Zmieniona",
        "offset_days": "-3",
        "anchor": "start",
        "send_time": "09:00",
        "subject_pl": "Nowy temat",
        "body_pl": "Nowa treść",
    }
    with translation.override("pl"):
        steps = [
            (
                "settings",
                reverse("orga:reconfirmation", kwargs={"edition": edition.slug}),
                {
                    "enabled": "on",
                    "days_before": "7",
                    "reminder_after_days": "2",
                    "deadline_days_before": "2",
                    "warning_hours": "24",
                    "on_no_answer": "flag",
                },
            ),
            (
                "message",
                reverse("orga:scheduled-create", kwargs={"edition": edition.slug}),
                mail,
            ),
            (
                "message",
                reverse(
                    "orga:scheduled-detail", kwargs={"edition": edition.slug, "pk": scheduled.pk}
                ),
                mail,
            ),
        ]
    for need, url, data in steps:
        response = client.post(url, data)
        if who == "anonymous":
            assert response.status_code == 302, url
            assert response["Location"].startswith(reverse("orga:login")), url
        else:
            assert response.status_code == (302 if who in NEEDS[need] else 403), (url, who)
    changed_settings = ReconfirmationRound.objects.filter(edition=edition).exists()
    assert changed_settings == (who in NEEDS["settings"])
    changed_mails = ScheduledMail.objects.filter(edition=edition, name="Zmieniona").count()
    assert changed_mails == (2 if who in NEEDS["message"] else 0)


# -- the Django admin: superusers only (security review 2026-12, H1) ------------------------------
#
# Every admin URL (the site's own pages, and changelist/add/change/delete/history of every
# registered model, with an object of edition B) for: anonymous, each role of edition A (given
# the staff flag and the old "Organisers" permissions, as accounts used to be made), staff of
# another edition, and a superuser. Only the superuser gets a page; the others are sent to the
# admin's login, and what they post changes nothing.

ADMIN_USERS = ["anonymous", *EditionRole.Role.values, "other-edition-staff", "superuser"]
MODEL_VIEWS = ("changelist", "add", "change", "delete", "history")


@pytest.fixture
def admin_world(db):
    from django.contrib.auth.models import Group, Permission

    from kongres.checkin.models import Gate
    from kongres.checkin.services import checkin_perform
    from tests.factories import OrganisationFactory, RoomFactory, TrackFactory
    from tests.factories.registration import QuestionFactory

    edition_a, edition_b, edition_c = EditionFactory(), EditionFactory(), EditionFactory()
    User = get_user_model()
    root = User.objects.create_superuser("root", "root@example.org", "x-hasło-123")
    old_permissions = Permission.objects.filter(
        content_type__app_label__in=["events", "content", "registration", "checkin", "mail"]
    )
    Group.objects.create(name="Organisers").permissions.add(*old_permissions)
    users: dict[str, object] = {"anonymous": None, "superuser": root}
    for role in EditionRole.Role.values:
        user = User.objects.create_user(f"a-{role}", f"a-{role}@example.org", is_staff=True)
        user.user_permissions.add(*old_permissions)
        EditionRole.objects.create(edition=edition_a, user=user, role=role)
        users[role] = user
    other = User.objects.create_user("c-admin", "c-admin@example.org", is_staff=True)
    EditionRole.objects.create(edition=edition_c, user=other, role=EditionRole.Role.ADMIN)
    users["other-edition-staff"] = other
    # One object of every registered model, in edition B where the model has an edition.
    day = DayFactory(edition=edition_b)
    RoomFactory(venue=edition_b.venue)
    TrackFactory(edition=edition_b)
    SessionFactory(edition=edition_b)
    SpeakerFactory()
    OrganisationFactory()
    NewsPostFactory(edition=edition_b)
    PageFactory()
    QuestionFactory(edition=edition_b)
    gate = Gate.objects.create(edition=edition_b, name="Brama B")
    registration = RegistrationFactory(edition=edition_b, verified=True, data__day_ids=[day.pk])
    ticket = ticket_issue(registration=registration)
    checkin_perform(code=ticket.code, day=day, gate=gate, staff=root, nonce="matrix")
    # after the registration: in draw mode it would wait for the draw
    allocation = allocation_configure(edition=edition_b, mode="draw")
    allocation.priority_groups.create(name="Prelegenci", tier=2, emails="b@example.org")
    return {"edition_b": edition_b, "users": users}


def _admin_object(model, edition_b):
    if model is type(edition_b):
        return edition_b
    if any(field.name == "edition" for field in model._meta.fields):
        return model._default_manager.filter(edition=edition_b).order_by("pk").first()
    return model._default_manager.order_by("pk").last()


def admin_urls(edition_b) -> list[tuple[str, str, object]]:
    """(name, url, model admin or None) of every admin URL."""
    from django.contrib import admin
    from django.contrib.contenttypes.models import ContentType

    site = admin.site
    urls = [
        ("index", reverse("admin:index"), None),
        ("password_change", reverse("admin:password_change"), None),
        ("password_change_done", reverse("admin:password_change_done"), None),
        ("jsi18n", reverse("admin:jsi18n"), None),
        ("autocomplete", reverse("admin:autocomplete"), None),
        (
            "view_on_site",
            reverse(
                "admin:view_on_site",
                args=[ContentType.objects.get_for_model(edition_b).pk, edition_b.pk],
            ),
            None,
        ),
    ]
    models = site._registry  # the admin has no public list of its models
    for label in sorted({model._meta.app_label for model in models}):
        urls.append((f"app_list:{label}", reverse("admin:app_list", args=[label]), None))
    for model, model_admin in sorted(models.items(), key=lambda item: item[0]._meta.label):
        obj = _admin_object(model, edition_b)
        assert obj is not None, f"admin_world has no {model._meta.label}: add one"
        prefix = f"admin:{model._meta.app_label}_{model._meta.model_name}"
        for view in MODEL_VIEWS:
            args = [] if view in {"changelist", "add"} else [obj.pk]
            urls.append(
                (
                    f"{model._meta.label}:{view}",
                    reverse(f"{prefix}_{view}", args=args),
                    (model_admin, obj),
                )
            )
    return urls


def _superuser_may(view: str, model_admin, obj, user) -> bool:
    from django.test import RequestFactory

    request = RequestFactory().get("/")
    request.user = user
    if view == "add":
        return model_admin.has_add_permission(request)
    if view == "delete":
        return model_admin.has_delete_permission(request, obj)
    return True


@pytest.mark.parametrize("who", ADMIN_USERS)
def test_admin_access(client, admin_world, who):
    user = admin_world["users"][who]
    if user is not None:
        client.force_login(user)
    login = reverse("admin:login")
    urls = admin_urls(admin_world["edition_b"])
    assert len(urls) > 90  # every registered model's pages
    answers = {name: client.get(url) for name, url, _admin in urls}
    if who == "superuser":
        for name, _url, found in urls:
            status = answers[name].status_code
            if found is None:
                # view_on_site redirects to the page; autocomplete refuses a call without its
                # parameters (a field to complete), whoever asks
                expected = {"view_on_site": 302, "autocomplete": 403}.get(name, 200)
                assert status == expected, (name, status)
                continue
            model_admin, obj = found
            view = name.rsplit(":", 1)[1]
            expected = 200 if _superuser_may(view, model_admin, obj, user) else 403
            assert status == expected, (name, status)
        return
    assert client.get(login).status_code == 200  # the login page, for everyone
    leaked = {
        name: response.status_code
        for name, response in answers.items()
        if response.status_code != 302 or not response["Location"].startswith(login)
    }
    assert leaked == {}
    before = _counts({found[1]._meta.label for _name, _url, found in urls if found})
    for name, url, found in urls:
        if found is None:
            continue
        view = name.rsplit(":", 1)[1]
        if view == "changelist":
            data = {"action": "delete_selected", "_selected_action": [found[1].pk], "post": "yes"}
        elif view in {"change", "delete"}:
            data = {"post": "yes"}
        else:
            continue
        response = client.post(url, data)
        assert response.status_code == 302 and response["Location"].startswith(login), name
    assert _counts(before) == before


def _counts(labels) -> dict[str, int]:
    from django.apps import apps

    return {label: apps.get_model(label)._default_manager.count() for label in labels}


def _guarded(rule) -> bool:
    return rule in {"user", "reauth", "admin"} or isinstance(rule, tuple)


@pytest.mark.parametrize("name", sorted(name for name, rule in RULES.items() if _guarded(rule)))
def test_half_signed_in_sessions_reach_only_the_second_step(client, world, name, settings):
    """Every role, its password given but not yet the code of its authenticator app: every
    page of the back office, the check-in and the admin sends it to the code (a JSON
    endpoint says ``two_factor``), except the pages of the second step itself."""
    from django_otp.plugins.otp_totp.models import TOTPDevice

    with translation.override("pl"):
        url = _url(name, world["kwargs"])
        to_code = f"{reverse('orga:two-factor')}?next={quote(url, safe='')}"
    users = {**world["users"], "superuser": world["superuser"]}
    for user in users.values():
        TOTPDevice.objects.get_or_create(user=user, name="app", confirmed=True)
    answers = {role: _status(client, user, url) for role, user in users.items()}
    app_name = name.split(":")[0] if ":" in name else "admin"
    if f"{app_name}:{name.split(':')[-1]}" in TwoFactorMiddleware.OPEN_VIEWS:
        assert all(r.get("Location", "").split("?")[0] != reverse("orga:two-factor")
                   for r in answers.values())  # fmt: skip
    elif name.startswith(TwoFactorMiddleware.JSON_PREFIX):
        assert {role: (r.status_code, r.json()["code"]) for role, r in answers.items()} == (
            dict.fromkeys(users, (403, "two_factor"))
        )
    else:
        assert {role: (r.status_code, r.get("Location")) for role, r in answers.items()} == (
            dict.fromkeys(users, (302, to_code))
        ), url


# -- the materials' changes (POST), for every role and another edition's staff -----------------
#
# What each one may *do* with a speaker's material of edition A: send an upload link, approve,
# reject, revoke the link. The need "content" (administrators, editors) of edition A does it;
# anyone else changes nothing (anonymous: the login page; another role, or an administrator or
# editor of edition B: 403). The speaker's own link (the "participant link" of materials) opens
# only the upload page of its session, never the back office.

MATERIALS_WHO = ["anonymous", *ROLES, "other-edition-admin", "other-edition-editor", "speaker"]


@pytest.mark.parametrize("who", MATERIALS_WHO)
def test_material_changes_by_role(client, world, who):
    from kongres.materials.models import Material, UploadLink

    edition = world["edition"]
    other = EditionFactory()
    users = dict(world["users"])
    for role in ("admin", "editor"):
        user = get_user_model().objects.create_user(f"m-{role}", f"m-{role}@example.org")
        EditionRole.objects.create(edition=other, user=user, role=role)
        users[f"other-edition-{role}"] = user
    session = SessionFactory(edition=edition)
    link, token = upload_link_create(
        session=session, email="mowca@example.org", language="pl", actor=None
    )
    first = material_submit(session=session, title="A", url="https://example.org/a", link=link)
    second = material_submit(session=session, title="B", url="https://example.org/b", link=link)
    if who == "speaker":  # the speaker's link in this browser, no account
        assert client.get(reverse("materials:upload", kwargs={"token": token})).status_code == 200
    elif who != "anonymous":
        client.force_login(users[who])
    kwargs = {"edition": edition.slug}
    with translation.override("pl"):
        steps = [
            (
                reverse("orga:material-link-create", kwargs=kwargs),
                {"session": session.pk, "email": "nowy@example.org", "language": "pl"},
            ),
            (
                reverse("orga:material-add", kwargs=kwargs),
                {"add-session": session.pk, "add-title": "C", "add-url": "https://example.org/c"},
            ),
            (reverse("orga:material-approve", kwargs={**kwargs, "pk": first.pk}), {}),
            (reverse("orga:material-reject", kwargs={**kwargs, "pk": second.pk}), {}),
            (reverse("orga:material-link-revoke", kwargs={**kwargs, "pk": link.pk}), {}),
        ]
    allowed = who in NEEDS["content"]
    for url, data in steps:
        response = client.post(url, data)
        if who in {"anonymous", "speaker"}:
            assert response.status_code == 302, url
            assert response["Location"].startswith(reverse("orga:login")), url
        else:
            assert response.status_code in ({200, 302} if allowed else {403}), (url, who)
    states = dict(Material.objects.filter(session=session).values_list("title", "state"))
    revoked = UploadLink.objects.get(pk=link.pk).revoked_at is not None
    links = UploadLink.objects.filter(session=session).count()
    if allowed:
        assert (states, revoked, links) == (
            {"A": "published", "B": "rejected", "C": "published"},
            True,
            2,
        )
    else:
        assert (states, revoked, links) == (
            {"A": "pending", "B": "pending"},
            False,
            1,
        )


# -- sign-ups for sessions (POST, issue 18), for every role and a participant's cookie ----------
#
# Only the participant's own cookie (set by their personal page) signs up: no back-office role
# does, and a participant of another edition cannot sign up for this edition's sessions.

SIGNUP_WHO = ["anonymous", *ROLES, "participant", "other-edition-participant"]


@pytest.mark.parametrize("who", SIGNUP_WHO)
def test_session_signup_by_who(client, world, who):
    from kongres.events.models import Session
    from kongres.registration.models import SessionSignup

    edition = world["edition"]
    session = SessionFactory(edition=edition, signup_mode=Session.SignupMode.SIGNUP, capacity=5)
    if who == "participant":
        days = list(edition.days.values_list("pk", flat=True))
        person = RegistrationFactory(edition=edition, verified=True, data__day_ids=days)
        client.get(reverse("registration:manage", kwargs={"token": person.token}))
    elif who == "other-edition-participant":
        other = EditionFactory()
        person = RegistrationFactory(edition=other, verified=True)
        client.get(reverse("registration:manage", kwargs={"token": person.token}))
    elif who != "anonymous":
        client.force_login(world["users"][who])
    with translation.override("pl"):
        urls = [
            reverse(f"registration:session-{name}", kwargs={"pk": session.pk})
            for name in ("signup", "leave")
        ]
    answers = [client.post(url).status_code for url in urls]
    expected = {"participant": [302, 302], "other-edition-participant": [404, 404]}
    assert answers == expected.get(who, [403, 403])
    made = SessionSignup.objects.filter(session=session).count()
    assert made == (1 if who == "participant" else 0)
