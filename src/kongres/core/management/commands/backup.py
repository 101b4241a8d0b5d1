"""``kongres backup FILE``: the database and the uploaded files in one file."""

import time
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.db import DEFAULT_DB_ALIAS

from kongres.core.backup import BackupError, backup_create, manifest_totals


class Command(BaseCommand):
    help = (
        "Write the database (PostgreSQL: pg_dump; SQLite: its online backup API) and the "
        "uploaded files to FILE, a tar archive with a manifest of row counts and checksums "
        "(mode 0600: it holds personal data). The site may keep running. "
        "`kongres restore FILE` puts it back."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", help="the backup file to write (replaced if it exists)")
        parser.add_argument(
            "--database", default=DEFAULT_DB_ALIAS, help="the database alias (default: default)"
        )

    def handle(self, *args, file, database, **options):
        path = Path(file)
        if path.is_dir():
            raise CommandError(f"{path} is a directory; give a file name")
        if not path.parent.is_dir():
            raise CommandError(f"{path.parent} does not exist")
        started = time.monotonic()
        try:
            manifest = backup_create(path=path, using=database)
        except BackupError as error:
            raise CommandError(error.message) from error
        tables, rows, files, size = manifest_totals(manifest)
        self.stdout.write(
            f"Backup of the {manifest['vendor']} database written to {path}: {tables} tables, "
            f"{rows} rows, {files} uploaded files ({size / 1e6:.1f} MB), "
            f"{path.stat().st_size / 1e6:.1f} MB in all, in {time.monotonic() - started:.1f} s."
        )
