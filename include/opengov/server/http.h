/* http.h - what a handler needs of the server layer, in one include: the
 * request (request.h), the answer (reply.h), query parameters (query.h),
 * conditional and cached reads (conditional.h), and the database helpers
 * that answer on failure (dbreply.h). Files of src/server include the one
 * they use. */
#ifndef OPENGOV_HTTP_H
#define OPENGOV_HTTP_H

#include "opengov/server/conditional.h"
#include "opengov/server/dbreply.h"
#include "opengov/server/query.h"
#include "opengov/server/reply.h"
#include "opengov/server/request.h"

#endif
