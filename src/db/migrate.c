/* migrate.c - `opengov migrate`: applies the compiled-in sql/NNN_*.sql in
 * order, each in its own transaction, recorded with its SHA-256. An applied
 * file that was edited afterwards stops the run: migrations are history. */
#include <stdio.h>
#include <string.h>
#include <openssl/evp.h>

#include "opengov/db/cli.h"
#include "opengov/db/db.h"
#include "opengov/base/log.h"
#include "opengov/db/migrate.h"

int migrate_latest_version(void)
{
	return migrations_count ? migrations[migrations_count - 1].version : 0;
}

static void sha256_hex(const char *text, char out[65])
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int n = 0;

	EVP_Digest(text, strlen(text), md, &n, EVP_sha256(), NULL);
	for (unsigned i = 0; i < n && i < 32; i++)
		snprintf(out + 2 * i, 3, "%02x", md[i]);
}

static int exec_ok(struct db *db, const char *sql)
{
	PGresult *res = db_exec_simple(db, sql);

	if (!res) {
		fprintf(stderr, "migrate: %s\n", PQerrorMessage(db->conn));
		return -1;
	}
	PQclear(res);
	return 0;
}

int migrate_run(const struct config *cfg)
{
	DB_STMT(get, "mig_get",
		"SELECT checksum FROM schema_migrations WHERE version = $1");
	DB_STMT(put, "mig_put",
		"INSERT INTO schema_migrations (version, name, checksum) VALUES ($1, $2, $3)");
	struct db db = { 0 };
	int rc = 1, applied = 0;

	if (!cfg->admin_database_url) {
		fprintf(stderr, "migrate: set OPENGOV_ADMIN_DATABASE_URL or OPENGOV_DATABASE_URL\n");
		return 1;
	}
	if (db_connect(&db, cfg->admin_database_url)) {
		fprintf(stderr, "migrate: cannot connect: %s", PQerrorMessage(db.conn));
		goto out;
	}
	/* One migrator at a time, whichever host it runs on. */
	/* A migration may rewrite or backfill a table of millions of rows
	 * (sql/025 indexes every request's text): the service's 15 s limit on
	 * a statement (db.c) is not the migrator's. */
	if (exec_ok(&db, "SET client_min_messages = warning") ||
	    exec_ok(&db, "SET statement_timeout = 0") ||
	    exec_ok(&db, "SET idle_in_transaction_session_timeout = 0") ||
	    exec_ok(&db, "SELECT pg_advisory_lock(hashtext('opengov.migrate'))") ||
	    exec_ok(&db, "CREATE TABLE IF NOT EXISTS schema_migrations ("
			 " version integer PRIMARY KEY, name text NOT NULL,"
			 " checksum text NOT NULL,"
			 " applied_at timestamptz NOT NULL DEFAULT now())"))
		goto out;

	for (int i = 0; i < migrations_count; i++) {
		const struct migration *m = &migrations[i];
		char ver[16], sum[65];

		snprintf(ver, sizeof ver, "%d", m->version);
		sha256_hex(m->sql, sum);
		const char *p1[] = { ver };
		PGresult *res = db_exec(&db, &get, 1, p1);
		if (!res)
			goto out;
		if (PQntuples(res) == 1) {
			int same = !strcmp(PQgetvalue(res, 0, 0), sum);
			PQclear(res);
			if (!same) {
				fprintf(stderr, "migrate: %s was edited after it was applied; "
					"add a new migration instead\n", m->name);
				goto out;
			}
			continue;
		}
		PQclear(res);
		if (db_begin(&db) || exec_ok(&db, m->sql)) {
			fprintf(stderr, "migrate: %s failed\n", m->name);
			db_rollback(&db);
			goto out;
		}
		const char *p2[] = { ver, m->name, sum };
		res = db_exec(&db, &put, 3, p2);
		if (!res || db_commit(&db)) {
			PQclear(res);
			db_rollback(&db);
			goto out;
		}
		PQclear(res);
		printf("migrate: applied %s\n", m->name);
		applied++;
	}
	printf("migrate: schema at version %d (%d applied now)\n",
	       migrate_latest_version(), applied);
	rc = 0;
out:
	db_close(&db);
	return rc;
}
