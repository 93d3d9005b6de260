-- 030_unit_guides: each unit's government information disclosure guide
-- (政府信息公开指南). OGI Regulations (2019 revision, State Council Decree
-- 711) Art. 12: a body compiles and keeps current its guide and its
-- catalogue; the guide gives the categories of its information, how they
-- are arranged and obtained, and its disclosure office's name, address,
-- office hours, telephone, fax and internet contact. Art. 28: the body sets
-- up the channels applications come through; the guide names them, and
-- api/requests.c refuses a channel the unit's current guide does not list.
--
-- Versioned: staff write a draft, submit it, and an approver of the unit
-- who neither wrote nor submitted it publishes it (the items' review,
-- api/items.c); publishing supersedes the guide that was current. Rows are
-- never deleted: every published version stays readable.

CREATE TABLE unit_guides (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    unit_id uuid NOT NULL REFERENCES units (id),
    version integer NOT NULL CHECK (version >= 1),
    status text NOT NULL DEFAULT 'draft'
        CHECK (status IN ('draft', 'pending_review', 'published', 'superseded', 'rejected')),
    categories text[] NOT NULL CHECK (cardinality(categories) BETWEEN 1 AND 8
        AND categories <@ ARRAY['general', 'project', 'regulation', 'work_dynamic',
                                'personnel', 'financial', 'business', 'annual_report']),
    how_to_apply text NOT NULL CHECK (char_length(how_to_apply) BETWEEN 1 AND 5000),
    office_name text NOT NULL CHECK (char_length(office_name) BETWEEN 1 AND 200),
    address text NOT NULL CHECK (char_length(address) BETWEEN 1 AND 300),
    office_hours text NOT NULL CHECK (char_length(office_hours) BETWEEN 1 AND 200),
    telephone text NOT NULL CHECK (char_length(telephone) BETWEEN 1 AND 50),
    fax text CHECK (char_length(fax) BETWEEN 1 AND 50),
    email text CHECK (char_length(email) BETWEEN 3 AND 200),
    postal_address text NOT NULL CHECK (char_length(postal_address) BETWEEN 1 AND 300),
    complaint_route text NOT NULL CHECK (char_length(complaint_route) BETWEEN 1 AND 2000),
    channels text[] NOT NULL CHECK (cardinality(channels) BETWEEN 1 AND 5
        AND channels <@ ARRAY['online', 'paper', 'counter', 'post', 'fax']),
    created_by text NOT NULL,
    edited_by text[] NOT NULL DEFAULT '{}',
    submitted_by text,
    submitted_at timestamptz,
    reviewed_by text,
    reviewed_at timestamptz,
    review_comment text CHECK (char_length(review_comment) <= 2000),
    published_at timestamptz,
    superseded_at timestamptz,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    -- Every change of the row (an edit of the draft, a step) moves it: the
    -- ETag is version and revision (api/guides.c).
    revision integer NOT NULL DEFAULT 1 CHECK (revision BETWEEN 1 AND 999999),
    UNIQUE (unit_id, version),
    CHECK ((status IN ('published', 'superseded')) = (published_at IS NOT NULL))
);

-- One current guide and at most one in the making per unit.
CREATE UNIQUE INDEX unit_guides_current ON unit_guides (unit_id) WHERE status = 'published';
CREATE UNIQUE INDEX unit_guides_open ON unit_guides (unit_id)
    WHERE status IN ('draft', 'pending_review');

DO $$
BEGIN
    IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'opengov_app') THEN
        GRANT SELECT, INSERT, UPDATE ON unit_guides TO opengov_app;
    END IF;
END
$$;

-- The guide as clients read it (api/guides.c); workflow: how it got here,
-- for its unit's staff, supervisors and admins.
CREATE FUNCTION unit_guide_json(g unit_guides, workflow boolean) RETURNS jsonb
LANGUAGE sql STABLE AS $$
    SELECT jsonb_build_object(
        'id', g.id, 'unit_id', g.unit_id, 'version', g.version, 'status', g.status,
        'categories', to_jsonb(g.categories), 'how_to_apply', g.how_to_apply,
        'office_name', g.office_name, 'address', g.address,
        'office_hours', g.office_hours, 'telephone', g.telephone, 'fax', g.fax,
        'email', g.email, 'postal_address', g.postal_address,
        'complaint_route', g.complaint_route, 'channels', to_jsonb(g.channels),
        'published_at', rfc3339(g.published_at), 'superseded_at', rfc3339(g.superseded_at),
        'created_at', rfc3339(g.created_at), 'updated_at', rfc3339(g.updated_at))
    || CASE WHEN workflow THEN jsonb_build_object('workflow', jsonb_build_object(
        'created_by', g.created_by, 'edited_by', to_jsonb(g.edited_by),
        'submitted_by', g.submitted_by,
        'submitted_at', rfc3339(g.submitted_at), 'reviewed_by', g.reviewed_by,
        'reviewed_at', rfc3339(g.reviewed_at), 'review_comment', g.review_comment))
       ELSE '{}'::jsonb END
$$;
