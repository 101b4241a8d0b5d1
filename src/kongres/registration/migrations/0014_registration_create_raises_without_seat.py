"""The registration function of 0013, which raises instead of returning NULL when the seat is
taken meanwhile: an error (SQLSTATE KG001, ``kongres.registration.services.create.NO_SEAT``) rolls back
the whole statement, so the function may run as a transaction of its own (autocommit: no BEGIN
and no COMMIT round trip) and leave nothing of an attempt without a seat. The arguments and
everything else are as in 0013; going back restores 0013's function.
"""

from django.db import migrations

CREATE = """
CREATE OR REPLACE FUNCTION kongres_registration_create(
    registration jsonb,
    day_ids bigint[],
    track_ids bigint[],
    link_token jsonb,
    audit_entry jsonb,
    message jsonb,
    take_seat boolean,
    lock_timeout_ms integer,
    other_audit_entries jsonb
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

    IF take_seat THEN
        UPDATE registration_seatpool SET taken = taken + 1
        WHERE edition_id = edition AND day_id IS NULL AND (capacity IS NULL OR taken < capacity);
        IF NOT FOUND THEN
            RAISE EXCEPTION 'no seat left' USING ERRCODE = 'KG001';
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
                RAISE EXCEPTION 'no seat left' USING ERRCODE = 'KG001';
            ELSIF days_taken <> cardinality(day_ids) THEN
                RAISE EXCEPTION 'seat pools missing for some of the days %', day_ids;
            END IF;
        END IF;
    END IF;
    RETURN new_id;
END;
$$;
"""


def _create_0013() -> str:
    """0013's function (to go back to it)."""
    import importlib

    return importlib.import_module(
        "kongres.registration.migrations.0013_registration_create_audit_entries"
    ).CREATE_9.replace("CREATE FUNCTION", "CREATE OR REPLACE FUNCTION", 1)


def _on_postgresql(sql: str):
    def run(apps, schema_editor) -> None:
        if schema_editor.connection.vendor == "postgresql":
            with schema_editor.connection.cursor() as cursor:
                cursor.execute(sql)  # no parameters: the % of RAISE stays as it is

    return run


def _forward(apps, schema_editor) -> None:
    _on_postgresql(CREATE)(apps, schema_editor)


def _backward(apps, schema_editor) -> None:
    _on_postgresql(_create_0013())(apps, schema_editor)


class Migration(migrations.Migration):
    dependencies = [("registration", "0013_registration_create_audit_entries")]

    operations = [migrations.RunPython(_forward, _backward, elidable=False)]
