-- demo_calendar: the official holiday and make-up working day schedules of
-- 2019 and 2026 (State Council General Office notices), for the demo's
-- deadlines. Run by `opengov seed --demo`; rows that exist are kept. Since
-- sql/012 ships the schedules of 2019-2026 (and records their years), this
-- adds nothing to a migrated database, and writes no audit entry then.
WITH schedule (first, last, working, note) AS (VALUES
    -- 2019
    (date '2018-12-29', date '2018-12-29', true,  '元旦调休上班'),
    (date '2018-12-30', date '2019-01-01', false, '元旦'),
    (date '2019-02-02', date '2019-02-03', true,  '春节调休上班'),
    (date '2019-02-04', date '2019-02-10', false, '春节'),
    (date '2019-04-05', date '2019-04-07', false, '清明节'),
    (date '2019-04-28', date '2019-04-28', true,  '劳动节调休上班'),
    (date '2019-05-01', date '2019-05-04', false, '劳动节'),
    (date '2019-05-05', date '2019-05-05', true,  '劳动节调休上班'),
    (date '2019-06-07', date '2019-06-09', false, '端午节'),
    (date '2019-09-13', date '2019-09-15', false, '中秋节'),
    (date '2019-09-29', date '2019-09-29', true,  '国庆节调休上班'),
    (date '2019-10-01', date '2019-10-07', false, '国庆节'),
    (date '2019-10-12', date '2019-10-12', true,  '国庆节调休上班'),
    -- 2026
    (date '2026-01-01', date '2026-01-03', false, '元旦'),
    (date '2026-01-04', date '2026-01-04', true,  '元旦调休上班'),
    (date '2026-02-14', date '2026-02-14', true,  '春节调休上班'),
    (date '2026-02-15', date '2026-02-23', false, '春节'),
    (date '2026-02-28', date '2026-02-28', true,  '春节调休上班'),
    (date '2026-04-04', date '2026-04-06', false, '清明节'),
    (date '2026-05-01', date '2026-05-05', false, '劳动节'),
    (date '2026-05-09', date '2026-05-09', true,  '劳动节调休上班'),
    (date '2026-06-19', date '2026-06-21', false, '端午节'),
    (date '2026-09-20', date '2026-09-20', true,  '国庆节调休上班'),
    (date '2026-09-25', date '2026-09-27', false, '中秋节'),
    (date '2026-10-01', date '2026-10-07', false, '国庆节'),
    (date '2026-10-10', date '2026-10-10', true,  '国庆节调休上班')
), days AS (
    INSERT INTO calendar_days (day, working, note, updated_by)
    SELECT d::date, s.working, s.note, 'seed:demo'
    FROM schedule s, generate_series(s.first, s.last, interval '1 day') AS d
    ON CONFLICT (day) DO NOTHING
    RETURNING day
)
SELECT audit_append('system', 'admin', 'calendar.seed', 'calendar', NULL, NULL,
                    jsonb_build_object('seed', 'demo', 'days', count(*)))
FROM days HAVING count(*) > 0;
