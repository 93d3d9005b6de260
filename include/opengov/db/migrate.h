/* migrate.h - the schema migrations compiled into the binary.
 * The table is generated from sql/NNN_*.sql by scripts/embed-sql.sh (build/<x>/gen/migrations.c). */
#ifndef OPENGOV_MIGRATE_H
#define OPENGOV_MIGRATE_H

struct migration {
	int version;
	const char *name;
	const char *sql;
};

extern const struct migration migrations[];
extern const int migrations_count;

#endif /* OPENGOV_MIGRATE_H */
