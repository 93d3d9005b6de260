-- scale_requests: the cases of `opengov seed --scale N`, rows
-- opengov.req_lo..opengov.req_hi of the opengov.req_n added now (two
-- connections load disjoint ranges at once; each numbers all of them the same
-- way and keeps its own). Set-based: one INSERT ... SELECT over
-- generate_series writes the requests and, from the same rows, their steps
-- (the submission or registration, then accept, request_correction, pause,
-- decide, withdraw, refuse_acceptance or abandon as the status needs).
--
-- Received over the two years before opengov.req_now (epoch seconds, the
-- same on every connection), in order of i. Both kinds (30% disclosure, 70%
-- approval, for a published service item of the request's unit), units
-- weighted (PSB busiest). Statuses by age: within its clock a case is open
-- one time in two (submitted, accepted, paused; correction_required in the
-- last 12 days); past it decided or closed, with one in two hundred still
-- open and overdue up to 60 days, far fewer after; over the two years about
-- 93% decided, 3% withdrawn, 2% not accepted, 1% abandoned, 1.5% open.
-- Applicants: 80% online, one of 5,000 synthetic applicants (subs of no
-- account) or, one in a thousand, the demo-public account; the rest on paper,
-- at the counter or by post, registered by the unit's clerk (an approval for
-- an item not offered online always is).
--
-- Numbers GK-/SP-YYYY-NNNNNN continue each kind's and year's counter
-- (request_numbers); `opengov seed` moves the counters to the highest number
-- afterwards. Clocks as src/caseclock.c keeps them, on the real working-day
-- calendar (calendar_days over the weekday rule): yellow_on/red_on for running
-- clocks, the light held by paused, corrected and decided cases, none for
-- closed ones; light as of today, days_used and on_time of decisions. The
-- hours between steps are synthetic. Ids are time-ordered (the UUIDv7 layout)
-- so that the load appends to the primary keys; the service's own are random,
-- which its lists, ordered by received_at, do not see.
WITH
-- Time zone of the dates: the session's (seed.c sets OPENGOV_TZ).
p AS (SELECT to_timestamp(current_setting('opengov.req_now')::bigint) AS now,
             to_timestamp(current_setting('opengov.req_now')::bigint)::date AS today,
             current_setting('opengov.req_n')::bigint AS n,
             current_setting('opengov.req_lo')::bigint AS lo,
             current_setting('opengov.req_hi')::bigint AS hi),
-- The working days from before the oldest receipt to well after the latest
-- due date: wday[k] is the k-th, upto[d - lo + 1] how many there are up to d.
-- The k-th working day after d (calendar_add_working_days) is then
-- wday[upto(d) + k], and the working days in (a, b] upto(b) - upto(a).
cal AS (
    SELECT min(day) AS lo,
           array_agg(day ORDER BY day) FILTER (WHERE working) AS wday,
           array_agg(upto ORDER BY day) AS upto
    FROM (SELECT d.day, d.working,
                 count(*) FILTER (WHERE d.working) OVER (ORDER BY d.day) AS upto
          FROM (SELECT p.today - 760 + k AS day,
                       coalesce(c.working, extract(isodow FROM p.today - 760 + k) < 6) AS working
                FROM p CROSS JOIN generate_series(0, 760 + 500) AS k
                LEFT JOIN calendar_days c ON c.day = p.today - 760 + k) AS d) AS x),
