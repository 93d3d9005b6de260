/* routes.c - the route table of api/routes.def, for the router
 * (src/server/router.c), the metrics' labels and `opengov routes`. */
#include "opengov/api/handlers.h"
#include "opengov/server/router.h"

/* The roles a row of routes.def names. */
#define ANYONE ROLES_ALL
#define PUBLIC ROLE_BIT(ROLE_PUBLIC)
#define CLERK ROLE_BIT(ROLE_CLERK)
#define APPROVER ROLE_BIT(ROLE_APPROVER)
#define SUPERVISOR ROLE_BIT(ROLE_SUPERVISOR)
#define ADMIN ROLE_BIT(ROLE_ADMIN)
#define UNIT_STAFF (CLERK | APPROVER)
#define STAFF_READ (SUPERVISOR | ADMIN)

const struct route routes[] = {
#define ROUTE(method, pattern, operation_id, handler, roles, flags, deny) \
	{ #method, pattern, #operation_id, #handler, handler, roles, flags, deny },
#include "api/routes.def"
#undef ROUTE
};
const size_t routes_count = sizeof routes / sizeof routes[0];
