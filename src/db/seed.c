/* seed.c - `opengov seed --demo`: the demo units and accounts the README
 * lists under "Two commands". Idempotent: what exists is kept, so `make run`
 * can repeat it. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <stdbool.h>
#include <libpq-fe.h>

#include "opengov/base/auth.h"
#include "opengov/db/cli.h"
#include "opengov/db/db.h"

struct demo_unit {
	const char *code;
	const char *kind;
	const char *name;
	const char *parent; /* code of the parent unit, or NULL */
};

static const struct demo_unit demo_units[] = {
	{ "GOV-OFFICE", "municipal_agency", "市人民政府办公室", NULL },
	{ "PSB", "municipal_agency", "市公安局", NULL },
	{ "AIC", "municipal_agency", "市工商行政管理局", NULL },
	{ "LRB", "municipal_agency", "市国土资源局", NULL },
	{ "FIN", "municipal_agency", "市财政局", NULL },
	{ "EDU", "municipal_agency", "市教育局", NULL },
	{ "HRSS", "municipal_agency", "市人力资源和社会保障局", NULL },
	{ "HCPC", "municipal_agency", "市卫生健康委员会", NULL },
	{ "DRC", "municipal_agency", "市发展和改革委员会", NULL },
	{ "HUD", "municipal_agency", "市住房和城乡建设局", NULL },
	{ "CA", "municipal_agency", "市民政局", NULL },
	{ "EPB", "municipal_agency", "市环境保护局", NULL },
	{ "LAO", "municipal_agency", "市法制办公室", NULL },
	{ "EGOV", "municipal_agency", "市电子政务办公室", NULL },
	{ "SUP", "municipal_agency", "市纪委监察局", NULL },
	{ "TS-SJ", "township", "三塘镇", NULL },
	{ "TS-XH", "township", "杏花乡", NULL },
	{ "TS-QS", "township", "泉溪镇", NULL },
	{ "TS-HY", "township", "洪阳乡", NULL },
	{ "TS-CS", "township", "长沙乡", NULL },
	{ "SD-DF", "sub_district", "东风街道办事处", NULL },
	{ "SD-XL", "sub_district", "西湖街道办事处", NULL },
	{ "SD-NY", "sub_district", "南岳街道办事处", NULL },
	{ "SD-ZS", "sub_district", "中山街道办事处", NULL },
};

struct demo_account {
	const char *username;
	const char *role;
	const char *unit;           /* unit code */
	const char *applicant_type; /* public only */
	const char *display_name;
};

static const struct demo_account demo_accounts[] = {
	{ "demo-public", "public", NULL, "natural_person", "张伟" },
	{ "demo-public2", "public", NULL, "company", "衡宇建材有限公司" },
	{ "demo-clerk", "clerk", "PSB", NULL, "李娜（市公安局窗口）" },
	{ "demo-approver", "approver", "PSB", NULL, "王强（市公安局分管领导）" },
	{ "demo-clerk2", "clerk", "AIC", NULL, "刘洋（市工商局窗口）" },
	{ "demo-supervisor", "supervisor", NULL, NULL, "陈静（市纪委监察局）" },
	{ "demo-admin", "admin", NULL, NULL, "赵磊（市电子政务办公室）" },
};

#define DEMO_PASSWORD "demo-password"

/* The scripts of sql/seed, compiled in (build/gen/seeds.c). */
extern const char seed_demo_catalogue_sql[];
extern const char seed_demo_calendar_sql[];
extern const char seed_demo_requests_sql[];
extern const char seed_demo_guides_sql[];
extern const char seed_demo_publications_sql[];
extern const char seed_scale_information_sql[];
extern const char seed_scale_service_sql[];
extern const char seed_scale_requests_sql[];

DB_STMT(unit_ins, "seed_unit",
	"WITH ins AS (INSERT INTO units (code, kind, name, parent_id)"
	" VALUES ($1, $2, $3, (SELECT id FROM units WHERE code = $4))"
	" ON CONFLICT (code) DO NOTHING RETURNING id)"
	" SELECT audit_append('system', 'admin', 'unit.create', 'unit', id::text, NULL,"
	" jsonb_build_object('code', $1::text, 'seed', 'demo')) FROM ins");

