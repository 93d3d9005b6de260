-- 021_report_licensing_by_item: table 二's 行政许可 (the year's decisions on
-- approvals of administrative_license items) read from the licence items'
-- side. 017 read every approval decided in the year, unit by unit, and looked
-- its item up: at 300,000 approval decisions a year that was 0.7 s of the
-- city's report even with no licence item among them. Now the licence items
-- (a partial index: a small part of the catalogue) lead, and each one's
-- decisions of the year are one index-only range.

DROP INDEX IF EXISTS requests_report_licensing;

CREATE INDEX IF NOT EXISTS items_administrative_license ON items (id)
    WHERE category = 'administrative_license';

CREATE INDEX IF NOT EXISTS requests_report_licensing_item ON requests (item_id, decided_at)
    INCLUDE (unit_id)
    WHERE kind = 'approval' AND decided_at IS NOT NULL;
