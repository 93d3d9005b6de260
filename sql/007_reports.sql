-- 007_reports: covering indexes for the annual report and the unit
-- scoreboard (api/reports.c). Both add up unit by unit, each figure from a
-- range of one of these read by an index-only scan: a year of a
-- million-row table is then a few hundred thousand narrow index entries,
-- never the rows themselves. Idempotent: indexes only.

-- Requests received: kind, applicant type, and whether they were closed
-- (decided_at, or closed_at) by a date.
CREATE INDEX IF NOT EXISTS requests_report_received ON requests (unit_id, received_at)
    INCLUDE (kind, applicant_type, decided_at, closed_at);
-- Decisions: outcome and reason, working days, in time, extended, and when
-- the request came in.
CREATE INDEX IF NOT EXISTS requests_report_decided ON requests (unit_id, decided_at)
    INCLUDE (kind, applicant_type, received_at, outcome, reason_code, days_used,
             on_time, extensions)
    WHERE decided_at IS NOT NULL;
-- The other closures: not accepted, withdrawn, abandoned.
CREATE INDEX IF NOT EXISTS requests_report_closed ON requests (unit_id, closed_at)
    INCLUDE (kind, applicant_type, received_at, status)
    WHERE closed_at IS NOT NULL;
-- Open requests, and the day they turn (or turned) red. light is left out:
-- it follows red_on, and the monitor's light-only updates stay HOT.
CREATE INDEX IF NOT EXISTS requests_report_open ON requests (unit_id, received_at)
    INCLUDE (kind, applicant_type, red_on)
    WHERE status IN ('submitted', 'accepted', 'correction_required', 'paused');

-- Information published (sort_at is published_at for these).
CREATE INDEX IF NOT EXISTS items_report_information ON items (unit_id, sort_at)
    INCLUDE (category)
    WHERE kind = 'information' AND status IN ('published', 'withdrawn');
-- Service items on offer, and whether they can be applied for online.
CREATE INDEX IF NOT EXISTS items_report_service ON items (unit_id, published_at)
    INCLUDE (category, online, status, withdrawn_at)
    WHERE kind = 'service' AND status IN ('published', 'withdrawn');

-- Findings by creation, with every later event of theirs.
CREATE INDEX IF NOT EXISTS findings_report ON findings (unit_id, created_at)
    INCLUDE (category, rectified_at, closed_at, published_at);
