-- 024_events_webhooks: the change feed (GET /v1/events) and the webhooks
-- that push it (opengov deliver). docs/events.md explains both.
--
-- One source: every event is written by a trigger on the table whose row
-- records the change (a request's step in approvals, a finding's step in
-- finding_steps, an item's status, a report's publication), in the same
-- transaction as the change, whoever makes it (a handler, the monitor, the
-- seed, psql). Nothing in the C code has to remember to write one.
--
-- Order: a feed read by "seq > after" must never skip an event that
-- commits later with a lower seq. A sequence cannot promise that (numbers
-- are taken at insert time, transactions commit in another order), so seq
-- is assigned at commit through a serialized counter: the row triggers
-- insert the event with seq NULL, and a deferred constraint trigger
-- (fired at COMMIT, after every other statement of the transaction) takes
-- the one row of events_counter FOR UPDATE, numbers the transaction's
-- events and notifies. The counter's row lock is held from that moment to
-- the end of the commit, so transactions that wrote events become visible
-- in the order of their numbers: a snapshot that sees seq N sees every
-- event below N. The lock is the last one a transaction takes, so it adds
-- no deadlock, and it is held for the commit only.

CREATE TABLE events_counter (
    id   boolean PRIMARY KEY DEFAULT true CHECK (id),
    last bigint NOT NULL DEFAULT 0 CHECK (last >= 0)
);
INSERT INTO events_counter (id, last) VALUES (true, 0);

CREATE TABLE events (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    seq          bigint UNIQUE,
    type         text NOT NULL CHECK (type ~ '^[a-z_]+\.[a-z_]+$'),
    occurred_at  timestamptz NOT NULL DEFAULT clock_timestamp(),
    subject_kind text NOT NULL CHECK (subject_kind IN ('request', 'item', 'finding', 'report')),
    subject_id   uuid NOT NULL,
    unit_id      uuid,
    -- Who may read it (GET /v1/events, the same rules as the subject's own
    -- GET): everyone when public; else the applicant whose request it is
    -- (requests.applicant_sub), the staff of unit_id, supervisors, admins.
    public       boolean NOT NULL DEFAULT false,
    owner_sub    text,
    data         jsonb NOT NULL DEFAULT '{}'
);
-- The events of the committing transaction, numbered at commit.
CREATE INDEX events_unnumbered ON events (id) WHERE seq IS NULL;
CREATE INDEX events_public_seq ON events (seq) WHERE public;
CREATE INDEX events_unit_seq ON events (unit_id, seq);
CREATE INDEX events_owner_seq ON events (owner_sub, seq) WHERE owner_sub IS NOT NULL;

CREATE FUNCTION events_number() RETURNS trigger
LANGUAGE plpgsql
AS $$
DECLARE
    n    bigint;
    last bigint;
BEGIN
    SELECT count(*) INTO n FROM events WHERE seq IS NULL;
    IF n = 0 THEN
        RETURN NULL; -- an earlier row's trigger numbered them all
    END IF;
    UPDATE events_counter SET last = events_counter.last + n WHERE id
        RETURNING events_counter.last INTO last;
    UPDATE events e SET seq = last - n + o.rn
      FROM (SELECT id, row_number() OVER (ORDER BY id) AS rn
              FROM events WHERE seq IS NULL) o
     WHERE e.id = o.id;
    PERFORM pg_notify('opengov_events', last::text);
    RETURN NULL;
END
$$;

CREATE CONSTRAINT TRIGGER events_number AFTER INSERT ON events
    DEFERRABLE INITIALLY DEFERRED
    FOR EACH ROW EXECUTE FUNCTION events_number();

