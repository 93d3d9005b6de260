-- 012_official_calendar: the official schedules of public holidays and
-- make-up working days (调休上班) of 2019-2026, shipped with the service, and
-- the years whose official schedule is loaded (calendar_years).
--
-- Deadlines count working days from calendar_days on top of the weekday
-- rule. In a year whose schedule is not loaded the rule alone is a guess
-- (1 October counted as a working day); calendar_years says which years are
-- known, so that a deadline can say whether it counted in known years only
-- (calendar_complete) and operators see the years still missing.
--
-- Sources: the General Office of the State Council's notices (国务院办公厅关于
-- YYYY年部分节假日安排的通知), one per year, with two later adjustments:
--   2019  国办发明电〔2018〕15号, published 2018-12-06 (signed 2018-12-04);
--         Labour Day changed by 国务院办公厅关于调整2019年劳动节假期安排的通知,
--         国办发明电〔2019〕3号, 2019-03-22: 5.1-5.4 off, 4.28 and 5.5 working
--   2020  国办发明电〔2019〕16号, 2019-11-21; Spring Festival extended to
--         2月2日 by 国务院办公厅关于延长2020年春节假期的通知, 国办发明电〔2020〕1号,
--         published 2020-01-27 (signed 2020-01-26): 1.31-2.2 off, and
--         2.1 (Sat) no longer a make-up working day
--   2021  国办发明电〔2020〕27号, 2020-11-25
--   2022  国办发明电〔2021〕11号, 2021-10-25
--   2023  国办发明电〔2022〕16号, 2022-12-08
--   2024  国办发明电〔2023〕7号, 2023-10-25
--   2025  国办发明电〔2024〕12号, 2024-11-12 (the first under the revised
--         全国年节及纪念日放假办法: 除夕 and 5月2日 added)
--   2026  国办发明电〔2025〕7号, 2025-11-04
-- Each was checked day by day against three public data sets
-- (NateScarlet/holiday-cn, LKI/chinese-calendar, vsme/chinese-days).
--
-- Conventions (those of the demo seed's 2019 and 2026 rows): one row per
-- run of days; a holiday "joined to the weekend" covers the weekend days
-- too; a day in late December belongs to the next year's notice
-- (2018-12-29 is a make-up day of 2019's New Year). Days are inserted with
-- ON CONFLICT DO NOTHING: a row an administrator already recorded wins.

CREATE TABLE calendar_years (
    year           integer PRIMARY KEY CHECK (year BETWEEN 1900 AND 9999),
    notice         text NOT NULL CHECK (char_length(notice) BETWEEN 1 AND 200),
    notice_number  text NOT NULL CHECK (char_length(notice_number) BETWEEN 1 AND 64),
    published_on   date NOT NULL,
    note           text CHECK (char_length(note) <= 500),
    recorded_by    text NOT NULL,
    recorded_at    timestamptz NOT NULL DEFAULT now()
);

-- Recording or removing a year changes what deadlines say: every worker
-- reloads the calendar when calendar_meta.version moves (sql/005). A new
-- wording of a notice changes no deadline.
CREATE TRIGGER calendar_years_inserted AFTER INSERT ON calendar_years
    FOR EACH ROW EXECUTE FUNCTION calendar_bump();
CREATE TRIGGER calendar_years_updated AFTER UPDATE ON calendar_years
    FOR EACH ROW WHEN (OLD.year IS DISTINCT FROM NEW.year) EXECUTE FUNCTION calendar_bump();
CREATE TRIGGER calendar_years_deleted AFTER DELETE ON calendar_years
    FOR EACH ROW EXECUTE FUNCTION calendar_bump();
CREATE TRIGGER calendar_years_truncated AFTER TRUNCATE ON calendar_years
    FOR EACH STATEMENT EXECUTE FUNCTION calendar_bump();

WITH schedule (first, last, working, note) AS (VALUES
    -- 2019: 国务院办公厅关于2019年部分节假日安排的通知 (国办发明电〔2018〕15号, 2018-12-06; 落款 2018-12-04); 劳动节按 国务院办公厅关于调整2019年劳动节假期安排的通知 (国办发明电〔2019〕3号, 2019-03-22) 调整
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
    -- 2020: 国务院办公厅关于2020年部分节假日安排的通知 (国办发明电〔2019〕16号, 2019-11-21); 春节按 国务院办公厅关于延长2020年春节假期的通知 (国办发明电〔2020〕1号, 2020-01-27; 落款 2020-01-26) 延长至2月2日
    (date '2020-01-01', date '2020-01-01', false, '元旦'),
    (date '2020-01-19', date '2020-01-19', true,  '春节调休上班'),
    -- 2020 春节: originally 01-24..01-30 with 02-01 (Sat) as 调休上班; extended to 02-02 by 国办发明电〔2020〕1号, so 01-31..02-02 are off and 02-01 is no longer a working day
    (date '2020-01-24', date '2020-02-02', false, '春节'),
    (date '2020-04-04', date '2020-04-06', false, '清明节'),
    (date '2020-04-26', date '2020-04-26', true,  '劳动节调休上班'),
    (date '2020-05-01', date '2020-05-05', false, '劳动节'),
    (date '2020-05-09', date '2020-05-09', true,  '劳动节调休上班'),
    (date '2020-06-25', date '2020-06-27', false, '端午节'),
    (date '2020-06-28', date '2020-06-28', true,  '端午节调休上班'),
    (date '2020-09-27', date '2020-09-27', true,  '国庆节、中秋节调休上班'),
    (date '2020-10-01', date '2020-10-08', false, '国庆节、中秋节'),
    (date '2020-10-10', date '2020-10-10', true,  '国庆节、中秋节调休上班'),
    -- 2021: 国务院办公厅关于2021年部分节假日安排的通知 (国办发明电〔2020〕27号, 2020-11-25)
    (date '2021-01-01', date '2021-01-03', false, '元旦'),
    (date '2021-02-07', date '2021-02-07', true,  '春节调休上班'),
    (date '2021-02-11', date '2021-02-17', false, '春节'),
    (date '2021-02-20', date '2021-02-20', true,  '春节调休上班'),
    (date '2021-04-03', date '2021-04-05', false, '清明节'),
    (date '2021-04-25', date '2021-04-25', true,  '劳动节调休上班'),
    (date '2021-05-01', date '2021-05-05', false, '劳动节'),
    (date '2021-05-08', date '2021-05-08', true,  '劳动节调休上班'),
    (date '2021-06-12', date '2021-06-14', false, '端午节'),
    (date '2021-09-18', date '2021-09-18', true,  '中秋节调休上班'),
    (date '2021-09-19', date '2021-09-21', false, '中秋节'),
    (date '2021-09-26', date '2021-09-26', true,  '国庆节调休上班'),
    (date '2021-10-01', date '2021-10-07', false, '国庆节'),
    (date '2021-10-09', date '2021-10-09', true,  '国庆节调休上班'),
    -- 2022: 国务院办公厅关于2022年部分节假日安排的通知 (国办发明电〔2021〕11号, 2021-10-25)
    (date '2022-01-01', date '2022-01-03', false, '元旦'),
    (date '2022-01-29', date '2022-01-30', true,  '春节调休上班'),
    (date '2022-01-31', date '2022-02-06', false, '春节'),
    (date '2022-04-02', date '2022-04-02', true,  '清明节调休上班'),
    (date '2022-04-03', date '2022-04-05', false, '清明节'),
    (date '2022-04-24', date '2022-04-24', true,  '劳动节调休上班'),
    (date '2022-04-30', date '2022-05-04', false, '劳动节'),
    (date '2022-05-07', date '2022-05-07', true,  '劳动节调休上班'),
    (date '2022-06-03', date '2022-06-05', false, '端午节'),
    (date '2022-09-10', date '2022-09-12', false, '中秋节'),
    (date '2022-10-01', date '2022-10-07', false, '国庆节'),
    (date '2022-10-08', date '2022-10-09', true,  '国庆节调休上班'),
    -- 2023: 国务院办公厅关于2023年部分节假日安排的通知 (国办发明电〔2022〕16号, 2022-12-08)
    (date '2022-12-31', date '2023-01-02', false, '元旦'),
    (date '2023-01-21', date '2023-01-27', false, '春节'),
    (date '2023-01-28', date '2023-01-29', true,  '春节调休上班'),
    (date '2023-04-05', date '2023-04-05', false, '清明节'),
    (date '2023-04-23', date '2023-04-23', true,  '劳动节调休上班'),
    (date '2023-04-29', date '2023-05-03', false, '劳动节'),
    (date '2023-05-06', date '2023-05-06', true,  '劳动节调休上班'),
    (date '2023-06-22', date '2023-06-24', false, '端午节'),
    (date '2023-06-25', date '2023-06-25', true,  '端午节调休上班'),
    (date '2023-09-29', date '2023-10-06', false, '中秋节、国庆节'),
    (date '2023-10-07', date '2023-10-08', true,  '中秋节、国庆节调休上班'),
    -- 2024: 国务院办公厅关于2024年部分节假日安排的通知 (国办发明电〔2023〕7号, 2023-10-25)
    (date '2023-12-30', date '2024-01-01', false, '元旦'),
    (date '2024-02-04', date '2024-02-04', true,  '春节调休上班'),
    (date '2024-02-10', date '2024-02-17', false, '春节'),
    (date '2024-02-18', date '2024-02-18', true,  '春节调休上班'),
    (date '2024-04-04', date '2024-04-06', false, '清明节'),
    (date '2024-04-07', date '2024-04-07', true,  '清明节调休上班'),
    (date '2024-04-28', date '2024-04-28', true,  '劳动节调休上班'),
    (date '2024-05-01', date '2024-05-05', false, '劳动节'),
    (date '2024-05-11', date '2024-05-11', true,  '劳动节调休上班'),
    (date '2024-06-08', date '2024-06-10', false, '端午节'),
    (date '2024-09-14', date '2024-09-14', true,  '中秋节调休上班'),
    (date '2024-09-15', date '2024-09-17', false, '中秋节'),
    (date '2024-09-29', date '2024-09-29', true,  '国庆节调休上班'),
    (date '2024-10-01', date '2024-10-07', false, '国庆节'),
    (date '2024-10-12', date '2024-10-12', true,  '国庆节调休上班'),
    -- 2025: 国务院办公厅关于2025年部分节假日安排的通知 (国办发明电〔2024〕12号, 2024-11-12)
    (date '2025-01-01', date '2025-01-01', false, '元旦'),
    (date '2025-01-26', date '2025-01-26', true,  '春节调休上班'),
    (date '2025-01-28', date '2025-02-04', false, '春节'),
    (date '2025-02-08', date '2025-02-08', true,  '春节调休上班'),
    (date '2025-04-04', date '2025-04-06', false, '清明节'),
    (date '2025-04-27', date '2025-04-27', true,  '劳动节调休上班'),
    (date '2025-05-01', date '2025-05-05', false, '劳动节'),
    (date '2025-05-31', date '2025-06-02', false, '端午节'),
    (date '2025-09-28', date '2025-09-28', true,  '国庆节、中秋节调休上班'),
    (date '2025-10-01', date '2025-10-08', false, '国庆节、中秋节'),
    (date '2025-10-11', date '2025-10-11', true,  '国庆节、中秋节调休上班'),
    -- 2026: 国务院办公厅关于2026年部分节假日安排的通知 (国办发明电〔2025〕7号, 2025-11-04)
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
    SELECT d::date, s.working, s.note, 'migration:012'
    FROM schedule s, generate_series(s.first, s.last, interval '1 day') AS d
    ON CONFLICT (day) DO NOTHING
    RETURNING day
), years AS (
    INSERT INTO calendar_years (year, notice, notice_number, published_on, note, recorded_by)
    VALUES
    (2019, '国务院办公厅关于2019年部分节假日安排的通知', '国办发明电〔2018〕15号', date '2018-12-06',
     '劳动节假期按《国务院办公厅关于调整2019年劳动节假期安排的通知》（国办发明电〔2019〕3号，2019-03-22）调整为5月1日至4日，4月28日、5月5日上班。',
     'migration:012'),
    (2020, '国务院办公厅关于2020年部分节假日安排的通知', '国办发明电〔2019〕16号', date '2019-11-21',
     '春节假期按《国务院办公厅关于延长2020年春节假期的通知》（国办发明电〔2020〕1号，2020-01-27）延长至2月2日，2月1日不再调休上班。',
     'migration:012'),
    (2021, '国务院办公厅关于2021年部分节假日安排的通知', '国办发明电〔2020〕27号', date '2020-11-25', NULL, 'migration:012'),
    (2022, '国务院办公厅关于2022年部分节假日安排的通知', '国办发明电〔2021〕11号', date '2021-10-25', NULL, 'migration:012'),
    (2023, '国务院办公厅关于2023年部分节假日安排的通知', '国办发明电〔2022〕16号', date '2022-12-08', NULL, 'migration:012'),
    (2024, '国务院办公厅关于2024年部分节假日安排的通知', '国办发明电〔2023〕7号', date '2023-10-25', NULL, 'migration:012'),
    (2025, '国务院办公厅关于2025年部分节假日安排的通知', '国办发明电〔2024〕12号', date '2024-11-12', NULL, 'migration:012'),
    (2026, '国务院办公厅关于2026年部分节假日安排的通知', '国办发明电〔2025〕7号', date '2025-11-04', NULL, 'migration:012')
    RETURNING year
)
SELECT audit_append('migration:012', 'system', 'calendar.official', 'calendar', NULL, NULL,
                    jsonb_build_object('migration', '012_official_calendar',
                                       'years', (SELECT jsonb_agg(year ORDER BY year) FROM years),
                                       'days', (SELECT count(*) FROM schedule s,
                                                generate_series(s.first, s.last, interval '1 day') AS d),
                                       'days_inserted', (SELECT count(*) FROM days)));

DO $$
BEGIN
    IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'opengov_app') THEN
        GRANT SELECT, INSERT, UPDATE, DELETE ON calendar_years TO opengov_app;
    END IF;
END
$$;
