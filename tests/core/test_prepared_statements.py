"""On PostgreSQL the parameters are bound on the server (``server_side_binding``), so psycopg
prepares a statement a connection sends again and again: PostgreSQL plans it once per
connection instead of on every request (the seat pools' read of every registration)."""

import pytest
from django.db import connection

from kongres.registration.seats import POOLS_SQL
from tests.factories import EditionFactory

pytestmark = pytest.mark.django_db


def test_a_statement_sent_again_is_prepared_on_postgresql():
    edition = EditionFactory()
    with connection.cursor() as cursor:
        for _ in range(6):
            cursor.execute(POOLS_SQL, [edition.pk])
            cursor.fetchall()
        if connection.vendor != "postgresql":
            assert "server_side_binding" not in connection.settings_dict.get("OPTIONS", {})
            return
        cursor.execute("SELECT statement FROM pg_prepared_statements")
        prepared = [statement for (statement,) in cursor.fetchall()]
    assert connection.settings_dict["OPTIONS"]["server_side_binding"] is True
    assert connection.settings_dict["OPTIONS"]["prepare_threshold"] == 5
    assert any("WHERE pool.edition_id = $1" in statement for statement in prepared), prepared
