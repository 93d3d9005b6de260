-- 016_disclosure_log: the disclosure log (依申请公开转主动公开). The answer
-- to a disclosure request decided disclosed or partially disclosed, published
-- by an approver of its unit for anyone to read without the applicant: its
-- text, its files, the other requests that asked for the same information,
-- and the catalogue items made from it (OGI Regulations Art. 44).
--
-- Life cycle: published -> withdrawn; publishing the request again makes
-- the next version (new text, no files yet) and publishes a withdrawn entry
-- again. Every version's text is kept in disclosure_log_versions.

-- The text searched, as item_search_text() of 002 does it for the
-- catalogue: the same tokens (search_tokens) and query tokens
-- (search_query_tokens) apply to it.
CREATE FUNCTION disclosure_log_search_text(title text, summary text, answer text)
RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $$
    SELECT lower(translate(concat_ws(chr(10), title, summary, answer), chr(1), ' '))
$$;

-- One entry per request at most: the request it was published from.
CREATE TABLE disclosure_log (
    id               uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    request_id       uuid NOT NULL UNIQUE REFERENCES requests (id),
    unit_id          uuid NOT NULL REFERENCES units (id),
    status           text NOT NULL DEFAULT 'published'
                     CHECK (status IN ('published', 'withdrawn')),
    -- The version of the published text and files: 1, then one more for
    -- each publication of the same request.
    version          integer NOT NULL DEFAULT 1 CHECK (version > 0),
    title            text NOT NULL CHECK (char_length(title) BETWEEN 1 AND 300),
    summary          text CHECK (char_length(summary) <= 2000),
    answer           text NOT NULL CHECK (char_length(answer) BETWEEN 1 AND 20000),
    -- The first publication (the list's order and its from/to), and this
    -- version's.
    published_at     timestamptz NOT NULL DEFAULT now(),
    published_by     text NOT NULL,
    revised_at       timestamptz NOT NULL DEFAULT now(),
    revised_by       text NOT NULL,
    withdrawn_at     timestamptz,
    withdrawn_by     text,
    withdraw_reason  text CHECK (char_length(withdraw_reason) <= 2000),
    -- Moves with every change of what the entry shows (text, files, linked
    -- requests, items): its ETag.
    rev              integer NOT NULL DEFAULT 1,
    updated_at       timestamptz NOT NULL DEFAULT now(),
    CHECK ((status = 'withdrawn') = (withdrawn_at IS NOT NULL))
);

-- Keyset lists on (published_at, id) descending, public ones by status.
CREATE INDEX disclosure_log_order ON disclosure_log (published_at DESC, id DESC);
CREATE INDEX disclosure_log_pub_order ON disclosure_log (published_at DESC, id DESC)
    WHERE status = 'published';
CREATE INDEX disclosure_log_unit_order ON disclosure_log (unit_id, published_at DESC, id DESC);
CREATE INDEX disclosure_log_pub_unit ON disclosure_log (unit_id, published_at DESC, id DESC)
    WHERE status = 'published';
-- Every character and pair of characters of title, summary and answer,
-- like items_search.
CREATE INDEX disclosure_log_search ON disclosure_log USING gin
    ((search_tokens(disclosure_log_search_text(title, summary, answer)) COLLATE "C"));

-- What each version said, never changed.
CREATE TABLE disclosure_log_versions (
    entry_id      uuid NOT NULL REFERENCES disclosure_log (id),
    version       integer NOT NULL CHECK (version > 0),
    title         text NOT NULL,
    summary       text,
    answer        text NOT NULL,
    published_at  timestamptz NOT NULL DEFAULT now(),
    published_by  text NOT NULL,
    PRIMARY KEY (entry_id, version)
);
CREATE TRIGGER disclosure_log_versions_no_change BEFORE UPDATE OR DELETE ON disclosure_log_versions
    FOR EACH ROW EXECUTE FUNCTION approvals_immutable();

-- The disclosed documents of a version (the bytes in files, like materials).
CREATE TABLE disclosure_log_files (
    id            uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    entry_id      uuid NOT NULL REFERENCES disclosure_log (id),
    version       integer NOT NULL CHECK (version > 0),
    filename      text NOT NULL CHECK (char_length(filename) BETWEEN 1 AND 255),
    file_id       uuid NOT NULL REFERENCES files (id),
    content_type  text NOT NULL,
    size          integer NOT NULL,
    sha256        text NOT NULL,
    uploaded_at   timestamptz NOT NULL DEFAULT clock_timestamp(),
    uploaded_by   text NOT NULL
);
CREATE INDEX disclosure_log_files_entry ON disclosure_log_files (entry_id, version, uploaded_at);

-- The requests whose answer an entry is: the one it was published from,
-- and the others that asked for the same information. A request's answer
-- is in one entry at most.
CREATE TABLE disclosure_log_requests (
    request_id  uuid PRIMARY KEY REFERENCES requests (id),
    entry_id    uuid NOT NULL REFERENCES disclosure_log (id),
    linked_at   timestamptz NOT NULL DEFAULT clock_timestamp(),
    linked_by   text NOT NULL
);
CREATE INDEX disclosure_log_requests_entry ON disclosure_log_requests (entry_id, linked_at);

-- The information items of the catalogue made from an entry (proactive
-- disclosure of what several applicants asked for); through the entry they
-- are linked to its requests.
CREATE TABLE disclosure_log_items (
    item_id     uuid PRIMARY KEY REFERENCES items (id),
    entry_id    uuid NOT NULL REFERENCES disclosure_log (id),
    created_at  timestamptz NOT NULL DEFAULT now(),
    created_by  text NOT NULL
);
CREATE INDEX disclosure_log_items_entry ON disclosure_log_items (entry_id, created_at);

-- The workers cache public pages and entries of the log (src/rcache.c):
-- a change tells them, as 011 does for the catalogue.
CREATE TRIGGER disclosure_log_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON disclosure_log
    FOR EACH STATEMENT EXECUTE FUNCTION catalogue_changed();
CREATE TRIGGER disclosure_log_files_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE
    ON disclosure_log_files FOR EACH STATEMENT EXECUTE FUNCTION catalogue_changed();
CREATE TRIGGER disclosure_log_requests_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE
    ON disclosure_log_requests FOR EACH STATEMENT EXECUTE FUNCTION catalogue_changed();

DO $$
BEGIN
    IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'opengov_app') THEN
        GRANT SELECT, INSERT, UPDATE ON disclosure_log TO opengov_app;
        GRANT SELECT, INSERT ON disclosure_log_versions, disclosure_log_files,
            disclosure_log_requests, disclosure_log_items TO opengov_app;
    END IF;
END
$$;