-- The units: weight, staff, published service items.
u AS (
    SELECT un.id, un.code, row_number() OVER (ORDER BY un.code) AS pos,
           CASE un.code WHEN 'PSB' THEN 160 WHEN 'AIC' THEN 110 WHEN 'HRSS' THEN 90
                WHEN 'LRB' THEN 80 WHEN 'HUD' THEN 70 WHEN 'CA' THEN 60 WHEN 'EDU' THEN 50
                WHEN 'HCPC' THEN 50 WHEN 'DRC' THEN 30 WHEN 'EPB' THEN 30
                WHEN 'GOV-OFFICE' THEN 25 WHEN 'FIN' THEN 20
                ELSE CASE un.kind WHEN 'sub_district' THEN 25 WHEN 'township' THEN 20 ELSE 10 END
           END AS weight,
           coalesce((SELECT a.id::text FROM accounts a WHERE a.unit_id = un.id AND a.role = 'clerk'
                     ORDER BY a.username LIMIT 1),
                    md5('opengov-scale-clerk-' || un.code)::uuid::text) AS clerk,
           coalesce((SELECT a.id::text FROM accounts a WHERE a.unit_id = un.id AND a.role = 'approver'
                     ORDER BY a.username LIMIT 1),
                    md5('opengov-scale-approver-' || un.code)::uuid::text) AS approver,
           s.svc, s.svc_days, s.svc_online, s.svc IS NOT NULL AS has_svc
    FROM units un
    LEFT JOIN (SELECT unit_id, array_agg(id ORDER BY id) AS svc,
                      array_agg(committed_days ORDER BY id) AS svc_days,
                      array_agg(online ORDER BY id) AS svc_online
               FROM items WHERE kind = 'service' AND status = 'published'
               GROUP BY unit_id) AS s ON s.unit_id = un.id),
-- One slot per unit of weight: a request's unit is a slot drawn by hash.
slots AS (SELECT row_number() OVER (ORDER BY u.code, w) - 1 AS slot, u.id
          FROM u CROSS JOIN LATERAL generate_series(1, u.weight) AS w),
nslots AS (SELECT count(*) AS n FROM slots),
sl AS (SELECT array_agg(id ORDER BY pos) AS all_units FROM u),
-- Every request of this run, cheaply: time, unit, kind, and its place in
-- its kind's and year's sequence (the same on every connection).
g AS (
    SELECT s.*, row_number() OVER (PARTITION BY s.kind, s.yr ORDER BY s.i) AS rn,
           lpad(to_hex((extract(epoch FROM s.at) * 1000)::bigint), 12, '0') AS ms
    FROM (SELECT x.*, CASE WHEN x.h1 % 100 < 30 OR NOT uu.has_svc THEN 'disclosure'
                           ELSE 'approval' END AS kind,
                 extract(year FROM x.at)::int AS yr
          FROM (SELECT h.*, sl.id AS unit_id
                FROM (SELECT i, abs(hashint8(i)) AS h1, abs(hashint8(i * 3 + 7)) AS h2,
                             abs(hashint8(i * 5 + 11)) AS h3, abs(hashint8(i * 7 + 13)) AS h4,
                             abs(hashint8(i * 11 + 17)) AS h5, abs(hashint8(i * 13 + 19)) AS h6,
                             abs(hashint8(i * 17 + 23)) AS h7, abs(hashint8(i * 19 + 29)) AS h8,
                             date_trunc('second', p.now - interval '730 days'
                                        + ((i - 0.5) / p.n) * interval '730 days') AS at
                      FROM p CROSS JOIN generate_series(1, p.n) AS i OFFSET 0) AS h
                JOIN slots sl ON sl.slot = h.h2 % (SELECT n FROM nslots)) AS x
          JOIN u uu ON uu.id = x.unit_id) AS s),
-- The counters as they stand: this run's numbers follow them.
base AS (SELECT kind, year, last FROM request_numbers),
demo AS (SELECT (SELECT id::text FROM accounts WHERE username = 'demo-public' AND role = 'public') AS sub,
                (SELECT applicant_type FROM accounts WHERE username = 'demo-public' AND role = 'public') AS type,
                (SELECT coalesce(display_name, username) FROM accounts
                 WHERE username = 'demo-public' AND role = 'public') AS name),
