"""Which database constraint an ``IntegrityError`` broke, told by the constraint's name.

PostgreSQL names the constraint in the error's diagnostics (psycopg: ``diag.constraint_name``),
whatever the message's language. SQLite has no diagnostics; its message names a CHECK
constraint (``CHECK constraint failed: <name>``) and a unique index made by
``CREATE UNIQUE INDEX`` (``UNIQUE constraint failed: index '<name>'``), which is how Django
makes a ``UniqueConstraint`` with a condition or an expression. A unique constraint over plain
columns without a condition is part of SQLite's table and reported by its columns
(``UNIQUE constraint failed: table.a, table.b``): it is not recognised by name there.
"""

from __future__ import annotations

import re

from django.db import IntegrityError

_SQLITE_NAMED = re.compile(
    r"(?:CHECK constraint failed: (?P<check>\w+)|UNIQUE constraint failed: index '(?P<index>\w+)')"
)


def constraint_name(error: IntegrityError) -> str | None:
    """The name of the constraint ``error`` reports, or None when the database does not say."""
    cause = error.__cause__
    diag = getattr(cause, "diag", None)
    if diag is not None:  # psycopg
        return diag.constraint_name
    if getattr(cause, "sqlite_errorname", "").startswith("SQLITE_CONSTRAINT"):
        match = _SQLITE_NAMED.fullmatch(str(cause))
        if match:
            return match["check"] or match["index"]
    return None


def constraint_violated(error: IntegrityError, name: str) -> bool:
    """Whether ``error`` is a violation of the constraint called ``name``."""
    return constraint_name(error) == name