DB_STMT(account_ins, "seed_account",
	"WITH ins AS (INSERT INTO accounts (username, password_hash, role, unit_id,"
	" applicant_type, display_name)"
	" VALUES ($1, $2, $3, (SELECT id FROM units WHERE code = $4), $5, $6)"
	" ON CONFLICT (username) DO NOTHING RETURNING id)"
	" SELECT audit_append('system', 'admin', 'account.create', 'account', id::text,"
	" NULL, jsonb_build_object('username', $1::text, 'role', $3::text, 'seed', 'demo'))"
	" FROM ins");

int seed_demo(const struct config *cfg)
{
	struct db db = { 0 };
	char hash[PASSWORD_HASH_MAX];
	int units = 0, accounts = 0, rc = 1;

	if (db_connect(&db, cfg->admin_database_url)) {
		fprintf(stderr, "seed: cannot connect: %s", PQerrorMessage(db.conn));
		goto out;
	}
	/* One hash for all demo accounts: they share the demo password. */
	if (password_hash(DEMO_PASSWORD, hash, sizeof hash)) {
		fprintf(stderr, "seed: cannot hash the demo password\n");
		goto out;
	}
	if (db_begin(&db))
		goto out;
	for (size_t i = 0; i < sizeof demo_units / sizeof demo_units[0]; i++) {
		const struct demo_unit *u = &demo_units[i];
		const char *p[] = { u->code, u->kind, u->name, u->parent };
		PGresult *res = db_exec(&db, &unit_ins, 4, p);
		if (!res)
			goto fail;
		units += PQntuples(res);
		PQclear(res);
	}
	for (size_t i = 0; i < sizeof demo_accounts / sizeof demo_accounts[0]; i++) {
		const struct demo_account *a = &demo_accounts[i];
		const char *p[] = { a->username, hash, a->role, a->unit,
				    a->applicant_type, a->display_name };
		PGresult *res = db_exec(&db, &account_ins, 6, p);
		if (!res)
			goto fail;
		accounts += PQntuples(res);
		PQclear(res);
	}
	/* The catalogue goes in once: its rows have no natural key to merge on. */
	PGresult *res = db_exec_simple(&db, "SELECT count(*) FROM items WHERE created_by = 'seed:demo'");
	if (!res)
		goto fail;
	bool have_catalogue = strcmp(PQgetvalue(res, 0, 0), "0") != 0;
	PQclear(res);
	if (!have_catalogue) {
		res = db_exec_simple(&db, seed_demo_catalogue_sql);
		if (!res)
			goto fail;
		PQclear(res);
	}
	res = db_exec_simple(&db, seed_demo_calendar_sql);
	if (!res)
		goto fail;
	PQclear(res);
	res = db_exec_simple(&db, seed_demo_requests_sql);
	if (!res)
		goto fail;
	PQclear(res);
	res = db_exec_simple(&db, seed_demo_guides_sql);
	if (!res)
		goto fail;
	PQclear(res);
	/* The catalogue's index numbers and channels count in OPENGOV_TZ. */
	const char *tzp[] = { cfg->tz };
	res = PQexecParams(db.conn, "SELECT set_config('opengov.tz', $1, true)", 1, NULL, tzp,
			   NULL, NULL, 0);
	bool tz_set = PQresultStatus(res) == PGRES_TUPLES_OK;
	PQclear(res);
	if (!tz_set)
		goto fail;
	res = db_exec_simple(&db, seed_demo_publications_sql);
	if (!res)
		goto fail;
	PQclear(res);
	if (db_commit(&db))
		goto fail;
	/* The catalogue went in at once: its statistics now, not at
	 * autovacuum's next look, so that a search takes its path by the
	 * real frequencies of its words from the first query on (api/items.c,
	 * search_token_frequencies) rather than by an empty table's. */
	if (!have_catalogue) {
		res = db_exec_simple(&db, "ANALYZE items");
		if (!res)
			goto fail;
		PQclear(res);
	}
	printf("seed: demo data present (%d units and %d accounts added now%s)\n",
	       units, accounts, have_catalogue ? "" : ", the 2019 catalogue loaded");
	rc = 0;
	goto out;
fail:
	fprintf(stderr, "seed: failed: %s", PQerrorMessage(db.conn));
	db_rollback(&db);
out:
	db_close(&db);
	return rc;
}

/* Runs sql on each connection at once and waits for all of them: the bulk
 * load and the index builds use both cores. Returns 0 when all succeeded. */
