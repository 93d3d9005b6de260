/* listener.c - the host's one listening session (listener.h).
 *
 * Why one: a NOTIFY signals every listening backend of the database
 * (PostgreSQL's async.c, SignalBackends), which then reads the queue and
 * sends the notification on, and its client wakes to read it. With every
 * worker listening, each creation's event woke four sessions and four
 * workers besides the deliverer's: about 380 us of CPU a creation, and
 * as much for every other change to a cached table (docs/performance.md,
 * "fourth stop": the creations' rate is held by NOTIFY's commit lock
 * rather than by these wake-ups, and did not move).
 *
 * The listener is a child of the master like the workers, replaced when it
 * dies. It connects, LISTENs, moves every generation (what changed while it
 * was away is unknown), and only then says it is hearing; on each
 * notification it moves the generation of the cache concerned, and empties
 * nginx's cache on a catalogue change (edgecache.c). When its connection
 * goes, it says so at once, before reconnecting; when it dies, the master
 * says so (listener_deaf). A worker serves from the generation-checked
 * caches only while it is hearing.
 *
 * A worker's own changes do not wait for the listener: its session is told
 * by the notices of sql/035 and it moves the generations itself once its
 * transaction has ended, before it answers (db.c). So a client reads its
 * writes on any worker of the host, and a change made elsewhere (another
 * host, the monitor, psql) is heard as soon as the listener is scheduled
 * after its notification. */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <string.h>
#include <sys/prctl.h>
#include <unistd.h>

#include "opengov/base/accountcache.h"
#include "opengov/base/config.h"
#include "opengov/base/eventhead.h"
#include "opengov/base/log.h"
#include "opengov/base/rcache.h"
#include "opengov/base/sharedmem.h"
#include "opengov/db/db.h"
#include "opengov/server/edgecache.h"
#include "opengov/server/listener.h"

/* A catalogue change: the workers' cached answers and nginx's go. */
static void on_catalogue_change(void)
{
	rcache_invalidate();
	edgecache_purge();
}

const struct db_listener listener_channels[] = {
	{ RCACHE_CHANNEL, on_catalogue_change },
	{ ACCOUNTCACHE_CHANNEL, accountcache_invalidate },
	{ EVENTHEAD_CHANNEL, eventhead_invalidate },
};
const size_t listener_channels_count = sizeof listener_channels / sizeof listener_channels[0];

struct shared {
	int hearing;
};

static struct shared *shm;

int listener_init(void)
{
	shm = shared_area(sizeof *shm);
	if (!shm)
		return -1;
	__atomic_store_n(&shm->hearing, 0, __ATOMIC_RELEASE);
	return 0;
}

bool listener_hearing(void)
{
	return shm && __atomic_load_n(&shm->hearing, __ATOMIC_ACQUIRE);
}

static void set_hearing(int on)
{
	if (shm)
		__atomic_store_n(&shm->hearing, on, __ATOMIC_RELEASE);
}

void listener_deaf(void)
{
	set_hearing(0);
}

static volatile sig_atomic_t stopping;

static void on_term(int sig)
{
	(void)sig;
	stopping = 1;
}

static void listener_main(const struct config *cfg, pid_t master)
{
	struct db db = {
		.listeners = listener_channels, .nlisteners = listener_channels_count,
		.app_name = "opengov-listener", .tz = cfg->tz,
	};
	struct sigaction sa = { .sa_handler = on_term };
	bool warned = false;

	sigaction(SIGTERM, &sa, NULL);
	prctl(PR_SET_NAME, LISTENER_COMM); /* ps, top and the tests tell it from the workers */
	prctl(PR_SET_PDEATHSIG, SIGTERM);
	if (getppid() != master)
		_exit(0);
	edgecache_init(cfg->edge_cache_dir);
	while (!stopping) {
		int fd = db_socket(&db);
		if (fd < 0) {
			set_hearing(0);
			/* Connected and listening, every on_notify has run: what
			 * changed while nobody listened is forgotten. */
			if (!db_connect(&db, cfg->database_url)) {
				set_hearing(1);
				log_info("listener: listening for the workers' caches");
				warned = false;
			} else {
				if (!warned)
					log_warn("listener: no database connection; the workers' caches are off until it is back");
				warned = true;
				poll(NULL, 0, 1000); /* SIGTERM ends the wait */
			}
			edgecache_tick();
			continue;
		}
		struct pollfd p = { .fd = fd, .events = POLLIN };
		if (poll(&p, 1, 1000) > 0 && db_poll_notifies(&db)) {
			set_hearing(0);
			log_warn("listener: database connection lost; reconnecting");
		}
		edgecache_tick();
	}
	db_close(&db);
	_exit(0);
}

pid_t listener_spawn(const struct config *cfg)
{
	pid_t master = getpid();
	pid_t pid = fork();

	if (pid == 0)
		listener_main(cfg, master);
	if (pid < 0)
		log_error("fork failed: %s", strerror(errno));
	return pid;
}
