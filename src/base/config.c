/* config.c - reads the OPENGOV_* environment once; every default is here. */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "opengov/base/buf.h"
#include "opengov/base/config.h"

static const char *env_or(const char *name, const char *fallback)
{
	const char *v = getenv(name);

	return v && *v ? v : fallback;
}

static int parse_long(const char *s, long min, long max, long *out)
{
	char *end;
	long v;

	if (!s || !*s)
		return -1;
	v = strtol(s, &end, 10);
	if (*end || v < min || v > max)
		return -1;
	*out = v;
	return 0;
}

int config_load(struct config *cfg, bool want_auth, char *err, size_t errlen)
{
	long v;

	memset(cfg, 0, sizeof *cfg);
	cfg->database_url = env_or("OPENGOV_DATABASE_URL", NULL);
	cfg->admin_database_url =
		env_or("OPENGOV_ADMIN_DATABASE_URL", cfg->database_url);
	/* A streaming replica for anonymous reads that may be a little stale
	 * (src/db/replica.c); unset: every read goes to the primary. */
	cfg->database_read_url = env_or("OPENGOV_DATABASE_READ_URL", NULL);
	cfg->socket_path = env_or("OPENGOV_SOCKET", "var/run/opengov.sock");
	cfg->socket_group = env_or("OPENGOV_SOCKET_GROUP", NULL);
	cfg->pid_file = env_or("OPENGOV_PID_FILE", NULL);
	cfg->tz = env_or("OPENGOV_TZ", "Asia/Shanghai");
	cfg->user = env_or("OPENGOV_USER", "opengov");
	/* 30 s, 2 min, 10 min, 1 h, 6 h, then 6 h again (docs/events.md). */
	cfg->webhook_backoff = env_or("OPENGOV_WEBHOOK_BACKOFF", "30,120,600,3600,21600");

	long cores = sysconf(_SC_NPROCESSORS_ONLN);
	cfg->workers = (int)(cores > 0 ? 2 * cores : 2);
	if (getenv("OPENGOV_WORKERS")) {
		if (parse_long(getenv("OPENGOV_WORKERS"), 1, 256, &v)) {
			snprintf(err, errlen, "OPENGOV_WORKERS must be 1..256");
			return -1;
		}
		cfg->workers = (int)v;
	}
	/* FastCGI connections one worker holds (nginx keeps them open between
	 * requests; src/server/fcgiconn.c). Beyond it the worker stops
	 * accepting until one closes. */
	cfg->worker_connections = 64;
	if (getenv("OPENGOV_WORKER_CONNECTIONS")) {
		if (parse_long(getenv("OPENGOV_WORKER_CONNECTIONS"), 1, 1000, &v)) {
			snprintf(err, errlen, "OPENGOV_WORKER_CONNECTIONS must be 1..1000");
			return -1;
		}
		cfg->worker_connections = (int)v;
	}
	/* nginx's fastcgi_cache of public reads, which the workers empty when
	 * the catalogue changes (src/server/edgecache.c); unset: no such cache. */
	cfg->edge_cache_dir = env_or("OPENGOV_EDGE_CACHE_DIR", NULL);
	cfg->max_body = 1048576;
	if (getenv("OPENGOV_MAX_BODY")) {
		if (parse_long(getenv("OPENGOV_MAX_BODY"), 1024, 64L << 20, &v)) {
			snprintf(err, errlen,
				 "OPENGOV_MAX_BODY must be 1024..67108864");
			return -1;
		}
		cfg->max_body = v;
	}

	/* The quotas: every default is here (README, Configuration). */
	static const struct {
		const char *name;
		long def, min, max;
		size_t off;
		bool is_long;
	} limits[] = {
		{ "OPENGOV_QUOTA_WINDOW", 3600, 1, 86400, offsetof(struct config, quota_window), false },
		{ "OPENGOV_QUOTA_REGISTRATIONS_PER_ADDRESS", 20, 0, 1000000,
		  offsetof(struct config, quota_registrations_per_address), false },
		{ "OPENGOV_QUOTA_REQUESTS_PER_ACCOUNT", 30, 0, 1000000,
		  offsetof(struct config, quota_requests_per_account), false },
		{ "OPENGOV_QUOTA_REQUESTS_PER_ADDRESS", 300, 0, 1000000,
		  offsetof(struct config, quota_requests_per_address), false },
		{ "OPENGOV_QUOTA_UPLOADS_PER_ACCOUNT", 300, 0, 1000000,
		  offsetof(struct config, quota_uploads_per_account), false },
		{ "OPENGOV_QUOTA_UPLOADS_PER_ADDRESS", 3000, 0, 1000000,
		  offsetof(struct config, quota_uploads_per_address), false },
		{ "OPENGOV_MATERIAL_VERSIONS_MAX", 20, 0, 1000000,
		  offsetof(struct config, material_versions_max), false },
		{ "OPENGOV_REQUEST_STORAGE_MAX", 50L << 20, 0, 1L << 40,
		  offsetof(struct config, request_storage_max), true },
		{ "OPENGOV_WEBHOOK_MAX_ATTEMPTS", 8, 1, 100,
		  offsetof(struct config, webhook_max_attempts), false },
		{ "OPENGOV_WEBHOOK_TIMEOUT", 10, 1, 120,
		  offsetof(struct config, webhook_timeout), false },
		/* How far behind the primary the replica may be and still
		 * answer; 0: only a replica that has replayed all it received. */
		{ "OPENGOV_REPLICA_MAX_LAG_MS", 1000, 0, 3600000,
		  offsetof(struct config, replica_max_lag_ms), false },
	};
	for (size_t i = 0; i < sizeof limits / sizeof limits[0]; i++) {
		const char *s = getenv(limits[i].name);
		v = limits[i].def;
		if (s && parse_long(s, limits[i].min, limits[i].max, &v)) {
			snprintf(err, errlen, "%s must be %ld..%ld", limits[i].name, limits[i].min,
				 limits[i].max);
			return -1;
		}
		if (limits[i].is_long)
			*(long *)((char *)cfg + limits[i].off) = v;
		else
			*(int *)((char *)cfg + limits[i].off) = (int)v;
	}

	const char *origins = env_or("OPENGOV_CORS_ORIGINS", "");
	char *copy = xstrdup(origins), *save = NULL;
	for (char *tok = strtok_r(copy, ", ", &save); tok;
	     tok = strtok_r(NULL, ", ", &save)) {
		if (!strcmp(tok, "*")) {
			cfg->cors_any = true;
		} else if (cfg->cors_count < CORS_MAX) {
			cfg->cors_origins[cfg->cors_count++] = xstrdup(tok);
		}
	}
	free(copy);

	if (want_auth) {
		if (auth_config_init(&cfg->auth, getenv("OPENGOV_JWT_ALG"),
				     getenv("OPENGOV_JWT_SECRET"),
				     getenv("OPENGOV_JWT_PUBLIC_KEY_FILE"),
				     getenv("OPENGOV_JWT_PRIVATE_KEY_FILE"),
				     getenv("OPENGOV_JWT_ISSUER"),
				     getenv("OPENGOV_JWT_AUDIENCE"),
				     getenv("OPENGOV_JWT_TTL"), err, errlen))
			return -1;
		if (auth_config_lifetimes(&cfg->auth, getenv("OPENGOV_JWT_MAX_LIFETIME"),
					  getenv("OPENGOV_REFRESH_TTL"), err, errlen)) {
			auth_config_free(&cfg->auth);
			return -1;
		}
		cfg->auth_loaded = true;
	}
	return 0;
}

void config_free(struct config *cfg)
{
	for (int i = 0; i < cfg->cors_count; i++)
		free(cfg->cors_origins[i]);
	if (cfg->auth_loaded)
		auth_config_free(&cfg->auth);
	memset(cfg, 0, sizeof *cfg);
}

bool config_origin_allowed(const struct config *cfg, const char *origin)
{
	if (!origin || !*origin)
		return false;
	if (cfg->cors_any)
		return true;
	for (int i = 0; i < cfg->cors_count; i++)
		if (!strcmp(cfg->cors_origins[i], origin))
			return true;
	return false;
}
