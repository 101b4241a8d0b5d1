"""`kongres backup` and `kongres restore`: a real round trip on the configured database vendor
(SQLite, and PostgreSQL when KONGRES_DATABASE_URL points at it), checked by counts and
checksums computed here, independently of kongres.core.backup."""

import hashlib
import io
import json
import os
import shutil
import stat
import tarfile
from pathlib import Path

import pytest
from django.conf import settings
from django.core.cache import caches
from django.core.files.base import ContentFile
from django.core.management import CommandError, call_command
from django.db import connection

from kongres.accounts.organisers import organiser_create
from kongres.content.models import NewsPost
from kongres.core import backup
from kongres.registration.models import Registration
from tests.factories import (
    DayFactory,
    EditionFactory,
    NewsPostFactory,
    SessionFactory,
    SpeakerFactory,
)
from tests.factories.registration import QuestionFactory, RegistrationFactory


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def database(transactional_db):
    """The test database, whole again after the test even if a restore failed half-way."""
    yield connection
    connection.close()
    if "events_edition" not in connection.introspection.table_names():
        call_command("migrate", verbosity=0)


def snapshot() -> dict:
    """Every table's row count and a hash of its rows (sorted), and every uploaded file's
    hash, read here without kongres.core.backup."""
    tables = {}
    with connection.cursor() as cursor:
        for name in connection.introspection.table_names(cursor):
            cursor.execute(f"SELECT * FROM {connection.ops.quote_name(name)}")  # noqa: S608
            rows = sorted(repr(row) for row in cursor.fetchall())
            tables[name] = (len(rows), hashlib.sha256("\n".join(rows).encode()).hexdigest())
    media = Path(settings.MEDIA_ROOT)
    files = {
        str(path.relative_to(media)): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in media.rglob("*")
        if path.is_file()
    }
    return {"tables": tables, "files": files}


def fill() -> None:
    edition = EditionFactory(capacity=10)
    day = DayFactory(edition=edition)
    SessionFactory(edition=edition).speakers.set([SpeakerFactory(), SpeakerFactory()])
    speaker = SpeakerFactory()
    speaker.photo.save("zdjecie.jpg", ContentFile(b"\xff\xd8 a photo \x00\x01"), save=True)
    post = NewsPostFactory(edition=edition)
    post.image.save("plakat.png", ContentFile(b"\x89PNG a poster"), save=True)
    QuestionFactory(edition=edition)
    for n in range(12):  # 10 confirmed, 2 on the waiting list
        RegistrationFactory(
            edition=edition, verified=True, data__day_ids=[day.pk], data__last_name=f"Nowak{n}"
        )
    RegistrationFactory(
        edition=edition, data__day_ids=[day.pk], data__institution="Gmina Łódź - „cudzysłów”"
    )
    organiser_create(email="organizator@example.org", password="Haslo-Organizatora-2026")


