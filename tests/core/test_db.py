"""Writing several rows at once (kongres.core.db): on PostgreSQL one message to the server,
which runs it as one transaction; on SQLite the statements one after the other in a transaction.
Each test checks what its database does."""

from unittest import mock

import pytest
from django.db import IntegrityError, connection
from django.test.utils import CaptureQueriesContext

from kongres.audit.models import AuditLogEntry
from kongres.core import db as core_db
from kongres.registration.models import SeatPool
from tests.factories import EditionFactory

# Text that must reach the database as it is: quotes, a percent sign, a statement separator.
AWKWARD = 'O\'Brien; 100 % "pewne" -- DROP TABLE x; zażółć'


def entry(action: str, **values) -> AuditLogEntry:
    return AuditLogEntry(action=action, object_type="test", **values)


def full_pool_update():
    """A statement that breaks the seat pools' check constraint (a seat beyond the capacity)."""
    edition = EditionFactory(capacity=1)
    SeatPool.objects.create(edition=edition, capacity=1, taken=1)
    return (
        "UPDATE registration_seatpool SET taken = taken + 1 WHERE edition_id = %s",
        [edition.pk],
    )


def test_rows_are_inserted_in_order_with_their_values(db):
    edition = EditionFactory(capacity=None)
    rows = [
        entry("first", note=AWKWARD, after={"text": AWKWARD, "n": 1}),
        entry("second", object_label=AWKWARD),
        SeatPool(edition=edition, capacity=7),
        AuditLogEntry(action="third", object_type="other"),
    ]
    statements = core_db.insert_statements(rows)
    assert len(statements) == 3  # one per run of rows of the same model
    core_db.run_at_once(statements)
    saved = list(AuditLogEntry.objects.order_by("pk"))
    assert [row.action for row in saved] == ["first", "second", "third"]
    assert saved[0].note == AWKWARD
    assert saved[0].after == {"text": AWKWARD, "n": 1}
    assert saved[1].object_label == AWKWARD
    assert saved[2].at is not None  # the field's default
    assert SeatPool.objects.get(edition=edition).capacity == 7


def test_a_primary_key_set_is_kept(db):
    pk = (AuditLogEntry.objects.order_by("-pk").values_list("pk", flat=True).first() or 0) + 100
    core_db.run_at_once(core_db.insert_statements([entry("chosen", pk=pk)]))
    assert AuditLogEntry.objects.get(pk=pk).action == "chosen"


def test_primary_keys_are_set_on_all_rows_of_a_model_or_on_none(db):
    with pytest.raises(ValueError, match="primary key"):
        core_db.insert_statements([entry("a", pk=10_000), entry("b")])


def test_a_failing_statement_undoes_the_whole_change(db):
    AuditLogEntry.objects.create(action="before", object_type="test")
    statements = [*core_db.insert_statements([entry("one"), entry("two")]), full_pool_update()]
    with pytest.raises(IntegrityError, match="seatpool_taken_within_capacity"):
        core_db.run_at_once(statements)
    # the test's transaction goes on: only what came before is there
    assert list(AuditLogEntry.objects.values_list("action", flat=True)) == ["before"]


@pytest.mark.django_db(transaction=True)
def test_outside_a_transaction_the_change_is_one_message_and_commits(transactional_db):
    statements = core_db.insert_statements([entry("one"), entry("two"), entry("three")])
    with CaptureQueriesContext(connection) as queries:
        core_db.run_at_once(statements)
    sent = [query["sql"] for query in queries.captured_queries]
    if core_db.can_run_at_once():  # PostgreSQL: one round trip, no BEGIN and COMMIT of its own
        assert len(sent) == 1
        assert sent[0].count("INSERT INTO") == 1  # the three rows in one INSERT
        assert "BEGIN" not in sent[0] and "COMMIT" not in sent[0]
    else:  # SQLite: the statement in a transaction of its own
        assert [sql.split()[0] for sql in sent] == ["BEGIN", "INSERT", "COMMIT"]
    assert not connection.in_atomic_block
    assert AuditLogEntry.objects.count() == 3


@pytest.mark.django_db(transaction=True)
def test_outside_a_transaction_a_failure_leaves_nothing(transactional_db):
    statements = [*core_db.insert_statements([entry("one")]), full_pool_update()]
    with pytest.raises(IntegrityError):
        core_db.run_at_once(statements)
    assert not AuditLogEntry.objects.exists()
    assert SeatPool.objects.get().taken == 1
    # the connection is usable afterwards
    core_db.run_at_once(core_db.insert_statements([entry("after")]))
    assert list(AuditLogEntry.objects.values_list("action", flat=True)) == ["after"]


