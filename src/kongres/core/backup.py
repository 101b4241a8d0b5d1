"""Backups: the database and the uploaded files in one file, and back (``kongres backup``,
``kongres restore``).

A backup is a gzip-compressed tar archive holding:

* ``manifest.json``: the format, kongres's version, the database vendor, when it was made, each
  table's row count and checksum, and each member's size and SHA-256;
* ``database.pgdump`` (PostgreSQL: ``pg_dump`` in custom format, taken in the same snapshot as
  the manifest's counts) or ``database.sqlite3`` (SQLite: a copy by its online backup API);
* ``media/<name>``: every file of the default storage (the uploaded images).

A restore checks every member against the manifest before it touches anything, replaces the
database (``pg_restore --clean`` in one transaction; SQLite's backup API, page by page, in the
other direction) and the uploaded files, then checks each table's count and checksum again.
The PostgreSQL password goes to the client tools in ``PGPASSWORD``, never on a command line.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import shutil
import sqlite3
import subprocess
import tarfile
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path, PurePosixPath
from typing import Any

from django.conf import settings
from django.core.files import File
from django.core.files.storage import Storage, storages
from django.db import DEFAULT_DB_ALIAS, connections, transaction
from django.db.backends.base.base import BaseDatabaseWrapper
from django.utils import timezone

import kongres
from kongres.core.exceptions import KongresError

FORMAT = 1
MANIFEST = "manifest.json"
MEDIA = "media/"
DATABASE_MEMBER = {"postgresql": "database.pgdump", "sqlite": "database.sqlite3"}
# What `kongres migrate` writes into an empty database: such a database counts as empty.
BOOKKEEPING_TABLES = frozenset({"django_migrations", "django_content_type", "auth_permission"})
CHUNK = 1 << 20


class BackupError(KongresError):
    code = "backup"


# -- checksums --------------------------------------------------------------------------------


def _cell(value: Any) -> str:
    if value is None:
        return "\\N"
    if isinstance(value, bytes | bytearray | memoryview):
        return bytes(value).hex()
    return str(value)


def table_summary(cursor: Any, *, table: str, key_columns: list[str], quote) -> dict:
    """``{"rows": N, "sha256": ...}`` of ``table``: every row, ordered by ``key_columns`` (all
    columns when empty), each cell as text, tab-separated, one line per row. ``table`` and
    ``key_columns`` come from the database's own catalogue, quoted by ``quote`` (hence the
    f-strings: no value of anyone's reaches the SQL)."""
    if not key_columns:  # no primary key: order by every column
        cursor.execute(f"SELECT * FROM {quote(table)} WHERE 1 = 0")  # noqa: S608  # nosec B608
        order = ", ".join(str(n + 1) for n in range(len(cursor.description)))
    else:
        order = ", ".join(quote(column) for column in key_columns)
    cursor.execute(f"SELECT * FROM {quote(table)} ORDER BY {order}")  # noqa: S608  # nosec B608
    digest, rows = hashlib.sha256(), 0
    while batch := cursor.fetchmany(1000):
        for row in batch:
            digest.update(("\t".join(_cell(value) for value in row) + "\n").encode())
        rows += len(batch)
    return {"rows": rows, "sha256": digest.hexdigest()}


def _django_tables(connection: BaseDatabaseWrapper) -> dict[str, dict]:
    """The summary of every table, read through Django's connection (PostgreSQL)."""
    with connection.cursor() as cursor:
        names = sorted(connection.introspection.table_names(cursor))
        return {
            name: table_summary(
                cursor,
                table=name,
                key_columns=connection.introspection.get_primary_key_columns(cursor, name) or [],
                quote=connection.ops.quote_name,
            )
            for name in names
        }


def _sqlite_quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _sqlite_tables(database: sqlite3.Connection) -> dict[str, dict]:
    """The summary of every table of an SQLite file, read through the sqlite3 module."""
    names = [
        name
        for (name,) in database.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' "
            "ORDER BY name"
        )
    ]
    summary = {}
    for name in names:
        columns = database.execute(f"PRAGMA table_info({_sqlite_quote(name)})").fetchall()
        keys = [column[1] for column in sorted(columns, key=lambda c: c[5]) if column[5]]
        summary[name] = table_summary(
            database.cursor(), table=name, key_columns=keys, quote=_sqlite_quote
        )
    return summary