v AS (SELECT
        ARRAY['王', '李', '张', '刘', '陈', '杨', '黄', '赵', '吴', '周', '徐', '孙', '马', '朱',
              '胡', '郭', '何', '高', '林', '罗']::text[] AS surname,
        ARRAY['伟', '芳', '娜', '敏', '静', '丽', '强', '磊', '军', '洋', '勇', '艳', '杰', '娟',
              '涛', '明', '超', '秀英', '霞', '平', '刚', '桂英', '华', '建国', '红梅', '志强',
              '海燕', '小红', '文', '斌']::text[] AS given,
        ARRAY['衡阳', '衡南', '衡山', '耒阳', '常宁', '祁东', '南岳', '雁峰', '石鼓',
              '蒸湘']::text[] AS place,
        ARRAY['建材', '商贸', '物流', '餐饮', '科技', '建筑工程', '医药', '农业开发', '文化传媒',
              '房地产开发', '机械制造', '食品']::text[] AS trade,
        ARRAY['城市管理', '义务教育', '医疗卫生', '公共安全', '安全生产', '环境保护', '住房保障',
              '社会救助', '就业创业', '农村公路', '食品药品', '市场监管', '防汛抗旱', '文化旅游',
              '交通运输', '消防安全', '扶贫开发', '营商环境', '政务公开', '不动产登记', '国有土地',
              '财政预算', '养老服务', '水利建设', '城乡规划', '户籍管理', '出入境', '企业登记',
              '统计调查', '网上审批']::text[] AS topic,
        ARRAY['批准文件', '资金使用情况', '统计数据', '会议纪要', '执法检查结果', '规划图纸',
              '招标文件', '验收报告']::text[] AS doc,
        ARRAY['用于学术研究', '了解与本人相关的办理情况', '企业经营决策参考', '诉讼举证需要',
              '新闻报道核实', '维护自身合法权益']::text[] AS purpose,
        ARRAY['新设立经营场所', '变更登记事项', '延续有效期', '首次申请', '迁入本市',
              '项目建设需要']::text[] AS reason,
        ARRAY['state_secret', 'law_prohibited', 'security_stability', 'third_party_rights',
              'internal_affairs', 'process_information', 'enforcement_file']::text[] AS reason_code,
        ARRAY['third_party_consultation', 'expert_review', 'hearing', 'on_site_inspection',
              'other']::text[] AS pause_reason),