static int run_parallel(PGconn **conns, const char *const *sqls, int n)
{
	int rc = 0;

	for (int i = 0; i < n; i++)
		if (sqls[i] && !PQsendQuery(conns[i], sqls[i])) {
			fprintf(stderr, "seed: %s", PQerrorMessage(conns[i]));
			rc = -1;
		}
	for (int i = 0; i < n; i++) {
		PGresult *res;
		if (!sqls[i])
			continue;
		while ((res = PQgetResult(conns[i]))) {
			ExecStatusType st = PQresultStatus(res);
			if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) {
				fprintf(stderr, "seed: %s", PQresultErrorMessage(res));
				rc = -1;
			}
			PQclear(res);
		}
	}
	return rc;
}

static double since(const struct timespec *t0)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)(t.tv_sec - t0->tv_sec) + (double)(t.tv_nsec - t0->tv_nsec) / 1e9;
}

static int set_setting(PGconn *c, const char *name, long long value)
{
	char v[32];
	const char *p[] = { name, v };

	snprintf(v, sizeof v, "%lld", value);
	PGresult *res = PQexecParams(c, "SELECT set_config($1, $2, false)", 2, NULL, p,
				     NULL, NULL, 0);
	int ok = PQresultStatus(res) == PGRES_TUPLES_OK;
	PQclear(res);
	return ok ? 0 : -1;
}

/* The secondary indexes of the tables named (not those behind constraints:
 * primary keys and UNIQUE stay, they check the load), as DROP statements in
 * *drop and their own definitions spread over build[0] and build[1] so that
 * the two connections take about as long. Weights from builds at a million
 * rows: the GIN search index of items takes about as long as 18 B-trees, a
 * B-tree of approvals (three rows a request) as two. */
static int collect_indexes(PGconn *c, const char *tables, struct buf *drop, struct buf build[2])
{
	const char *p[] = { tables };
	PGresult *res = PQexecParams(c,
		"SELECT x.tablename, x.indexname, x.indexdef, x.indexdef LIKE '%USING gin%' AS gin"
		" FROM pg_indexes x WHERE x.schemaname = 'public' AND x.tablename = ANY($1::text[])"
		" AND NOT EXISTS (SELECT 1 FROM pg_constraint k"
		"  WHERE k.conrelid = ('public.' || quote_ident(x.tablename))::regclass"
		"  AND k.conname = x.indexname)"
		" ORDER BY x.indexdef LIKE '%USING gin%' DESC, x.tablename = 'approvals' DESC, 1, 2",
		1, NULL, p, NULL, NULL, 0);
	int load[2] = { 0, 0 };

	if (PQresultStatus(res) != PGRES_TUPLES_OK) {
		fprintf(stderr, "seed: %s", PQerrorMessage(c));
		PQclear(res);
		return -1;
	}
	for (int i = 0; i < PQntuples(res); i++) {
		const char *name = PQgetvalue(res, i, 1);
		char *quoted = PQescapeIdentifier(c, name, strlen(name));
		int weight = PQgetvalue(res, i, 3)[0] == 't' ? 18
			     : !strcmp(PQgetvalue(res, i, 0), "approvals") ? 2 : 1;
		int k = load[1] < load[0];

		buf_printf(drop, "DROP INDEX %s;", quoted);
		PQfreemem(quoted);
		buf_printf(&build[k], "%s;", PQgetvalue(res, i, 2));
		load[k] += weight;
	}
	PQclear(res);
	return 0;
}

/* The foreign keys of the tables named, as statements dropping them in
 * *drop and adding them back, from their own definitions, in *add: checked
 * row by row (about 7 us each, eight per request with its steps) they took
 * longer than the load itself; checked once afterwards, a few seconds. */
