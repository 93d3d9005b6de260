/* main.c - the one executable: serve, migrate, seed, token, monitor, deliver, edge-purge, rules,
 * routes, queries, messages, statements, version. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "opengov/domain/caserules.h"
#include "opengov/db/cli.h"
#include "opengov/db/db.h"
#include "opengov/base/config.h"
#include "opengov/base/log.h"
#include "opengov/domain/events.h"
#include "opengov/domain/monitor.h"
#include "opengov/base/privdrop.h"
#include "opengov/base/msg.h"
#include "opengov/server/router.h"
#include "opengov/server/edgecache.h"
#include "opengov/server/server.h"
#include "opengov/domain/workcal.h"

#define OPENGOV_VERSION "0.1.0"

static int usage(void)
{
	fprintf(stderr,
		"usage: opengov serve\n"
		"       opengov migrate\n"
		"       opengov seed --demo | --scale N\n"
		"       opengov token --role ROLE [--unit UUID] [--sub SUB]"
		" [--applicant-type T] [--ttl SECONDS]\n"
		"       opengov monitor [--every SECONDS]\n"
		"       opengov deliver [--once]\n"
		"       opengov edge-purge\n"
		"       opengov rules\n"
		"       opengov routes\n"
		"       opengov queries\n"
		"       opengov messages\n"
		"       opengov statements\n"
		"       opengov version\n"
		"Configuration comes from OPENGOV_* variables (see README.md).\n");
	return 2;
}

static int cmd_token(struct config *cfg, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "role", required_argument, NULL, 'r' },
		{ "unit", required_argument, NULL, 'u' },
		{ "sub", required_argument, NULL, 's' },
		{ "ttl", required_argument, NULL, 't' },
		{ "applicant-type", required_argument, NULL, 'a' },
		{ NULL, 0, NULL, 0 },
	};
	struct claims c = { .role = ROLE__MAX };
	long ttl = cfg->auth.ttl;
	int opt;

	snprintf(c.sub, sizeof c.sub, "cli");
	while ((opt = getopt_long(argc, argv, "r:u:s:t:a:", opts, NULL)) != -1) {
		switch (opt) {
		case 'r': {
			int role = auth_role_parse(optarg);
			if (role < 0) {
				fprintf(stderr, "token: unknown role %s\n", optarg);
				return 2;
			}
			c.role = (enum auth_role)role;
			break;
		}
		case 'u':
			if (!uuid_valid(optarg)) {
				fprintf(stderr, "token: --unit must be a unit UUID\n");
				return 2;
			}
			snprintf(c.unit, sizeof c.unit, "%s", optarg);
			break;
		case 's':
			snprintf(c.sub, sizeof c.sub, "%s", optarg);
			break;
		case 'a':
			snprintf(c.applicant_type, sizeof c.applicant_type, "%s", optarg);
			break;
		case 't':
			ttl = strtol(optarg, NULL, 10);
			if (ttl < 1 || ttl > cfg->auth.max_lifetime) {
				fprintf(stderr, "token: --ttl must be 1..%ld seconds"
					" (OPENGOV_JWT_MAX_LIFETIME)\n", cfg->auth.max_lifetime);
				return 2;
			}
			break;
		default:
			return usage();
		}
	}
	if (c.role == ROLE__MAX)
		return usage();
	if ((c.role == ROLE_CLERK || c.role == ROLE_APPROVER) && !c.unit[0]) {
		fprintf(stderr, "token: clerk and approver tokens need --unit\n");
		return 2;
	}
	if (c.role == ROLE_PUBLIC && !c.applicant_type[0])
		snprintf(c.applicant_type, sizeof c.applicant_type, "natural_person");
	char *tok = auth_issue(&cfg->auth, &c, ttl, time(NULL));
	if (!tok) {
		fprintf(stderr, "token: this configuration cannot sign tokens\n");
		return 1;
	}
	printf("%s\n", tok);
	free(tok);
	return 0;
}

int main(int argc, char **argv)
{
	struct config cfg;
	char err[256];
	int rc;

	if (argc < 2)
		return usage();
	const char *cmd = argv[1];
	if (!strcmp(cmd, "version")) {
		printf("opengov %s\n", OPENGOV_VERSION);
		return 0;
	}
	if (!strcmp(cmd, "rules")) {
		/* The case engine's rules table, as JSON (tests compare it with
		 * openapi.yaml and the database's constraints). */
		struct buf b = { 0 };
		case_rules_json(&b);
		printf("%s\n", buf_str(&b));
		buf_free(&b);
		return 0;
	}
	if (!strcmp(cmd, "messages")) {
		/* The message catalogue (src/base/messages.def) as TSV: code,
		 * English, Chinese, kind; a client's own texts start here. */
		msg_print(stdout);
		return 0;
	}
	if (!strcmp(cmd, "routes")) {
		/* The route table (api/routes.def), which tests hold openapi.yaml
		 * against. */
		router_print(stdout, routes, routes_count);
		return 0;
	}
	if (!strcmp(cmd, "queries")) {
		/* The query parameters of each operation (api/queries.def), which
		 * tests hold openapi.yaml against. */
		router_print_queries(stdout, routes, routes_count);
		return 0;
	}
	/* The prepared statements (src/db/dbstmt.c): listed, and checked before
	 * anything that runs them starts. */
	if (!strcmp(cmd, "statements"))
		return db_stmts_print(stdout, stderr) ? 1 : 0;
	if ((!strcmp(cmd, "serve") || !strcmp(cmd, "monitor") || !strcmp(cmd, "deliver") ||
	     !strcmp(cmd, "edge-purge")) &&
	    db_stmts_check_registered(NULL)) {
		log_error("refusing to start: the prepared statements have problems"
			  " (listed above; `opengov statements` shows them)");
		return 1;
	}
	bool want_auth = !strcmp(cmd, "serve") || !strcmp(cmd, "token");
	if (config_load(&cfg, want_auth, err, sizeof err)) {
		fprintf(stderr, "opengov: %s\n", err);
		return 1;
	}
	/* Working-day dates are those of the configured zone. */
	workcal_set_zone(cfg.tz);
	/* The commands that talk to the database need its URL (libpq would
	 * take a missing one for a crash, not for an error). */
	bool wants_db = !strcmp(cmd, "serve") || !strcmp(cmd, "migrate") || !strcmp(cmd, "seed") ||
			!strcmp(cmd, "monitor") || !strcmp(cmd, "deliver") ||
			!strcmp(cmd, "edge-purge");
	if (wants_db && (!cfg.database_url || !cfg.admin_database_url)) {
		fprintf(stderr, "opengov: set OPENGOV_DATABASE_URL (and OPENGOV_ADMIN_DATABASE_URL"
			" for migrate and seed, when it differs)\n");
		config_free(&cfg);
		return 1;
	}
	if (!strcmp(cmd, "serve")) {
		rc = server_run(&cfg);
	} else if (!strcmp(cmd, "migrate")) {
		rc = migrate_run(&cfg);
	} else if (!strcmp(cmd, "seed")) {
		char *end = NULL;
		long long n = argc == 4 ? strtoll(argv[3], &end, 10) : 0;
		if (argc == 3 && !strcmp(argv[2], "--demo"))
			rc = seed_demo(&cfg);
		else if (argc == 4 && !strcmp(argv[2], "--scale") && end && !*end && n > 0 &&
			 n <= 100000000)
			rc = seed_scale(&cfg, n);
		else
			rc = usage();
	} else if (!strcmp(cmd, "monitor")) {
		char *end = NULL;
		if (privdrop(cfg.user, err, sizeof err)) {
			fprintf(stderr, "opengov: %s\n", err);
			config_free(&cfg);
			return 1;
		}
		long every = argc == 4 && !strcmp(argv[2], "--every") ? strtol(argv[3], &end, 10) : 0;
		if (argc == 2)
			rc = monitor_main(&cfg, 0);
		else if (end && !*end && every >= 1 && every <= 86400)
			rc = monitor_main(&cfg, (int)every);
		else
			rc = usage();
	} else if (!strcmp(cmd, "deliver")) {
		/* The webhooks' sender (src/domain/deliver.c). */
		if (privdrop(cfg.user, err, sizeof err)) {
			fprintf(stderr, "opengov: %s\n", err);
			config_free(&cfg);
			return 1;
		}
		if (argc == 2)
			rc = deliver_main(&cfg, false);
		else if (argc == 3 && !strcmp(argv[2], "--once"))
			rc = deliver_main(&cfg, true);
		else
			rc = usage();
	} else if (!strcmp(cmd, "edge-purge")) {
		/* nginx's cache of public reads, emptied on every catalogue
		 * change, on an nginx host without workers (src/server/edgecache.c). */
		if (privdrop(cfg.user, err, sizeof err)) {
			fprintf(stderr, "opengov: %s\n", err);
			config_free(&cfg);
			return 1;
		}
		rc = argc == 2 ? edgecache_agent(&cfg) : usage();
	} else if (!strcmp(cmd, "token")) {
		rc = cmd_token(&cfg, argc - 1, argv + 1);
	} else {
		rc = usage();
	}
	config_free(&cfg);
	return rc;
}