def wipe() -> None:
    """An empty database (no tables at all) and no uploaded files."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("DROP SCHEMA public CASCADE")
            cursor.execute("CREATE SCHEMA public")
        else:
            cursor.execute("PRAGMA foreign_keys = OFF")
            for name in connection.introspection.table_names(cursor):
                cursor.execute(f"DROP TABLE {connection.ops.quote_name(name)}")
            cursor.execute("PRAGMA foreign_keys = ON")
    shutil.rmtree(settings.MEDIA_ROOT, ignore_errors=True)
    assert connection.introspection.table_names() == []


def run(command: str, *args, **options) -> str:
    out = io.StringIO()
    call_command(command, *args, stdout=out, **options)
    return out.getvalue()


def test_round_trip_into_a_fresh_database_gives_every_row_and_file_back(database, tmp_path):
    fill()
    before = snapshot()
    assert before["tables"]["registration_registration"][0] == 13
    assert len(before["files"]) == 2
    path = tmp_path / "kongres.backup"

    output = run("backup", str(path))

    assert f"Backup of the {connection.vendor} database written to {path}" in output
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    wipe()
    assert snapshot() == {"tables": {}, "files": {}}

    output = run("restore", str(path))

    assert "every table's row count and checksum match" in output
    after = snapshot()
    assert after == before
    assert Registration.objects.filter(status=Registration.Status.CONFIRMED).count() == 10
    post = NewsPost.objects.get()
    assert post.image.read() == b"\x89PNG a poster"


def test_manifest_describes_the_backup(database, tmp_path):
    fill()
    path = tmp_path / "kongres.backup"
    run("backup", str(path))
    with tarfile.open(path) as archive:
        manifest = json.load(archive.extractfile("manifest.json"))
        names = set(archive.getnames())
    member = "database.pgdump" if connection.vendor == "postgresql" else "database.sqlite3"
    assert names == {"manifest.json", member, *manifest["members"]}
    assert manifest["format"] == 1
    assert manifest["vendor"] == connection.vendor
    assert manifest["kongres_version"] == "0.1.0"
    counts = {table: count for table, (count, _digest) in snapshot()["tables"].items()}
    assert {table: found["rows"] for table, found in manifest["tables"].items()} == counts
    assert sorted(name for name in manifest["members"] if name.startswith("media/")) == [
        "media/news/plakat.png",
        "media/speakers/zdjecie.jpg",
    ]
    assert "organizator" not in path.read_bytes().decode("latin-1")  # compressed, not clear
    assert f"{path} is complete" in run("restore", str(path), check=True)


def test_restore_refuses_a_site_with_data_unless_forced(database, tmp_path):
    fill()
    path = tmp_path / "kongres.backup"
    run("backup", str(path))
    before = snapshot()
    edition = Registration.objects.first().edition
    RegistrationFactory(edition=edition, data__day_ids=[edition.days.get().pk])
    changed = snapshot()

    with pytest.raises(CommandError) as refused:
        run("restore", str(path))

    message = str(refused.value)
    assert message.startswith("The target is not empty (")
    assert " rows in " in message
    assert "; 2 uploaded files)" in message
    assert "--force" in message
    assert snapshot() == changed

    (Path(settings.MEDIA_ROOT) / "news" / "extra.txt").write_bytes(b"not in the backup")
    run("restore", str(path), force=True)
    assert snapshot() == before


def test_restore_into_a_migrated_empty_database_needs_no_force(database, tmp_path):
    fill()
    path = tmp_path / "kongres.backup"
    run("backup", str(path))
    before = snapshot()
    call_command("flush", interactive=False, verbosity=0)
    shutil.rmtree(settings.MEDIA_ROOT)
    call_command("migrate", verbosity=0)  # what `kongres migrate` writes counts as empty
    caches["database"].set("kongres:a-page", "cached, not data")  # nor does the cache

    run("restore", str(path))

    assert snapshot() == before


def rewritten(path: Path, target: Path, *, manifest=None, member=None) -> Path:
    """A copy of the backup at ``path`` with its manifest or one member's content changed."""
    with tarfile.open(path) as source, tarfile.open(target, "w:gz") as copy:
        for info in source:
            data = source.extractfile(info).read()
            if info.name == "manifest.json" and manifest:
                data = json.dumps(manifest(json.loads(data))).encode()
            elif member and info.name == member[0]:
                data = member[1]
            info.size = len(data)
            copy.addfile(info, io.BytesIO(data))
    return target


def test_restore_refuses_another_vendor_and_a_damaged_file(database, tmp_path):
    fill()
    path = tmp_path / "kongres.backup"
    run("backup", str(path))
    other = "sqlite" if connection.vendor == "postgresql" else "postgresql"
    foreign = rewritten(
        path, tmp_path / "foreign.backup", manifest=lambda found: {**found, "vendor": other}
    )
    damaged = rewritten(
        path, tmp_path / "damaged.backup", member=("media/news/plakat.png", b"\x89PNG changed")
    )
    before = snapshot()

    with pytest.raises(CommandError) as refused:
        run("restore", str(foreign), force=True)
    assert str(refused.value) == (
        f"{foreign} is a backup of a {other} database; this site uses {connection.vendor}. "
        f"Restore it into a site configured with {other} (database_url)."
    )
    with pytest.raises(CommandError, match=r"media/news/plakat.png is damaged"):
        run("restore", str(damaged), force=True)
    with pytest.raises(CommandError, match="is not a kongres backup"):
        (tmp_path / "empty.tar").write_bytes(b"")
        with tarfile.open(tmp_path / "empty.tar", "w"):
            pass
        run("restore", str(tmp_path / "empty.tar"), force=True)
    assert snapshot() == before


def test_backup_refuses_a_missing_folder(tmp_path):
    with pytest.raises(CommandError, match="does not exist"):
        run("backup", str(tmp_path / "no" / "kongres.backup"))


@pytest.mark.skipif(
    not os.environ.get("KONGRES_DATABASE_URL", "").startswith("postgres"),
    reason="the PostgreSQL password path needs KONGRES_DATABASE_URL on PostgreSQL",
)
def test_postgresql_password_goes_through_the_environment_only(database, tmp_path, monkeypatch):
    seen = []
    real_run = backup.subprocess.run

    def spy(command, **kwargs):
        seen.append((command, kwargs["env"]))
        return real_run(command, **kwargs)

    monkeypatch.setattr(backup.subprocess, "run", spy)
    monkeypatch.setitem(connection.settings_dict, "PASSWORD", "s3cret-never-in-argv")
    run("backup", str(tmp_path / "kongres.backup"))
    ((command, env),) = seen
    assert command[0] == "pg_dump"
    assert not any("s3cret" in part for part in command)
    assert env["PGPASSWORD"] == "s3cret-never-in-argv"
