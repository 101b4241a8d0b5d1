"""Writing a change of several rows in one round trip to the database.

A registration in a rush inserts six rows and updates the seat pools; one statement at a time
that is a round trip each, and on a small machine shared with PostgreSQL every round trip costs
the web worker more CPU (the send, the wait, the wake-up) than the database spends on the
statement. ``run_at_once`` sends such a change to PostgreSQL as one message: the server runs a
message of several statements as one transaction (committed together or not at all, the locks
held only while it runs), so the change costs one round trip instead of eight. Elsewhere
(SQLite) the statements run one after the other in ``transaction.atomic``.

``insert_statements`` makes the INSERTs with Django's own SQL compiler (so field conversions,
defaults and ``auto_now_add`` work as in ``bulk_create``), without RETURNING: a row whose id the
other rows need must have it set, taken before from its sequence (``sequence_next_sql``; the
registration takes them in blocks, ``registration.seats.ids_next``).
"""

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import groupby

from django.db import connection, models, transaction
from django.db.models.sql import InsertQuery

Statement = tuple[str, Sequence]


def can_run_at_once() -> bool:
    """Whether ``run_at_once`` sends its statements in one round trip (PostgreSQL with
    client-side parameter binding, Django's default: a message of several statements goes by
    the simple query protocol)."""
    return connection.vendor == "postgresql" and not connection.settings_dict.get(
        "OPTIONS", {}
    ).get("server_side_binding")


def sequence_next_sql(model: type[models.Model]) -> str:
    """An SQL expression taking the next id of ``model``'s table (PostgreSQL): select it before
    the change, and set it on the row before ``insert_statements``."""
    table = connection.ops.quote_name(model._meta.db_table)
    column = model._meta.pk.column
    return f"nextval(pg_get_serial_sequence('{table}', '{column}'))"


def insert_statements(rows: Sequence[models.Model]) -> list[Statement]:
    """The INSERTs of ``rows`` (unsaved model instances), one per run of rows of the same model,
    in the order given. No signals are sent and nothing is read back: a primary key that is not
    set is left to the database, and no other row may refer to it."""
    conn = transaction.get_connection()
    statements: list[Statement] = []
    for model, group in groupby(rows, key=type):
        group = list(group)
        opts = model._meta
        with_pk = group[0].pk is not None
        if any((row.pk is not None) != with_pk for row in group):
            raise ValueError(f"{opts.label}: set the primary key on all rows or on none")
        fields = [
            field
            for field in opts.concrete_fields
            if not field.generated and (with_pk or field is not opts.pk)
        ]
        key = (conn.alias, model, with_pk, len(group))
        known = _KNOWN_INSERTS.get(key)
        params = _params(known, fields, group, conn, pre_save=True) if known else None
        if params is not None:
            statements.append((known.sql, params))
            continue
        query = InsertQuery(model)
        query.insert_values(fields, group)
        # the connection itself, not the ``django.db.connection`` proxy: the compiler asks it
        # for its operations some hundred times a statement
        compiled = query.get_compiler(connection=conn).as_sql()
        if known is None and len(compiled) == 1:
            _learn(key, compiled[0], fields, group, conn)
        statements.extend(compiled)
    return statements


@dataclass(frozen=True)
class _Insert:
    sql: str
    by_column: bool  # the parameters as one list per column (PostgreSQL's INSERT … UNNEST)
    # per field: the Python type whose values the field sends to the database unchanged
    # (``_as_is``), or None
    as_is: tuple[type | None, ...]


# Fields whose ``pre_save`` reads the attribute and whose ``get_db_prep_save`` gives back a
# value of this type (or None) unchanged: their values skip the two calls, which were about a
# third of the CPU of making a registration's statements. Exact classes only: a subclass may
# convert.
_AS_IS = {
    models.CharField: str,
    models.TextField: str,
    models.EmailField: str,
    models.SlugField: str,
    models.BooleanField: bool,
    models.IntegerField: int,
    models.SmallIntegerField: int,
    models.BigIntegerField: int,
    models.PositiveIntegerField: int,
    models.PositiveSmallIntegerField: int,
    models.PositiveBigIntegerField: int,
    models.AutoField: int,
    models.BigAutoField: int,
    models.SmallAutoField: int,
}


