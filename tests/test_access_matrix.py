"""Every URL pattern of the project, for an anonymous visitor and for each back-office role:
anonymous → the login page, a role without the right → 403, a role with it → 200. Each URL
name needs a rule in ``RULES``; adding a URL without a rule fails ``test_every_url_has_a_rule``."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone, translation

from kongres.accounts.models import EditionRole
from kongres.accounts.roles import NEEDS
from kongres.campaigns.services import campaign_create
from kongres.content.models import PrivacyNoticeVersion
from kongres.registration.services.draw import allocation_configure, draw_run
from kongres.registration.tickets import ticket_issue
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

# kind: "public" (everyone 200), "secret" (the key in the URL is the access: everyone gets the
# same answer, nobody is sent to a login page; "same": public pages that need data or
# redirect), "auth" (the login/logout pages themselves),
# "user" (any logged-in account), ("orga", need), ("checkin", api), "admin" (Django's own).
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
        for name in ("verify", "claim", "manage", "edit", "cancel", "export", "links-replace")
    },
    "registration:submitted": "same",  # redirects to the form without a submission
    # the edition's draw (the world's edition has one, with no applications)
    "registration:draw": "public",
    "registration:draw-json": "public",
    "checkin:page": ("checkin", False),
    "checkin:badges": ("checkin", False),
    "checkin:service-worker": "public",
    "checkin:login": "auth",
    "checkin:logout": "auth",
    "checkin:api-scan": "post",  # POST only: GET answers 405 to everyone
    "checkin:api-counts": ("checkin", True),
    "checkin:api-counts-all": ("checkin", True),
    "checkin:api-search": ("checkin", True),
    "checkin:ticket-pdf": "secret",  # by the registration's secret link
    "orga:index": "user",
    "orga:login": "auth",
    "orga:logout": "auth",
    "orga:two-factor": "user",
    "orga:two-factor-setup": "user",
    "orga:two-factor-qr": "user",
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
    "orga:roles": ("orga", "roles"),
    "orga:draw": ("orga", "settings"),
    "orga:draw-run": "post",  # POST only: GET answers 405 to everyone
    "orga:draw-chart": ("orga", "settings"),
    "orga:role-revoke": ("orga", "roles"),
    "orga:settings": ("orga", "settings"),
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
    "events:speakers": "public",
    "events:speaker": "same",  # public; needs data or redirects: same answer for all
    "events:venue": "public",
    "events:organisers": "public",
    "events:archive": "public",
    "events:edition": "public",
    "events:edition-ics": "public",
}


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


@pytest.fixture
def world(db):
    edition = EditionFactory(capacity=10)
    day = DayFactory(edition=edition)
    session = SessionFactory(edition=edition)
    speaker = SpeakerFactory()
    news = NewsPostFactory(edition=edition)
    page = PageFactory()
    registration = RegistrationFactory(edition=edition, verified=True, data__day_ids=[day.pk])
    ticket_issue(registration=registration)
    allocation_configure(edition=edition, mode="draw")
    draw_run(edition=edition)  # nobody waits: a draw of no application
    campaign = campaign_create(
        edition=edition, segment={}, subject_pl="Temat", body_pl="Treść", actor=None
    )
    users = {}
    User = get_user_model()
    for role in ROLES:
        user = User.objects.create_user(f"u-{role}", f"{role}@example.org", "x-hasło-123")
        if role:
            role_row = EditionRole.objects.create(edition=edition, user=user, role=role)
        users[role] = user
    kwargs = {
        "media": {"path": "nothing.png"},
        "registration": {"token": registration.token},
        "checkin:ticket": {"token": registration.token},
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
        "orga:campaign": {"edition": edition.slug, "pk": campaign.pk},
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
        "events:edition-ics": {"slug": edition.slug},
    }
    return {"edition": edition, "users": users, "kwargs": kwargs, "speaker": speaker}


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


def _status(client, user, url: str):
    client.logout()
    if user is not None:
        client.force_login(user)
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
    elif rule == "admin":
        assert anonymous.status_code == 302
        assert "/admin/login/" in anonymous["Location"]
    elif rule == "user":
        assert anonymous.status_code == 302
        assert reverse("orga:login") in anonymous["Location"]
        assert {role: r.status_code for role, r in answers.items()} == dict.fromkeys(ROLES, 200)
    else:
        kind, detail = rule
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
            allowed = NEEDS["checkin"]
        expected = {role: 200 if role in allowed else 403 for role in ROLES}
        assert {role: r.status_code for role, r in answers.items()} == expected, url
