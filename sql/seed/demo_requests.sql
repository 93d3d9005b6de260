-- The one disclosure application of the 2019 work summary: received on
-- 25 September 2019, just before the National Day week, and answered on
-- 18 October, in time: its 20 working days skip 1-7 October and count the
-- make-up working days of Sunday 29 September and Saturday 12 October, so
-- it was due on 28 October. Runs once (the number is its key).
WITH q AS (
    INSERT INTO requests (kind, number, status, unit_id, applicant_sub, applicant_type,
                          applicant, channel, description, purpose, delivery,
                          received_at, accepted_at, decided_at, outcome, legal_basis,
                          clock_start, days_allowed, yellow_on, red_on, light, clock_calendar,
                          days_used, on_time, created_at, updated_at, version)
    SELECT 'disclosure', 'GK-2019-000001', 'decided', u.id, a.id::text, a.applicant_type,
           jsonb_build_object('type', a.applicant_type, 'name', a.display_name,
                              'account_id', a.id::text, 'id_number', NULL, 'phone', NULL,
                              'email', NULL, 'address', NULL),
           'online',
           '申请公开2019年本单位办理的户籍迁移业务量统计及办理时限规定。',
           '了解落户办理时限，便于安排家庭迁移。', 'electronic',
           timestamptz '2019-09-25 10:12:00+08', timestamptz '2019-09-26 09:30:00+08',
           timestamptz '2019-10-18 16:05:00+08', 'disclosed',
           '《中华人民共和国政府信息公开条例》第三十六条第（二）项',
           date '2019-09-25', 20, 'infinity', 'infinity', 'green',
           (SELECT version FROM calendar_meta), 14, true,
           timestamptz '2019-09-25 10:12:00+08', timestamptz '2019-10-18 16:05:00+08', 3
    FROM units u, accounts a
    WHERE u.code = 'PSB' AND a.username = 'demo-public'
      AND NOT EXISTS (SELECT FROM request_number_keys WHERE number = 'GK-2019-000001')
    RETURNING id, unit_id, applicant_sub
), steps AS (
    INSERT INTO approvals (request_id, seq, unit_id, action, actor, actor_role, at,
                           from_status, to_status, outcome, legal_basis)
    SELECT q.id, s.seq, q.unit_id, s.action,
           CASE WHEN s.role = 'public' THEN q.applicant_sub
                ELSE (SELECT id::text FROM accounts WHERE username = s.who) END,
           s.role, s.at, s.from_status, s.to_status, s.outcome, s.legal_basis
    FROM q, (VALUES
        (1, 'submit', 'public', NULL, timestamptz '2019-09-25 10:12:00+08', NULL, 'submitted', NULL, NULL),
        (2, 'accept', 'clerk', 'demo-clerk', timestamptz '2019-09-26 09:30:00+08', 'submitted', 'accepted', NULL, NULL),
        (3, 'decide', 'approver', 'demo-approver', timestamptz '2019-10-18 16:05:00+08', 'accepted', 'decided',
         'disclosed', '《中华人民共和国政府信息公开条例》第三十六条第（二）项')
    ) AS s (seq, action, role, who, at, from_status, to_status, outcome, legal_basis)
    RETURNING request_id
)
SELECT audit_append('system', 'admin', 'request.register', 'request', q.id::text, NULL,
                    jsonb_build_object('number', 'GK-2019-000001', 'seed', 'demo'))
FROM q;

INSERT INTO request_numbers (kind, year, last) VALUES ('disclosure', 2019, 1)
ON CONFLICT (kind, year) DO UPDATE SET last = greatest(request_numbers.last, 1);
