/* edgecache.c - emptying nginx's cache of public reads when the catalogue
 * changes.
 *
 * nginx answers anonymous reads of units and items itself, from its
 * fastcgi_cache (nginx/opengov-dev.conf.in): a popular item then costs no
 * worker at all. Those answers say "public, max-age=60", but a withdrawn item
 * must disappear at once, not a minute later. The workers already learn of
 * every catalogue change (the NOTIFY of sql/011, rcache.c); on each one they
 * delete nginx's cache files too. nginx keeps one file per answer in
 * OPENGOV_EDGE_CACHE_DIR (no `levels`), named by the MD5 of its key; a key
 * whose file is gone is a miss, and the next reader fetches the answer
 * again. Only names of 32 hex digits are removed: nginx's temporary files
 * (numbered) being written in the same directory are left alone.
 *
 * An answer a worker was rendering from the old rows while the change
 * committed could be stored just after the purge; a second purge a few
 * seconds later removes such an answer too (edgecache_tick). */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "opengov/base/log.h"
#include "opengov/base/rcache.h"
#include "opengov/db/db.h"
#include "opengov/server/edgecache.h"

#define EDGECACHE_AGAIN_SECONDS 3

static const char *cache_dir;
static time_t again_at; /* 0: no second purge pending */

void edgecache_init(const char *dir)
{
	cache_dir = dir && *dir ? dir : NULL;
}

static time_t now_seconds(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
	return ts.tv_sec;
}

static bool cache_file_name(const char *name)
{
	size_t n = 0;

	for (; name[n]; n++)
		if (!strchr("0123456789abcdef", name[n]))
			return false;
	return n == 32;
}

static void purge_now(void)
{
	DIR *d = opendir(cache_dir);

	if (!d) {
		if (errno != ENOENT)
			log_warn("cannot open the edge cache %s: %s", cache_dir, strerror(errno));
		return;
	}
	int fd = dirfd(d);
	struct dirent *e;
	while ((e = readdir(d)))
		if (cache_file_name(e->d_name) && unlinkat(fd, e->d_name, 0) && errno != ENOENT)
			log_warn("cannot remove %s/%s: %s", cache_dir, e->d_name, strerror(errno));
	closedir(d);
}

void edgecache_purge(void)
{
	if (!cache_dir)
		return;
	purge_now();
	again_at = now_seconds() + EDGECACHE_AGAIN_SECONDS;
}

void edgecache_tick(void)
{
	if (!again_at || now_seconds() < again_at)
		return;
	again_at = 0;
	purge_now();
}

/* ---------------------------------------------------------------- the agent
 *
 * When nginx runs on a host of its own, in front of worker hosts that reach
 * it over TCP, the workers cannot delete its files: `opengov edge-purge`
 * runs on the nginx host instead, listens for the same notification and
 * purges. It purges at start and whenever its connection is made again
 * (changes may have been missed meanwhile). */

static volatile sig_atomic_t agent_stopping;

static void agent_on_term(int sig)
{
	(void)sig;
	agent_stopping = 1;
}

int edgecache_agent(const struct config *cfg)
{
	static const struct db_listener listeners[] = {
		{ RCACHE_CHANNEL, edgecache_purge },
	};
	struct db db = { .listeners = listeners, .nlisteners = 1 };
	struct sigaction sa = { .sa_handler = agent_on_term };

	if (!cfg->edge_cache_dir || !*cfg->edge_cache_dir) {
		log_error("edge-purge: set OPENGOV_EDGE_CACHE_DIR (nginx's fastcgi_cache_path)");
		return 1;
	}
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	edgecache_init(cfg->edge_cache_dir);
	edgecache_purge();
	db.tz = cfg->tz;
	if (db_connect(&db, cfg->database_url))
		log_warn("edge-purge: no database connection yet; retrying every second");
	log_info("edge-purge: emptying %s on every catalogue change", cfg->edge_cache_dir);
	while (!agent_stopping) {
		int fd = db_socket(&db);
		if (fd < 0) {
			sleep(1);
			if (db_ensure(&db)) /* on_notify ran: purged */
				log_info("edge-purge: connected");
			edgecache_tick();
			continue;
		}
		struct pollfd p = { .fd = fd, .events = POLLIN };
		if (poll(&p, 1, 1000) > 0)
			(void)db_poll_notifies(&db);
		edgecache_tick();
	}
	db_close(&db);
	log_info("edge-purge: stopped");
	return 0;
}
