-- 018_audit_append_grants: the SECURITY DEFINER functions run with the
-- schema owner's rights, and PostgreSQL lets PUBLIC execute every new
-- function: any role of the cluster could append entries that the audit
-- verifier accepts, as if the service had written them. Only the service's
-- own role may call them now (the owner, which migrates and seeds, keeps
-- its right as owner), and each runs with a fixed search_path that starts
-- with pg_catalog and ends with pg_temp, so that no object a caller creates
-- can stand in for one they use.

REVOKE EXECUTE ON FUNCTION audit_append(text, text, text, text, text, text, jsonb) FROM PUBLIC;
REVOKE EXECUTE ON FUNCTION search_token_frequencies() FROM PUBLIC;
-- A trigger function runs without an EXECUTE check when its trigger fires;
-- nobody needs to call it.
REVOKE EXECUTE ON FUNCTION calendar_bump() FROM PUBLIC;

ALTER FUNCTION audit_append(text, text, text, text, text, text, jsonb)
    SET search_path = pg_catalog, public, pg_temp;
ALTER FUNCTION search_token_frequencies() SET search_path = pg_catalog, public, pg_temp;
ALTER FUNCTION calendar_bump() SET search_path = pg_catalog, public, pg_temp;

-- Nobody but the owner creates objects in the schema these functions read
-- (the default since PostgreSQL 15; said again for older clusters).
REVOKE CREATE ON SCHEMA public FROM PUBLIC;

DO $$
BEGIN
    IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'opengov_app') THEN
        GRANT EXECUTE ON FUNCTION audit_append(text, text, text, text, text, text, jsonb)
            TO opengov_app;
        GRANT EXECUTE ON FUNCTION search_token_frequencies() TO opengov_app;
    END IF;
END
$$;