static int collect_foreign_keys(PGconn *c, const char *tables, struct buf *drop, struct buf *add)
{
	const char *p[] = { tables };
	PGresult *res = PQexecParams(c,
		"SELECT quote_ident(t.relname), quote_ident(k.conname), pg_get_constraintdef(k.oid)"
		" FROM pg_constraint k JOIN pg_class t ON t.oid = k.conrelid"
		" WHERE k.contype = 'f' AND t.relnamespace = 'public'::regnamespace"
		" AND t.relname = ANY($1::text[]) ORDER BY 1, 2",
		1, NULL, p, NULL, NULL, 0);

	if (PQresultStatus(res) != PGRES_TUPLES_OK) {
		fprintf(stderr, "seed: %s", PQerrorMessage(c));
		PQclear(res);
		return -1;
	}
	for (int i = 0; i < PQntuples(res); i++) {
		buf_printf(drop, "ALTER TABLE %s DROP CONSTRAINT %s;", PQgetvalue(res, i, 0),
			   PQgetvalue(res, i, 1));
		buf_printf(add, "ALTER TABLE %s ADD CONSTRAINT %s %s;", PQgetvalue(res, i, 0),
			   PQgetvalue(res, i, 1), PQgetvalue(res, i, 2));
	}
	PQclear(res);
	return 0;
}

static long long count_of(PGconn *c, const char *sql)
{
	PGresult *res = PQexec(c, sql);
	long long n = -1;

	if (PQresultStatus(res) == PGRES_TUPLES_OK && PQntuples(res) == 1)
		n = strtoll(PQgetvalue(res, 0, 0), NULL, 10);
	else
		fprintf(stderr, "seed: %s", PQerrorMessage(c));
	PQclear(res);
	return n;
}

/* `opengov seed --scale N`: a benchmark database holding N information items
 * (with N/10 service items) and N requests. What is there counts: only the
 * missing information items and requests are added, so running it again adds
 * nothing. For speed the secondary indexes of the tables loaded are dropped,
 * the rows loaded by two connections in parallel (items first: the requests
 * apply for its service items), the indexes rebuilt from their own
 * definitions on both connections, and the tables analysed. The request
 * counters are then moved past the numbers loaded. Meant for benchmark
 * databases. */