-- This connection's rows, every column decided. Materialized (and the id
-- drawn here) so that the requests and their steps come from the same rows.
r AS MATERIALIZED (
    SELECT (substr(g.ms, 1, 8) || '-' || substr(g.ms, 9, 4) || '-7' ||
            substr(gen_random_uuid()::text, 16))::uuid AS id, g.i, g.kind, g.unit_id,
           CASE g.kind WHEN 'disclosure' THEN 'GK-' ELSE 'SP-' END || g.yr || '-' ||
               CASE WHEN coalesce(b.last, 0) + g.rn < 1000000
                    THEN lpad((coalesce(b.last, 0) + g.rn)::text, 6, '0')
                    ELSE (coalesce(b.last, 0) + g.rn)::text END AS number,
           a.status, a.item_id, a.channel, a.sub AS applicant_sub, ap.type AS applicant_type,
           CASE WHEN a.channel = 'online'
                THEN jsonb_build_object('type', ap.type, 'name', ap.name, 'account_id', a.sub,
                                        'id_number', NULL, 'phone', NULL, 'email', NULL,
                                        'address', NULL)
                ELSE jsonb_build_object('type', ap.type, 'name', ap.name, 'account_id', a.sub,
                                        'id_number', ap.id_number, 'phone', ap.phone,
                                        'email', NULL, 'address', ap.address) END AS applicant,
           CASE WHEN a.channel <> 'online' THEN u.clerk END AS registered_by,
           CASE WHEN g.kind = 'disclosure'
                THEN '申请公开' || (2015 + g.h8 % 11) || '年度' || v.topic[1 + g.h8 % 30] ||
                     '工作中的' || v.doc[1 + g.h7 % 8] || '。' END AS description,
           CASE WHEN g.kind = 'disclosure' AND g.h8 % 10 >= 3 THEN v.purpose[1 + g.h6 % 6] END AS purpose,
           CASE WHEN g.kind = 'disclosure'
                THEN CASE WHEN g.h5 % 10 < 7 THEN 'electronic' ELSE 'paper' END END AS delivery,
           CASE WHEN g.kind = 'approval'
                THEN jsonb_build_object('申请事由', v.reason[1 + g.h8 % 6], '联系人', ap.name,
                                        '联系电话', ap.phone) END AS form,
           g.at AS received_at,
           CASE WHEN a.channel = 'online' THEN g.at
                ELSE least(g.at + interval '3 hours', p.now) END AS created_at,
           t.accepted_at, t.decided_at, t.closed_at, t.notice_at, t.pause_at,
           d.outcome,
           CASE WHEN d.outcome IN ('withheld', 'partially_disclosed')
                THEN v.reason_code[1 + g.h7 % 7] END AS reason_code,
           CASE WHEN d.outcome IS NULL THEN NULL
                WHEN g.kind = 'disclosure' THEN '《中华人民共和国政府信息公开条例》第三十六条'
                WHEN d.outcome = 'approved' THEN '《中华人民共和国行政许可法》第三十八条第一款'
                ELSE '《中华人民共和国行政许可法》第三十八条第二款' END AS legal_basis,
           CASE WHEN d.outcome = 'not_within_scope'
                THEN sl.all_units[1 + (u.pos + g.h7 % (array_length(sl.all_units, 1) - 1))
                                      % array_length(sl.all_units, 1)] END AS responsible_unit_id,
           -- approval: the statutory 20 days; the item's committed days
           -- beside them, which the light follows
           c.start AS clock_start,
           CASE WHEN g.kind = 'approval' THEN 20 ELSE a.allowed END AS days_allowed,
           CASE WHEN g.kind = 'approval' THEN a.allowed END AS committed_days,
           CASE WHEN a.status = 'paused'
                THEN jsonb_build_array(jsonb_build_object('from', to_char(t.pause_at::date, 'YYYY-MM-DD'),
                                                          'to', NULL, 'reason', v.pause_reason[1 + g.h8 % 5]))
                WHEN g.kind = 'disclosure' AND a.status IN ('correction_required', 'abandoned')
                THEN jsonb_build_array(jsonb_build_object('from', to_char(t.notice_at::date, 'YYYY-MM-DD'),
                                                          'to', CASE WHEN a.status = 'abandoned'
                                                                     THEN to_char(c.due_corr, 'YYYY-MM-DD') END,
                                                          'reason', 'correction'))
                ELSE '[]'::jsonb END AS excluded,
           CASE WHEN a.status IN ('withdrawn', 'not_accepted', 'abandoned') OR c.start IS NULL THEN NULL
                WHEN a.status IN ('submitted', 'accepted')
                THEN CASE WHEN a.allowed - 2 <= 0 THEN '-infinity'::date
                          ELSE cal.wday[c.u_start + a.allowed - 2] END
                WHEN e.held IN ('yellow', 'red') THEN '-infinity'::date
                ELSE 'infinity'::date END AS yellow_on,
           CASE WHEN a.status IN ('withdrawn', 'not_accepted', 'abandoned') OR c.start IS NULL THEN NULL
                WHEN a.status IN ('submitted', 'accepted') THEN c.due + 1
                WHEN e.held = 'red' THEN '-infinity'::date
                ELSE 'infinity'::date END AS red_on,
           CASE WHEN a.status IN ('correction_required', 'abandoned')
                THEN jsonb_build_object('items', CASE g.kind WHEN 'disclosure'
                         THEN '[{"field": "description", "reason": "申请内容不明确，请补充所需信息的名称、文号或其他特征性描述"}]'::jsonb
                         ELSE '[{"material_code": "ID", "reason": "申请人身份证明复印件不清晰，请重新提交"}]'::jsonb END,
                     'respond_by', to_char(c.due_corr, 'YYYY-MM-DD'), 'resubmitted_at', NULL) END AS correction,
           CASE WHEN a.status IN ('correction_required', 'abandoned') THEN c.due_corr END AS correction_due,
           CASE WHEN a.status IN ('correction_required', 'abandoned') THEN 1 ELSE 0 END AS corrections,
           c.within, v.pause_reason[1 + g.h8 % 5] AS pause_reason, u.clerk, u.approver,
           e.used AS days_used, NOT e.late AS on_time, p.today
    FROM g
    JOIN u ON u.id = g.unit_id
    LEFT JOIN base b ON b.kind = g.kind AND b.year = g.yr
    CROSS JOIN p CROSS JOIN cal CROSS JOIN v CROSS JOIN sl CROSS JOIN demo
    -- status, channel, item, applicant's account
    CROSS JOIN LATERAL (
        SELECT s.status, s.item_id, s.allowed, s.channel,
               CASE WHEN s.channel = 'online' AND g.h3 % 1000 = 0 AND demo.sub IS NOT NULL THEN demo.sub
                    WHEN s.channel = 'online' OR g.h5 % 10 < 3
                    THEN md5('opengov-scale-applicant-' || (1 + g.h3 % 5000))::uuid::text END AS sub,
               s.channel = 'online' AND g.h3 % 1000 = 0 AND demo.sub IS NOT NULL AS is_demo
        FROM (SELECT CASE
                  -- notices of the last 12 days: still to be answered
                  WHEN g.at > p.now - interval '12 days' AND g.h4 % 1000 < 60 THEN 'correction_required'
                  -- within the clock (its working days as calendar days): half still open
                  WHEN g.at > p.now - CASE g.kind WHEN 'disclosure' THEN 26 ELSE 1 + it.days * 7 / 5 END
                                      * interval '1 day' THEN CASE
                      WHEN g.h4 % 1000 < 210 THEN CASE WHEN g.at > p.now - interval '7 days'
                                                       THEN 'submitted' ELSE 'accepted' END
                      WHEN g.h4 % 1000 < 560 THEN 'accepted' WHEN g.h4 % 1000 < 600 THEN 'paused'
                      WHEN g.h4 % 1000 < 640 THEN 'withdrawn' WHEN g.h4 % 1000 < 670 THEN 'not_accepted'
                      ELSE 'decided' END
                  -- past it: decided or closed, one in two hundred overdue
                  WHEN g.at > p.now - interval '60 days' THEN CASE
                      WHEN g.h4 % 10000 < 50 THEN 'accepted' WHEN g.h4 % 10000 < 80 THEN 'paused'
                      WHEN g.h4 % 10000 < 480 THEN 'withdrawn' WHEN g.h4 % 10000 < 780 THEN 'not_accepted'
                      ELSE 'decided' END
                  ELSE CASE
                      WHEN g.h4 % 10000 < 2 THEN 'submitted' WHEN g.h4 % 10000 < 7 THEN 'accepted'
                      WHEN g.h4 % 10000 < 10 THEN 'paused' WHEN g.h4 % 10000 < 310 THEN 'withdrawn'
                      WHEN g.h4 % 10000 < 460 THEN 'not_accepted' WHEN g.h4 % 10000 < 540 THEN 'abandoned'
                      ELSE 'decided' END
                  END AS status,
                  it.item_id,
                  CASE g.kind WHEN 'disclosure' THEN 20 ELSE it.days END AS allowed,
                  CASE WHEN g.kind = 'approval' AND NOT it.online
                       THEN CASE WHEN g.h5 % 10 < 7 THEN 'counter' ELSE 'paper' END
                       WHEN g.h5 % 100 < 80 THEN 'online' WHEN g.h5 % 100 < 88 THEN 'counter'
                       WHEN g.h5 % 100 < 98 THEN 'paper' ELSE 'post' END AS channel
              FROM (SELECT CASE WHEN g.kind = 'approval' THEN u.svc[1 + g.h6 % array_length(u.svc, 1)] END AS item_id,
                           CASE WHEN g.kind = 'approval' THEN u.svc_days[1 + g.h6 % array_length(u.svc, 1)] END AS days,
                           CASE WHEN g.kind = 'approval' THEN u.svc_online[1 + g.h6 % array_length(u.svc, 1)] END AS online) AS it
              OFFSET 0) AS s OFFSET 0) AS a
    -- the applicant: the demo citizen, or synthetic applicant k
    CROSS JOIN LATERAL (
        SELECT CASE WHEN a.is_demo THEN demo.type
                    ELSE (ARRAY['natural_person', 'company', 'research_body', 'ngo', 'legal_service',
                                'other'])[CASE WHEN q.k % 100 < 75 THEN 1 WHEN q.k % 100 < 93 THEN 2
                                               WHEN q.k % 100 < 95 THEN 3 WHEN q.k % 100 < 97 THEN 4
                                               WHEN q.k % 100 < 99 THEN 5 ELSE 6 END] END AS type,
               CASE WHEN a.is_demo THEN demo.name
                    WHEN q.k % 100 < 75 THEN v.surname[1 + q.k % 20] || v.given[1 + (q.k / 20) % 30]
                    WHEN q.k % 100 < 93 THEN v.place[1 + q.k % 10] || '市' || v.trade[1 + (q.k / 10) % 12]
                                             || '有限公司'
                    WHEN q.k % 100 < 95 THEN v.place[1 + q.k % 10] || '社会发展研究院'
                    WHEN q.k % 100 < 97 THEN v.place[1 + q.k % 10] || '环保志愿者协会'
                    WHEN q.k % 100 < 99 THEN v.place[1 + q.k % 10] || '律师事务所'
                    ELSE v.place[1 + q.k % 10] || '村民委员会' END AS name,
               CASE WHEN q.k % 100 < 75 THEN '4304' || lpad(((q.k * 7919) % 100000000000000)::text, 14, '0')
                    ELSE '914304' || lpad(((q.k * 104729) % 1000000000000)::text, 12, '0') END AS id_number,
               '13' || lpad(((q.k * 104729) % 1000000000)::text, 9, '0') AS phone,
               '衡阳市' || v.place[1 + (q.k / 7) % 10] || '区人民路' || (1 + q.k % 300) || '号' AS address
        FROM (SELECT 1 + g.h3 % 5000 AS k) AS q OFFSET 0) AS ap
    -- the times of the steps (hours after receipt, never after now)
    CROSS JOIN LATERAL (
        SELECT CASE WHEN a.status IN ('accepted', 'paused', 'decided')
                    THEN least(g.at + (1 + g.h5 % 48) * interval '1 hour', p.now) END AS accepted_at,
               CASE WHEN a.status IN ('correction_required', 'abandoned')
                    THEN least(g.at + (2 + g.h6 % 70) * interval '1 hour', p.now) END AS notice_at,
               CASE WHEN a.status = 'paused'
                    THEN least(g.at + (50 + g.h6 % 200) * interval '1 hour', p.now) END AS pause_at,
               CASE WHEN a.status = 'withdrawn' THEN least(g.at + (2 + g.h6 % 200) * interval '1 hour', p.now)
                    WHEN a.status = 'not_accepted' THEN least(g.at + (2 + g.h6 % 60) * interval '1 hour', p.now)
                    END AS closed_at0 OFFSET 0) AS t0
    -- the clock: day 0, due date, a correction's date, the held light
    CROSS JOIN LATERAL (
        SELECT x.start, x.u_start, x.due, x.within, x.due_corr, x.k, x.decided_day,
               CASE WHEN a.status = 'paused' OR (a.status = 'correction_required' AND x.start IS NOT NULL)
                    THEN CASE WHEN x.stop_day > x.due THEN 'red'
                              WHEN a.allowed - greatest(0, cal.upto[x.stop_day - 1 - cal.lo + 1] - x.u_start) <= 2
                              THEN 'yellow' END
               END AS held
        FROM (SELECT y.*, cal.wday[y.u_start + a.allowed] AS due,
                     cal.wday[cal.upto[t0.notice_at::date - cal.lo + 1] + y.within] AS due_corr,
                     coalesce(t0.pause_at, t0.notice_at)::date AS stop_day,
                     cal.wday[y.u_start + y.k] AS decided_day
              FROM (SELECT z.start, cal.upto[z.start - cal.lo + 1] AS u_start, 10 + g.h6 % 6 AS within,
                           least(CASE WHEN g.h7 % 100 < 4 THEN a.allowed + 1 + g.h7 % 5
                                      ELSE 1 + g.h7 % greatest(a.allowed, 1) END,
                                 cal.upto[p.today - cal.lo + 1] - cal.upto[z.start - cal.lo + 1]) AS k
                    FROM (SELECT CASE WHEN g.kind = 'disclosure' THEN g.at::date
                                      WHEN t0.accepted_at IS NOT NULL THEN t0.accepted_at::date
                                      END AS start OFFSET 0) AS z OFFSET 0) AS y OFFSET 0) AS x OFFSET 0) AS c
    CROSS JOIN LATERAL (
        SELECT t0.accepted_at, t0.notice_at, t0.pause_at,
               CASE WHEN a.status = 'decided'
                    THEN least(greatest(greatest(c.decided_day, c.start) + time '09:00' + (g.h7 % 28800) * interval '1 second',
                                        t0.accepted_at + interval '30 minutes'), p.now) END AS decided_at,
               CASE WHEN a.status = 'abandoned' THEN c.due_corr + 1 + time '01:00'
                    ELSE t0.closed_at0 END AS closed_at OFFSET 0) AS t
    -- a decision: the working days it took and the light it holds
    CROSS JOIN LATERAL (
        SELECT y.used, y.late,
               CASE WHEN a.status <> 'decided' THEN c.held WHEN y.late THEN 'red'
                    WHEN a.allowed - y.used <= 2 THEN 'yellow' END AS held
        FROM (SELECT greatest(0, cal.upto[t.decided_at::date - cal.lo + 1] - c.u_start) AS used,
                     t.decided_at::date > c.due AS late OFFSET 0) AS y OFFSET 0) AS e
    CROSS JOIN LATERAL (
        SELECT CASE WHEN a.status <> 'decided' THEN NULL
                    WHEN g.kind = 'approval' THEN CASE WHEN g.h8 % 100 < 90 THEN 'approved' ELSE 'rejected' END
                    WHEN g.h8 % 100 < 45 THEN 'disclosed' WHEN g.h8 % 100 < 60 THEN 'partially_disclosed'
                    WHEN g.h8 % 100 < 68 THEN 'withheld' WHEN g.h8 % 100 < 78 THEN 'already_public'
                    WHEN g.h8 % 100 < 93 OR array_length(sl.all_units, 1) < 2 THEN 'not_held'
                    WHEN g.h8 % 100 < 98 THEN 'not_within_scope' ELSE 'duplicate' END AS outcome OFFSET 0) AS d
    WHERE g.i BETWEEN p.lo AND p.hi),
