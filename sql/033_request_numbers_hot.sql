-- 033_request_numbers_hot: a request's number is taken after its row is
-- written, not before, so that creations hold their kind's counter for
-- as short a time as possible (issue 16, "creations wait on one counter
-- row"; docs/performance.md, "Creations").
--
-- Numbers are gapless per kind and year: a creation locks its counter row
-- (request_numbers) from the moment it takes a number to the end of its
-- commit, and every other creation of that kind and year waits. Until now
-- the number came first and the request's row second, so the wait covered
-- the row and its thirty index entries (a millisecond at two million
-- requests; most of a creation). Now request_create() writes the row with
-- a provisional number ('pending:' and its id), then takes the number and
-- sets it. That UPDATE changes only `number`; with no index on `number`
-- and room left on the row's page (fillfactor), it is a heap-only (HOT)
-- update: no index is touched while the counter is held.
--
-- So the two indexes on requests.number move to request_number_keys (the
-- number, the request), kept by triggers on requests for every writer
-- (creations, seeds, psql): its primary key keeps numbers unique, as
-- requests_number_key did, and serves lookups by number and by prefix.

CREATE TABLE request_number_keys (
    number     text COLLATE "C" PRIMARY KEY,
    request_id uuid NOT NULL UNIQUE REFERENCES requests (id) ON DELETE CASCADE
);
GRANT SELECT ON request_number_keys TO opengov_app;

INSERT INTO request_number_keys (number, request_id) SELECT number, id FROM requests;

-- Rows inserted, numbered or provisional: one statement-level insert, so
-- that a seed of a million rows costs one more insert, not a million
-- trigger calls.
CREATE FUNCTION request_number_keys_insert() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp
AS $$
BEGIN
    INSERT INTO request_number_keys (number, request_id) SELECT number, id FROM new_requests;
    RETURN NULL;
END
$$;
REVOKE ALL ON FUNCTION request_number_keys_insert() FROM PUBLIC;

CREATE TRIGGER requests_number_keys_insert AFTER INSERT ON requests
    REFERENCING NEW TABLE AS new_requests
    FOR EACH STATEMENT EXECUTE FUNCTION request_number_keys_insert();

-- A number that changes (the provisional one replaced by the real one).
-- A duplicate fails here on the primary key, as it did on
-- requests_number_key: 23505, and the statement is undone.
CREATE FUNCTION request_number_keys_update() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp
AS $$
BEGIN
    UPDATE request_number_keys SET number = NEW.number WHERE request_id = NEW.id;
    RETURN NULL;
END
$$;
REVOKE ALL ON FUNCTION request_number_keys_update() FROM PUBLIC;

CREATE TRIGGER requests_number_keys_update AFTER UPDATE OF number ON requests
    FOR EACH ROW WHEN (OLD.number IS DISTINCT FROM NEW.number)
    EXECUTE FUNCTION request_number_keys_update();

ALTER TABLE requests DROP CONSTRAINT IF EXISTS requests_number_key;
DROP INDEX IF EXISTS requests_number_c;

-- Room on each new page for the update that sets the number (a row is
-- about 1 kB; 15% of 8 kB keeps one row's worth free). Pages written
-- before keep their fill; new creations go to new pages.
ALTER TABLE requests SET (fillfactor = 85);

-- The audit payload functions are STABLE, as what they call is
-- (concat_ws and the text of a timestamp are): declared IMMUTABLE, they
-- could not be inlined into audit_append's expression, and each call
-- parsed and planned their SQL anew (9% of a creation's time). The bytes
-- they produce are the same, so every stored hash still verifies.
ALTER FUNCTION audit_payload(bigint, timestamptz, text, text, text, text, text, text, jsonb) STABLE;
ALTER FUNCTION audit_payload_chained(bigint, timestamptz, text, text, text, text, text, text,
                                     jsonb, smallint, bigint) STABLE;

-- The creation itself: the row, then the number, then its first step and
-- its audit entry (the step's event and the audit entry carry the number,
-- so they come after it). Called by POST /v1/requests (api/requests.c,
-- requests_insert) in one statement that commits on its own.
CREATE FUNCTION request_create(
    p_kind text, p_year int, p_unit uuid, p_item uuid, p_applicant_sub text,
    p_applicant_type text, p_applicant jsonb, p_channel text, p_registered_by text,
    p_description text, p_purpose text, p_delivery text, p_form jsonb,
    p_received_at timestamptz, p_clock_start date, p_days_allowed int, p_yellow_on date,
    p_red_on date, p_light text, p_clock_calendar bigint, p_committed_days int,
    p_acceptance_start date, p_acceptance_due date, p_action text, p_actor text,
    p_actor_role text, p_audit_action text, p_request_id text)
RETURNS SETOF requests
LANGUAGE plpgsql
AS $$
DECLARE
    v_id   uuid := gen_random_uuid();
    v_last bigint;
    v_row  requests;
BEGIN
    -- Outside the counter's lock: the row and all its index entries.
    INSERT INTO requests (id, kind, number, unit_id, item_id, applicant_sub, applicant_type,
                          applicant, channel, registered_by, description, purpose, delivery,
                          form, received_at, clock_start, days_allowed, yellow_on, red_on,
                          light, clock_calendar, committed_days, acceptance_start,
                          acceptance_due)
    VALUES (v_id, p_kind, 'pending:' || v_id, p_unit, p_item, p_applicant_sub,
            p_applicant_type, p_applicant, p_channel, p_registered_by, p_description,
            p_purpose, p_delivery, p_form, coalesce(p_received_at, now()), p_clock_start,
            p_days_allowed, p_yellow_on, p_red_on, p_light, p_clock_calendar,
            p_committed_days, p_acceptance_start, p_acceptance_due);
    -- From here to the end of the commit, creations of this kind and year
    -- wait: the number, a heap-only update, one key, the step, the entry.
    INSERT INTO request_numbers AS c (kind, year, last) VALUES (p_kind, p_year, 1)
        ON CONFLICT (kind, year) DO UPDATE SET last = c.last + 1
        RETURNING c.last INTO v_last;
    UPDATE requests SET number = CASE p_kind WHEN 'disclosure' THEN 'GK-' ELSE 'SP-' END
                                 || p_year || '-' || CASE WHEN v_last < 1000000
                                 THEN lpad(v_last::text, 6, '0') ELSE v_last::text END
     WHERE id = v_id RETURNING * INTO v_row;
    INSERT INTO approvals (request_id, seq, unit_id, action, actor, actor_role, to_status)
    VALUES (v_id, 1, p_unit, p_action, p_actor, p_actor_role, 'submitted');
    PERFORM audit_append(p_actor, p_actor_role, p_audit_action, 'request', v_id::text,
                         p_request_id, jsonb_build_object('number', v_row.number,
                         'kind', v_row.kind, 'channel', v_row.channel));
    RETURN NEXT v_row;
END
$$;
GRANT EXECUTE ON FUNCTION request_create(text, int, uuid, uuid, text, text, jsonb, text, text,
    text, text, text, jsonb, timestamptz, date, int, date, date, text, bigint, int, date, date,
    text, text, text, text, text) TO opengov_app;

-- A creation's quota unit is taken in a statement of its own, committed at
-- once (api/requests.c): in the creation's transaction, the applicant's
-- and the address's counter rows stayed locked to its end, and every
-- creation from one account or one address waited for the one before.
-- A creation refused or failing after that gives its unit back with this
-- (within the same window; a unit taken just before a window turned is
-- not given back, as it no longer counts against anything).
CREATE FUNCTION quota_give(kinds text[], subjects text[], limits integer[], window_secs integer)
RETURNS void
LANGUAGE sql
AS $$
    UPDATE quota_counters AS c SET used = c.used - 1
      FROM unnest(kinds, subjects, limits) AS u(k, s, l)
     WHERE u.l > 0 AND c.kind = u.k AND c.subject = u.s AND c.used > 0
       AND c.window_start = to_timestamp(floor(extract(epoch FROM now()) / window_secs)
                                         * window_secs)
$$;
GRANT EXECUTE ON FUNCTION quota_give(text[], text[], integer[], integer) TO opengov_app;
