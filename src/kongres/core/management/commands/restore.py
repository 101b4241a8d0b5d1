"""``kongres restore FILE``: put back what ``kongres backup`` wrote."""

import time
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.db import DEFAULT_DB_ALIAS

from kongres.core.backup import BackupError, backup_read, backup_restore, manifest_totals


class Command(BaseCommand):
    help = (
        "Replace the database and the uploaded files by the backup in FILE (made by "
        "`kongres backup`), then check every table's row count and checksum. Refuses a backup "
        "of another database vendor, and a site that already holds data unless --force. "
        "Stop the web server and the worker first; run `kongres migrate` after."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", help="the backup file")
        parser.add_argument(
            "--force",
            action="store_true",
            help="replace a database that holds data and the uploaded files already there",
        )
        parser.add_argument(
            "--check",
            action="store_true",
            help="only check the file against its manifest and describe it; change nothing",
        )
        parser.add_argument(
            "--database", default=DEFAULT_DB_ALIAS, help="the database alias (default: default)"
        )

    def handle(self, *args, file, force, check, database, **options):
        path = Path(file)
        if not path.is_file():
            raise CommandError(f"{path} does not exist or is not a file")
        started = time.monotonic()
        try:
            if check:
                manifest = backup_read(path=path)
            else:
                manifest = backup_restore(path=path, force=force, using=database)
        except BackupError as error:
            raise CommandError(error.message) from error
        tables, rows, files, size = manifest_totals(manifest)
        what = (
            f"the {manifest['vendor']} database ({tables} tables, {rows} rows) and {files} "
            f"uploaded files ({size / 1e6:.1f} MB), made by kongres "
            f"{manifest['kongres_version']} at {manifest['created_at']}"
        )
        if check:
            self.stdout.write(f"{path} is complete: {what}.")
        else:
            self.stdout.write(
                f"Restored {what}, in {time.monotonic() - started:.1f} s; every table's row "
                "count and checksum match. Run `kongres migrate` if this kongres is newer."
            )
