-- 001_foundation: units, accounts, the hash-chained audit log and
-- idempotency keys. Applied once by `opengov migrate`; never edited after.

-- Times go out as RFC 3339 UTC with Z, whatever the session time zone.
CREATE FUNCTION rfc3339(t timestamptz) RETURNS text
LANGUAGE sql STABLE PARALLEL SAFE
AS $$ SELECT to_char(t AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"') $$;

CREATE TABLE units (
    id          uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    kind        text NOT NULL CHECK (kind IN ('municipal_agency', 'township', 'sub_district')),
    code        text NOT NULL UNIQUE CHECK (code ~ '^[A-Za-z0-9][A-Za-z0-9_.-]{0,31}$'),
    name        text NOT NULL CHECK (char_length(name) BETWEEN 1 AND 200),
    parent_id   uuid REFERENCES units (id),
    version     integer NOT NULL DEFAULT 1,
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now(),
    CHECK (parent_id IS DISTINCT FROM id)
);
CREATE INDEX units_kind_code ON units (kind, code);
CREATE INDEX units_parent_code ON units (parent_id, code);

CREATE TABLE accounts (
    id              uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    username        text NOT NULL UNIQUE CHECK (username ~ '^[a-z0-9][a-z0-9._-]{2,63}$'),
    password_hash   text NOT NULL,
    role            text NOT NULL CHECK (role IN ('public', 'clerk', 'approver', 'supervisor', 'admin')),
    unit_id         uuid REFERENCES units (id),
    applicant_type  text CHECK (applicant_type IN ('natural_person', 'company', 'research_body',
                                                   'ngo', 'legal_service', 'other')),
    display_name    text CHECK (char_length(display_name) <= 100),
    failed_logins   integer NOT NULL DEFAULT 0,
    locked_until    timestamptz,
    version         integer NOT NULL DEFAULT 1,
    created_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now(),
    CHECK ((role IN ('clerk', 'approver')) = (unit_id IS NOT NULL)),
    CHECK ((role = 'public') = (applicant_type IS NOT NULL))
);
CREATE INDEX accounts_unit ON accounts (unit_id) WHERE unit_id IS NOT NULL;

-- The audit log is append-only and chained: each entry's hash covers the
-- previous entry's hash and its own fields, so any edit breaks the chain
-- from that entry on. audit_head holds the tip; updating it serialises
-- writers, which is what makes the chain a chain.
CREATE TABLE audit_log (
    seq         bigint PRIMARY KEY,
    at          timestamptz NOT NULL,
    actor       text NOT NULL,
    role        text NOT NULL,
    action      text NOT NULL,
    entity      text NOT NULL,
    entity_id   text,
    request_id  text,
    detail      jsonb,
    prev_hash   bytea NOT NULL,
    hash        bytea NOT NULL
);
CREATE INDEX audit_entity ON audit_log (entity, entity_id, seq);
CREATE INDEX audit_actor ON audit_log (actor, seq);
CREATE INDEX audit_at ON audit_log (at, seq);

CREATE TABLE audit_head (
    id    boolean PRIMARY KEY DEFAULT true CHECK (id),
    seq   bigint NOT NULL,
    hash  bytea NOT NULL
);
INSERT INTO audit_head VALUES (true, 0, '\x0000000000000000000000000000000000000000000000000000000000000000');

CREATE FUNCTION audit_payload(seq bigint, at timestamptz, actor text, role text,
                              action text, entity text, entity_id text,
                              request_id text, detail jsonb) RETURNS bytea
LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $$
    SELECT convert_to(concat_ws(chr(31), seq::text,
                                (extract(epoch FROM at) * 1000000)::bigint::text,
                                actor, role, action, entity,
                                coalesce(entity_id, ''), coalesce(request_id, ''),
                                coalesce(detail::text, '')), 'UTF8')
$$;

CREATE FUNCTION audit_append(p_actor text, p_role text, p_action text,
                             p_entity text, p_entity_id text,
                             p_request_id text, p_detail jsonb) RETURNS bigint
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp
AS $$
DECLARE
    v_seq  bigint;
    v_prev bytea;
    v_at   timestamptz := now();
    v_hash bytea;
BEGIN
    UPDATE audit_head SET seq = seq + 1 WHERE id RETURNING seq, hash INTO v_seq, v_prev;
    v_hash := sha256(v_prev || audit_payload(v_seq, v_at, p_actor, p_role, p_action,
                                             p_entity, p_entity_id, p_request_id, p_detail));
    INSERT INTO audit_log VALUES (v_seq, v_at, p_actor, p_role, p_action, p_entity,
                                  p_entity_id, p_request_id, p_detail, v_prev, v_hash);
    UPDATE audit_head SET hash = v_hash WHERE id;
    RETURN v_seq;
END
$$;

-- Idempotency-Key: the first answer to a key is kept and replayed.
CREATE TABLE idempotency_keys (
    scope       text NOT NULL,
    route       text NOT NULL,
    key         text NOT NULL,
    body_hash   text NOT NULL,
    status      integer,
    location    text,
    etag        text,
    response    text,
    created_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (scope, route, key)
);
CREATE INDEX idempotency_keys_created ON idempotency_keys (created_at);

-- The service's own role gets only what it uses; the audit log is written
-- only through audit_append.
DO $$
BEGIN
    IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'opengov_app') THEN
        GRANT SELECT, INSERT, UPDATE ON units, accounts TO opengov_app;
        GRANT SELECT, INSERT, UPDATE, DELETE ON idempotency_keys TO opengov_app;
        GRANT SELECT ON audit_log, audit_head, schema_migrations TO opengov_app;
    END IF;
END
$$;