-- The event as clients read it (the feed and the webhooks' bodies): one
-- definition, key order kept (json, not jsonb).
CREATE FUNCTION event_json(e events) RETURNS json
LANGUAGE sql STABLE PARALLEL SAFE
AS $$
    SELECT json_build_object(
        'seq', e.seq,
        'id', 'evt_' || e.seq,
        'type', e.type,
        'occurred_at', rfc3339(e.occurred_at),
        'subject', json_build_object(
            'kind', e.subject_kind,
            'id', e.subject_id,
            'href', CASE e.subject_kind
                WHEN 'request' THEN '/v1/requests/' || e.subject_id
                WHEN 'item' THEN '/v1/items/' || e.subject_id
                WHEN 'finding' THEN '/v1/findings/' || e.subject_id
                ELSE '/v1/reports/annual/publications/' || e.subject_id END),
        'unit_id', e.unit_id,
        'public', e.public,
        'data', e.data::json)
$$;

-- A request's step (every step is a row of approvals: submit, register,
-- accept, decide, ... and the law's own steps recorded by the monitor).
CREATE FUNCTION events_request_step() RETURNS trigger
LANGUAGE plpgsql
AS $$
DECLARE
    q requests%ROWTYPE;
BEGIN
    SELECT * INTO q FROM requests WHERE id = NEW.request_id;
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
            NEW.at, 'request', NEW.request_id, NEW.unit_id, q.applicant_sub,
            jsonb_strip_nulls(jsonb_build_object(
                'number', q.number, 'kind', q.kind, 'action', NEW.action,
                'step', NEW.seq, 'from_status', NEW.from_status,
                'to_status', NEW.to_status, 'outcome', NEW.outcome)));
    RETURN NULL;
END
$$;

CREATE TRIGGER approvals_event AFTER INSERT ON approvals
    FOR EACH ROW EXECUTE FUNCTION events_request_step();

-- A finding's step. Public once the finding is published (its publication
-- included): GET /v1/findings/{id} shows a published finding to anyone.
CREATE FUNCTION events_finding_step() RETURNS trigger
LANGUAGE plpgsql
AS $$
DECLARE
    f findings%ROWTYPE;
BEGIN
    SELECT * INTO f FROM findings WHERE id = NEW.finding_id;
    INSERT INTO events (type, occurred_at, subject_kind, subject_id, unit_id, public, data)
    VALUES ('finding.' || CASE NEW.action
                WHEN 'create' THEN 'created'
                WHEN 'rectify' THEN 'rectified'
                WHEN 'verify' THEN 'verified'
                WHEN 'publish' THEN 'published'
                WHEN 'escalate' THEN 'escalated'
                ELSE NEW.action END,
            NEW.at, 'finding', NEW.finding_id, f.unit_id,
            NEW.action = 'publish' OR f.published_at IS NOT NULL,
            jsonb_strip_nulls(jsonb_build_object(
                'action', NEW.action, 'step', NEW.seq, 'source', f.source,
                'category', f.category, 'severity', f.severity,
                'from_status', NEW.from_status, 'to_status', NEW.to_status,
                'accepted', NEW.accepted)));
    RETURN NULL;
END
$$;

CREATE TRIGGER finding_steps_event AFTER INSERT ON finding_steps
    FOR EACH ROW EXECUTE FUNCTION events_finding_step();

-- An item published, withdrawn, or changed while published. Public: the
-- item was public, and a mirror must learn that it is gone.
CREATE FUNCTION events_item() RETURNS trigger
LANGUAGE plpgsql
AS $$
DECLARE
    t text;
BEGIN
    IF NEW.status = 'published' AND (TG_OP = 'INSERT' OR OLD.status <> 'published') THEN
        t := 'item.published';
    ELSIF TG_OP = 'UPDATE' AND NEW.status = 'withdrawn' AND OLD.status <> 'withdrawn' THEN
        t := 'item.withdrawn';
    ELSIF TG_OP = 'UPDATE' AND NEW.status = 'published' AND OLD.version <> NEW.version THEN
        t := 'item.updated';
    ELSE
        RETURN NULL;
    END IF;
    INSERT INTO events (type, subject_kind, subject_id, unit_id, public, data)
    VALUES (t, 'item', NEW.id, NEW.unit_id, true,
            jsonb_strip_nulls(jsonb_build_object(
                'kind', NEW.kind, 'category', NEW.category, 'version', NEW.version,
                'status', NEW.status)));
    RETURN NULL;
END
$$;

CREATE TRIGGER items_event AFTER INSERT OR UPDATE ON items
    FOR EACH ROW EXECUTE FUNCTION events_item();

-- An annual report published (a revision too).
CREATE FUNCTION events_report() RETURNS trigger
LANGUAGE plpgsql
AS $$
BEGIN
    INSERT INTO events (type, occurred_at, subject_kind, subject_id, unit_id, public, data)
    VALUES ('report.published', NEW.published_at, 'report', NEW.id, NEW.unit_id, true,
            jsonb_build_object('year', NEW.year, 'revision', NEW.revision));
    RETURN NULL;
