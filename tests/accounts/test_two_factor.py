"""Two-factor authentication everywhere (security review 2026-12, H2).

An account that must use a second factor (it has an authenticator app, or an edition where it
holds a role requires one, or the site does) is only half signed in after its password: every
page under /orga/, /checkin/ and /admin/ sends it to the code (or, without an app yet, to the
setup), and the check-in's JSON endpoints answer 403 with the code ``two_factor``. Setting up
an app needs the password entered in the last five minutes, gives ten single-use recovery
codes, and every change is in the audit log. The back office and the check-in are used by
accounts with roles; the Django admin by a superuser."""

import re
import time
from urllib.parse import quote

import pytest
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.urls import reverse
from django.utils import timezone, translation
from django_otp.oath import totp
from django_otp.plugins.otp_static.models import StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from kongres.accounts.models import EditionRole, EditionSettings
from kongres.accounts.services import recovery_codes_generate
from kongres.audit.models import AuditLogEntry
from kongres.config import load_config
from tests.factories import DayFactory, EditionFactory

pytestmark = pytest.mark.django_db
PASSWORD = "hasło-testowe-123"
Role = EditionRole.Role


@pytest.fixture(autouse=True)
def _polish():
    with translation.override("pl"):
        yield


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def flagged(db):
    """Today's edition (the check-in's), which requires two factors."""
    today = timezone.localdate()
    edition = EditionFactory(start_date=today, end_date=today)
    DayFactory(edition=edition, date=today)
    EditionSettings.objects.create(edition=edition, requires_two_factor=True)
    return edition


@pytest.fixture
def plain(db):
    """A later edition that does not require two factors."""
    edition = EditionFactory()
    DayFactory(edition=edition, date=edition.start_date)
    return edition


def account(username: str, roles: dict | None = None, *, superuser: bool = False):
    User = get_user_model()
    if superuser:
        return User.objects.create_superuser(username, f"{username}@example.org", PASSWORD)
    user = User.objects.create_user(username, f"{username}@example.org", PASSWORD, is_staff=True)
    for edition, role in (roles or {}).items():
        EditionRole.objects.create(edition=edition, user=user, role=role)
    return user


def app(user) -> TOTPDevice:
    return TOTPDevice.objects.create(user=user, name="app", confirmed=True)


def code(device: TOTPDevice, offset: int = 0) -> str:
    value = totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits,
                 drift=device.drift + offset)  # fmt: skip
    return str(value).zfill(device.digits)


def login(client, user, url: str | None = None):
    return client.post(
        url or reverse("orga:login"), {"username": user.username, "password": PASSWORD}
    )


def to_code(page: str) -> str:
    return f"{reverse('orga:two-factor')}?next={quote(page, safe='')}"


def to_setup(page: str) -> str:
    return f"{reverse('orga:two-factor-setup')}?next={quote(page, safe='')}"


def dashboard(edition) -> str:
    return reverse("orga:dashboard", kwargs={"edition": edition.slug})


def actions(user) -> list[str]:
    return list(
        AuditLogEntry.objects.filter(actor=user).order_by("pk").values_list("action", flat=True)
    )


def age_password(client, seconds: int) -> None:
    """Move the time the password was last entered back by ``seconds``."""
    from kongres.accounts.reauth import PASSWORD_AT

    session = client.session
    user_id, at = session[PASSWORD_AT]
    session[PASSWORD_AT] = [user_id, at - seconds]
    session.save()


# -- the review's dynamic test: the password alone opens nothing -------------------------------


def test_password_alone_opens_no_back_office_or_checkin_page_until_the_code(client, flagged, plain):
    """An administrator of an edition requiring two factors and of one that does not, with an
    app: after the password, /orga/ (both editions), /checkin/ and its scan API refuse."""
    user = account("olga", {flagged: Role.ADMIN, plain: Role.ADMIN})
    device = app(user)

    response = login(client, user)
    assert response.status_code == 302
    assert response.url == to_code(reverse("orga:index"))
    pages = [
        reverse("orga:index"),
        dashboard(flagged),  # the control: refused on main too
        dashboard(plain),  # no flag, yet the account has an app
        reverse("orga:registration-list", kwargs={"edition": plain.slug}),
        "/checkin/",
        "/checkin/badges/",
    ]
    for page in pages:
        refused = client.get(page)
        assert (refused.status_code, refused.get("Location")) == (302, to_code(page)), page
    scan = client.post("/checkin/api/scan/", {"code": "ABC", "nonce": "n-1"})
    assert scan.status_code == 403
    assert scan.json()["code"] == "two_factor"
    assert client.get("/checkin/api/counts/").json()["code"] == "two_factor"

    done = client.post(reverse("orga:two-factor"), {"token": code(device), "next": pages[2]})
    assert (done.status_code, done.url) == (302, pages[2])
    assert {page: client.get(page).status_code for page in pages} == dict.fromkeys(pages, 200)
    assert client.post("/checkin/api/scan/", {"code": "ABC", "nonce": "n-2"}).status_code == 422