def _file_digest(handle) -> tuple[int, str]:
    digest, size = hashlib.sha256(), 0
    while chunk := handle.read(CHUNK):
        digest.update(chunk)
        size += len(chunk)
    return size, digest.hexdigest()


# -- the database -----------------------------------------------------------------------------


def _pg_environment(settings_dict: dict) -> dict[str, str]:
    """libpq's environment for Django's connection settings (the password only here)."""
    env = dict(os.environ)
    options = settings_dict.get("OPTIONS", {})
    for variable, value in (
        ("PGDATABASE", settings_dict.get("NAME")),
        ("PGUSER", settings_dict.get("USER")),
        ("PGPASSWORD", settings_dict.get("PASSWORD")),
        ("PGHOST", settings_dict.get("HOST")),
        ("PGPORT", settings_dict.get("PORT")),
        ("PGSSLMODE", options.get("sslmode")),
        ("PGSSLROOTCERT", options.get("sslrootcert")),
        ("PGSSLCERT", options.get("sslcert")),
        ("PGSSLKEY", options.get("sslkey")),
        ("PGPASSFILE", options.get("passfile")),
        ("PGSERVICE", options.get("service")),
    ):
        if value:
            env[variable] = str(value)
    return env


def _run(command: list[str], *, env: dict[str, str]) -> None:
    try:
        # a list (no shell) of pg_dump or pg_restore and their options, built just below
        result = subprocess.run(command, env=env, capture_output=True, text=True, check=False)  # noqa: S603  # nosec B603
    except FileNotFoundError as error:
        raise BackupError(
            f"{command[0]} was not found: install the PostgreSQL client tools "
            "(Debian: apt-get install postgresql-client)"
        ) from error
    if result.returncode:
        raise BackupError(f"{command[0]} failed: {result.stderr.strip()}")


def _postgresql_dump(connection: BaseDatabaseWrapper, target: Path) -> dict[str, dict]:
    """``pg_dump`` into ``target`` and the tables' summary, both from one snapshot."""
    with transaction.atomic(using=connection.alias), connection.cursor() as cursor:
        cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        cursor.execute("SELECT pg_export_snapshot()")
        (snapshot,) = cursor.fetchone()
        _run(
            ["pg_dump", "--format=custom", f"--snapshot={snapshot}", f"--file={target}"],
            env=_pg_environment(connection.settings_dict),
        )
        return _django_tables(connection)


def _postgresql_restore(connection: BaseDatabaseWrapper, source: Path) -> None:
    connection.close()
    _run(
        [
            "pg_restore",
            "--clean",
            "--if-exists",
            "--no-owner",
            "--no-privileges",
            "--single-transaction",
            "--exit-on-error",
            f"--dbname={connection.settings_dict['NAME']}",
            str(source),
        ],
        env=_pg_environment(connection.settings_dict),
    )


def _sqlite_copy(source: str | Path, target: str | Path) -> None:
    """Copy an SQLite database with the online backup API (others may go on writing)."""
    with (
        sqlite3.connect(source, timeout=20) as origin,
        sqlite3.connect(target, timeout=20) as copy,
    ):
        origin.backup(copy)
    origin.close()
    copy.close()


def _sqlite_dump(connection: BaseDatabaseWrapper, target: Path) -> dict[str, dict]:
    _sqlite_copy(connection.settings_dict["NAME"], target)
    with sqlite3.connect(target) as copy:
        copy.execute("PRAGMA journal_mode=DELETE")  # one self-contained file
        summary = _sqlite_tables(copy)
    copy.close()
    return summary


def _cache_tables() -> set[str]:
    """The database cache's tables: cached values, which any request may write, not data."""
    return {
        cache["LOCATION"]
        for cache in settings.CACHES.values()
        if cache["BACKEND"] == "django.core.cache.backends.db.DatabaseCache"
    }


def _target_rows(connection: BaseDatabaseWrapper) -> dict[str, int]:
    """Tables of the target that hold rows, beyond what ``kongres migrate`` writes (and the
    database cache's)."""
    found = {}
    ignored = BOOKKEEPING_TABLES | _cache_tables()
    with connection.cursor() as cursor:
        for name in connection.introspection.table_names(cursor):
            if name in ignored:
                continue
            # a table name from the database's own catalogue, quoted
            cursor.execute(f"SELECT COUNT(*) FROM {connection.ops.quote_name(name)}")  # noqa: S608  # nosec B608
            (rows,) = cursor.fetchone()
            if rows:
                found[name] = rows
    return found


