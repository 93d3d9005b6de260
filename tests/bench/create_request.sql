-- create_request.sql - pgbench: what POST /v1/requests runs for an applicant's
-- online disclosure request without an Idempotency-Key (api/requests.c,
-- api_requests_create): the applicant's quota unit in a statement of its
-- own, committed at once (quota_take_apart_or_reply, src/server/quota.c);
-- then one statement, requests_insert, atomic on its own: request_create
-- (sql/033) writes the request with a provisional number, takes the number
-- (the counter of the kind and year, held to the end of the commit) and
-- sets it by a heap-only update, then writes the submit step and the audit
-- entry; committed with synchronous_commit off for its own transaction,
-- then the wait for the WAL flush that makes it durable before the service
-- answers 201 (db_wait_durable, src/db/db.c). docs/performance.md
-- ("Creations") explains why. scripts/bench.sh runs it next to the HTTP
-- benchmark of the route and next to the statement as it was before
-- (tests/bench/create_request_2026.sql, the baseline of issue 16's target),
-- as the service's role, to show what the database alone allows:
--   PGOPTIONS='-c TimeZone=Asia/Shanghai -c plan_cache_mode=force_generic_plan'
--   pgbench -n -f tests/bench/create_request.sql -D prepared=0 -c N -j 2 -T 10s
--
-- The statements are those of the service, text for text as the service
-- prepares them (its :name parameters numbered $1.. in order of first
-- appearance; bench.sh checks requests_insert against the source,
-- tests/bench/stmt_sql.py numbers them), prepared once per connection with a
-- generic plan as the workers prepare theirs; EXECUTE passes the parameters
-- the handler passes, its NULLs as NULLs (pgbench itself cannot bind a NULL).
-- Parameters: the demo citizen (demo-public) applying to PSB today from
-- 127.0.0.1 (the quotas of a local stack: a million per account and per
-- address an hour), the clock of 20 working days from the calendar, a
-- request id per connection as nginx gives one per request.

\set allowed 20
\if :prepared = 0
SELECT a.id AS sub, u.id AS unit, extract(year FROM now())::int AS year,
       current_date - DATE '1970-01-01' AS start, md5(random()::text) AS reqid,
       (SELECT version FROM calendar_meta) AS calversion
FROM accounts a, units u WHERE a.username = 'demo-public' AND u.code = 'PSB' \gset
-- yellow from the 18th working day after today, red the day after the 20th
SELECT max(day) FILTER (WHERE k = :allowed - 2) AS yellow, max(day) FILTER (WHERE k = :allowed) + 1 AS red
FROM (SELECT g.day, row_number() OVER (ORDER BY g.day) AS k
      FROM (SELECT current_date + i AS day FROM generate_series(1, 90) AS i) AS g
      LEFT JOIN calendar_days c ON c.day = g.day
      WHERE coalesce(c.working, extract(isodow FROM g.day) < 6)) AS w \gset
PREPARE quota_take_apart AS
SELECT quota_take(ARRAY[$1, $2], ARRAY[$3, $4], ARRAY[$5::int, $6::int], $7::int) AS
   retry_after, set_config('synchronous_commit', 'off', true) AS commit_mode;
PREPARE requests_insert AS
   WITH who AS (SELECT a.applicant_type AS type, jsonb_build_object('type', a.applicant_type,
   'name', coalesce(a.display_name, a.username), 'account_id', a.id::text, 'id_number', NULL,
   'phone', NULL, 'email', NULL, 'address', NULL) AS applicant FROM accounts a WHERE $1::text IS
   NULL AND a.id = $2::uuid AND a.role = 'public' UNION ALL SELECT $3::jsonb->>'type', $3::jsonb
   WHERE $1::text IS NOT NULL), c AS (SELECT set_config('synchronous_commit', 'off', true) AS
   commit_mode) SELECT q.id, q.kind, q.number, q.status, q.unit_id, q.item_id, q.applicant_sub,
   q.applicant_type, q.applicant, q.channel, q.registered_by, q.description, q.purpose,
   q.delivery, q.form, floor(date_part('epoch', q.received_at))::bigint AS received_at,
   q.received_at::date - DATE '1970-01-01' AS received_day, floor(date_part('epoch',
   q.accepted_at))::bigint AS accepted_at, floor(date_part('epoch', q.decided_at))::bigint AS
   decided_at, q.decided_at::date - DATE '1970-01-01' AS decided_day, floor(date_part('epoch',
   q.closed_at))::bigint AS closed_at, q.closed_at::date - DATE '1970-01-01' AS closed_day,
   q.outcome, q.reason_code, q.legal_basis, q.responsible_unit_id, q.responsible_agency,
   q.remedy, q.clock_start - DATE '1970-01-01' AS clock_start, q.days_allowed, q.committed_days,
   q.acceptance_start - DATE '1970-01-01' AS acceptance_start, q.acceptance_due - DATE
   '1970-01-01' AS acceptance_due, q.extensions, q.excluded, q.correction, q.correction_due -
   DATE '1970-01-01' AS correction_due, q.corrections, q.pause, q.pause_limit - DATE '1970-01-01'
   AS pause_limit, q.fee, q.fee_due - DATE '1970-01-01' AS fee_due, q.delivery_due - DATE
   '1970-01-01' AS delivery_due, floor(date_part('epoch', q.delivered_at))::bigint AS
   delivered_at, q.delivered_at::date - DATE '1970-01-01' AS delivered_day, q.delivery_record,
   q.version, floor(date_part('epoch', q.created_at))::bigint AS created_at,
   floor(date_part('epoch', q.updated_at))::bigint AS updated_at, (extract(epoch FROM
   q.received_at) * 1000000)::bigint AS sort_us, (SELECT version FROM calendar_meta) AS
   cal_version, CASE WHEN q.kind = 'approval' AND q.status = 'submitted' THEN
   request_missing_materials(q.id, q.item_id) END AS missing_materials, CASE WHEN q.correction IS
   NOT NULL THEN (SELECT json_object_agg(code, us) FROM (SELECT code, (extract(epoch FROM
   max(uploaded_at)) * 1000000)::bigint AS us FROM materials WHERE request_id = q.id GROUP BY
   code) AS m) END AS latest_uploads FROM who CROSS JOIN c CROSS JOIN LATERAL request_create($4,
   $5::int, $6::uuid, $7::uuid, $2::text, who.type, who.applicant, $8, $1, $9, $10, $11,
   $12::jsonb, $13::timestamptz, DATE '1970-01-01' + $14::int, $15::int, $16::date, $17::date,
   $18, $19::bigint, $20::int, DATE '1970-01-01' + $21::int, DATE '1970-01-01' + $22::int, $23,
   $24, $25, $26, $27) AS q;
\set prepared 1
\endif

EXECUTE quota_take_apart('request:account', 'request:address', ':sub', '127.0.0.1', 1000000,
    1000000, 3600);
EXECUTE requests_insert(NULL, ':sub', NULL, 'disclosure', :year, ':unit', NULL, 'online',
    '申请公开本单位2025年度户籍迁移业务量统计数据及办理时限规定。',
    '了解落户办理时限，便于安排家庭迁移。', 'electronic', NULL, NULL, :start, :allowed,
    ':yellow', ':red', 'green', :calversion, NULL, NULL, NULL, 'submit', ':sub', 'public',
    'request.submit', ':reqid');
SELECT pg_logical_emit_message(true, 'opengov', 'durable');