q AS (
    INSERT INTO requests (id, kind, number, status, unit_id, item_id, applicant_sub, applicant_type,
                          applicant, channel, registered_by, description, purpose, delivery, form,
                          received_at, accepted_at, decided_at, closed_at, outcome, reason_code,
                          legal_basis, responsible_unit_id, clock_start, days_allowed,
                          committed_days, excluded,
                          yellow_on, red_on, light, clock_calendar, days_used, on_time, correction,
                          correction_due, corrections, version, created_at, updated_at)
    SELECT id, kind, number, status, unit_id, item_id, applicant_sub, applicant_type, applicant,
           channel, registered_by, description, purpose, delivery, form, received_at, accepted_at,
           decided_at, closed_at, outcome, reason_code, legal_basis, responsible_unit_id,
           clock_start, days_allowed, committed_days, excluded, yellow_on, red_on,
           CASE WHEN yellow_on IS NULL OR red_on IS NULL THEN NULL WHEN red_on <= today THEN 'red'
                WHEN yellow_on <= today THEN 'yellow' ELSE 'green' END,
           (SELECT version FROM calendar_meta), days_used, on_time,
           correction, correction_due, corrections,
           CASE WHEN status IN ('paused', 'decided', 'abandoned') THEN 3
                WHEN status = 'submitted' THEN 1 ELSE 2 END,
           created_at,
           coalesce(decided_at, closed_at, pause_at, notice_at, accepted_at, created_at)
    FROM r)
