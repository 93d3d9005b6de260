/* routes.c - the route table of api/routes.def, for the router
 * (src/server/router.c), the metrics' labels and `opengov routes`, and the
 * query parameters of api/queries.def (`opengov queries`). */
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

/* The query parameters of each operation (api/queries.def); the router
 * answers 400 to any other. */
const struct route_query route_queries[] = {
#define QUERY(operation_id, ...) \
	{ #operation_id, (const char *const[]){ __VA_ARGS__, NULL } },
#include "api/queries.def"
#undef QUERY
};
const size_t route_queries_count = sizeof route_queries / sizeof route_queries[0];