def test_checkin_login_then_the_code_page(client, flagged):
    """Check-in staff log in at the check-in's own login; the code comes next."""
    user = account("bramkarz", {flagged: Role.CHECKIN_STAFF})
    device = app(user)
    response = login(client, user, "/checkin/login/?next=/checkin/")
    assert response.status_code == 302
    page = client.get("/checkin/")
    assert (page.status_code, page["Location"]) == (302, to_code("/checkin/"))
    form = client.get(page["Location"]).content.decode()
    assert 'name="token"' in form
    done = client.post(page["Location"], {"token": code(device), "next": "/checkin/"})
    assert done.url == "/checkin/"
    assert "Wejścia" in client.get("/checkin/").content.decode()


def test_the_admin_asks_a_superuser_for_the_code(client, flagged):
    boss = account("szef", superuser=True)
    device = app(boss)
    pages = ["/admin/", "/admin/registration/registration/", "/admin/auth/user/"]
    response = client.post(
        f"/admin/login/?next={pages[1]}",
        {"username": "szef", "password": PASSWORD, "next": pages[1]},
    )
    assert response.status_code == 302
    for page in pages:
        refused = client.get(page)
        assert (refused.status_code, refused.get("Location")) == (302, to_code(page)), page
    assert client.get(dashboard(flagged)).status_code == 302

    client.post(reverse("orga:two-factor"), {"token": code(device), "next": pages[1]})
    assert {page: client.get(page).status_code for page in pages} == dict.fromkeys(pages, 200)


def test_a_superuser_without_an_app_is_sent_to_the_setup_when_an_edition_requires_it(
    client, flagged
):
    boss = account("szef", superuser=True)
    client.post("/admin/login/", {"username": "szef", "password": PASSWORD, "next": "/admin/"})
    refused = client.get("/admin/auth/user/")
    assert (refused.status_code, refused["Location"]) == (302, to_setup("/admin/auth/user/"))
    assert not TOTPDevice.objects.filter(user=boss).exists()


def test_an_account_without_a_requirement_keeps_its_password_only_session(client, plain):
    user = account("redaktor", {plain: Role.ADMIN})
    login(client, user)
    assert client.get(dashboard(plain)).status_code == 200
    assert client.get("/checkin/").status_code == 200
    # the admin is for superusers (H1): its login, not the second step
    assert client.get("/admin/")["Location"].startswith("/admin/login/")


def test_the_site_can_require_two_factors_of_every_account(client, plain, settings):
    settings.KONGRES_TWO_FACTOR_REQUIRED = True
    user = account("redaktor", {plain: Role.ADMIN})
    login(client, user)
    refused = client.get(dashboard(plain))
    assert (refused.status_code, refused["Location"]) == (302, to_setup(dashboard(plain)))


def test_the_site_wide_requirement_is_a_configuration_key():
    assert load_config({})["two_factor_required"] is False
    assert load_config({"KONGRES_TWO_FACTOR_REQUIRED": "yes"})["two_factor_required"] is True


def test_the_pages_of_the_second_step_and_logging_out_stay_open(client, flagged):
    user = account("olga", {flagged: Role.ADMIN})
    app(user)
    login(client, user)
    assert client.get(reverse("orga:two-factor")).status_code == 200
    assert client.get(reverse("orga:two-factor-setup")).status_code == 200
    assert client.get("/checkin/sw.js").status_code == 200
    assert client.post(reverse("orga:logout")).status_code == 302
    assert client.get(dashboard(flagged))["Location"].startswith(reverse("orga:login"))


# -- enrolment: the password again, recovery codes, the audit log ------------------------------


