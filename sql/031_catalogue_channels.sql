-- 031_catalogue_channels: the disclosure catalogue (政府信息公开目录), the
-- channels information is published through, and timeliness.
--
-- Catalogue. OGI Regulations (2019) Art. 12: the catalogue gives each
-- piece's index, name, content summary and date. It is derived from the
-- published information items, never typed twice: an item gets its index
-- number (索引号) when it is published, in the form catalogue pages use
-- (the body's code, the year, a sequence: e.g. 01527918X-2020-153077 on
-- nujiang.gov.cn): units.code, the year of publication in OPENGOV_TZ and a
-- sequence per unit and year, PSB-2019-00042. The sequence is gapless like
-- case numbers: a counter row per unit and year, locked from the number's
-- taking to the commit (a publication rolled back gives its number back).
--
-- Timeliness. Art. 26: information to be published proactively is
-- published within 20 working days of being made or changed (zfyq.org/
-- show-260254.html quotes the article). An item records the day its
-- document was made (made_on); at publication publish_due is made_on plus
-- 20 working days of the calendar (calendar_days, the overrides the
-- service's calendar holds, over the weekday rule) and published_late says
-- whether it came out after that day. The scoreboard counts them; the
-- monitor opens a finding for each (rule publication_late).
--
-- Channels. Where and when a piece was published: the portal (this
-- system's publication, recorded at once), direct reporting to the
-- higher-level portal, an issue of the government bulletin (with its print
-- run), touch screens, the press, other. The annual report counts them.

ALTER TABLE items
    ADD COLUMN index_number text,
    ADD COLUMN index_year integer,
    ADD COLUMN index_seq integer,
    ADD COLUMN made_on date,
    ADD COLUMN publish_due date,
    ADD COLUMN published_late boolean,
    ADD CONSTRAINT items_index_information CHECK (index_seq IS NULL OR kind = 'information'),
    ADD CONSTRAINT items_made_on_information CHECK (made_on IS NULL OR kind = 'information'),
    ADD CONSTRAINT items_index_whole CHECK ((index_number IS NULL) = (index_seq IS NULL)
                                            AND (index_seq IS NULL) = (index_year IS NULL));

CREATE UNIQUE INDEX items_index_once ON items (unit_id, index_year, index_seq)
    WHERE index_seq IS NOT NULL;
-- The catalogue of a unit, newest index first (api/catalogue.c).
CREATE INDEX items_catalogue ON items (unit_id, index_year DESC, index_seq DESC)
    WHERE index_seq IS NOT NULL AND status = 'published';
-- The scoreboard's late publications of a unit in a range.
CREATE INDEX items_published_late ON items (unit_id, published_at) WHERE published_late;

CREATE TABLE catalogue_counters (
    unit_id uuid NOT NULL REFERENCES units (id),
    year integer NOT NULL CHECK (year BETWEEN 1900 AND 9999),
    last integer NOT NULL CHECK (last >= 1),
    PRIMARY KEY (unit_id, year)
);

-- The index number of sequence n (five digits, more when needed).
CREATE FUNCTION catalogue_index_number(code text, year integer, n integer) RETURNS text
LANGUAGE sql IMMUTABLE AS $$
    SELECT code || '-' || year || '-' ||
           CASE WHEN n < 100000 THEN lpad(n::text, 5, '0') ELSE n::text END
$$;

-- The nth working day after d (d itself is day 0): calendar_days overrides
-- the weekday rule, as src/domain/calendar does. n is small (Art. 26's 20).
CREATE FUNCTION working_day_after(d date, n integer) RETURNS date
LANGUAGE sql STABLE AS $$
    SELECT w.day FROM (
        SELECT g.day::date AS day, row_number() OVER (ORDER BY g.day) AS k
        FROM generate_series(d + 1, d + 3 * n + 40, interval '1 day') AS g(day)
        LEFT JOIN calendar_days c ON c.day = g.day::date
        WHERE coalesce(c.working, extract(isodow FROM g.day) < 6)) AS w
    WHERE w.k = n
$$;

-- What publication does to an information item, in the publishing
-- transaction (api/items.c, after the status moved): its index number, its
-- timeliness, and the portal as its first channel. tz: OPENGOV_TZ.
CREATE FUNCTION catalogue_publish(p_item uuid, tz text) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
    it items;
    y integer;
    n integer;
    due date;
BEGIN
    SELECT * INTO it FROM items WHERE id = p_item;
    IF it.kind IS DISTINCT FROM 'information' OR it.published_at IS NULL THEN
        RETURN;
    END IF;
    IF it.index_seq IS NULL THEN
        y := extract(year FROM it.published_at AT TIME ZONE tz);
        INSERT INTO catalogue_counters AS c (unit_id, year, last) VALUES (it.unit_id, y, 1)
            ON CONFLICT (unit_id, year) DO UPDATE SET last = c.last + 1
            RETURNING last INTO n;
        UPDATE items SET index_year = y, index_seq = n,
               index_number = catalogue_index_number((SELECT code FROM units WHERE id = it.unit_id), y, n)
         WHERE id = p_item;
    END IF;
    IF it.made_on IS NOT NULL THEN
        due := working_day_after(it.made_on, 20);
        UPDATE items SET publish_due = due,
               published_late = (it.published_at AT TIME ZONE tz)::date > due
         WHERE id = p_item;
    END IF;
    INSERT INTO item_publications (item_id, unit_id, channel, published_on, recorded_by)
    VALUES (p_item, it.unit_id, 'portal', (it.published_at AT TIME ZONE tz)::date, 'system')
    ON CONFLICT DO NOTHING;
END
$$;

CREATE TABLE item_publications (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    item_id uuid NOT NULL REFERENCES items (id),
    unit_id uuid NOT NULL REFERENCES units (id),
    channel text NOT NULL CHECK (channel IN ('portal', 'direct_report', 'bulletin',
                                             'touch_screen', 'press', 'other')),
    published_on date NOT NULL,
    -- a bulletin's issue (2019年第3期) and its print run; a press outlet's name
    issue text CHECK (char_length(issue) BETWEEN 1 AND 100),
    copies integer CHECK (copies BETWEEN 1 AND 10000000),
    note text CHECK (char_length(note) BETWEEN 1 AND 500),
    recorded_by text NOT NULL,
    recorded_at timestamptz NOT NULL DEFAULT now(),
    CHECK (CASE channel WHEN 'bulletin' THEN issue IS NOT NULL AND copies IS NOT NULL
                        WHEN 'press' THEN copies IS NULL
                        ELSE issue IS NULL AND copies IS NULL END)
);
-- A piece is published once per channel (and bulletin issue or outlet).
CREATE UNIQUE INDEX item_publications_once ON item_publications (item_id, channel, coalesce(issue, ''));
-- The annual report's count by channel (reports.c).
CREATE INDEX item_publications_report ON item_publications (unit_id, published_on)
    INCLUDE (channel, issue, copies);

-- Every information item published before this migration: its number, in
-- order of publication per unit and year, and its portal publication.
-- creator: only the items of that created_by (the demo seed numbers its
-- own); except_creator: not those (this migration leaves the generated
-- items of `opengov seed --scale` alone: a benchmark database's million
-- rows are no catalogue, and rewriting them all would bloat the table the
-- benchmark reads); null: all.
CREATE FUNCTION catalogue_number_missing(tz text, creator text DEFAULT NULL,
                                         except_creator text DEFAULT NULL) RETURNS bigint
LANGUAGE sql AS $$
    LOCK TABLE catalogue_counters IN EXCLUSIVE MODE;
    WITH todo AS (
        SELECT i.id, i.unit_id, i.published_at,
               extract(year FROM i.published_at AT TIME ZONE tz)::int AS y
        FROM items i
        WHERE i.kind = 'information' AND i.published_at IS NOT NULL AND i.index_seq IS NULL
          AND (creator IS NULL OR i.created_by = creator)
          AND (except_creator IS NULL OR i.created_by <> except_creator)),
    numbered AS (
        SELECT t.id, t.unit_id, t.y, coalesce(c.last, 0)
               + row_number() OVER (PARTITION BY t.unit_id, t.y ORDER BY t.published_at, t.id)::int AS n
        FROM todo t LEFT JOIN catalogue_counters c ON c.unit_id = t.unit_id AND c.year = t.y),
    upd AS (
        UPDATE items i SET index_year = b.y, index_seq = b.n,
               index_number = catalogue_index_number(u.code, b.y, b.n)
        FROM numbered b JOIN units u ON u.id = b.unit_id
        WHERE i.id = b.id
        RETURNING b.unit_id, b.y, b.n),
    counters AS (
        INSERT INTO catalogue_counters AS c (unit_id, year, last)
        SELECT unit_id, y, max(n) FROM upd GROUP BY unit_id, y
        ON CONFLICT (unit_id, year) DO UPDATE SET last = greatest(c.last, excluded.last)
        RETURNING 1)
    SELECT count(*) FROM upd WHERE (SELECT count(*) FROM counters) >= 0;
$$;

-- The monitor's rule for a late publication: one finding per item.
ALTER TABLE findings DROP CONSTRAINT findings_rule_check;
ALTER TABLE findings ADD CONSTRAINT findings_rule_check CHECK (rule IN ('overdue',
    'acceptance_lapsed', 'pause_overrun', 'delivery_overdue', 'report_unpublished',
    'publication_late'));
ALTER TABLE findings DROP CONSTRAINT findings_rule_subject;
ALTER TABLE findings ADD CONSTRAINT findings_rule_subject CHECK (rule IS NULL OR CASE
    WHEN rule = 'report_unpublished' THEN report_year IS NOT NULL AND request_id IS NULL
    WHEN rule = 'publication_late' THEN item_id IS NOT NULL AND request_id IS NULL
    ELSE request_id IS NOT NULL END);
CREATE UNIQUE INDEX findings_item_rule_once ON findings (item_id, rule)
    WHERE rule = 'publication_late';

-- In OPENGOV_TZ's default zone (the service's own numbering uses the
-- configured one).
SELECT catalogue_number_missing('Asia/Shanghai', NULL, 'seed:scale');
INSERT INTO item_publications (item_id, unit_id, channel, published_on, recorded_by)
SELECT id, unit_id, 'portal', (published_at AT TIME ZONE 'Asia/Shanghai')::date, 'system'
FROM items WHERE kind = 'information' AND published_at IS NOT NULL
  AND created_by <> 'seed:scale'
ON CONFLICT DO NOTHING;

DO $$
BEGIN
    IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'opengov_app') THEN
        GRANT SELECT, INSERT, UPDATE ON catalogue_counters, item_publications TO opengov_app;
    END IF;
END
$$;

-- Direct reporting (直报) to the higher-level portal: a webhook may be held
-- to one unit's events (unit_id; null: the whole city's), and one marked
-- direct_report records, for every item.published event it delivers, the
-- item's publication through direct reporting (src/domain/deliver.c).
ALTER TABLE webhooks
    ADD COLUMN unit_id uuid REFERENCES units (id),
    ADD COLUMN direct_report boolean NOT NULL DEFAULT false;
