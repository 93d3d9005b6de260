/* config.h - the OPENGOV_* environment, read once at start-up. */
#ifndef OPENGOV_CONFIG_H
#define OPENGOV_CONFIG_H

#include <stdbool.h>
#include "opengov/base/auth.h"

#define CORS_MAX 16

struct config {
	const char *database_url;       /* OPENGOV_DATABASE_URL */
	const char *admin_database_url; /* OPENGOV_ADMIN_DATABASE_URL */
	const char *database_read_url;  /* OPENGOV_DATABASE_READ_URL, may be NULL */
	int replica_max_lag_ms;         /* OPENGOV_REPLICA_MAX_LAG_MS */
	const char *socket_path;        /* OPENGOV_SOCKET */
	const char *socket_group;       /* OPENGOV_SOCKET_GROUP, may be NULL */
	const char *pid_file;           /* OPENGOV_PID_FILE, may be NULL */
	const char *tz;                 /* OPENGOV_TZ */
	const char *user;               /* OPENGOV_USER: who serve and monitor become when started as root */
	int workers;                    /* OPENGOV_WORKERS */
	int worker_connections;         /* OPENGOV_WORKER_CONNECTIONS */
	const char *edge_cache_dir;     /* OPENGOV_EDGE_CACHE_DIR, may be NULL */
	long max_body;                  /* OPENGOV_MAX_BODY */
	/* Quotas per window of quota_window seconds; 0 = none. */
	int quota_window;               /* OPENGOV_QUOTA_WINDOW */
	int quota_registrations_per_address; /* OPENGOV_QUOTA_REGISTRATIONS_PER_ADDRESS */
	int quota_requests_per_account; /* OPENGOV_QUOTA_REQUESTS_PER_ACCOUNT */
	int quota_requests_per_address; /* OPENGOV_QUOTA_REQUESTS_PER_ADDRESS */
	int quota_uploads_per_account;  /* OPENGOV_QUOTA_UPLOADS_PER_ACCOUNT */
	int quota_uploads_per_address;  /* OPENGOV_QUOTA_UPLOADS_PER_ADDRESS */
	int material_versions_max;      /* OPENGOV_MATERIAL_VERSIONS_MAX */
	long request_storage_max;       /* OPENGOV_REQUEST_STORAGE_MAX, bytes */
	/* opengov deliver (webhooks): the pause before each retry, in seconds,
	 * comma-separated (the last one repeats); attempts per round; the
	 * timeout of one POST, in seconds. */
	const char *webhook_backoff;    /* OPENGOV_WEBHOOK_BACKOFF */
	int webhook_max_attempts;       /* OPENGOV_WEBHOOK_MAX_ATTEMPTS */
	int webhook_timeout;            /* OPENGOV_WEBHOOK_TIMEOUT */
	bool cors_any;
	int cors_count;
	char *cors_origins[CORS_MAX];
	bool auth_loaded;
	struct auth_config auth;
};

/* Reads the environment. want_auth: load the JWT settings too.
 * Returns 0, or -1 with a message in err. */
int config_load(struct config *cfg, bool want_auth, char *err, size_t errlen);
void config_free(struct config *cfg);
bool config_origin_allowed(const struct config *cfg, const char *origin);

#endif
