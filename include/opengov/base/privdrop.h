/* privdrop.h - a process started as root becomes the service's own
 * unprivileged user (OPENGOV_USER) before it touches a request. */
#ifndef OPENGOV_PRIVDROP_H
#define OPENGOV_PRIVDROP_H

#include <stddef.h>

/* Not root: does nothing and returns 0. Root: takes user's groups, gid and
 * uid (real, effective and saved), then checks that root cannot be had
 * back. Returns 0, or -1 with a message in err (the caller must not go on). */
int privdrop(const char *user, char *err, size_t errlen);

#endif