def test_setup_needs_the_password_entered_in_the_last_five_minutes(client, plain):
    user = account("olga", {plain: Role.ADMIN})
    client.force_login(user)  # a session whose password was not typed here
    setup = reverse("orga:two-factor-setup")
    confirm = f"{reverse('orga:confirm-password')}?next={quote(setup, safe='')}"

    response = client.get(setup)
    assert (response.status_code, response["Location"]) == (302, confirm)
    assert client.get(reverse("orga:two-factor-qr")).status_code == 302
    assert client.post(setup, {"token": "123456"})["Location"] == confirm
    assert not TOTPDevice.objects.filter(user=user).exists()  # no secret was made

    page = client.get(confirm).content.decode()
    assert 'autocomplete="current-password"' in page
    wrong = client.post(confirm, {"password": "nie-to-hasło", "next": setup})
    assert wrong.status_code == 200
    assert "To hasło jest nieprawidłowe." in wrong.content.decode()
    assert client.get(setup).status_code == 302

    right = client.post(confirm, {"password": PASSWORD, "next": setup})
    assert (right.status_code, right["Location"]) == (302, setup)
    assert "orga-secret" in client.get(setup).content.decode()

    age_password(client, 5 * 60 + 1)
    assert client.get(setup)["Location"] == confirm


def test_setup_right_after_logging_in_needs_no_second_password(client, flagged):
    user = account("olga", {flagged: Role.ADMIN})
    response = login(client, user)
    assert response.url == to_setup(reverse("orga:index"))
    assert "orga-secret" in client.get(response.url).content.decode()


def test_setup_gives_ten_recovery_codes_once_and_is_audited(client, flagged):
    user = account("olga", {flagged: Role.ADMIN})
    setup = login(client, user).url
    client.get(setup)
    device = TOTPDevice.objects.get(user=user, confirmed=False)

    done = client.post(setup, {"token": code(device), "next": reverse("orga:index")})
    assert done.status_code == 200
    text = done.content.decode()
    codes = re.findall(r'<code class="orga-recovery-code">([a-z2-7]{4}-[a-z2-7]{4})</code>', text)
    assert len(set(codes)) == 10
    assert f'href="{reverse("orga:index")}"' in text
    assert actions(user) == ["account.two_factor.enrol", "account.recovery_codes.generate"]
    assert client.get(reverse("orga:index")).status_code == 200  # the session is verified

    again = client.get(reverse("orga:two-factor-setup")).content.decode()
    assert "orga-recovery-code" not in again  # shown once
    assert codes[0] not in again


def test_a_recovery_code_opens_a_session_once(client, flagged):
    user = account("olga", {flagged: Role.ADMIN})
    app(user)
    codes = recovery_codes_generate(user=user, actor=user)
    assert len(codes) == 10
    assert re.fullmatch(r"[a-z2-7]{4}-[a-z2-7]{4}", codes[0])

    login(client, user)
    used = client.post(reverse("orga:two-factor"), {"token": codes[0].upper(), "next": "/orga/"})
    assert (used.status_code, used.url) == (302, "/orga/")
    assert client.get(dashboard(flagged)).status_code == 200
    assert actions(user)[-1] == "account.recovery_code.use"
    entry = AuditLogEntry.objects.filter(action="account.recovery_code.use").get()
    assert entry.after == {"remaining": 9}

    client.post(reverse("orga:logout"))
    login(client, user)
    other = client.post(reverse("orga:two-factor"), {"token": codes[1], "next": "/orga/"})
    assert other.status_code == 302
    client.post(reverse("orga:logout"))
    login(client, user)
    again = client.post(reverse("orga:two-factor"), {"token": codes[0], "next": "/orga/"})
    assert again.status_code == 200
    assert "Ten kod jest nieprawidłowy." in again.content.decode()
    assert client.get(dashboard(flagged)).status_code == 302
    assert StaticToken.objects.filter(device__user=user).count() == 8


