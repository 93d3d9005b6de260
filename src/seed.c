/* seed.c - `opengov seed --demo`: the units and accounts of DESIGN.md
 * section 5. Idempotent: what exists is kept, so `make run` can repeat it. */
#include <stdio.h>
#include <string.h>

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
	if (db_commit(&db))
		goto fail;
	printf("seed: demo data present (%d units and %d accounts added now)\n",
	       units, accounts);
	rc = 0;
	goto out;
fail:
	fprintf(stderr, "seed: failed: %s", PQerrorMessage(db.conn));
	db_rollback(&db);
out:
	db_close(&db);
	return rc;
}
