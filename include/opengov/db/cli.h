/* cli.h - the subcommands other than serve. */
#ifndef OPENGOV_CLI_H
#define OPENGOV_CLI_H

#include "opengov/base/config.h"

int migrate_run(const struct config *cfg);
/* The schema version this binary expects (its newest migration). */
int migrate_latest_version(void);
int seed_demo(const struct config *cfg);
int seed_scale(const struct config *cfg, long long n);

#endif
