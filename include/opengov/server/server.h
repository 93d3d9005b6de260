/* server.h - `opengov serve`: the master and its FastCGI workers. */
#ifndef OPENGOV_SERVER_H
#define OPENGOV_SERVER_H

#include "opengov/base/config.h"

int server_run(struct config *cfg);

#endif
