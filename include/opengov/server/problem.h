/* problem.h - RFC 9457 problem details: the one shape of every error. */
#ifndef OPENGOV_PROBLEM_H
#define OPENGOV_PROBLEM_H

#include <jansson.h>
#include "opengov/base/validate.h"

/* Builds the problem object (pure). slug names /problems/<slug>. */
json_t *problem_render(int status, const char *slug, const char *detail,
		       const char *instance, const char *request_id,
		       const struct verrs *errs);
const char *problem_title(int status);

#endif