-- The steps: the submission (or registration), then whatever brought the
-- case where it is.
INSERT INTO approvals (id, request_id, seq, unit_id, action, actor, actor_role, at, from_status,
                       to_status, outcome, reason_code, legal_basis, responsible_unit_id, reason,
                       days, items, respond_by)
SELECT (substr(sm.ms, 1, 8) || '-' || substr(sm.ms, 9, 4) || '-7' ||
        substr(gen_random_uuid()::text, 16))::uuid,
       r.id, s.seq, r.unit_id, s.action, s.actor, s.actor_role, s.at, s.from_status, s.to_status,
       s.outcome, s.reason_code, s.legal_basis, s.responsible_unit_id, s.reason, s.days, s.items,
       s.respond_by
FROM r CROSS JOIN LATERAL (VALUES
    (true, 1, CASE WHEN r.channel = 'online' THEN 'submit' ELSE 'register' END,
     coalesce(r.registered_by, r.applicant_sub),
     CASE WHEN r.channel = 'online' THEN 'public' ELSE 'clerk' END, r.created_at,
     NULL::text, 'submitted', NULL::text, NULL::text, NULL::text, NULL::uuid, NULL::text,
     NULL::integer, NULL::jsonb, NULL::date),
    (r.accepted_at IS NOT NULL, 2, 'accept', r.clerk, 'clerk', r.accepted_at, 'submitted', 'accepted',
     NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL),
    (r.correction IS NOT NULL, 2, 'request_correction', r.clerk, 'clerk', r.notice_at, 'submitted',
     'correction_required', NULL, NULL, NULL, NULL, NULL, r.within, r.correction -> 'items',
     r.correction_due),
    (r.status = 'abandoned', 3, 'abandon', 'monitor', 'system', r.closed_at, 'correction_required',
     'abandoned', NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL),
    (r.status = 'paused', 3, 'pause', r.approver, 'approver', r.pause_at, 'accepted', 'paused',
     NULL, NULL, NULL, NULL, r.pause_reason, NULL, NULL, NULL),
    (r.status = 'decided', 3, 'decide', r.approver, 'approver', r.decided_at, 'accepted', 'decided',
     r.outcome, r.reason_code, r.legal_basis, r.responsible_unit_id, NULL, NULL, NULL, NULL),
    (r.status = 'withdrawn', 2, 'withdraw', coalesce(r.registered_by, r.applicant_sub),
     CASE WHEN r.channel = 'online' THEN 'public' ELSE 'clerk' END, r.closed_at, 'submitted',
     'withdrawn', NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL),
    (r.status = 'not_accepted', 2, 'refuse_acceptance', r.clerk, 'clerk', r.closed_at, 'submitted',
     'not_accepted', NULL, NULL, NULL, NULL, '申请事项不属于本机关职责范围', NULL, NULL, NULL)
) AS s (keep, seq, action, actor, actor_role, at, from_status, to_status, outcome, reason_code,
        legal_basis, responsible_unit_id, reason, days, items, respond_by)
CROSS JOIN LATERAL (SELECT lpad(to_hex((extract(epoch FROM s.at) * 1000)::bigint), 12, '0') AS ms) AS sm
WHERE s.keep;
