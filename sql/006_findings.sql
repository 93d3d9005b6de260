-- 006_findings: supervision. Findings the supervision office records on a
-- unit (from an inspection, from electronic monitoring, from a complaint),
-- the unit's rectification, the office's verification, publication; and the
-- record of monitoring runs.
--
-- Life cycle: open -> rectification_submitted (unit staff report what they
-- did) -> closed (verified) | open (verification rejected). An open finding
-- past rectify_by turns red.

CREATE TABLE findings (
    id                    uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    source                text NOT NULL CHECK (source IN ('inspection', 'e_monitoring', 'complaint')),
    -- The monitoring rule that raised it (e_monitoring only): with the
    -- request, its key, so that no rule raises two findings on one case.
    rule                  text CHECK (rule IN ('overdue')),
    unit_id               uuid NOT NULL REFERENCES units (id),
    request_id            uuid REFERENCES requests (id),
    item_id               uuid REFERENCES items (id),
    category              text NOT NULL CHECK (category IN ('overdue', 'improper_refusal',
                          'missing_reason', 'not_online', 'disclosure_gap', 'other')),
    severity              text NOT NULL CHECK (severity IN ('yellow', 'red')),
    title                 text NOT NULL CHECK (char_length(title) BETWEEN 1 AND 300),
    description           text NOT NULL CHECK (char_length(description) BETWEEN 1 AND 5000),
    rectify_by            date NOT NULL,
    status                text NOT NULL DEFAULT 'open'
                          CHECK (status IN ('open', 'rectification_submitted', 'closed')),
    rectification         text CHECK (char_length(rectification) <= 5000),
    rectified_at          timestamptz,
    rectifications        integer NOT NULL DEFAULT 0,
    verification_comment  text CHECK (char_length(verification_comment) <= 2000),
    verified_at           timestamptz,
    closed_at             timestamptz,
    escalated_at          timestamptz,
    published_at          timestamptz,
    published_by          text,
    created_by            text NOT NULL,
    created_role          text NOT NULL,
    version               integer NOT NULL DEFAULT 1,
    created_at            timestamptz NOT NULL DEFAULT now(),
    updated_at            timestamptz NOT NULL DEFAULT now(),
    CHECK ((source = 'e_monitoring') = (rule IS NOT NULL)),
    CHECK (rule IS NULL OR request_id IS NOT NULL),
    CHECK ((status = 'closed') = (closed_at IS NOT NULL))
);
CREATE UNIQUE INDEX findings_rule_once ON findings (request_id, rule) WHERE rule IS NOT NULL;
CREATE INDEX findings_created ON findings (created_at DESC, id DESC);
CREATE INDEX findings_unit ON findings (unit_id, created_at DESC, id DESC);
CREATE INDEX findings_status ON findings (status, created_at DESC, id DESC);
CREATE INDEX findings_public ON findings (created_at DESC, id DESC) WHERE published_at IS NOT NULL;
-- What the monitor escalates: open, still yellow, rectify_by passed.
CREATE INDEX findings_escalation ON findings (rectify_by) WHERE status = 'open' AND severity = 'yellow';

-- Every step taken on a finding, never changed.
CREATE TABLE finding_steps (
    id           uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    finding_id   uuid NOT NULL REFERENCES findings (id),
    seq          integer NOT NULL CHECK (seq > 0),
    action       text NOT NULL CHECK (action IN ('create', 'rectify', 'verify', 'publish', 'escalate')),
    actor        text NOT NULL,
    actor_role   text NOT NULL,
    at           timestamptz NOT NULL DEFAULT clock_timestamp(),
    from_status  text,
    to_status    text NOT NULL,
    accepted     boolean,
    comment      text,
    evidence     jsonb,
    UNIQUE (finding_id, seq)
);

CREATE TRIGGER finding_steps_no_change BEFORE UPDATE OR DELETE ON finding_steps
    FOR EACH ROW EXECUTE FUNCTION approvals_immutable();

-- Files a unit attaches to its rectification report (stored like materials).
CREATE TABLE finding_evidence (
    id             uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    finding_id     uuid NOT NULL REFERENCES findings (id),
    filename       text NOT NULL CHECK (char_length(filename) BETWEEN 1 AND 255),
    file_id        uuid NOT NULL REFERENCES files (id),
    content_type   text NOT NULL,
    size           integer NOT NULL,
    sha256         text NOT NULL,
    uploaded_at    timestamptz NOT NULL DEFAULT clock_timestamp(),
    uploaded_by    text NOT NULL,
    uploaded_role  text NOT NULL
);
CREATE INDEX finding_evidence_finding ON finding_evidence (finding_id, uploaded_at);

-- Each monitoring pass and what it did.
CREATE TABLE monitoring_runs (
    id           uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    started_at   timestamptz NOT NULL DEFAULT clock_timestamp(),
    finished_at  timestamptz,
    actor        text NOT NULL,
    trigger      text NOT NULL CHECK (trigger IN ('command', 'api')),
    today        date NOT NULL,
    result       jsonb
);
CREATE INDEX monitoring_runs_started ON monitoring_runs (started_at DESC, id DESC);

-- For the reports: decisions and closures by time, findings by unit.
CREATE INDEX requests_decided ON requests (decided_at) WHERE decided_at IS NOT NULL;
CREATE INDEX requests_closed ON requests (closed_at) WHERE closed_at IS NOT NULL;

DO $$
BEGIN
    IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'opengov_app') THEN
        GRANT SELECT, INSERT, UPDATE ON findings, monitoring_runs TO opengov_app;
        GRANT SELECT, INSERT ON finding_steps, finding_evidence TO opengov_app;
    END IF;
END
$$;
