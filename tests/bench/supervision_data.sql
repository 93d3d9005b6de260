-- supervision_data.sql - make bench: the data the supervision benchmarks
-- need on top of `opengov seed --scale` (issue: supervision): at least
-- 1 million open cases for a monitoring pass, and at least 100 thousand
-- findings for the annual report and the scoreboard. Tops up, so a second
-- run adds nothing. Run by scripts/bench.sh as the superuser:
--   psql -v ON_ERROR_STOP=1 -f tests/bench/supervision_data.sql
--
-- The open cases are online disclosure requests received in the last 25
-- days, accepted, spread over the units, their clock computed with calendar
-- days (about 28 for 20 working days: close enough for synthetic data, and
-- marked with the current calendar version, so the monitor's clock rule has
-- nothing to recompute; it does the lights). Few of them are overdue, as in
-- a city that works. Each gets its submit step; numbers continue the
-- counters. The findings are inspections and complaints over two years in
-- every status, each with its create step. Neither writes audit entries:
-- they are benchmark data, like seed --scale's.
\set ON_ERROR_STOP on
SET client_min_messages = warning;

BEGIN;
LOCK TABLE request_numbers IN EXCLUSIVE MODE;

CREATE TEMP TABLE backlog ON COMMIT DROP AS
WITH need AS (
    SELECT greatest(0, 1000000 - count(*))::int AS n FROM requests
    WHERE status IN ('submitted', 'accepted', 'correction_required', 'paused')
), units AS (
    SELECT array_agg(id ORDER BY code) AS ids FROM units
), g AS (
    SELECT i, (current_date - (i % 26))::date AS day,
           ('x' || substr(md5('opengov-backlog-' || i), 1, 8))::bit(32)::int AS h
    FROM need, generate_series(1, (SELECT n FROM need)) AS i
)
SELECT i, day, extract(year FROM day)::int AS yr,
       row_number() OVER (PARTITION BY extract(year FROM day) ORDER BY i) AS rn,
       units.ids[1 + abs(h) % array_length(units.ids, 1)] AS unit_id,
       md5('opengov-scale-applicant-' || (1 + abs(h) % 5000))::uuid::text AS sub,
       (ARRAY['natural_person', 'natural_person', 'natural_person', 'company', 'ngo',
              'research_body', 'legal_service', 'other'])[1 + abs(h) % 8] AS applicant_type
FROM g, units;

WITH last AS (
    SELECT b.yr, coalesce(c.last, 0) AS last, max(b.rn) AS added
    FROM backlog b LEFT JOIN request_numbers c ON c.kind = 'disclosure' AND c.year = b.yr
    GROUP BY b.yr, c.last
), q AS (
    INSERT INTO requests (kind, number, status, unit_id, applicant_sub, applicant_type,
                          applicant, channel, description, delivery, received_at, accepted_at,
                          clock_start, days_allowed, yellow_on, red_on, light, clock_calendar,
                          created_at, updated_at)
    SELECT 'disclosure', 'GK-' || b.yr || '-' || CASE WHEN l.last + b.rn < 1000000
               THEN lpad((l.last + b.rn)::text, 6, '0') ELSE (l.last + b.rn)::text END,
           'accepted', b.unit_id, b.sub, b.applicant_type,
           jsonb_build_object('type', b.applicant_type, 'name', '申请人' || b.i, 'account_id',
                              NULL, 'id_number', NULL, 'phone', NULL, 'email', NULL,
                              'address', NULL),
           'online', '申请公开本单位近三年行政执法统计数据（基准测试积压件 ' || b.i || '）。',
           'electronic', b.day + time '09:30', b.day + time '15:00', b.day, 20,
           b.day + 24, b.day + 29,
           CASE WHEN b.day + 29 <= current_date THEN 'red'
                WHEN b.day + 24 <= current_date THEN 'yellow' ELSE 'green' END,
           (SELECT version FROM calendar_meta), b.day + time '09:30', b.day + time '15:00'
    FROM backlog b JOIN last l ON l.yr = b.yr
    RETURNING id, unit_id, applicant_sub, received_at
), steps AS (
    INSERT INTO approvals (request_id, seq, unit_id, action, actor, actor_role, at, to_status)
    SELECT id, 1, unit_id, 'submit', applicant_sub, 'public', received_at, 'submitted' FROM q
)
INSERT INTO request_numbers (kind, year, last)
SELECT 'disclosure', yr, last + added FROM last
ON CONFLICT (kind, year) DO UPDATE SET last = excluded.last;
COMMIT;

BEGIN;
WITH need AS (
    SELECT greatest(0, 100000 - count(*))::int AS n FROM findings
), units AS (
    SELECT array_agg(id ORDER BY code) AS ids FROM units
), g AS (
    SELECT i, ('x' || substr(md5('opengov-finding-' || i), 1, 8))::bit(32)::int AS h,
           now() - (i % 730) * interval '1 day' - (i % 600) * interval '1 minute' AS at
    FROM need, generate_series(1, (SELECT n FROM need)) AS i
), f AS (
    INSERT INTO findings (source, unit_id, category, severity, title, description, rectify_by,
                          status, rectification, rectified_at, rectifications,
                          verification_comment, verified_at, closed_at, published_at,
                          published_by, created_by, created_role, created_at, updated_at)
    SELECT CASE WHEN abs(h) % 4 = 0 THEN 'complaint' ELSE 'inspection' END,
           units.ids[1 + abs(h) % array_length(units.ids, 1)],
           (ARRAY['overdue', 'improper_refusal', 'missing_reason', 'not_online',
                  'disclosure_gap', 'other'])[1 + abs(h) % 6],
           CASE WHEN abs(h) % 5 = 0 THEN 'red' ELSE 'yellow' END,
           '督查发现问题（基准测试 ' || i || '）',
           '答复未按规定说明理由，需整改并报送整改情况。',
           (at + interval '21 days')::date,
           s.status,
           CASE WHEN s.status <> 'open' THEN '已逐件补充说明理由并建立复核制度。' END,
           CASE WHEN s.status <> 'open' THEN at + interval '10 days' END,
           CASE WHEN s.status <> 'open' THEN 1 ELSE 0 END,
           CASE WHEN s.status = 'closed' THEN '已核查。' END,
           CASE WHEN s.status = 'closed' THEN at + interval '15 days' END,
           CASE WHEN s.status = 'closed' THEN at + interval '15 days' END,
           CASE WHEN abs(h) % 3 = 0 THEN at + interval '16 days' END,
           CASE WHEN abs(h) % 3 = 0 THEN 'bench' END,
           'bench', 'supervisor', at, at
    FROM need, units, g,
         LATERAL (SELECT CASE WHEN abs(h) % 10 < 6 THEN 'closed'
                              WHEN abs(h) % 10 < 7 THEN 'rectification_submitted'
                              ELSE 'open' END AS status) AS s
    RETURNING id, created_at
)
INSERT INTO finding_steps (finding_id, seq, action, actor, actor_role, at, to_status)
SELECT id, 1, 'create', 'bench', 'supervisor', created_at, 'open' FROM f;
COMMIT;

VACUUM (ANALYZE) requests, approvals, findings, finding_steps;