END
$$;

CREATE TRIGGER report_publications_event AFTER INSERT ON report_publications
    FOR EACH ROW EXECUTE FUNCTION events_report();

-- Webhooks: an endpoint registered by an admin, the event types it wants.
-- secret signs the deliveries (HMAC-SHA256); it is shown once, at creation
-- or rotation, and never selected by a read.
CREATE TABLE webhooks (
    id          uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    url         text NOT NULL CHECK (char_length(url) BETWEEN 8 AND 2000),
    types       text[] NOT NULL CHECK (cardinality(types) BETWEEN 1 AND 64),
    description text CHECK (char_length(description) <= 500),
    active      boolean NOT NULL DEFAULT true,
    secret      text NOT NULL,
    -- Deliveries are made of the events after this one (none from before
    -- the endpoint existed).
    from_seq    bigint NOT NULL,
    version     integer NOT NULL DEFAULT 1,
    created_by  text NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now(),
    secret_rotated_at timestamptz
);

-- The outbox: one row per (endpoint, event), made by opengov deliver from
-- the events after webhook_outbox.last_seq, sent and retried by it.
CREATE TABLE webhook_deliveries (
    id              uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    webhook_id      uuid NOT NULL REFERENCES webhooks (id) ON DELETE CASCADE,
    event_seq       bigint NOT NULL REFERENCES events (seq),
    status          text NOT NULL DEFAULT 'pending'
                    CHECK (status IN ('pending', 'delivered', 'failed')),
    attempts        integer NOT NULL DEFAULT 0,
    -- attempts made before the current round (a redelivery starts one)
    round_start     integer NOT NULL DEFAULT 0,
    next_attempt_at timestamptz,
    last_attempt_at timestamptz,
    last_status_code integer,
    last_duration_ms integer,
    last_error      text,
    delivered_at    timestamptz,
    created_at      timestamptz NOT NULL DEFAULT now(),
    UNIQUE (webhook_id, event_seq),
    CHECK ((status = 'pending') = (next_attempt_at IS NOT NULL))
);
CREATE INDEX webhook_deliveries_due ON webhook_deliveries (next_attempt_at)
    WHERE status = 'pending';
CREATE INDEX webhook_deliveries_list ON webhook_deliveries (webhook_id, created_at DESC, id DESC);

-- Every attempt, for the delivery log.
CREATE TABLE webhook_attempts (
    delivery_id  uuid NOT NULL REFERENCES webhook_deliveries (id) ON DELETE CASCADE,
    attempt      integer NOT NULL CHECK (attempt > 0),
    at           timestamptz NOT NULL DEFAULT now(),
    status_code  integer,
    duration_ms  integer NOT NULL,
    error        text,
    PRIMARY KEY (delivery_id, attempt)
);

-- How far opengov deliver has turned events into deliveries.
CREATE TABLE webhook_outbox (
    id       boolean PRIMARY KEY DEFAULT true CHECK (id),
    last_seq bigint NOT NULL
);
INSERT INTO webhook_outbox (id, last_seq) VALUES (true, 0);

-- A change to the webhooks wakes opengov deliver, as new events do.
CREATE FUNCTION webhooks_changed() RETURNS trigger
LANGUAGE plpgsql
AS $$
BEGIN
    PERFORM pg_notify('opengov_webhooks', TG_TABLE_NAME);
    RETURN NULL;
END
$$;
CREATE TRIGGER webhooks_changed AFTER INSERT OR UPDATE ON webhooks
    FOR EACH STATEMENT EXECUTE FUNCTION webhooks_changed();
CREATE TRIGGER webhook_deliveries_changed AFTER UPDATE ON webhook_deliveries
    FOR EACH STATEMENT EXECUTE FUNCTION webhooks_changed();

DO $$
BEGIN
    IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'opengov_app') THEN
        GRANT SELECT, INSERT, UPDATE ON events, events_counter TO opengov_app;
        GRANT SELECT, INSERT, UPDATE, DELETE ON webhooks, webhook_deliveries,
            webhook_attempts TO opengov_app;
        GRANT SELECT, UPDATE ON webhook_outbox TO opengov_app;
    END IF;
END
$$;
