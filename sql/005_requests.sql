-- 005_requests: the cases. Applications for government information
-- (disclosure) and for service items (approval), the files applicants
-- upload, and the immutable record of every step taken on a case.
--
-- Life cycle: submitted -> accepted | correction_required | not_accepted;
-- correction_required -> submitted (resubmission) | abandoned;
-- accepted <-> paused; accepted (or submitted, disclosure only) -> decided;
-- any open status -> withdrawn.

-- Calendar changes move deadlines: every worker keeps the calendar in
-- memory and reloads it when this number changes.
CREATE TABLE calendar_meta (
    id       boolean PRIMARY KEY DEFAULT true CHECK (id),
    version  bigint NOT NULL
);
INSERT INTO calendar_meta VALUES (true, 1);

CREATE FUNCTION calendar_bump() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp
AS $$
BEGIN
    UPDATE calendar_meta SET version = version + 1 WHERE id;
    RETURN NULL;
END
$$;

-- Row by row, so that a statement that changes nothing (the demo seed's
-- INSERT ... ON CONFLICT DO NOTHING on every start) moves nothing.
CREATE TRIGGER calendar_days_inserted AFTER INSERT ON calendar_days
    FOR EACH ROW EXECUTE FUNCTION calendar_bump();
CREATE TRIGGER calendar_days_updated AFTER UPDATE ON calendar_days
    FOR EACH ROW WHEN (OLD.day IS DISTINCT FROM NEW.day OR OLD.working IS DISTINCT FROM NEW.working)
    EXECUTE FUNCTION calendar_bump();
CREATE TRIGGER calendar_days_deleted AFTER DELETE ON calendar_days
    FOR EACH ROW EXECUTE FUNCTION calendar_bump();
CREATE TRIGGER calendar_days_truncated AFTER TRUNCATE ON calendar_days
    FOR EACH STATEMENT EXECUTE FUNCTION calendar_bump();

-- Case numbers, GK-2026-000123 and SP-2026-000123: one counter per kind
-- and year. The row lock makes them unique and gapless.
CREATE TABLE request_numbers (
    kind  text NOT NULL CHECK (kind IN ('disclosure', 'approval')),
    year  integer NOT NULL CHECK (year BETWEEN 1900 AND 9999),
    last  integer NOT NULL CHECK (last > 0),
    PRIMARY KEY (kind, year)
);

