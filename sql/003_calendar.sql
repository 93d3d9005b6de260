-- 003_calendar: the working-day calendar. Weekends are off and weekdays
-- on by rule; a row here overrides the rule for one day: a public holiday
-- (working = false) or a make-up working day on a weekend (working = true).
-- Statutory deadlines count working days from this calendar.
CREATE TABLE calendar_days (
    day         date PRIMARY KEY,
    working     boolean NOT NULL,
    note        text CHECK (char_length(note) <= 200),
    updated_by  text NOT NULL,
    updated_at  timestamptz NOT NULL DEFAULT now()
);

DO $$
BEGIN
    IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'opengov_app') THEN
        GRANT SELECT, INSERT, UPDATE ON calendar_days TO opengov_app;
    END IF;
END
$$;
