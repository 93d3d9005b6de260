-- 019_account_sessions: accounts that can be disabled, sessions that can be
-- ended, one-use refresh tokens, and login throttling by source address
-- instead of the per-account lockout (failed_logins and locked_until of 001
-- are no longer used).
--
-- A token we issue names its session (sid) and the account's token_version
-- (ver); the workers keep what they read of both (src/sessions.c) until a
-- notification on opengov_accounts says it changed.

ALTER TABLE accounts
    ADD COLUMN status text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'disabled')),
    ADD COLUMN token_version integer NOT NULL DEFAULT 1 CHECK (token_version >= 1);

-- A change of role or unit ends every token of the account, whoever makes it
-- (there is no endpoint for it today: psql, a later one).
CREATE FUNCTION accounts_role_bumps_version() RETURNS trigger
LANGUAGE plpgsql
AS $$
BEGIN
    NEW.token_version := OLD.token_version + 1;
    RETURN NEW;
END
$$;

CREATE TRIGGER accounts_role_changed BEFORE UPDATE OF role, unit_id ON accounts
    FOR EACH ROW WHEN (OLD.role IS DISTINCT FROM NEW.role OR OLD.unit_id IS DISTINCT FROM NEW.unit_id)
    EXECUTE FUNCTION accounts_role_bumps_version();

-- One login: its refresh tokens form a family; revoking the session ends
-- the family and the access tokens that name it.
CREATE TABLE account_sessions (
    id              uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    account_id      uuid NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    created_at      timestamptz NOT NULL DEFAULT now(),
    expires_at      timestamptz NOT NULL,
    revoked_at      timestamptz,
    revoked_reason  text CHECK (revoked_reason IN ('logout', 'password_change', 'disabled',
                                                   'refresh_reuse')),
    CHECK ((revoked_at IS NULL) = (revoked_reason IS NULL))
);
CREATE INDEX account_sessions_live ON account_sessions (account_id) WHERE revoked_at IS NULL;

-- Only the SHA-256 of a refresh token is kept. used_at set: spent; a second
-- use revokes the session (the token was stolen, or the client is broken).
CREATE TABLE refresh_tokens (
    token_hash  bytea PRIMARY KEY CHECK (length(token_hash) = 32),
    session_id  uuid NOT NULL REFERENCES account_sessions (id) ON DELETE CASCADE,
    account_id  uuid NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    created_at  timestamptz NOT NULL DEFAULT now(),
    expires_at  timestamptz NOT NULL,
    used_at     timestamptz
);
CREATE INDEX refresh_tokens_session ON refresh_tokens (session_id);

-- Login attempts per fixed window, counted before the password is checked:
-- key 'addr <ip>' for a source address, 'addr+user <ip> <username>' for a
-- source address and the name it tries. Never the name alone, so nobody
-- can lock another out from elsewhere.
CREATE TABLE login_throttle (
    key           text PRIMARY KEY CHECK (key ~ '^addr(\+user)? '),
    window_start  timestamptz NOT NULL,
    attempts      integer NOT NULL CHECK (attempts >= 0)
);
CREATE INDEX login_throttle_window ON login_throttle (window_start);

-- The workers' caches of account state and sessions (src/sessions.c) are
-- dropped on any such change, by whoever makes it.
CREATE FUNCTION account_state_changed() RETURNS trigger
LANGUAGE plpgsql
AS $$
BEGIN
    PERFORM pg_notify('opengov_accounts', TG_TABLE_NAME);
    RETURN NULL;
END
$$;

CREATE TRIGGER accounts_state_changed
    AFTER UPDATE OF status, token_version, role, unit_id OR DELETE OR TRUNCATE ON accounts
    FOR EACH STATEMENT EXECUTE FUNCTION account_state_changed();
CREATE TRIGGER account_sessions_changed
    AFTER UPDATE OF revoked_at, account_id OR DELETE OR TRUNCATE ON account_sessions
    FOR EACH STATEMENT EXECUTE FUNCTION account_state_changed();

DO $$
BEGIN
    IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'opengov_app') THEN
        GRANT SELECT, INSERT, UPDATE ON account_sessions, refresh_tokens TO opengov_app;
        GRANT SELECT, INSERT, UPDATE, DELETE ON login_throttle TO opengov_app;
    END IF;
END
$$;
