-- 014_report_form: what the national form of the annual report needs (the
-- 2021 template of the State Council's open-government office, 国办公开办函
-- 〔2021〕30号; OGI Regulations Arts. 49, 50) and its publication.
--
-- Table 二, Art. 20(1): rules (规章) and administrative normative documents
-- (行政规范性文件) issued, abolished and in force in the year: an information
-- item says which it is and, once abolished, since when.
ALTER TABLE items
    ADD COLUMN document_type text CHECK (document_type IN ('rule', 'normative_document')),
    ADD COLUMN abolished_on date,
    ADD COLUMN abolished_note text CHECK (char_length(abolished_note) BETWEEN 1 AND 2000),
    ADD CONSTRAINT items_document_type_information
        CHECK (kind = 'information' OR (document_type IS NULL AND abolished_on IS NULL)),
    ADD CONSTRAINT items_abolished_typed CHECK (abolished_on IS NULL OR document_type IS NOT NULL);
CREATE INDEX items_report_documents ON items (unit_id, document_type)
    INCLUDE (published_at, abolished_on, status)
    WHERE document_type IS NOT NULL;

-- Table 二, Art. 20(6) and (8): administrative penalties and coercive
-- measures decided, and administrative fees collected (in 10,000 yuan), which
-- the system does not hold: entered by the unit for the year, shown as
-- entered.
CREATE TABLE report_figures (
    unit_id             uuid NOT NULL REFERENCES units (id),
    year                integer NOT NULL CHECK (year BETWEEN 2000 AND 9999),
    penalty_decisions   integer CHECK (penalty_decisions BETWEEN 0 AND 100000000),
    coercion_decisions  integer CHECK (coercion_decisions BETWEEN 0 AND 100000000),
    fees_10k_yuan       numeric(14, 4) CHECK (fees_10k_yuan BETWEEN 0 AND 1000000000),
    note                text CHECK (char_length(note) <= 2000),
    updated_by          text NOT NULL,
    updated_at          timestamptz NOT NULL DEFAULT now(),
    version             integer NOT NULL DEFAULT 1,
    PRIMARY KEY (unit_id, year)
);

-- Table 六: the information-processing fees of the year, read by unit.
CREATE INDEX requests_report_fees ON requests (unit_id) INCLUDE (fee, applicant_type)
    WHERE fee IS NOT NULL;

-- Published reports: frozen snapshots, one numbered revision per
-- publication of a year's report of a unit (unit_id NULL: the city's); a
-- revision keeps what changed against the one before.
CREATE TABLE report_publications (
    id            uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    year          integer NOT NULL CHECK (year BETWEEN 2000 AND 9999),
    unit_id       uuid REFERENCES units (id),
    revision      integer NOT NULL CHECK (revision > 0),
    report        jsonb NOT NULL,
    changes       jsonb NOT NULL DEFAULT '[]',
    note          text CHECK (char_length(note) <= 2000),
    published_by  text NOT NULL,
    published_role text NOT NULL,
    published_at  timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX report_publications_revision
    ON report_publications (year, coalesce(unit_id, '00000000-0000-0000-0000-000000000000'::uuid),
                            revision);
CREATE INDEX report_publications_published ON report_publications (published_at DESC, id DESC);

CREATE FUNCTION report_publications_immutable() RETURNS trigger
LANGUAGE plpgsql
AS $$
BEGIN
    RAISE EXCEPTION 'published reports are immutable' USING ERRCODE = 'insufficient_privilege';
END
$$;
CREATE TRIGGER report_publications_no_change BEFORE UPDATE OR DELETE ON report_publications
    FOR EACH ROW EXECUTE FUNCTION report_publications_immutable();

-- Art. 49: a unit's report of the year before by 31 January. Monitoring
-- raises one finding per unit and year that is late; such a finding names
-- the year, not a request.
ALTER TABLE findings ADD COLUMN report_year integer CHECK (report_year BETWEEN 2000 AND 9999);
ALTER TABLE findings DROP CONSTRAINT findings_rule_check;
ALTER TABLE findings ADD CONSTRAINT findings_rule_check
    CHECK (rule IN ('overdue', 'acceptance_lapsed', 'pause_overrun', 'delivery_overdue',
                    'report_unpublished'));
DO $$
DECLARE c text;
BEGIN
    SELECT conname INTO c FROM pg_constraint
    WHERE conrelid = 'findings'::regclass AND contype = 'c'
      AND pg_get_constraintdef(oid) LIKE '%rule IS NULL%request_id IS NOT NULL%';
    IF c IS NOT NULL THEN
        EXECUTE format('ALTER TABLE findings DROP CONSTRAINT %I', c);
    END IF;
END
$$;
ALTER TABLE findings ADD CONSTRAINT findings_rule_subject
    CHECK (rule IS NULL OR CASE WHEN rule = 'report_unpublished'
                                THEN report_year IS NOT NULL AND request_id IS NULL
                                ELSE request_id IS NOT NULL END);
CREATE UNIQUE INDEX findings_report_once ON findings (unit_id, rule, report_year)
    WHERE report_year IS NOT NULL;

DO $$
BEGIN
    IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'opengov_app') THEN
        GRANT SELECT, INSERT, UPDATE ON report_figures TO opengov_app;
        GRANT SELECT, INSERT ON report_publications TO opengov_app;
    END IF;
END
$$;
