-- 013_case_rules: what the statutes require of a case (src/caserules.c is
-- the rules table; these constraints say the same names, and a test
-- compares them).
--
-- * Disclosure (Regulations on Open Government Information, 2019): applications
--   by fax (Art. 31); the information-processing fee (Art. 42 and 国办函
--   〔2020〕109号), which stops the clock while the applicant is asked to pay
--   (status awaiting_payment); one outcome per row of the national annual
--   report form; the competent body named in free text when it is not one
--   of the city's units (Art. 36(5)).
-- * Approval (Administrative Licensing Law): the 5-working-day acceptance
--   stage on its own clock (Art. 32) and the deemed acceptance when it
--   lapses; the statutory 20 working days (Art. 42) beside the item's
--   committed days; the pause's declared duration (Art. 45); the delivery
--   of the licence within 10 working days (Art. 44); a refusal's remedies
--   (Art. 38).

ALTER TABLE requests DROP CONSTRAINT requests_status_check;
ALTER TABLE requests ADD CONSTRAINT requests_status_check
    CHECK (status IN ('submitted', 'accepted', 'correction_required', 'not_accepted', 'paused',
                      'decided', 'withdrawn', 'abandoned', 'awaiting_payment'));
ALTER TABLE requests DROP CONSTRAINT requests_channel_check;
ALTER TABLE requests ADD CONSTRAINT requests_channel_check
    CHECK (channel IN ('online', 'paper', 'counter', 'post', 'fax'));
ALTER TABLE requests DROP CONSTRAINT requests_outcome_check;
ALTER TABLE requests ADD CONSTRAINT requests_outcome_check
    CHECK (outcome IN ('approved', 'rejected', 'disclosed', 'partially_disclosed', 'withheld',
                       'already_public', 'not_held', 'not_within_scope', 'needs_new_work',
                       'unclear_after_correction', 'complaint_petition', 'duplicate',
                       'public_publication', 'excessive_requests', 'reconfirmation',
                       'abandoned_correction', 'abandoned_fee', 'other'));
ALTER TABLE requests ADD CONSTRAINT requests_reason_code_check
    CHECK (reason_code IN ('state_secret', 'law_prohibited', 'security_stability',
                           'third_party_rights', 'internal_affairs', 'process_information',
                           'enforcement_file', 'administrative_query'));

