"""The one PostgreSQL function of the project: a participant's registration in one round trip
(issue 15 allows one, measured: the ORM's seven statements cost the rush about a third of its
rate). ``registration.services.create`` calls it on PostgreSQL; SQLite runs the same steps as
ORM statements. The function lists no column: each row comes as JSON with every column of its
model (``kongres.core.rows.row_json``), so a field added to a model needs no change here.

It writes, in this order and in the caller's transaction: the registration, its days and
panels, the token of its link, its audit entry and its verification mail (each with the new
registration's id filled in), then takes the seat when asked, all or nothing (the edition's
pool, then the days' pools, as ``seats.take_seat``): the pools' row locks are held from that
UPDATE to the COMMIT. It returns the registration's id, or NULL when the seat was taken
meanwhile; the caller then rolls the transaction back and registers the person as waiting.
Lock waits end after ``lock_timeout_ms`` (``SET LOCAL``, as ``core.locks.atomic_bounded``).
"""

from django.db import migrations

CREATE = """
CREATE FUNCTION kongres_registration_create(
    registration jsonb,
    day_ids bigint[],
    track_ids bigint[],
    link_token jsonb,
    audit_entry jsonb,
    message jsonb,
    take_seat boolean,
    lock_timeout_ms integer
) RETURNS bigint
LANGUAGE plpgsql
AS $$
DECLARE
    new_id bigint := nextval(pg_get_serial_sequence('registration_registration', 'id'));
    edition bigint := (registration ->> 'edition_id')::bigint;
    days_taken integer;
BEGIN
    PERFORM set_config('lock_timeout', lock_timeout_ms::text, true);

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

    IF take_seat THEN
        UPDATE registration_seatpool SET taken = taken + 1
        WHERE edition_id = edition AND day_id IS NULL AND (capacity IS NULL OR taken < capacity);
        IF NOT FOUND THEN
            RETURN NULL;
        END IF;
        IF cardinality(day_ids) > 0 THEN
            UPDATE registration_seatpool SET taken = taken + 1
            WHERE day_id = ANY (day_ids) AND NOT EXISTS (
                SELECT 1 FROM registration_seatpool full_pool
                WHERE full_pool.day_id = ANY (day_ids)
                AND full_pool.capacity IS NOT NULL AND full_pool.taken >= full_pool.capacity
            );
            GET DIAGNOSTICS days_taken = ROW_COUNT;
            IF days_taken = 0 THEN
                RETURN NULL;
            ELSIF days_taken <> cardinality(day_ids) THEN
                RAISE EXCEPTION 'seat pools missing for some of the days %', day_ids;
            END IF;
        END IF;
    END IF;
    RETURN new_id;
END;
$$;
"""

DROP = (
    "DROP FUNCTION kongres_registration_create("
    "jsonb, bigint[], bigint[], jsonb, jsonb, jsonb, boolean, integer);"
)


def _on_postgresql(sql: str):
    def run(apps, schema_editor) -> None:
        if schema_editor.connection.vendor == "postgresql":
            with schema_editor.connection.cursor() as cursor:
                cursor.execute(sql)  # no parameters: the % of RAISE stays as it is

    return run


class Migration(migrations.Migration):
    dependencies = [
        ("registration", "0011_draw_days"),
        ("audit", "0002_object_types_moved"),
        ("mail", "0007_outbox_redact"),
    ]

    operations = [
        migrations.RunPython(_on_postgresql(CREATE), _on_postgresql(DROP), elidable=False),
    ]
