/* fuzz_req.h - a struct req as the FastCGI loop would make it (req_init in
 * src/server/request.c), from CGI parameters the harness chooses, without a socket or
 * a database. */
#ifndef OPENGOV_FUZZ_REQ_H
#define OPENGOV_FUZZ_REQ_H

#include "fuzz.h"
#include "opengov/base/config.h"
#include "opengov/server/http.h"

#define FUZZ_ENV_MAX 16

struct fuzz_env {
	char *vars[FUZZ_ENV_MAX + 1];
	int n;
	FCGX_Request fcgi;
};

/* Adds NAME=value (value up to len bytes; an embedded NUL ends it). */
static inline void fuzz_env_add(struct fuzz_env *e, const char *name, const char *value,
				size_t len)
{
	size_t nl = strlen(name);
	char *v = malloc(nl + 1 + len + 1);

	if (!v || e->n >= FUZZ_ENV_MAX)
		abort();
	memcpy(v, name, nl);
	v[nl] = '=';
	memcpy(v + nl + 1, value, len);
	v[nl + 1 + len] = '\0';
	e->vars[e->n++] = v;
	e->vars[e->n] = NULL;
}

/* req_init on the parameters in e; its result (0, or -1 for a malformed
 * path or query, which the server answers with 400). */
static inline int fuzz_req_init(struct req *r, struct fuzz_env *e)
{
	static struct config cfg;

	memset(&e->fcgi, 0, sizeof e->fcgi);
	e->fcgi.envp = e->vars;
	return req_init(r, &e->fcgi, &cfg, NULL);
}

static inline void fuzz_env_free(struct fuzz_env *e)
{
	for (int i = 0; i < e->n; i++)
		free(e->vars[i]);
	e->n = 0;
	e->vars[0] = NULL;
}

#endif
