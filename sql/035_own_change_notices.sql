-- 035_own_change_notices: a session that asks for it hears of its own
-- changes to the cached tables as a notice, without LISTEN (issue 16;
-- docs/caches.md, "Who hears what").
--
-- The workers kept their caches (rendered catalogue reads, account state,
-- the change feed's head) valid by LISTENing on the channels of 011, 019
-- and 024: another host's change reached them as a notification, and their
-- own with the answer to their COMMIT, before they answered the client. But
-- PostgreSQL wakes every listening session of the database on every NOTIFY,
-- whatever the channel (async.c, SignalBackends): each creation's event woke
-- every worker's session and every worker, about 380 us of CPU a creation
-- on four workers. Now one session per host listens (the host's listener
-- process, src/server/server.c), and a worker learns of its own changes
-- from these notices: RAISE NOTICE goes to the raising session only, ahead
-- of its statement's answer, and costs nothing anywhere else.
--
-- The notice is raised for sessions that set opengov.own_changes to 'on'
-- (the workers do at connect); psql, opengov seed and the other tools do
-- not, and see nothing new. Its SQLSTATE is OG001 (class OG, which the
-- standard leaves to implementations), its message the channel's name. It
-- comes before the commit, so the worker acts on it only when its
-- transaction has ended (src/db/db.c): a cache entry read between the
-- notice and the commit would otherwise outlive the change.
CREATE OR REPLACE FUNCTION catalogue_changed() RETURNS trigger
LANGUAGE plpgsql
AS $$
BEGIN
    PERFORM pg_notify('opengov_catalogue', TG_TABLE_NAME);
    IF current_setting('opengov.own_changes', true) = 'on' THEN
        RAISE NOTICE USING MESSAGE = 'opengov_catalogue', ERRCODE = 'OG001';
    END IF;
    RETURN NULL;
END
$$;

CREATE OR REPLACE FUNCTION account_state_changed() RETURNS trigger
LANGUAGE plpgsql
AS $$
BEGIN
    PERFORM pg_notify('opengov_accounts', TG_TABLE_NAME);
    IF current_setting('opengov.own_changes', true) = 'on' THEN
        RAISE NOTICE USING MESSAGE = 'opengov_accounts', ERRCODE = 'OG001';
    END IF;
    RETURN NULL;
END
$$;

-- As in 029, with the notice after the notification.
CREATE OR REPLACE FUNCTION events_number() RETURNS trigger
LANGUAGE plpgsql
AS $$
DECLARE
    n    bigint;
    last bigint;
    top  bigint;
BEGIN
    IF NEW.id <= coalesce(nullif(current_setting('opengov.events_numbered_upto', true), ''),
                          '0')::bigint THEN
        RETURN NULL; -- numbered by an earlier firing of this transaction
    END IF;
    SELECT count(*), max(id) INTO n, top FROM events WHERE seq IS NULL;
    IF n = 0 THEN
        RETURN NULL;
    END IF;
    UPDATE events_counter SET last = events_counter.last + n WHERE id
        RETURNING events_counter.last INTO last;
    UPDATE events e SET seq = last - n + o.rn
      FROM (SELECT id, row_number() OVER (ORDER BY id) AS rn
              FROM events WHERE seq IS NULL) o
     WHERE e.id = o.id;
    PERFORM set_config('opengov.events_numbered_upto', top::text, true);
    PERFORM pg_notify('opengov_events', last::text);
    IF current_setting('opengov.own_changes', true) = 'on' THEN
        RAISE NOTICE USING MESSAGE = 'opengov_events', ERRCODE = 'OG001';
    END IF;
    RETURN NULL;
END
$$;
