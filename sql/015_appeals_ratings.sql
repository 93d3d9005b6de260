-- 015_appeals_ratings: accountability (issue 12). What became of a request's
-- answer outside the unit: the applicant's administrative reconsideration
-- (行政复议) and litigation (行政诉讼), which table 四 of the national annual
-- report form counts; and the applicant's rating of the service (政务服务
-- "好差评"), which the unit scoreboard averages.
--
-- A corrected appeal (纠正: the answer was wrong) and a rating of 1 or 2
-- each open one finding on the unit, in the transaction that records them.
-- Those findings are `complaint` findings with no monitoring rule: the
-- findings' rule CHECK and its (request_id, rule) unique index are left as
-- they are (one request may see two corrected appeals, and other migrations
-- redefine that CHECK); "once" is each row's own finding_id, unique, set
-- exactly when the row calls for one.

-- Appeals recorded by the clerks of the request's unit. after_reconsideration
-- says, for litigation, whether the applicant went to court after a
-- reconsideration (复议后起诉) or directly (未经复议直接起诉). result_on is the
-- day of the decision or judgment; null while pending.
CREATE TABLE appeals (
    id                     uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    request_id             uuid NOT NULL REFERENCES requests (id),
    unit_id                uuid NOT NULL REFERENCES units (id),
    kind                   text NOT NULL CHECK (kind IN ('reconsideration', 'litigation')),
    body                   text NOT NULL CHECK (char_length(body) BETWEEN 1 AND 200),
    filed_on               date NOT NULL,
    after_reconsideration  boolean,
    result                 text NOT NULL DEFAULT 'pending'
                           CHECK (result IN ('upheld', 'corrected', 'other', 'pending')),
    result_on              date,
    case_number            text CHECK (char_length(case_number) BETWEEN 1 AND 100),
    note                   text CHECK (char_length(note) <= 2000),
    finding_id             uuid UNIQUE REFERENCES findings (id),
    recorded_by            text NOT NULL,
    recorded_role          text NOT NULL,
    version                integer NOT NULL DEFAULT 1,
    created_at             timestamptz NOT NULL DEFAULT clock_timestamp(),
    updated_at             timestamptz NOT NULL DEFAULT clock_timestamp(),
    CHECK ((kind = 'litigation') = (after_reconsideration IS NOT NULL)),
    CHECK ((result = 'pending') = (result_on IS NULL)),
    CHECK (result_on IS NULL OR result_on >= filed_on),
    CHECK ((result = 'corrected') = (finding_id IS NOT NULL))
);
-- A request's appeals, newest recorded first; every list's orders.
CREATE INDEX appeals_request ON appeals (request_id, created_at DESC, id DESC);
CREATE INDEX appeals_created ON appeals (created_at DESC, id DESC);
CREATE INDEX appeals_unit ON appeals (unit_id, created_at DESC, id DESC);
-- Table 四: a unit's appeals filed in a year, index-only.
CREATE INDEX appeals_report ON appeals (unit_id, filed_on)
    INCLUDE (kind, after_reconsideration, result, result_on);

-- The decisions and judgments, stored like materials.
CREATE TABLE appeal_documents (
    id             uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    appeal_id      uuid NOT NULL REFERENCES appeals (id),
    filename       text NOT NULL CHECK (char_length(filename) BETWEEN 1 AND 255),
    file_id        uuid NOT NULL REFERENCES files (id),
    content_type   text NOT NULL,
    size           integer NOT NULL,
    sha256         text NOT NULL,
    uploaded_at    timestamptz NOT NULL DEFAULT clock_timestamp(),
    uploaded_by    text NOT NULL,
    uploaded_role  text NOT NULL
);
CREATE INDEX appeal_documents_appeal ON appeal_documents (appeal_id, uploaded_at);
CREATE TRIGGER appeal_documents_no_change BEFORE UPDATE OR DELETE ON appeal_documents
    FOR EACH ROW EXECUTE FUNCTION approvals_immutable();

-- One rating per request, by its applicant, once it is decided; never
-- changed. unit_id is the request's, so the scoreboard reads a unit's
-- ratings of a period from one index range, index-only.
CREATE TABLE ratings (
    id          uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    request_id  uuid NOT NULL UNIQUE REFERENCES requests (id),
    unit_id     uuid NOT NULL REFERENCES units (id),
    score       smallint NOT NULL CHECK (score BETWEEN 1 AND 5),
    comment     text CHECK (char_length(comment) BETWEEN 1 AND 500),
    rated_by    text NOT NULL,
    rated_at    timestamptz NOT NULL DEFAULT clock_timestamp(),
    finding_id  uuid UNIQUE REFERENCES findings (id),
    CHECK ((score <= 2) = (finding_id IS NOT NULL))
);
CREATE INDEX ratings_unit_rated ON ratings (unit_id, rated_at) INCLUDE (score);
CREATE TRIGGER ratings_no_change BEFORE UPDATE OR DELETE ON ratings
    FOR EACH ROW EXECUTE FUNCTION approvals_immutable();

