"""Accent-insensitive search: "zolc" finds "Żółć".

``fold`` lower-cases a text and strips its diacritics (Polish letters included: "ł" has no
Unicode decomposition, so it is mapped by hand). In queries, ``Fold(expression)`` is
``lower(unaccent(…))`` on PostgreSQL (the ``unaccent`` extension, created by the check-in
app's first migration) and ``kongres_fold(…)`` on SQLite, a function each connection gets from
``sqlite_register_fold`` (connected in ``CoreConfig.ready``), which calls ``fold``. Nothing is
stored, so nothing goes stale when a participant corrects their name.
"""

from __future__ import annotations

import unicodedata

from django.db.models import CharField, Func

# Letters that do not decompose into a base letter and a combining mark.
_BY_HAND = str.maketrans(
    {
        "ł": "l",
        "Ł": "l",
        "đ": "d",
        "Đ": "d",
        "ø": "o",
        "Ø": "o",
        "ß": "ss",
        "æ": "ae",
        "Æ": "ae",
        "œ": "oe",
        "Œ": "oe",
        "\u0131": "i",  # dotless i
    }
)


def fold(text: str | None) -> str:
    """``"Żółć-Kowalska"`` → ``"zolc-kowalska"``."""
    if not text:
        return ""
    decomposed = unicodedata.normalize("NFKD", text.translate(_BY_HAND))
    stripped = "".join(char for char in decomposed if not unicodedata.combining(char))
    return stripped.lower()


class Fold(Func):
    """The folded text of an expression, in the database."""

    function = "kongres_fold"
    arity = 1
    output_field = CharField()

    def as_postgresql(self, compiler, connection, **extra_context):
        return self.as_sql(
            compiler, connection, template="lower(unaccent(%(expressions)s))", **extra_context
        )


def sqlite_register_fold(sender, connection, **kwargs) -> None:
    if connection.vendor == "sqlite":
        connection.connection.create_function("kongres_fold", 1, fold, deterministic=True)
