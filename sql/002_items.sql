-- 002_items: the catalogue. Service items (what can be applied for) and
-- information items (what has been disclosed), one table, one life cycle:
-- draft -> pending_review -> published | draft; published -> withdrawn.

-- Search works on lower-cased text. Chinese has no spaces and most words are
-- two characters long, so the index holds every character and every pair of
-- adjacent characters (uni- and bigrams): a query of one character looks up
-- its unigram, a longer one all its bigrams, and the row is then checked
-- with strpos, so a match is always an exact substring match.
CREATE FUNCTION item_search_text(title text, summary text, document_number text)
RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $$
    SELECT lower(translate(concat_ws(chr(10), title, summary, document_number), chr(1), ' '))
$$;

-- One expression, all of it C inside PostgreSQL (string_to_array splits
-- characters, regexp_replace pairs them at even and at odd offsets): it
-- costs about 20 us a row where a generate_series version costs 130.
-- Unigrams are kept for non-ASCII characters only: a single ASCII letter or
-- digit occurs in nearly every document (dates, document numbers), so its
-- posting list would be the whole table, and it would make the index build
-- a third slower; such a query is answered by the ordered scan instead.
CREATE FUNCTION search_tokens(t text) RETURNS text[]
LANGUAGE sql IMMUTABLE PARALLEL SAFE STRICT
AS $$
    SELECT array_remove(string_to_array(regexp_replace(t, '[\x01-\x7f]+', '', 'g'), NULL)
        || string_to_array(regexp_replace(t, '(..)', E'\\1\x01', 'g'), E'\x01')
        || string_to_array(regexp_replace(substr(t, 2), '(..)', E'\\1\x01', 'g'), E'\x01'), '')
$$;

-- The tokens a query must find: all its bigrams; a one-character query (or
-- one whose characters are separated by spaces) its non-ASCII unigrams. The
-- server does not use the index for a query without any (a lone ASCII
-- character).
CREATE FUNCTION search_query_tokens(q text) RETURNS text[]
LANGUAGE sql IMMUTABLE PARALLEL SAFE STRICT
AS $$
    SELECT coalesce(
        (SELECT array_agg(DISTINCT g) FROM
            (SELECT substr(q, i, 2) AS g FROM generate_series(1, length(q) - 1) AS i) AS b
         WHERE strpos(g, ' ') = 0 AND strpos(g, chr(10)) = 0),
        (SELECT array_agg(DISTINCT g) FROM
            (SELECT substr(q, i, 1) AS g FROM generate_series(1, length(q)) AS i) AS u
         WHERE ascii(g) > 127),
        '{}')
$$;

CREATE TABLE items (
    id               uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    kind             text NOT NULL CHECK (kind IN ('service', 'information')),
    unit_id          uuid NOT NULL REFERENCES units (id),
    category         text NOT NULL,
    status           text NOT NULL DEFAULT 'draft'
                     CHECK (status IN ('draft', 'pending_review', 'published', 'withdrawn')),
    title            text NOT NULL CHECK (char_length(title) BETWEEN 1 AND 300),
    title_en         text CHECK (char_length(title_en) <= 300),
    summary          text CHECK (char_length(summary) <= 2000),
    body             text CHECK (char_length(body) <= 200000),
    document_number  text CHECK (char_length(document_number) <= 100),
    -- service items only
    code             text UNIQUE CHECK (code ~ '^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$'),
    legal_basis      text CHECK (char_length(legal_basis) <= 2000),
    statutory_days   integer CHECK (statutory_days BETWEEN 1 AND 365),
    committed_days   integer CHECK (committed_days BETWEEN 1 AND 365),
    materials        jsonb,
    fee              numeric(12, 2) CHECK (fee >= 0),
    online           boolean,
    -- life cycle
    published_at     timestamptz,
    submitted_by     text,
    submitted_at     timestamptz,
    reviewed_by      text,
    reviewed_at      timestamptz,
    review_decision  text CHECK (review_decision IN ('approve', 'reject')),
    review_comment   text,
    withdrawn_at     timestamptz,
    withdraw_reason  text,
    created_by       text NOT NULL,
    version          integer NOT NULL DEFAULT 1,
    created_at       timestamptz NOT NULL DEFAULT now(),
    updated_at       timestamptz NOT NULL DEFAULT now(),
    -- The list order: newest published first; unpublished ones by creation.
    sort_at          timestamptz GENERATED ALWAYS AS (coalesce(published_at, created_at)) STORED,
    CHECK (kind = 'service' AND category IN ('administrative_license', 'non_administrative_license',
                                              'public_service', 'referral')
        OR kind = 'information' AND category IN ('general', 'project', 'regulation', 'work_dynamic',
                                                  'personnel', 'financial', 'business', 'annual_report')),
    CHECK (kind = 'information' OR (code IS NOT NULL AND legal_basis IS NOT NULL
                                    AND statutory_days IS NOT NULL AND committed_days IS NOT NULL
                                    AND committed_days <= statutory_days AND materials IS NOT NULL
                                    AND fee IS NOT NULL AND online IS NOT NULL)),
    CHECK (kind = 'service' OR (code IS NULL AND statutory_days IS NULL AND materials IS NULL)),
    CHECK ((status IN ('published', 'withdrawn')) = (published_at IS NOT NULL))
);

-- Every list is keyset-paginated on (sort_at, id) descending; each filter
-- the public uses has an index in that order, so a page is a range scan.
CREATE INDEX items_order ON items (sort_at DESC, id DESC);
CREATE INDEX items_pub_order ON items (sort_at DESC, id DESC) WHERE status = 'published';
CREATE INDEX items_pub_kind ON items (kind, sort_at DESC, id DESC) WHERE status = 'published';
CREATE INDEX items_pub_category ON items (category, sort_at DESC, id DESC) WHERE status = 'published';
CREATE INDEX items_pub_unit ON items (unit_id, sort_at DESC, id DESC) WHERE status = 'published';
CREATE INDEX items_unit_order ON items (unit_id, sort_at DESC, id DESC);
CREATE INDEX items_status_order ON items (status, sort_at DESC, id DESC);
-- COLLATE "C": tokens compare as bytes, whatever the database's locale
-- (a locale-aware comparison makes the build of this index 15% slower).
CREATE INDEX items_search ON items USING gin
    ((search_tokens(item_search_text(title, summary, document_number)) COLLATE "C"));

DO $$
BEGIN
    IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'opengov_app') THEN
        GRANT SELECT, INSERT, UPDATE ON items TO opengov_app;
    END IF;
END
$$;