# -- uploaded files ---------------------------------------------------------------------------


def _storage_files(storage: Storage, directory: str = "") -> Iterator[str]:
    try:
        directories, files = storage.listdir(directory)
    except FileNotFoundError:
        return
    for name in sorted(files):
        yield f"{directory}/{name}" if directory else name
    for name in sorted(directories):
        yield from _storage_files(storage, f"{directory}/{name}" if directory else name)


def _media_name(member: str) -> str:
    name = member.removeprefix(MEDIA)
    path = PurePosixPath(name)
    if not name or path.is_absolute() or ".." in path.parts:
        raise BackupError(f"the backup holds a file with an unsafe name: {member!r}")
    return name


# -- backup -----------------------------------------------------------------------------------


def backup_create(*, path: Path, using: str = DEFAULT_DB_ALIAS) -> dict[str, Any]:
    """Write the database and the uploaded files to ``path`` (mode 0600: it holds personal
    data); return the manifest. The file appears whole or not at all."""
    connection = connections[using]
    if connection.vendor not in DATABASE_MEMBER:
        raise BackupError(f"backups of {connection.vendor} databases are not supported")
    if connection.in_atomic_block:
        raise BackupError("a backup cannot be made inside a transaction")
    path = Path(path)
    storage = storages["default"]
    started = time.monotonic()
    manifest: dict[str, Any] = {
        "format": FORMAT,
        "kongres_version": kongres.__version__,
        "vendor": connection.vendor,
        "created_at": timezone.now().isoformat(),
    }
    with tempfile.TemporaryDirectory(prefix="kongres-backup-") as work:
        database_file = Path(work) / DATABASE_MEMBER[connection.vendor]
        dump = _postgresql_dump if connection.vendor == "postgresql" else _sqlite_dump
        manifest["tables"] = dump(connection, database_file)
        members: dict[str, dict] = {}
        with database_file.open("rb") as handle:
            size, digest = _file_digest(handle)
        members[database_file.name] = {"size": size, "sha256": digest}

        fd, partial = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")  # 0600
        try:
            with os.fdopen(fd, "wb") as raw, tarfile.open(fileobj=raw, mode="w:gz") as archive:
                archive.add(database_file, arcname=database_file.name)
                for name in _storage_files(storage):
                    with storage.open(name, "rb") as handle:
                        size, digest = _file_digest(handle)
                        handle.seek(0)
                        info = tarfile.TarInfo(MEDIA + name)
                        info.size, info.mtime = size, int(time.time())
                        archive.addfile(info, handle)
                    members[MEDIA + name] = {"size": size, "sha256": digest}
                manifest["members"] = members
                manifest["seconds"] = round(time.monotonic() - started, 2)
                body = json.dumps(manifest, indent=1, sort_keys=True).encode()
                info = tarfile.TarInfo(MANIFEST)
                info.size, info.mtime = len(body), int(time.time())
                archive.addfile(info, io.BytesIO(body))
            os.replace(partial, path)
        except BaseException:
            Path(partial).unlink(missing_ok=True)
            raise
    return manifest


# -- restore ----------------------------------------------------------------------------------


def backup_read(*, path: Path) -> dict[str, Any]:
    """The manifest of the backup at ``path``, after checking every member against it."""
    try:
        with tarfile.open(path, mode="r:*") as archive:
            try:
                manifest = json.load(archive.extractfile(MANIFEST))
            except KeyError as error:
                raise BackupError(f"{path} is not a kongres backup (no {MANIFEST})") from error
            if manifest.get("format") != FORMAT:
                raise BackupError(
                    f"{path} has backup format {manifest.get('format')!r}; this kongres "
                    f"({kongres.__version__}) reads format {FORMAT}"
                )
            seen = set()
            for info in archive:
                if info.name == MANIFEST:
                    continue
                expected = manifest["members"].get(info.name)
                if expected is None or not info.isfile():
                    raise BackupError(f"{path}: {info.name!r} is not in the manifest")
                size, digest = _file_digest(archive.extractfile(info))
                if (size, digest) != (expected["size"], expected["sha256"]):
                    raise BackupError(f"{path}: {info.name} is damaged (checksum differs)")
                seen.add(info.name)
            if missing := set(manifest["members"]) - seen:
                raise BackupError(f"{path} is incomplete: {', '.join(sorted(missing))} missing")
    except (tarfile.TarError, EOFError, OSError, ValueError) as error:
        raise BackupError(f"{path} cannot be read as a kongres backup: {error}") from error
    return manifest


