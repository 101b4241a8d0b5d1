"""The registration function decides the seat itself: the caller no longer reads the seat pools
first to tell it whether to take one (a round trip to the database per registration, issue 15).

It takes the seat first, as the service did with the pools it had read: none in draw mode
before the draw; else one seat of the edition's pool and one of each chosen day's, all or none.
An UPDATE that finds no free seat is told apart by a read: full (no seat), missing or out of
line (KG002, below), or free again (a pool made or a seat freed meanwhile: tried again).
Without a seat, ``without_seat`` says what differs (the status, and the verification mail's
subject and text, rendered by the caller for both cases) and the registration joins the waiting
list. A pool that is missing or whose capacity is not the edition's (or the day's) raises
SQLSTATE KG002 (``kongres.registration.services.create.POOLS_STALE``): the caller brings the
pools in line and calls again. It returns the registration's id and whether it has a seat.

When it has a seat, the locks on the pools' rows are held from the first UPDATE to the COMMIT,
over the inserts (a few tenths of a millisecond more than before); a registration without a
seat locks no pool. The arguments are 0014's, with ``without_seat`` in place of ``take_seat``
(which the caller no longer decides); going back restores 0014's function.
"""

from django.db import migrations

CREATE_10 = """
CREATE FUNCTION kongres_registration_create(
    registration jsonb,
    day_ids bigint[],
    track_ids bigint[],
    link_token jsonb,
    audit_entry jsonb,
    message jsonb,
    without_seat jsonb,
    lock_timeout_ms integer,
    other_audit_entries jsonb,
    OUT new_id bigint,
    OUT seated boolean
)
LANGUAGE plpgsql
AS $$
DECLARE
    edition bigint := (registration ->> 'edition_id')::bigint;
    days_taken integer;
    in_line boolean;
    is_full boolean;
BEGIN
    PERFORM set_config('lock_timeout', lock_timeout_ms::text, true);
    new_id := nextval(pg_get_serial_sequence('registration_registration', 'id'));
    seated := false;

    -- draw mode before the draw: an application, no seat until the draw
    IF NOT EXISTS (
        SELECT 1 FROM registration_allocation allocation
        WHERE allocation.edition_id = edition AND allocation.mode = 'draw'
        AND NOT EXISTS (SELECT 1 FROM registration_draw draw WHERE draw.edition_id = edition)
    ) THEN
        -- The edition's seat. An UPDATE that changes no row is told apart by a read (each
        -- statement sees what was committed before it): a pool missing or out of line raises
        -- KG002; a full one means no seat; a free one (a pool made or a seat freed after the
        -- UPDATE began) is tried again.
        FOR attempt IN 1..3 LOOP
            UPDATE registration_seatpool pool SET taken = pool.taken + 1
            FROM events_edition edition_row
            WHERE pool.edition_id = edition AND pool.day_id IS NULL
            AND edition_row.id = edition
            AND pool.capacity IS NOT DISTINCT FROM edition_row.capacity
            AND (pool.capacity IS NULL OR pool.taken < pool.capacity);
            seated := FOUND;
            EXIT WHEN seated;
            SELECT pool.capacity IS NOT DISTINCT FROM edition_row.capacity,
                pool.capacity IS NOT NULL AND pool.taken >= pool.capacity
            INTO in_line, is_full
            FROM registration_seatpool pool
            INNER JOIN events_edition edition_row ON edition_row.id = pool.edition_id
            WHERE pool.edition_id = edition AND pool.day_id IS NULL;
            IF NOT FOUND OR NOT in_line THEN
                RAISE EXCEPTION 'the seat pool of edition % is missing or out of line', edition
                    USING ERRCODE = 'KG002';
            END IF;
            EXIT WHEN is_full;
        END LOOP;
        -- A seat on each chosen day, all or none (the edition's pool row is locked now).
        IF seated AND cardinality(day_ids) > 0 THEN
            FOR attempt IN 1..3 LOOP
                UPDATE registration_seatpool pool SET taken = pool.taken + 1
                FROM events_day day
                WHERE pool.day_id = ANY (day_ids)
                AND day.id = pool.day_id AND pool.capacity IS NOT DISTINCT FROM day.capacity
                AND NOT EXISTS (
                    SELECT 1 FROM registration_seatpool full_pool
                    WHERE full_pool.day_id = ANY (day_ids)
                    AND full_pool.capacity IS NOT NULL
                    AND full_pool.taken >= full_pool.capacity
                );
                GET DIAGNOSTICS days_taken = ROW_COUNT;
                EXIT WHEN days_taken = cardinality(day_ids);
                IF days_taken > 0 OR (
                    SELECT count(*) FROM registration_seatpool pool
                    INNER JOIN events_day day ON day.id = pool.day_id
                    WHERE pool.day_id = ANY (day_ids)
                    AND pool.capacity IS NOT DISTINCT FROM day.capacity
                ) <> cardinality(day_ids) THEN
                    -- (some days taken and not others: rolled back with the statement)
                    RAISE EXCEPTION 'the seat pools of the days % are missing or out of line',
                        day_ids USING ERRCODE = 'KG002';
                END IF;
                EXIT WHEN EXISTS (
                    SELECT 1 FROM registration_seatpool pool
                    WHERE pool.day_id = ANY (day_ids)
                    AND pool.capacity IS NOT NULL AND pool.taken >= pool.capacity
                );
            END LOOP;
            IF days_taken <> cardinality(day_ids) THEN
                -- one of the days is full: no seat anywhere, the edition's given back
                UPDATE registration_seatpool SET taken = taken - 1
                WHERE edition_id = edition AND day_id IS NULL;
                seated := false;
            END IF;
        END IF;
    END IF;

    IF NOT seated THEN
        registration := registration || jsonb_build_object('status', without_seat -> 'status');
        audit_entry := jsonb_set(audit_entry, '{after,status}', without_seat -> 'status');
        message := message || (without_seat -> 'message');
    END IF;

    INSERT INTO registration_registration
    SELECT * FROM jsonb_populate_record(
        NULL::registration_registration, registration || jsonb_build_object('id', new_id)
    );
    INSERT INTO registration_registration_days (registration_id, day_id)
    SELECT new_id, day_id FROM unnest(day_ids) AS day_id;
    INSERT INTO registration_registration_tracks (registration_id, track_id)
    SELECT new_id, track_id FROM unnest(track_ids) AS track_id;
    INSERT INTO registration_registrationtoken (registration_id, token_hash, salt, created_at)
    SELECT new_id, token_hash, salt, created_at
    FROM jsonb_populate_record(NULL::registration_registrationtoken, link_token);
    INSERT INTO orga_auditlogentry
    SELECT entry_row.*
    FROM jsonb_array_elements(other_audit_entries) WITH ORDINALITY AS other (entry, position)
    CROSS JOIN LATERAL jsonb_populate_record(
        NULL::orga_auditlogentry,
        other.entry || jsonb_build_object(
            'id', nextval(pg_get_serial_sequence('orga_auditlogentry', 'id'))
        )
    ) AS entry_row
    ORDER BY other.position;
    INSERT INTO orga_auditlogentry
    SELECT * FROM jsonb_populate_record(
        NULL::orga_auditlogentry,
        audit_entry || jsonb_build_object(
            'id', nextval(pg_get_serial_sequence('orga_auditlogentry', 'id')),
            'object_id', new_id::text
        )
    );
    INSERT INTO mail_outboxmessage
    SELECT * FROM jsonb_populate_record(
        NULL::mail_outboxmessage,
        message || jsonb_build_object(
            'id', nextval(pg_get_serial_sequence('mail_outboxmessage', 'id')),
            'related', 'registration:' || new_id
        )
    );
END;
$$;
"""

DROP_10 = (
    "DROP FUNCTION kongres_registration_create("
    "jsonb, bigint[], bigint[], jsonb, jsonb, jsonb, jsonb, integer, jsonb);"
)


def _module_0014():
    import importlib

    return importlib.import_module(
        "kongres.registration.migrations.0014_registration_create_raises_without_seat"
    )


def _drop_0014() -> str:
    """0014's function has 0013's arguments (it replaced 0013's in place)."""
    import importlib

    return importlib.import_module(
        "kongres.registration.migrations.0013_registration_create_audit_entries"
    ).DROP_9


def _on_postgresql(*statements):
    def run(apps, schema_editor) -> None:
        if schema_editor.connection.vendor == "postgresql":
            with schema_editor.connection.cursor() as cursor:
                for sql in statements:
                    cursor.execute(sql() if callable(sql) else sql)  # no parameters: % stays

    return run


_forward = _on_postgresql(_drop_0014, CREATE_10)
_backward = _on_postgresql(DROP_10, lambda: _module_0014().CREATE)


class Migration(migrations.Migration):
    dependencies = [("registration", "0014_registration_create_raises_without_seat")]

    operations = [migrations.RunPython(_forward, _backward, elidable=False)]
