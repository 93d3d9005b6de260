/* seed.c - `opengov seed --demo`: the units and accounts of DESIGN.md
 * section 5. Idempotent: what exists is kept, so `make run` can repeat it. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <stdbool.h>
#include <libpq-fe.h>

#include "opengov/auth.h"
#include "opengov/cli.h"
#include "opengov/db.h"

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
extern const char seed_scale_information_sql[];
extern const char seed_scale_service_sql[];

static struct db_stmt unit_ins = { "seed_unit",
	"WITH ins AS (INSERT INTO units (code, kind, name, parent_id)"
	" VALUES ($1, $2, $3, (SELECT id FROM units WHERE code = $4))"
	" ON CONFLICT (code) DO NOTHING RETURNING id)"
	" SELECT audit_append('system', 'admin', 'unit.create', 'unit', id::text, NULL,"
	" jsonb_build_object('code', $1::text, 'seed', 'demo')) FROM ins", 0 };

static struct db_stmt account_ins = { "seed_account",
	"WITH ins AS (INSERT INTO accounts (username, password_hash, role, unit_id,"
	" applicant_type, display_name)"
	" VALUES ($1, $2, $3, (SELECT id FROM units WHERE code = $4), $5, $6)"
	" ON CONFLICT (username) DO NOTHING RETURNING id)"
	" SELECT audit_append('system', 'admin', 'account.create', 'account', id::text,"
	" NULL, jsonb_build_object('username', $1::text, 'role', $3::text, 'seed', 'demo'))"
	" FROM ins", 0 };

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
	if (db_commit(&db))
		goto fail;
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

/* `opengov seed --scale N`: N information items and N/10 service items for
 * benchmarks. For speed the secondary indexes of items are dropped, the rows
 * loaded by two connections in parallel, and the indexes rebuilt from their
 * own definitions (the GIN search index on one connection, the rest on the
 * other), then the table analysed. Meant for benchmark databases. */
int seed_scale(const struct config *cfg, long long n)
{
	PGconn *c[2] = { NULL, NULL };
	PGresult *defs = NULL;
	struct timespec t0;
	int rc = 1;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (int i = 0; i < 2; i++) {
		c[i] = PQconnectdb(cfg->admin_database_url);
		if (PQstatus(c[i]) != CONNECTION_OK) {
			fprintf(stderr, "seed: cannot connect: %s", PQerrorMessage(c[i]));
			goto out;
		}
		PQclear(PQexec(c[i], "SET maintenance_work_mem = '1GB'; SET synchronous_commit = off;"
				     " SET client_min_messages = warning"));
	}
	defs = PQexec(c[0], "SELECT indexname, indexdef, indexdef LIKE '%USING gin%' AS gin"
			    " FROM pg_indexes WHERE schemaname = 'public' AND tablename = 'items'"
			    " AND indexname NOT IN (SELECT conname FROM pg_constraint"
			    "  WHERE conrelid = 'items'::regclass)");
	if (PQresultStatus(defs) != PGRES_TUPLES_OK) {
		fprintf(stderr, "seed: %s", PQerrorMessage(c[0]));
		goto out;
	}
	struct buf drop = { 0 }, build[2] = { { 0 }, { 0 } };
	for (int i = 0; i < PQntuples(defs); i++) {
		char *quoted = PQescapeIdentifier(c[0], PQgetvalue(defs, i, 0),
						  strlen(PQgetvalue(defs, i, 0)));
		buf_printf(&drop, "DROP INDEX %s;", quoted);
		PQfreemem(quoted);
		buf_printf(&build[PQgetvalue(defs, i, 2)[0] == 't' ? 0 : 1], "%s;",
			   PQgetvalue(defs, i, 1));
	}
	long long services = n / 10;
	/* The search index builds on the first connection; the second builds
	 * the B-trees without parallel workers so the two share the cores. */
	PQclear(PQexec(c[1], "SET max_parallel_maintenance_workers = 0"));
	if (set_setting(c[0], "opengov.scale_n", n) || set_setting(c[1], "opengov.scale_n", n) ||
	    set_setting(c[0], "opengov.scale_lo", 1) || set_setting(c[0], "opengov.scale_hi", n / 2) ||
	    set_setting(c[1], "opengov.scale_lo", n / 2 + 1) || set_setting(c[1], "opengov.scale_hi", n) ||
	    set_setting(c[0], "opengov.scale_services", services) ||
	    set_setting(c[0], "opengov.scale_run", (long long)time(NULL)))
		goto out_bufs;
	const char *drop_sql[] = { drop.len ? buf_str(&drop) : NULL, NULL };
	if (run_parallel(c, drop_sql, 1))
		goto out_bufs;
	char load0[65536];
	snprintf(load0, sizeof load0, "%s%s", seed_scale_information_sql, seed_scale_service_sql);
	const char *load_sql[] = { load0, seed_scale_information_sql };
	int load_rc = run_parallel(c, load_sql, 2);
	printf("seed: rows loaded at %.1f s\n", since(&t0));
	/* The indexes come back even when the load failed. */
	const char *build_sql[] = { build[0].len ? buf_str(&build[0]) : NULL,
				    build[1].len ? buf_str(&build[1]) : NULL };
	if (run_parallel(c, build_sql, 2) || load_rc)
		goto out_bufs;
	printf("seed: indexes rebuilt at %.1f s\n", since(&t0));
	const char *analyse[] = { "ANALYZE items", NULL };
	if (run_parallel(c, analyse, 1))
		goto out_bufs;
	char detail[128];
	snprintf(detail, sizeof detail, "{\"seed\": \"scale\", \"information\": %lld, \"service\": %lld}",
		 n, services);
	const char *p[] = { detail };
	PGresult *res = PQexecParams(c[0], "SELECT audit_append('system', 'admin', 'catalogue.seed',"
				     " 'item', NULL, NULL, $1::jsonb)", 1, NULL, p, NULL, NULL, 0);
	PQclear(res);
	printf("seed: %lld information and %lld service items in %.1f s\n", n, services,
	       since(&t0));
	rc = 0;
out_bufs:
	buf_free(&drop);
	buf_free(&build[0]);
	buf_free(&build[1]);
out:
	PQclear(defs);
	for (int i = 0; i < 2; i++)
		PQfinish(c[i]);
	return rc;
}
