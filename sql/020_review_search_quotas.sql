-- 020_review_search_quotas: the catalogue review's second person, and the
-- quotas on what anonymous and public callers create.

-- Who wrote an item's text since its last review (its author is kept in
-- created_by): none of them, nor the submitter, may review it. Cleared by
-- each review. Existing drafts and pending items get the editors their
-- audit trail names since their last review.
ALTER TABLE items ADD COLUMN edited_by text[] NOT NULL DEFAULT '{}';

UPDATE items i SET edited_by = e.actors
FROM (SELECT a.entity_id, array_agg(DISTINCT a.actor) AS actors
      FROM audit_log a
      JOIN items x ON x.id::text = a.entity_id
      WHERE a.entity = 'item' AND a.action = 'item.update'
        AND x.status IN ('draft', 'pending_review')
        AND a.at > coalesce(x.reviewed_at, '-infinity')
      GROUP BY a.entity_id) AS e
WHERE i.id::text = e.entity_id;

-- Quotas: how many accounts an address registers, requests an applicant
-- (and an address) creates, files an uploader (and an address) hands in,
-- per fixed window of time (OPENGOV_QUOTA_*). One row per kind, subject
-- and window. UNLOGGED: a counter is worth no WAL flush, and after a crash
-- the windows start afresh (a standby has none: quotas are taken on the
-- primary, with the creation they limit).
CREATE UNLOGGED TABLE quota_counters (
    kind          text NOT NULL,
    subject       text NOT NULL,
    window_start  timestamptz NOT NULL,
    used          integer NOT NULL,
    PRIMARY KEY (kind, subject, window_start)
);

-- Takes one unit of each quota kinds[i] of subjects[i] (limits[i] per
-- window of window_secs; 0 = no limit), all or none: 0 when taken, else the
-- seconds until the fullest window ends (Retry-After). One upsert: two
-- sessions never both take the last unit (the row lock of ON CONFLICT).
CREATE FUNCTION quota_take(kinds text[], subjects text[], limits integer[], window_secs integer)
RETURNS integer
LANGUAGE plpgsql
AS $$
DECLARE
    w timestamptz := to_timestamp(floor(extract(epoch FROM now()) / window_secs) * window_secs);
    over integer;
BEGIN
    BEGIN
        WITH t AS (
            INSERT INTO quota_counters AS c (kind, subject, window_start, used)
            SELECT u.k, u.s, w, 1 FROM unnest(kinds, subjects, limits) AS u(k, s, l) WHERE u.l > 0
            ON CONFLICT (kind, subject, window_start) DO UPDATE SET used = c.used + 1
            RETURNING c.kind, c.used)
        SELECT count(*) INTO over
        FROM t JOIN unnest(kinds, limits) AS u(k, l) ON u.k = t.kind
        WHERE t.used > u.l;
        IF over > 0 THEN
            RAISE EXCEPTION 'quota exceeded' USING ERRCODE = 'OG429';
        END IF;
    EXCEPTION WHEN SQLSTATE 'OG429' THEN
        RETURN greatest(1, ceil(extract(epoch FROM w + make_interval(secs => window_secs) - now())))::integer;
    END;
    -- Now and then, the windows of yesterday and before go.
    IF random() < 0.001 THEN
        DELETE FROM quota_counters WHERE window_start < now() - interval '1 day';
    END IF;
    RETURN 0;
END
$$;

DO $$
BEGIN
    IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'opengov_app') THEN
        GRANT SELECT, INSERT, UPDATE, DELETE ON quota_counters TO opengov_app;
    END IF;
END
$$;
