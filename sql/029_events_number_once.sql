-- 029_events_number_once: the events of a transaction are numbered once,
-- not once per event.
--
-- events_number (sql/024) is a deferred constraint trigger, so it fires at
-- commit once for every event the transaction inserted; the first firing
-- numbers them all, and each later one asked the partial index
-- events_unnumbered whether any was left. Within the numbering transaction
-- the index still holds an entry for every row it numbered (the old
-- versions, dead only once it commits), so each of those questions read
-- them all: a transaction of N events cost N^2 index visits. A request's
-- creation writes one event and never noticed; `opengov seed --scale`
-- writes an event per step of every request it loads, and 10,000 requests
-- took 4 minutes instead of seconds (a million would never end).
--
-- Now the firing that numbers remembers, for the rest of the transaction,
-- the highest event id it numbered (a transaction-local setting); a later
-- firing for an event at or below it has nothing to do. Event ids come from
-- an identity, so an event inserted later in the same transaction (after a
-- SET CONSTRAINTS ... IMMEDIATE, say) has a higher id and is numbered by its
-- own firing as before.
CREATE OR REPLACE FUNCTION events_number() RETURNS trigger
LANGUAGE plpgsql
AS $$
DECLARE
    n    bigint;
    last bigint;
    top  bigint;
BEGIN
    IF NEW.id <= coalesce(nullif(current_setting('opengov.events_numbered_upto', true), ''),
                          '0')::bigint THEN
        RETURN NULL; -- numbered by an earlier firing of this transaction
    END IF;
    SELECT count(*), max(id) INTO n, top FROM events WHERE seq IS NULL;
    IF n = 0 THEN
        RETURN NULL;
    END IF;
    UPDATE events_counter SET last = events_counter.last + n WHERE id
        RETURNING events_counter.last INTO last;
    UPDATE events e SET seq = last - n + o.rn
      FROM (SELECT id, row_number() OVER (ORDER BY id) AS rn
              FROM events WHERE seq IS NULL) o
     WHERE e.id = o.id;
    PERFORM set_config('opengov.events_numbered_upto', top::text, true);
    PERFORM pg_notify('opengov_events', last::text);
    RETURN NULL;
END
$$;