-- The request shows its appeals (newest recorded first, the members a
-- client reads on the request) and its rating. They are kept beside it,
-- written by these triggers with the row they summarise, so that a page of
-- requests reads no other table (looking them up row by row cost the list
-- of requests a third of its speed); the request's version moves with
-- them, and so its ETag. A document changes neither.
ALTER TABLE requests
    ADD COLUMN appeals_summary json,
    ADD COLUMN rating_summary json;

CREATE FUNCTION requests_appeals_summarise() RETURNS trigger
LANGUAGE plpgsql
AS $$
BEGIN
    UPDATE requests q SET appeals_summary = (
            SELECT json_agg(json_build_object('id', a.id, 'kind', a.kind, 'body', a.body,
                       'filed_on', to_char(a.filed_on, 'YYYY-MM-DD'),
                       'after_reconsideration', a.after_reconsideration, 'result', a.result,
                       'result_on', to_char(a.result_on, 'YYYY-MM-DD'))
                   ORDER BY a.created_at DESC, a.id DESC)
            FROM appeals a WHERE a.request_id = NEW.request_id),
        version = q.version + 1, updated_at = now()
    WHERE q.id = NEW.request_id;
    RETURN NULL;
END
$$;
CREATE TRIGGER appeals_summarised AFTER INSERT ON appeals
    FOR EACH ROW EXECUTE FUNCTION requests_appeals_summarise();
CREATE TRIGGER appeals_summary_changed AFTER UPDATE ON appeals
    FOR EACH ROW WHEN ((OLD.kind, OLD.body, OLD.filed_on, OLD.after_reconsideration, OLD.result,
                        OLD.result_on)
                       IS DISTINCT FROM (NEW.kind, NEW.body, NEW.filed_on,
                                         NEW.after_reconsideration, NEW.result, NEW.result_on))
    EXECUTE FUNCTION requests_appeals_summarise();

CREATE FUNCTION requests_rating_summarise() RETURNS trigger
LANGUAGE plpgsql
AS $$
BEGIN
    UPDATE requests q SET rating_summary = json_build_object('score', NEW.score,
            'comment', NEW.comment, 'rated_at', rfc3339(NEW.rated_at)),
        version = q.version + 1, updated_at = now()
    WHERE q.id = NEW.request_id;
    RETURN NULL;
END
$$;
CREATE TRIGGER ratings_summarised AFTER INSERT ON ratings
    FOR EACH ROW EXECUTE FUNCTION requests_rating_summarise();

-- Table 四 of the national annual report form (国办公开办函〔2021〕30号):
-- 行政复议 and 行政诉讼, the latter split into 未经复议直接起诉 and 复议后起诉,
-- each by result 结果维持 (upheld), 结果纠正 (corrected), 其他结果 (other),
-- 尚未审结 (pending) and 总计 (total): 15 cells, always all 15 rows, in the
-- form's order (category reconsideration, litigation_direct,
-- litigation_after_reconsideration; result upheld, corrected, other,
-- pending, total).
--
-- Definitions: an appeal counts in the year it was filed (filed_on in the
-- year); its result is the one recorded with a result_on on or before 31
-- December of that year, and otherwise (still pending, or decided only
-- after the year's end) it counts as pending (尚未审结). unit: the request's
-- unit; NULL for the whole city. So a report computed again later keeps
-- its figures, whatever was decided after the year.
--
--   SELECT * FROM appeal_report_counts(2026, NULL);
CREATE FUNCTION appeal_report_counts(year integer, unit uuid DEFAULT NULL)
RETURNS TABLE (category text, result text, count bigint)
LANGUAGE sql STABLE PARALLEL SAFE
AS $$
    WITH a AS (
        SELECT CASE WHEN x.kind = 'reconsideration' THEN 'reconsideration'
                    WHEN x.after_reconsideration THEN 'litigation_after_reconsideration'
                    ELSE 'litigation_direct' END AS category,
               CASE WHEN x.result_on IS NULL
                     OR x.result_on > make_date(appeal_report_counts.year, 12, 31)
                    THEN 'pending' ELSE x.result END AS result
        FROM appeals x
        WHERE x.filed_on >= make_date(appeal_report_counts.year, 1, 1)
          AND x.filed_on <= make_date(appeal_report_counts.year, 12, 31)
          AND (appeal_report_counts.unit IS NULL OR x.unit_id = appeal_report_counts.unit)
    )
    SELECT c.category, r.result, count(a.category)
    FROM (VALUES (1, 'reconsideration'), (2, 'litigation_direct'),
                 (3, 'litigation_after_reconsideration')) AS c (o, category)
    CROSS JOIN (VALUES (1, 'upheld'), (2, 'corrected'), (3, 'other'), (4, 'pending'),
                       (5, 'total')) AS r (o, result)
    LEFT JOIN a ON a.category = c.category AND (r.result = 'total' OR a.result = r.result)
    GROUP BY c.o, c.category, r.o, r.result
    ORDER BY c.o, r.o
$$;

DO $$
BEGIN
    IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'opengov_app') THEN
        GRANT SELECT, INSERT, UPDATE ON appeals TO opengov_app;
        GRANT SELECT, INSERT ON appeal_documents, ratings TO opengov_app;
        GRANT EXECUTE ON FUNCTION appeal_report_counts(integer, uuid) TO opengov_app;
    END IF;
END
$$;