def test_rows_of_a_shape_seen_before_get_the_same_statement_with_their_own_values(db):
    """The compiler's statement is remembered per shape of rows (PostgreSQL); the next rows of
    that shape get it with their own values, ``auto_now_add`` and defaults included."""
    core_db._KNOWN_INSERTS.clear()
    edition = EditionFactory(capacity=None)
    first = core_db.insert_statements([entry("first", note=AWKWARD), entry("second")])
    pools = core_db.insert_statements([SeatPool(edition=edition, capacity=3)])
    remembered = any(core_db._KNOWN_INSERTS.values())
    assert remembered == core_db.can_run_at_once()  # only where the text sent can be checked
    again = core_db.insert_statements([entry("third", after={"n": 3}), entry("fourth")])
    assert again[0][0] == first[0][0]  # the same SQL
    assert again[0][1] != first[0][1]  # other values
    core_db.run_at_once([*first, *pools, *again])
    saved = list(AuditLogEntry.objects.order_by("pk"))
    assert [row.action for row in saved] == ["first", "second", "third", "fourth"]
    assert saved[0].note == AWKWARD and saved[2].after == {"n": 3}
    assert all(row.at is not None for row in saved)
    assert SeatPool.objects.get(edition=edition).capacity == 3


def test_a_value_that_is_an_expression_goes_through_the_compiler(db):
    from django.db.models import Value
    from django.db.models.functions import Upper

    core_db._KNOWN_INSERTS.clear()
    core_db.run_at_once(core_db.insert_statements([entry("plain")]))
    core_db.run_at_once(core_db.insert_statements([entry("shouted", note=Upper(Value("abc")))]))
    assert AuditLogEntry.objects.get(action="shouted").note == "ABC"


def test_a_remembered_statement_converts_what_the_compiler_would(db):
    """Values that go to the database as they are (text, numbers, aware datetimes, None) skip
    the fields' conversions in a remembered statement; the others (a lazy translation or a
    number in a text field, a naive datetime, JSON) are converted as by the compiler."""
    import datetime as dt

    from django.utils import timezone
    from django.utils.translation import gettext_lazy

    from kongres.mail.models import OutboxMessage

    def message(**values) -> OutboxMessage:
        values = {"to": "a@example.org", "subject": "s", "body_text": AWKWARD, **values}
        return OutboxMessage(language="pl", template_params={"n": 1}, **values)

    aware = dt.datetime(2026, 11, 27, 12, 0, tzinfo=dt.UTC)
    core_db._KNOWN_INSERTS.clear()
    core_db.insert_statements([message(next_attempt_at=aware), message(next_attempt_at=aware)])
    if not core_db.can_run_at_once():
        assert not any(core_db._KNOWN_INSERTS.values())
        return
    assert any(core_db._KNOWN_INSERTS.values())
    naive = dt.datetime(2026, 11, 27, 13, 0)

    def converted() -> list[OutboxMessage]:
        return [
            message(subject=gettext_lazy("Register"), body_text=5, next_attempt_at=naive),
            message(
                next_attempt_at=aware, sent_at=aware.astimezone(dt.timezone(dt.timedelta(hours=1)))
            ),
        ]

    # the same clock for both (created_at, updated_at)
    with mock.patch("django.utils.timezone.now", return_value=aware):
        with pytest.warns(RuntimeWarning, match="naive datetime"):
            remembered = core_db.insert_statements(converted())
        core_db._KNOWN_INSERTS.clear()
        with pytest.warns(RuntimeWarning, match="naive datetime"):
            compiled = core_db.insert_statements(converted())
    with connection.cursor() as cursor:
        sent = cursor.mogrify(*remembered[0])
        assert sent == cursor.mogrify(*compiled[0])
    core_db.run_at_once(remembered)
    saved = list(OutboxMessage.objects.order_by("pk"))
    assert [row.body_text for row in saved] == ["5", AWKWARD]
    assert saved[0].subject == "Zarejestruj się"
    assert saved[0].next_attempt_at == timezone.make_aware(naive)
    assert saved[1].sent_at == aware and saved[1].template_params == {"n": 1}
