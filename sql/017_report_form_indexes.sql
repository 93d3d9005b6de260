-- 017_report_form_indexes: the national form reads what the report indexes
-- of 007 did not carry, so that the annual report stays one index range per
-- unit and part, read index-only:
--   * the other closures by outcome too (table 三 counts a lapsed correction
--     and a lapsed fee in rows of their own, 其他处理 1 and 2);
--   * the year's approval decisions with their item, for table 二's 行政许可
--     (only administrative_license items are 行政许可).

DROP INDEX IF EXISTS requests_report_closed;
CREATE INDEX requests_report_closed ON requests (unit_id, closed_at)
    INCLUDE (kind, applicant_type, received_at, status, outcome)
    WHERE closed_at IS NOT NULL;

CREATE INDEX requests_report_licensing ON requests (unit_id, decided_at)
    INCLUDE (item_id)
    WHERE kind = 'approval' AND decided_at IS NOT NULL;
