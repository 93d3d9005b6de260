/* handlers.h - the handlers, one file per resource under api/: their
 * prototypes come from api/routes.def, the one list of operations. */
#ifndef OPENGOV_API_HANDLERS_H
#define OPENGOV_API_HANDLERS_H

#include "opengov/server/http.h"

#define ROUTE(method, pattern, operation_id, handler, roles, flags, deny) \
	void handler(struct req *r);
#include "api/routes.def"
#undef ROUTE

/* api/items.c, for handlers that make an item of another resource: 201 with it. */
void items_created_reply(struct req *r, const char *id);
/* api/guides.c, for createRequest, in one statement: whether unit is one,
 * and whether its current disclosure guide lists channel (a unit with no
 * guide yet accepts every one). -1 after answering a database error. */
enum { GUIDE_NO_UNIT, GUIDE_ACCEPTED, GUIDE_REFUSED };
int guides_channel_check(struct req *r, const char *unit, const char *channel);

#endif
