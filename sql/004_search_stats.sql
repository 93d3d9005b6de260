-- 004_search_stats: how common each search token is, from the statistics
-- ANALYZE keeps for the search index (pg_stats shows them only to the
-- table's owner, hence SECURITY DEFINER). The service uses them to choose
-- between reading the newest items in order and asking the search index.
CREATE FUNCTION search_token_frequencies() RETURNS TABLE (token text, frequency real)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_catalog
AS $$
    SELECT u.token, u.frequency
    FROM pg_stats AS s,
         unnest(s.most_common_elems::text::text[],
                s.most_common_elem_freqs[1:cardinality(s.most_common_elems::text::text[])])
             AS u(token, frequency)
    WHERE s.schemaname = 'public' AND s.tablename = 'items_search'
$$;