int seed_scale(const struct config *cfg, long long n)
{
	PGconn *c[2] = { NULL, NULL };
	struct buf drop = { 0 }, build[2] = { { 0 }, { 0 } }, load[2] = { { 0 }, { 0 } }, fks = { 0 };
	struct timespec t0;
	int rc = 1;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (int i = 0; i < 2; i++) {
		c[i] = PQconnectdb(cfg->admin_database_url);
		if (PQstatus(c[i]) != CONNECTION_OK) {
			fprintf(stderr, "seed: cannot connect: %s", PQerrorMessage(c[i]));
			goto out;
		}
		PQclear(PQexec(c[i], "SET maintenance_work_mem = '1GB'; SET work_mem = '256MB';"
				     " SET synchronous_commit = off; SET client_min_messages = warning;"
				     " SET max_parallel_maintenance_workers = 0; SET jit = off"));
		/* Request numbers and working days are those of the service's zone. */
		if (cfg->tz && *cfg->tz) {
			const char *p[] = { cfg->tz };
			PQclear(PQexecParams(c[i], "SELECT set_config('TimeZone', $1, false)", 1, NULL, p,
					     NULL, NULL, 0));
		}
	}
	long long have_items = count_of(c[0], "SELECT count(*) FROM items"
					      " WHERE created_by = 'seed:scale' AND kind = 'information'");
	long long have_requests = count_of(c[0], "SELECT count(*) FROM requests");
	if (have_items < 0 || have_requests < 0)
		goto out;
	long long items = have_items < n ? n - have_items : 0;
	long long services = items / 10;
	long long requests = have_requests < n ? n - have_requests : 0;
	if (!items && !requests) {
		printf("seed: already %lld information items and %lld requests: nothing to add\n",
		       have_items, have_requests);
		rc = 0;
		goto out;
	}
	const char *tables = items && requests ? "{items,requests,approvals}"
			     : items ? "{items}" : "{requests,approvals}";
	if (collect_foreign_keys(c[0], tables, &drop, &fks) ||
	    collect_indexes(c[0], tables, &drop, build))
		goto out;
	long long now = (long long)time(NULL);
	for (int i = 0; i < 2; i++) {
		if (set_setting(c[i], "opengov.scale_n", n) ||
		    set_setting(c[i], "opengov.scale_lo", i ? have_items + items / 2 + 1 : have_items + 1) ||
		    set_setting(c[i], "opengov.scale_hi", i ? n : have_items + items / 2) ||
		    set_setting(c[i], "opengov.scale_services", i ? 0 : services) ||
		    set_setting(c[i], "opengov.scale_run", now) ||
		    set_setting(c[i], "opengov.req_n", requests) ||
		    set_setting(c[i], "opengov.req_lo", i ? requests / 2 + 1 : 1) ||
		    set_setting(c[i], "opengov.req_hi", i ? requests : requests / 2) ||
		    set_setting(c[i], "opengov.req_now", now))
			goto out;
		if (items)
			buf_puts(&load[i], seed_scale_information_sql);
	}
	if (services)
		buf_puts(&load[0], seed_scale_service_sql);

	const char *drop_sql[] = { drop.len ? buf_str(&drop) : NULL, NULL };
	if (run_parallel(c, drop_sql, 1))
		goto out;
	/* Items, then requests: every connection must see the same service
	 * items when it numbers the requests. */
	const char *items_sql[] = { load[0].len ? buf_str(&load[0]) : NULL,
				    load[1].len ? buf_str(&load[1]) : NULL };
	int load_rc = run_parallel(c, items_sql, 2);
	if (items)
		printf("seed: %lld items loaded at %.1f s\n", items + services, since(&t0));
	if (!load_rc && requests) {
		const char *requests_sql[] = { seed_scale_requests_sql, seed_scale_requests_sql };
		load_rc = run_parallel(c, requests_sql, 2);
		printf("seed: %lld requests and their steps loaded at %.1f s\n", requests, since(&t0));
	}
	/* The indexes and foreign keys come back even when the load failed. */
	const char *build_sql[] = { build[0].len ? buf_str(&build[0]) : NULL,
				    build[1].len ? buf_str(&build[1]) : NULL };
	int build_rc = run_parallel(c, build_sql, 2);
	const char *fk_sql[] = { fks.len ? buf_str(&fks) : NULL, NULL };
	if (run_parallel(c, fk_sql, 1)) {
		fprintf(stderr, "seed: foreign keys NOT restored; restore them with:\n%s\n", buf_str(&fks));
		goto out;
	}
	if (build_rc || load_rc)
		goto out;
	printf("seed: indexes rebuilt and foreign keys checked at %.1f s\n", since(&t0));
	const char *analyse[] = { items ? "ANALYZE items" : NULL,
				  requests ? "ANALYZE requests; ANALYZE approvals" : NULL };
	if (run_parallel(c, analyse, 2))
		goto out;
	if (requests) {
		/* New cases continue after the highest number of each kind and year. */
		const char *counters[] = {
			"INSERT INTO request_numbers AS c (kind, year, last)"
			" SELECT CASE left(number, 2) WHEN 'GK' THEN 'disclosure' ELSE 'approval' END,"
			"  substr(number, 4, 4)::int, max(substr(number, 9)::int)"
			" FROM requests WHERE number ~ '^(GK|SP)-[0-9]{4}-[0-9]{1,9}$' GROUP BY 1, 2"
			" ON CONFLICT (kind, year) DO UPDATE SET last = greatest(c.last, excluded.last)",
			NULL };
		if (run_parallel(c, counters, 1))
			goto out;
	}
	/* One audit entry for each part loaded. */
	char detail[2][128];
	snprintf(detail[0], sizeof detail[0],
		 "{\"seed\": \"scale\", \"information\": %lld, \"service\": %lld}", items, services);
	snprintf(detail[1], sizeof detail[1], "{\"seed\": \"scale\", \"requests\": %lld}", requests);
	for (int i = 0; i < 2; i++) {
		if (!(i ? requests : items))
			continue;
		const char *p[] = { i ? "request.seed" : "catalogue.seed", i ? "request" : "item",
				    detail[i] };
		PGresult *res = PQexecParams(c[0], "SELECT audit_append('system', 'admin', $1, $2,"
					     " NULL, NULL, $3::jsonb)", 3, NULL, p, NULL, NULL, 0);
		if (PQresultStatus(res) != PGRES_TUPLES_OK)
			fprintf(stderr, "seed: %s", PQerrorMessage(c[0]));
		PQclear(res);
	}
	printf("seed: %lld information and %lld service items, %lld requests added in %.1f s"
	       " (now %lld and %lld)\n", items, services, requests, since(&t0), have_items + items,
	       have_requests + requests);
	rc = 0;
out:
	buf_free(&drop);
	buf_free(&fks);
	for (int i = 0; i < 2; i++) {
		buf_free(&build[i]);
		buf_free(&load[i]);
		PQfinish(c[i]);
	}
	return rc;
}