def _describe(found: dict[str, int], files: list[str]) -> str:
    parts = []
    if found:
        largest = sorted(found.items(), key=lambda item: (-item[1], item[0]))[:3]
        parts.append(
            f"{sum(found.values())} rows in {len(found)} tables, the most in "
            + ", ".join(f"{table} ({rows})" for table, rows in largest)
        )
    if files:
        parts.append(f"{len(files)} uploaded files")
    return "; ".join(parts)


def _restore_files(archive: tarfile.TarFile, manifest: dict, storage: Storage) -> None:
    wanted = {_media_name(member) for member in manifest["members"] if member.startswith(MEDIA)}
    for name in list(_storage_files(storage)):
        if name not in wanted:
            storage.delete(name)
    for member in sorted(m for m in manifest["members"] if m.startswith(MEDIA)):
        name = _media_name(member)
        if storage.exists(name):
            storage.delete(name)
        saved = storage.save(name, File(archive.extractfile(member), name=name))
        if saved != name:
            raise BackupError(f"the file {name} was stored as {saved}")


def _compare(expected: dict[str, dict], found: dict[str, dict]) -> list[str]:
    return [
        f"{table}: {summary['rows']} rows expected, {found.get(table, {}).get('rows', 'no table')}"
        if found.get(table, {}).get("rows") != summary["rows"]
        else f"{table}: the rows differ"
        for table, summary in sorted(expected.items())
        if found.get(table) != summary
    ]


def backup_restore(
    *, path: Path, force: bool = False, using: str = DEFAULT_DB_ALIAS
) -> dict[str, Any]:
    """Replace the database and the uploaded files by the backup at ``path``; return its
    manifest. Refuses a backup of another database vendor, and a target that holds data
    (beyond what ``kongres migrate`` writes) or files unless ``force``."""
    connection = connections[using]
    if connection.in_atomic_block:
        raise BackupError("a restore cannot run inside a transaction")
    manifest = backup_read(path=path)
    if manifest["vendor"] != connection.vendor:
        raise BackupError(
            f"{path} is a backup of a {manifest['vendor']} database; this site uses "
            f"{connection.vendor}. Restore it into a site configured with {manifest['vendor']} "
            "(database_url)."
        )
    storage = storages["default"]
    if not force:
        found, files = _target_rows(connection), list(_storage_files(storage))
        if found or files:
            raise BackupError(
                f"The target is not empty ({_describe(found, files)}); restoring would replace "
                "it. Run again with --force to replace it."
            )
    member = DATABASE_MEMBER[manifest["vendor"]]
    with (
        tempfile.TemporaryDirectory(prefix="kongres-restore-") as work,
        tarfile.open(path, mode="r:*") as archive,
    ):
        database_file = Path(work) / member
        with archive.extractfile(member) as source, database_file.open("wb") as target:
            shutil.copyfileobj(source, target, CHUNK)
        if connection.vendor == "postgresql":
            _postgresql_restore(connection, database_file)
        else:
            connection.close()
            target_name = Path(connection.settings_dict["NAME"])
            target_name.parent.mkdir(parents=True, exist_ok=True)
            _sqlite_copy(database_file, target_name)
        _restore_files(archive, manifest, storage)
    if connection.vendor == "postgresql":
        found = _django_tables(connection)
    else:
        with sqlite3.connect(connection.settings_dict["NAME"], timeout=20) as database:
            found = _sqlite_tables(database)
        database.close()
    if differences := _compare(manifest["tables"], found):
        raise BackupError(
            "The backup was restored, but the database differs from its manifest: "
            + "; ".join(differences[:5])
        )
    return manifest


def manifest_totals(manifest: dict[str, Any]) -> tuple[int, int, int, int]:
    """(tables, rows, uploaded files, bytes of uploaded files) of a manifest."""
    media = [member for name, member in manifest["members"].items() if name.startswith(MEDIA)]
    return (
        len(manifest["tables"]),
        sum(table["rows"] for table in manifest["tables"].values()),
        len(media),
        sum(member["size"] for member in media),
    )