CREATE TABLE requests (
    id                   uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    kind                 text NOT NULL CHECK (kind IN ('disclosure', 'approval')),
    number               text NOT NULL UNIQUE,
    status               text NOT NULL DEFAULT 'submitted'
                         CHECK (status IN ('submitted', 'accepted', 'correction_required',
                                           'not_accepted', 'paused', 'decided',
                                           'withdrawn', 'abandoned')),
    unit_id              uuid NOT NULL REFERENCES units (id),
    item_id              uuid REFERENCES items (id),
    -- The applicant: the account that applied online (the token's sub),
    -- or the account a clerk linked a paper application to; NULL for a
    -- paper applicant without an account.
    applicant_sub        text CHECK (char_length(applicant_sub) <= 255),
    applicant_type       text NOT NULL CHECK (applicant_type IN ('natural_person', 'company',
                                              'research_body', 'ngo', 'legal_service', 'other')),
    applicant            jsonb NOT NULL,
    channel              text NOT NULL CHECK (channel IN ('online', 'paper', 'counter', 'post')),
    registered_by        text,
    description          text CHECK (char_length(description) <= 5000),
    purpose              text CHECK (char_length(purpose) <= 2000),
    delivery             text CHECK (delivery IN ('electronic', 'paper')),
    form                 jsonb,
    received_at          timestamptz NOT NULL,
    accepted_at          timestamptz,
    decided_at           timestamptz,
    closed_at            timestamptz,
    outcome              text CHECK (outcome IN ('approved', 'rejected', 'disclosed',
                                                 'partially_disclosed', 'withheld',
                                                 'already_public', 'not_held',
                                                 'not_within_scope', 'duplicate')),
    reason_code          text,
    legal_basis          text,
    responsible_unit_id  uuid REFERENCES units (id),
    -- The statutory clock (working days, see src/deadline.c): day 0, the
    -- days the law allows (extensions added), the extensions and the
    -- intervals that do not count ([{from, to, reason}], to NULL while
    -- running). NULL clock_start: not started (approval before acceptance).
    clock_start          date,
    days_allowed         integer CHECK (days_allowed BETWEEN 0 AND 1000),
    extensions           jsonb NOT NULL DEFAULT '[]',
    excluded             jsonb NOT NULL DEFAULT '[]',
    -- The light as dates, kept by every transition (and by the monitor when
    -- the calendar changes) so that lists filter on it: yellow from
    -- yellow_on, red from red_on; 'infinity' never, '-infinity' already.
    yellow_on            date,
    red_on               date,
    -- The light itself, as of the last write or monitoring pass, and the
    -- calendar version the dates were computed with (the monitor computes
    -- them again when the calendar changes).
    light                text CHECK (light IN ('green', 'yellow', 'red')),
    clock_calendar       bigint,
    -- Fixed at the decision, for the reports: working days used (paused
    -- and correction time excluded) and whether it was in time.
    days_used            integer,
    on_time              boolean,
    -- The open or last correction notice: {approval_id, notice_at,
    -- respond_by, items: [{material_code | field, reason}], resubmitted_at}.
    correction           jsonb,
    correction_due       date,
    corrections          integer NOT NULL DEFAULT 0,
    version              integer NOT NULL DEFAULT 1,
    created_at           timestamptz NOT NULL DEFAULT now(),
    updated_at           timestamptz NOT NULL DEFAULT now(),
    CHECK ((kind = 'approval') = (item_id IS NOT NULL)),
    CHECK (kind = 'approval' OR (description IS NOT NULL AND delivery IS NOT NULL)),
    CHECK ((channel = 'online') = (registered_by IS NULL)),
    CHECK ((status = 'decided') = (outcome IS NOT NULL))
);

-- Lists are newest received first, ties by id, for each way of scoping.
CREATE INDEX requests_received ON requests (received_at DESC, id DESC);
CREATE INDEX requests_applicant ON requests (applicant_sub, received_at DESC, id DESC)
    WHERE applicant_sub IS NOT NULL;
CREATE INDEX requests_unit ON requests (unit_id, received_at DESC, id DESC);
CREATE INDEX requests_unit_status ON requests (unit_id, status, received_at DESC, id DESC);
CREATE INDEX requests_status ON requests (status, received_at DESC, id DESC);
-- What the monitor looks at: open clocks, and notices running out.
CREATE INDEX requests_open_red ON requests (red_on)
    WHERE status IN ('submitted', 'accepted', 'correction_required', 'paused');
CREATE INDEX requests_correction_due ON requests (correction_due)
    WHERE status = 'correction_required';

-- Uploaded files, kept apart from what points at them so that listing
-- materials never reads a byte of content.
CREATE TABLE files (
    id            uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    content_type  text NOT NULL CHECK (content_type IN ('application/pdf', 'image/jpeg', 'image/png')),
    size          integer NOT NULL CHECK (size BETWEEN 1 AND 10485760),
    sha256        text NOT NULL CHECK (sha256 ~ '^[0-9a-f]{64}$'),
    content       bytea NOT NULL,
    created_at    timestamptz NOT NULL DEFAULT now(),
    CHECK (octet_length(content) = size)
);
ALTER TABLE files ALTER COLUMN content SET STORAGE EXTERNAL;

-- A material is one version of one document of a request: each upload
-- under a code is the next version.
CREATE TABLE materials (
    id            uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    request_id    uuid NOT NULL REFERENCES requests (id),
    code          text NOT NULL CHECK (code ~ '^[A-Za-z0-9_-]{1,32}$'),
    version       integer NOT NULL CHECK (version > 0),
    filename      text NOT NULL CHECK (char_length(filename) BETWEEN 1 AND 255),
    file_id       uuid NOT NULL REFERENCES files (id),
    content_type  text NOT NULL,
    size          integer NOT NULL,
    sha256        text NOT NULL,
    uploaded_at   timestamptz NOT NULL DEFAULT clock_timestamp(),
    uploaded_by   text NOT NULL,
    uploaded_role text NOT NULL,
    UNIQUE (request_id, code, version)
);

-- Every step taken on a request, never changed: the applicant's
-- (submit, register, resubmit, withdraw), the staff's (accept,
-- request_correction, refuse_acceptance, pause, resume, extend, decide)
-- and the monitor's (abandon).
CREATE TABLE approvals (
    id                   uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    request_id           uuid NOT NULL REFERENCES requests (id),
    seq                  integer NOT NULL CHECK (seq > 0),
    unit_id              uuid NOT NULL REFERENCES units (id),
    action               text NOT NULL CHECK (action IN ('submit', 'register', 'resubmit',
                         'withdraw', 'abandon', 'accept', 'request_correction',
                         'refuse_acceptance', 'pause', 'resume', 'extend', 'decide')),
    actor                text NOT NULL,
    actor_role           text NOT NULL,
    at                   timestamptz NOT NULL DEFAULT clock_timestamp(),
    from_status          text,
    to_status            text NOT NULL,
    outcome              text,
    reason_code          text,
    legal_basis          text,
    responsible_unit_id  uuid REFERENCES units (id),
    reason               text,
    comment              text,
    days                 integer,
    items                jsonb,
    respond_by           date,
    UNIQUE (request_id, seq)
);
CREATE INDEX approvals_at ON approvals (at DESC, id DESC);
CREATE INDEX approvals_unit_at ON approvals (unit_id, at DESC, id DESC);
CREATE INDEX approvals_action_at ON approvals (action, at DESC, id DESC);

CREATE FUNCTION approvals_immutable() RETURNS trigger
LANGUAGE plpgsql
AS $$
BEGIN
    RAISE EXCEPTION 'approvals are immutable' USING ERRCODE = 'insufficient_privilege';
END
$$;

CREATE TRIGGER approvals_no_change BEFORE UPDATE OR DELETE ON approvals
    FOR EACH ROW EXECUTE FUNCTION approvals_immutable();

DO $$
BEGIN
    IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'opengov_app') THEN
        GRANT SELECT ON calendar_meta TO opengov_app;
        GRANT SELECT, INSERT, UPDATE ON request_numbers, requests TO opengov_app;
        GRANT SELECT, INSERT ON files, materials, approvals TO opengov_app;
    END IF;
END
$$;
