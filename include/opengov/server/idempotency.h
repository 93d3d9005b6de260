/* idempotency.h - Idempotency-Key on creating POSTs: the first answer to a
 * key is stored in the same transaction as the write and replayed after. */
#ifndef OPENGOV_IDEMPOTENCY_H
#define OPENGOV_IDEMPOTENCY_H

#include "opengov/server/http.h"

enum idem_result { IDEM_PROCEED, IDEM_ANSWERED };

/* Opens the caller's transaction. With an Idempotency-Key it claims the key:
 * a replay (same body) or misuse (other body: 422) is answered here.
 * IDEM_PROCEED: the transaction is open and the handler goes on. */
enum idem_result idem_begin(struct req *r, const char *route);
/* Records the answer built in r (call just before commit). 0 or -1 (answered). */
int idem_store_or_reply(struct req *r, const char *route, const char *location,
			const char *etag);

#endif
