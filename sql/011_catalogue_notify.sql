-- 011_catalogue_notify: a change to the catalogue (units, items) tells the
-- workers, whose caches of rendered units and published items (src/rcache.c)
-- must then read the database again. One notification per changing
-- statement, whoever runs it (the service, opengov seed, psql, another
-- host); PostgreSQL folds identical notifications of one transaction into
-- one and delivers them at commit, to the committing session too.
CREATE FUNCTION catalogue_changed() RETURNS trigger
LANGUAGE plpgsql
AS $$
BEGIN
    PERFORM pg_notify('opengov_catalogue', TG_TABLE_NAME);
    RETURN NULL;
END
$$;

CREATE TRIGGER units_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON units
    FOR EACH STATEMENT EXECUTE FUNCTION catalogue_changed();
CREATE TRIGGER items_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON items
    FOR EACH STATEMENT EXECUTE FUNCTION catalogue_changed();