def _as_is(field: models.Field) -> type | None:
    if type(field) is models.ForeignKey:
        field = field.target_field
    if type(field) is models.DateTimeField and not (field.auto_now or field.auto_now_add):
        # PostgreSQL's (the only database that uses these statements) takes an aware
        # datetime as it is; a naive one is converted (``_params``)
        return dt.datetime
    return _AS_IS.get(type(field))


# (connection, model, with a primary key, rows) → the statement the compiler made, once a
# check showed that its parameters are the fields' values prepared one by one in a plain
# layout: the compiler then needs not run again for the same shape of rows (it costs a
# registration about a tenth of its CPU). A shape the check does not confirm (an expression,
# a value that changes the SQL) always goes through the compiler.
_KNOWN_INSERTS: dict[tuple, _Insert | bool] = {}
_MISSING = object()


def _params(known: _Insert, fields, group, conn, *, pre_save: bool) -> tuple | None:
    """The parameters of ``known`` for ``group``: each field's value as the compiler takes it
    (``pre_save``, so ``auto_now_add`` and file fields work) prepared for the database; None if
    a value is an expression (the compiler must place it)."""
    rows = []
    for obj in group:
        row = []
        values = obj.__dict__
        for field, kind in zip(fields, known.as_is, strict=True):
            if kind is not None:
                value = values.get(field.attname, _MISSING)
                if (
                    type(value) is kind and (kind is not dt.datetime or value.tzinfo is not None)
                ) or (value is None and field.null):
                    row.append(value)
                    continue
            value = field.pre_save(obj, add=True) if pre_save else getattr(obj, field.attname)
            if hasattr(value, "resolve_expression"):
                return None
            row.append(field.get_db_prep_save(value, connection=conn))
        rows.append(row)
    if known.by_column:
        return tuple(list(column) for column in zip(*rows, strict=True))
    return tuple(value for row in rows for value in row)


def _learn(key: tuple, compiled: Statement, fields, group, conn) -> None:
    """Remember ``compiled`` for rows of this shape if the parameters ``_params`` makes (from
    the values the compiler has just set on the rows) send the same text to the database."""
    if not can_run_at_once():  # the text sent is only known with client-side binding
        _KNOWN_INSERTS[key] = False
        return
    sql, params = compiled
    with conn.cursor() as cursor:
        sent = cursor.mogrify(sql, params)
        as_is = tuple(_as_is(field) for field in fields)
        for by_column in (False, True):
            candidate = _Insert(sql, by_column, as_is)
            ours = _params(candidate, fields, group, conn, pre_save=False)
            try:
                same = ours is not None and cursor.mogrify(sql, ours) == sent
            except conn.Database.Error:  # not this layout (too many parameters, say)
                same = False
            if same:
                _KNOWN_INSERTS[key] = candidate
                return
    _KNOWN_INSERTS[key] = False


def run_at_once(statements: Sequence[Statement]) -> None:
    """Run ``statements`` as one transaction (a savepoint when one is open already): on
    PostgreSQL as one message to the server, else one after the other. A statement that fails
    (a constraint, say) undoes them all and raises as Django does (``IntegrityError``, …)."""
    if not can_run_at_once():
        with transaction.atomic(), connection.cursor() as cursor:
            for sql, params in statements:
                cursor.execute(sql, params)
        return
    with connection.cursor() as cursor:
        # psycopg's client-side binding, as in every other statement Django sends
        sql = ";\n".join(cursor.mogrify(sql, params) for sql, params in statements)
        if not connection.in_atomic_block:  # the message is its own transaction: no BEGIN and
            cursor.execute(sql)  # COMMIT round trips
            return
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(sql)
