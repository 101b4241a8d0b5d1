-- The database ceiling: the registration transaction as plain SQL, run by pgbench
-- (pgbench -n -c 64 -j 2 -T 15 -f bench/register.sql -D edition=ID): lock the edition row,
-- insert a bare registration (every NOT NULL column, as the ORM would), count the seat.
BEGIN;
SELECT id, capacity FROM events_edition WHERE id = :edition FOR UPDATE;
INSERT INTO registration_registration (
    created_at, updated_at, status, email, first_name, last_name, institution, position,
    sector, town, voivodeship, municipality_size, accessibility_needs, accessibility_other,
    dietary_needs, privacy_notice_version, photo_consent, newsletter_consent, language,
    answers, hold_expires_at, edition_id)
  VALUES (
    now(), now(), 'held', 'pgbench-' || gen_random_uuid() || '@bench.example.org', '', '', '',
    '', '', '', '', '', '[]', '', '', '', false, false, 'pl', '{}', now() + interval '2 hours',
    :edition);
UPDATE registration_seatpool SET taken = taken + 1 WHERE edition_id = :edition AND day_id IS NULL;
COMMIT;
