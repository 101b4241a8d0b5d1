"""The command line: createorganiser, --help, one-line errors (`kongres serve`: test_serve.py)."""

import io
import os
import re
import stat
import subprocess
import sys

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command

from kongres.accounts.organisers import DEMO_ORGANISER_EMAIL

PASSWORD = "Organiser-Password-2024"


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def createorganiser(*args, **options) -> str:
    out = io.StringIO()
    call_command("createorganiser", *args, stdout=out, **options)
    return out.getvalue()


# -- createorganiser ------------------------------------------------------------------------------


def test_createorganiser_makes_only_superusers(db):
    with pytest.raises(CommandError) as error:
        createorganiser("Anna@Example.ORG", password=PASSWORD)
    assert "--superuser" in str(error.value) and "invited" in str(error.value)
    assert not get_user_model().objects.exists()


def test_createorganiser_superuser(db):
    output = createorganiser("Boss@Example.ORG", password=PASSWORD, superuser=True)
    user = get_user_model().objects.get()
    assert user.username == user.email == "Boss@example.org"
    assert user.is_superuser and user.is_staff and user.check_password(PASSWORD)
    assert not user.groups.exists()
    assert "Superuser Boss@example.org created" in output
    assert "/admin/" in output and "/orga/" in output


def test_createorganiser_password_from_the_environment(db, monkeypatch):
    monkeypatch.setenv("KONGRES_ORGANISER_PASSWORD", PASSWORD)
    createorganiser("env@example.org", superuser=True)
    assert get_user_model().objects.get().check_password(PASSWORD)


@pytest.mark.parametrize(
    ("args", "options", "message"),
    [
        (["not-an-email"], {"password": PASSWORD, "superuser": True}, "e-mail"),
        (["short@example.org"], {"password": "abc", "superuser": True}, "12"),
        (["nopass@example.org"], {"superuser": True}, "no password"),
        ([], {"password": PASSWORD}, "e-mail address"),
        (["x@example.org"], {"demo": True}, "--demo"),
    ],
)
def test_createorganiser_errors_are_one_line(db, monkeypatch, args, options, message):
    monkeypatch.delenv("KONGRES_ORGANISER_PASSWORD", raising=False)
    monkeypatch.setattr(sys, "stdin", io.StringIO())  # not a terminal: no prompt
    with pytest.raises(CommandError) as error:
        createorganiser(*args, **options)
    assert message in str(error.value)
    assert "\n" not in str(error.value)
    assert not get_user_model().objects.exists()


def test_createorganiser_refuses_a_second_account_with_the_same_email(db):
    createorganiser("twice@example.org", password=PASSWORD, superuser=True)
    with pytest.raises(CommandError):
        createorganiser("TWICE@example.org", password=PASSWORD, superuser=True)
    assert get_user_model().objects.count() == 1


def test_createorganiser_demo_keeps_one_login(db, settings, tmp_path):
    settings.DATA_DIR = tmp_path
    settings.SITE_URL = "http://127.0.0.1:8123"
    first = createorganiser(demo=True)
    path = tmp_path / "demo-organiser.txt"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    password = path.read_text().splitlines()[1]
    assert "http://127.0.0.1:8123/admin/" in first
    assert f"user:     {DEMO_ORGANISER_EMAIL}" in first
    assert f"password: {password}" in first
    user = get_user_model().objects.get()
    assert user.is_staff and user.is_superuser and user.check_password(password)
    assert not user.groups.exists()
    before = get_user_model().objects.values().get()

    second = createorganiser(demo=True)
    assert second == first
    assert get_user_model().objects.values().get() == before
    assert path.read_text().splitlines()[1] == password


def test_createorganiser_demo_on_a_new_database_reuses_the_kept_password(db, settings, tmp_path):
    settings.DATA_DIR = tmp_path
    (tmp_path / "demo-organiser.txt").write_text(f"{DEMO_ORGANISER_EMAIL}\nKept-Password-123\n")
    output = createorganiser(demo=True)
    assert "password: Kept-Password-123" in output
    assert get_user_model().objects.get().check_password("Kept-Password-123")


# -- the kongres program ------------------------------------------------------------------------


def kongres_env(tmp_path, **extra) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if not key.startswith("KONGRES_")}
    env.pop("DJANGO_SETTINGS_MODULE", None)
    env["KONGRES_DATA_DIR"] = str(tmp_path / "data")  # SQLite there, never the test database
    env.update(extra)
    return env


def kongres(tmp_path, *args, **env) -> subprocess.CompletedProcess:
    return subprocess.run(  # noqa: S603 -- our own program
        [sys.executable, "-m", "kongres", *args],
        cwd=tmp_path,
        env=kongres_env(tmp_path, **env),
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_help_lists_our_commands(tmp_path):
    result = kongres(tmp_path, "--help")
    assert result.returncode == 0, result.stderr
    for command in ["demo", "serve", "createorganiser", "migrate"]:
        assert re.search(rf"^  {command}\s+\S", result.stdout, re.MULTILINE), command
    assert "--as-published" in result.stdout
    assert "collectstatic" in result.stdout  # Django's own, listed after ours


def test_unknown_command_is_one_line(tmp_path):
    result = kongres(tmp_path, "demoo")
    assert result.returncode != 0
    assert result.stderr.strip().splitlines() == [
        "kongres: unknown command 'demoo'; did you mean demo?"
    ]
    assert result.stdout == ""


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        ({"KONGRES_DEBUG": "maybe"}, "KONGRES_DEBUG"),
        ({"KONGRES_CONFIG": "/nowhere/kongres.toml"}, "/nowhere/kongres.toml"),
        ({"KONGRES_DATABASE_URL": "nosuchdb://host/name"}, "nosuchdb"),
    ],
)
def test_bad_config_is_one_line(tmp_path, env, expected):
    result = kongres(tmp_path, "demo", **env)
    assert result.returncode != 0
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("kongres: configuration error:")
    assert expected in lines[0]
    assert "Traceback" not in result.stderr


def test_command_error_is_one_line(tmp_path):
    result = kongres(tmp_path, "createorganiser", "not-an-email", "--password", PASSWORD)
    assert result.returncode != 0
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr
    assert "Traceback" not in result.stderr


def test_demo_before_migrate_says_what_to_do(tmp_path):
    result = kongres(tmp_path, "demo")
    assert result.returncode != 0
    assert result.stderr.strip().splitlines() == [
        "CommandError: the database is not ready (no such table: events_series); "
        "run `kongres migrate` first"
    ]


def test_createorganiser_demo_runs_the_demo_edition_in_the_back_office(db, settings, tmp_path):
    from kongres.accounts.models import EditionRole
    from kongres.audit.models import AuditLogEntry
    from kongres.events.models import Edition

    settings.DATA_DIR = tmp_path
    settings.SITE_URL = "http://127.0.0.1:8123"
    call_command("demo", stdout=io.StringIO())
    output = createorganiser(demo=True)
    assert "back office: http://127.0.0.1:8123/orga/" in output
    user = get_user_model().objects.get()
    # an administrator of each edition of the demo: the current one and last year's (archive)
    assert sorted(EditionRole.objects.values_list("edition", "user", "role")) == [
        (edition.pk, user.pk, EditionRole.Role.ADMIN) for edition in Edition.objects.order_by("pk")
    ]
    assert Edition.objects.count() == 2
    logged = AuditLogEntry.objects.count()
    createorganiser(demo=True)
    assert EditionRole.objects.count() == 2 and AuditLogEntry.objects.count() == logged
