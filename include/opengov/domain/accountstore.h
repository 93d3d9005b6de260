/* accountstore.h - what an appeal's corrected result and a bad rating write
 * besides their own rows (src/domain/accountstore.c): the finding on the unit. In
 * the caller's transaction; knows nothing of HTTP. (The request's summary
 * of its appeals and rating, and its version, follow the rows by trigger:
 * sql/015.) */
#ifndef OPENGOV_ACCOUNTSTORE_H
#define OPENGOV_ACCOUNTSTORE_H

#include <jansson.h>

#include "opengov/db/db.h"

/* What the finding says and why it is opened. */
struct account_finding {
	const char *request_id;  /* the request it is about: its unit is the finding's */
	const char *category;    /* FindingCategory */
	const char *title, *description;
	const char *rectify_by;  /* YYYY-MM-DD */
	const char *http_request_id; /* the caller's X-Request-Id, for the audit entry */
	json_t *detail;          /* added to the audit entry's detail (borrowed; NULL none) */
};

/* Opens a yellow `complaint` finding raised by the system (created_by and
 * the audit actor "system", role "system"): its row, its create step and
 * its audit entry. Writes its id (36 characters) into id. 0, or -1 on
 * failure (db->sqlstate set). */
int accountstore_open_finding(struct db *db, const struct account_finding *f, char id[37]);

#endif
