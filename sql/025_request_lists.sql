-- 025_request_lists: what the lists of requests are searched and sorted by,
-- and what updated_since reads (api/requests.c, api/items.c).
--
-- Text search (?q=) over a request's description, purpose and applicant's
-- name, with the bigram index of the catalogue (002: search_tokens and
-- search_query_tokens; a match is then checked as an exact substring).
CREATE FUNCTION request_search_text(description text, purpose text, applicant jsonb)
RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $$
    SELECT lower(translate(concat_ws(chr(10), description, purpose, applicant ->> 'name'),
                           chr(1), ' '))
$$;

CREATE INDEX requests_search ON requests
    USING gin ((search_tokens(request_search_text(description, purpose, applicant)) COLLATE "C"));

-- A case number's prefix (?number_prefix=GK-2019-) is a range of numbers in
-- byte order, whatever the database's collation.
CREATE INDEX requests_number_c ON requests ((number COLLATE "C"));

-- ?sort=due (and light): the day the light turns red, soonest first; a
-- request without a running clock (never started, or decided in time:
-- 'infinity') last. Each scope of the list (everything, a unit, an
-- applicant's own) has its ordered index, as requests_received, _unit and
-- _applicant serve ?sort=received in both directions.
CREATE INDEX requests_due ON requests ((coalesce(red_on, 'infinity'::date)), id);
CREATE INDEX requests_unit_due ON requests (unit_id, (coalesce(red_on, 'infinity'::date)), id);
CREATE INDEX requests_applicant_due ON requests (applicant_sub, (coalesce(red_on, 'infinity'::date)), id)
    WHERE applicant_sub IS NOT NULL;
-- A worklist: the open cases of one status, most urgent first (without it
-- the order's index is walked past every decided case).
CREATE INDEX requests_status_due ON requests (status, (coalesce(red_on, 'infinity'::date)), id);

-- ?updated_since= on the two large lists: what changed since a client last
-- synchronised is a short range of the newest updated_at.
CREATE INDEX requests_updated ON requests (updated_at);
CREATE INDEX items_updated ON items (updated_at);
