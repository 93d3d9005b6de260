/* problem.h - RFC 9457 problem details: the one shape of every error. */
#ifndef OPENGOV_PROBLEM_H
#define OPENGOV_PROBLEM_H

#include <jansson.h>
#include "opengov/base/lang.h"
#include "opengov/base/validate.h"

/* Builds the problem object (pure). slug names /problems/<slug>; code is
 * the machine code (Problem.code); detail and the title are in l, as are
 * the errors' messages (each with its code). */
json_t *problem_render(int status, const char *slug, const char *code,
		       const char *detail, enum lang l, const char *instance,
		       const char *request_id, const struct verrs *errs);
/* The title of a status in English (the status line's reason phrase). */
const char *problem_title(int status);
/* The title of a status in l. */
const char *problem_title_in(int status, enum lang l);
/* The generic code of a problem type: its slug with '_' for '-'. */
void problem_slug_code(const char *slug, char *out, size_t len);

#endif
