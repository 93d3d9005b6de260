-- 010_search_query_tokens: the tokens of a search query, in PL/pgSQL.
--
-- The SQL version of 002 cannot be inlined (it holds sub-selects), and a SQL
-- function that is not inlined is parsed and planned again on every
-- execution of the statement that calls it: about 170 us of each search
-- that goes to the index, more than the index scan itself. PL/pgSQL keeps
-- its compiled body for the session: about 20 us. Same tokens as before
-- (the order of the array differs; @> does not care), checked against the
-- old function on 5,000 substrings of catalogue titles. The index depends on
-- search_tokens() only, so nothing is rebuilt.
CREATE OR REPLACE FUNCTION search_query_tokens(q text) RETURNS text[]
LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE STRICT
AS $$
DECLARE
    tokens text[] := '{}';
    g text;
BEGIN
    -- Every pair of adjacent characters that holds no space or line break.
    FOR i IN 1 .. length(q) - 1 LOOP
        g := substr(q, i, 2);
        IF strpos(g, ' ') = 0 AND strpos(g, chr(10)) = 0 AND NOT g = ANY (tokens) THEN
            tokens := tokens || g;
        END IF;
    END LOOP;
    IF cardinality(tokens) > 0 THEN
        RETURN tokens;
    END IF;
    -- None: the non-ASCII characters alone (a one-character query).
    FOR i IN 1 .. length(q) LOOP
        g := substr(q, i, 1);
        IF ascii(g) > 127 AND NOT g = ANY (tokens) THEN
            tokens := tokens || g;
        END IF;
    END LOOP;
    RETURN tokens;
END
$$;