def test_new_recovery_codes_and_removing_the_app_need_the_code_and_a_recent_password(
    client, flagged
):
    user = account("olga", {flagged: Role.ADMIN})
    device = app(user)
    old = recovery_codes_generate(user=user, actor=user)
    setup = reverse("orga:two-factor-setup")

    login(client, user)  # the password only: nothing may change
    assert client.post(setup, {"action": "recovery-codes"}).status_code == 302
    assert client.post(setup, {"action": "remove"}).status_code == 302
    assert TOTPDevice.objects.filter(user=user).exists()
    assert sorted(StaticToken.objects.values_list("token", flat=True)) == sorted(
        c.replace("-", "") for c in old
    )

    client.post(reverse("orga:two-factor"), {"token": code(device)})
    page = client.get(setup).content.decode()
    assert 'value="recovery-codes"' in page and 'value="remove"' in page
    age_password(client, 5 * 60 + 1)
    stale = client.post(setup, {"action": "recovery-codes"})
    assert stale["Location"] == f"{reverse('orga:confirm-password')}?next={quote(setup, safe='')}"
    client.post(stale["Location"], {"password": PASSWORD, "next": setup})

    fresh = client.post(setup, {"action": "recovery-codes"})
    new = re.findall(r'class="orga-recovery-code">([a-z2-7-]{9})<', fresh.content.decode())
    assert len(new) == 10 and not set(new) & set(old)
    assert StaticToken.objects.filter(device__user=user).count() == 10

    removed = client.post(setup, {"action": "remove"})
    assert removed.status_code == 302
    assert not TOTPDevice.objects.filter(user=user).exists()
    assert not StaticToken.objects.filter(device__user=user).exists()
    assert actions(user)[-2:] == ["account.recovery_codes.generate", "account.two_factor.remove"]
    # the edition still requires two factors: the next page is the setup
    assert client.get(dashboard(flagged))["Location"] == to_setup(dashboard(flagged))


def test_the_admin_lists_no_second_factor_devices():
    """The devices' secrets and recovery codes are personal: never in the admin."""
    labels = {model._meta.app_label for model in admin.site._registry}
    assert not labels & {"otp_totp", "otp_static", "django_otp"}


def test_a_wrong_code_is_refused_and_the_code_page_keeps_next(client, flagged):
    user = account("olga", {flagged: Role.ADMIN})
    device = app(user)
    login(client, user)
    valid = {code(device, offset) for offset in range(-3, 4)}
    wrong = next(c for c in (str(n).zfill(6) for n in range(1000000)) if c not in valid)
    page = client.post(reverse("orga:two-factor"), {"token": wrong, "next": dashboard(flagged)})
    assert page.status_code == 200
    text = page.content.decode()
    assert "Ten kod jest nieprawidłowy." in text
    assert f'name="next" value="{dashboard(flagged)}"' in text
    assert f'value="{wrong}"' in text  # what was typed is kept
    time.sleep(1.1)  # django-otp throttles: one second after a wrong code
    assert client.post(reverse("orga:two-factor"), {"token": code(device)}).status_code == 302


@pytest.mark.parametrize(
    "case",
    ["nothing", "role_in_flagged", "role_elsewhere", "device", "unconfirmed_device", "superuser"],
)
def test_the_user_read_with_its_requirement_says_what_the_query_says(
    flagged, plain, case, django_assert_num_queries
):
    """The signed-in user is read with whether it must give a second factor (one query:
    ``accounts.backends``); that answer is the one ``two_factor_required_for`` finds alone."""
    from kongres.accounts.backends import ThrottledModelBackend
    from kongres.accounts.roles import two_factor_required_for

    user = get_user_model().objects.create_user(
        username=f"u-{case}", password=PASSWORD, is_superuser=case == "superuser"
    )
    if case == "role_in_flagged":
        EditionRole.objects.create(user=user, edition=flagged, role=Role.CHECKIN_STAFF)
    if case == "role_elsewhere":
        EditionRole.objects.create(user=user, edition=plain, role=Role.ADMIN)
    if case in ("device", "unconfirmed_device"):
        TOTPDevice.objects.create(user=user, name="app", confirmed=case == "device")
    expected = case in ("role_in_flagged", "device", "superuser")

    read = ThrottledModelBackend().get_user(user.pk)
    alone = get_user_model().objects.get(pk=user.pk)
    with django_assert_num_queries(0):  # read with the user
        assert two_factor_required_for(user=read) is expected
    assert two_factor_required_for(user=alone) is expected
    # and the superuser of a site whose editions require nothing does not need one (the
    # setting changed as the back office changes it: the kept access is read again)
    from kongres.accounts.services import edition_settings_update

    edition_settings_update(edition=flagged, requires_two_factor=False, actor=None)
    if case == "superuser":
        assert two_factor_required_for(user=ThrottledModelBackend().get_user(user.pk)) is False
