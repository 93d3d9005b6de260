-- 034_creation_triggers: less work in PostgreSQL for every creation, with the
-- same rows, keys and answers (issue 16; docs/performance.md, "Creations").
--
-- 1. search_tokens() in PL/pgSQL. Every row written to requests, items or
--    the disclosure log computes it for its GIN index. As a SQL function it
--    cannot be inlined (it is STRICT and array_remove is not), and a SQL
--    function that is not inlined is parsed and planned again in every
--    statement that calls it: 4-5% of a creation's time in the database
--    (perf on the backend, `fmgr_sql` and the parser under `FormIndexDatum`).
--    PL/pgSQL keeps its compiled body and the plan of its one expression for
--    the session. The same body, so the same tokens (checked against the SQL
--    version over the texts of every request and item of a benchmark
--    database); indexes depend on the function's result only, so nothing is
--    rebuilt (as 010 did for search_query_tokens).
--
-- 2. A request's number key is written once, with its number. request_create()
--    (033) writes the row with a provisional number ('pending:' and its id)
--    and sets the real one in the same transaction; the insert trigger wrote
--    a key for the provisional number, which the update trigger then
--    rewrote: a key row, its two index entries and its foreign-key check,
--    then a new version of it with two more index entries, for every
--    creation. Now provisional numbers get no key (they are never visible
--    outside their own transaction, and their uniqueness comes from the id
--    they carry), and the update trigger inserts the key, or moves it when a
--    numbered request is renumbered.
--
-- 3. The event of a request's step reads the three columns it uses, not the
--    whole row.

CREATE OR REPLACE FUNCTION search_tokens(t text) RETURNS text[]
LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE STRICT
AS $$
BEGIN
    RETURN array_remove(string_to_array(regexp_replace(t, '[\x01-\x7f]+', '', 'g'), NULL)
        || string_to_array(regexp_replace(t, '(..)', E'\\1\x01', 'g'), E'\x01')
        || string_to_array(regexp_replace(substr(t, 2), '(..)', E'\\1\x01', 'g'), E'\x01'), '');
END
$$;

CREATE OR REPLACE FUNCTION request_number_keys_insert() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp
AS $$
BEGIN
    INSERT INTO request_number_keys (number, request_id)
    SELECT number, id FROM new_requests WHERE number NOT LIKE 'pending:%';
    RETURN NULL;
END
$$;

CREATE OR REPLACE FUNCTION request_number_keys_update() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp
AS $$
BEGIN
    IF NEW.number LIKE 'pending:%' THEN
        DELETE FROM request_number_keys WHERE request_id = NEW.id;
    ELSE
        INSERT INTO request_number_keys (number, request_id) VALUES (NEW.number, NEW.id)
            ON CONFLICT (request_id) DO UPDATE SET number = EXCLUDED.number;
    END IF;
    RETURN NULL;
END
$$;

CREATE OR REPLACE FUNCTION events_request_step() RETURNS trigger
LANGUAGE plpgsql
AS $$
DECLARE
    v_sub    text;
    v_number text;
    v_kind   text;
BEGIN
    SELECT applicant_sub, number, kind INTO v_sub, v_number, v_kind
      FROM requests WHERE id = NEW.request_id;
    INSERT INTO events (type, occurred_at, subject_kind, subject_id, unit_id, owner_sub, data)
    VALUES ('request.' || CASE NEW.action
                WHEN 'submit' THEN 'submitted'
                WHEN 'register' THEN 'registered'
                WHEN 'resubmit' THEN 'resubmitted'
                WHEN 'withdraw' THEN 'withdrawn'
                WHEN 'abandon' THEN 'abandoned'
                WHEN 'accept' THEN 'accepted'
                WHEN 'deemed_accept' THEN 'deemed_accepted'
                WHEN 'request_correction' THEN 'correction_requested'
                WHEN 'refuse_acceptance' THEN 'acceptance_refused'
                WHEN 'pause' THEN 'paused'
                WHEN 'resume' THEN 'resumed'
                WHEN 'extend' THEN 'extended'
                WHEN 'fee_notice' THEN 'fee_notified'
                WHEN 'record_payment' THEN 'payment_recorded'
                WHEN 'decide' THEN 'decided'
                WHEN 'deliver' THEN 'delivered'
                ELSE NEW.action END,
            NEW.at, 'request', NEW.request_id, NEW.unit_id, v_sub,
            jsonb_strip_nulls(jsonb_build_object(
                'number', v_number, 'kind', v_kind, 'action', NEW.action,
                'step', NEW.seq, 'from_status', NEW.from_status,
                'to_status', NEW.to_status, 'outcome', NEW.outcome)));
    RETURN NULL;
END
$$;