-- A decided case has its outcome; an abandoned disclosure request has one
-- too now (the form's rows for a correction or a fee that never came).
DO $$
DECLARE c text;
BEGIN
    SELECT conname INTO c FROM pg_constraint
    WHERE conrelid = 'requests'::regclass AND contype = 'c'
      AND pg_get_constraintdef(oid) LIKE '%status = ''decided''%outcome IS NOT NULL%';
    IF c IS NOT NULL THEN
        EXECUTE format('ALTER TABLE requests DROP CONSTRAINT %I', c);
    END IF;
END
$$;
UPDATE requests SET outcome = 'abandoned_correction'
    WHERE status = 'abandoned' AND kind = 'disclosure' AND outcome IS NULL;
ALTER TABLE requests ADD CONSTRAINT requests_outcome_status_check
    CHECK (CASE status WHEN 'decided' THEN outcome IS NOT NULL
                       WHEN 'abandoned' THEN true
                       ELSE outcome IS NULL END);

ALTER TABLE requests
    -- not_within_scope: the competent body when it is not one of our units
    ADD COLUMN responsible_agency text CHECK (char_length(responsible_agency) BETWEEN 1 AND 200),
    -- a refusal of an approval: where and within what time the applicant
    -- may seek administrative reconsideration or sue (Licensing Law Art. 38)
    ADD COLUMN remedy text CHECK (char_length(remedy) BETWEEN 1 AND 2000),
    -- approval: the item's committed working days (extension included),
    -- which the light follows; days_allowed is the statutory period
    ADD COLUMN committed_days integer CHECK (committed_days BETWEEN 0 AND 1000),
    -- approval in its acceptance stage: day 0 (receipt or resubmission) and
    -- the last day to accept, ask for a correction or refuse
    ADD COLUMN acceptance_start date,
    ADD COLUMN acceptance_due date,
    -- the running (or last) pause: {reason, since, limit, expected_days,
    -- third_party, notice_date, from_status, resumed_on, resumed_by}
    ADD COLUMN pause jsonb,
    ADD COLUMN pause_limit date,
    -- the fee notice: {method, basis, amount, explanation, notice_date,
    -- pay_by, from_status, paid_on, receipt}
    ADD COLUMN fee jsonb,
    ADD COLUMN fee_due date,
    -- an approved licence: the day it must be delivered by, and when and
    -- how it was ({method, certificate_number, note})
    ADD COLUMN delivery_due date,
    ADD COLUMN delivered_at timestamptz,
    ADD COLUMN delivery_record jsonb;

-- Steps carry what their kind of step needs (third party, declared
-- duration, fee, remedy, delivery, deemed acceptance's start).
ALTER TABLE approvals ADD COLUMN details jsonb;
ALTER TABLE approvals DROP CONSTRAINT approvals_action_check;
ALTER TABLE approvals ADD CONSTRAINT approvals_action_check
    CHECK (action IN ('submit', 'register', 'resubmit', 'withdraw', 'abandon', 'accept',
                      'deemed_accept', 'request_correction', 'refuse_acceptance', 'pause',
                      'resume', 'extend', 'fee_notice', 'record_payment', 'decide', 'deliver'));

-- The monitoring rules of this migration.
ALTER TABLE findings DROP CONSTRAINT findings_rule_check;
ALTER TABLE findings ADD CONSTRAINT findings_rule_check
    CHECK (rule IN ('overdue', 'acceptance_lapsed', 'pause_overrun', 'delivery_overdue'));

-- Working days in SQL, for the rows that exist when this migration runs
-- (the service computes them in C, src/calendar.c): the nth working day
-- after d.
CREATE FUNCTION pg_temp.add_working_days(d date, n integer) RETURNS date
LANGUAGE plpgsql STABLE
AS $$
DECLARE
    x date := d;
    k integer := 0;
    w boolean;
BEGIN
    WHILE k < n LOOP
        x := x + 1;
        SELECT working INTO w FROM calendar_days WHERE day = x;
        IF coalesce(w, extract(isodow FROM x) < 6) THEN
            k := k + 1;
        END IF;
    END LOOP;
    RETURN x;
END
$$;

-- Approval requests: days_allowed becomes the statutory period (the item's
-- statutory days, extension included), the committed days move to their
-- own column; one in its acceptance stage gets that stage's clock. Their
-- light dates are computed again by the next monitoring pass.
WITH a AS (
    SELECT q.id, i.statutory_days, q.days_allowed,
           coalesce((SELECT sum((e->>'days')::int) FROM jsonb_array_elements(q.extensions) e), 0) AS ext
    FROM requests q JOIN items i ON i.id = q.item_id
    WHERE q.kind = 'approval'
)
UPDATE requests q SET committed_days = a.days_allowed,
    days_allowed = coalesce(a.statutory_days, 20) + a.ext
FROM a WHERE q.id = a.id;

WITH d AS (
    SELECT DISTINCT received_at::date AS day FROM requests
    WHERE kind = 'approval' AND status = 'submitted'
), due AS (
    SELECT day, pg_temp.add_working_days(day, 5) AS due FROM d
)
UPDATE requests q SET acceptance_start = due.day, acceptance_due = due.due,
    clock_calendar = NULL
FROM due WHERE q.kind = 'approval' AND q.status = 'submitted' AND q.received_at::date = due.day;

-- Decided approvals before this migration owed no delivery clock: none is
-- made up for them.

-- The open statuses, now with awaiting_payment, in every partial index
-- that names them.
DROP INDEX requests_open_red;
CREATE INDEX requests_open_red ON requests (red_on)
    WHERE status IN ('submitted', 'accepted', 'correction_required', 'paused', 'awaiting_payment');
-- With red_on as its second key, the cases whose yellow day has come and
-- whose red day has not are found in the index alone: the red ones (most of
-- those past their yellow day) cost no heap read.
DROP INDEX requests_open_yellow;
CREATE INDEX requests_open_yellow ON requests (yellow_on, red_on)
    WHERE status IN ('submitted', 'accepted', 'correction_required', 'paused', 'awaiting_payment');
-- Acceptance-stage clocks have no clock_start but light dates all the same.
-- The predicate names the clocks so that only the monitor's recomputation,
-- which says the same, reads this index (the light updates must not take
-- it for a cheap walk over every open case).
DROP INDEX requests_open_calendar;
CREATE INDEX requests_open_calendar ON requests (clock_calendar)
    WHERE status IN ('submitted', 'accepted', 'correction_required', 'paused', 'awaiting_payment')
      AND (clock_start IS NOT NULL OR acceptance_start IS NOT NULL);
DROP INDEX requests_report_open;
CREATE INDEX requests_report_open ON requests (unit_id, received_at)
    INCLUDE (kind, applicant_type, red_on)
    WHERE status IN ('submitted', 'accepted', 'correction_required', 'paused', 'awaiting_payment');

-- What the monitor looks for, each by its own day.
CREATE INDEX requests_acceptance_due ON requests (acceptance_due) WHERE status = 'submitted';
CREATE INDEX requests_pause_limit ON requests (pause_limit) WHERE status = 'paused';
CREATE INDEX requests_fee_due ON requests (fee_due) WHERE status = 'awaiting_payment';
CREATE INDEX requests_delivery_due ON requests (delivery_due)
    WHERE delivery_due IS NOT NULL AND delivered_at IS NULL;
