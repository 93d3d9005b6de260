#!/usr/bin/env bash
# check.sh - the API suite (tests/api, pytest) against a throwaway stack in
# var/check: fresh cluster, fresh secrets, a free port. Called by make check
# with OPENGOV_BIN=build/san/bin/opengov (the ASan/UBSan build), so the
# server's log is also searched for sanitizer reports. Exits with pytest's code
# (or 1 when pytest ran no test, when a sanitizer spoke, or when sql/schema.sql
# is not what the migrations make: scripts/schema-dump.sh).
set -euo pipefail

prog=check.sh
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)
cd "$ROOT"
# CHECK_VARDIR lets two people run the suite side by side on one machine.
# Its name should end in /check: stack.sh turns fsync off only there.
VARDIR=${CHECK_VARDIR:-var/check}
PY=/usr/bin/python3

# Sanitizer settings for every opengov process the stack starts. Leaks are
# not checked: workers are killed at shutdown by design. abort_on_error=0 so
# a report ends in a plain exit the master can log and respawn.
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=0:abort_on_error=0}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1}
if [[ -n ${OPENGOV_BIN:-} ]]; then export OPENGOV_BIN; fi

# A leftover stack from an interrupted run would hold the old cluster: stop
# it, then start from nothing. A relocated cluster (see stack.sh pg_paths)
# lives outside var/check, behind the pg symlink.
scripts/stack.sh stop "$VARDIR" >/dev/null 2>&1 || true
if [[ -L $VARDIR/pg ]]; then
	pgdir=$(readlink -f "$VARDIR/pg")
	if [[ $pgdir == /tmp/opengov-pg-* ]]; then rm -rf "$pgdir"; fi
fi
rm -rf "$VARDIR"

# A port nobody listens on now (the kernel picks it; the tiny race until
# nginx binds it is acceptable on a test machine).
port=$("$PY" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')

# Always stop the stack, whatever happens below (failure, Ctrl-C).
stop_stack() { scripts/stack.sh stop "$VARDIR" >/dev/null 2>&1 || true; }
trap stop_stack EXIT

scripts/stack.sh start "$VARDIR" "$port"

# The tests find everything (base URL, secrets, database URLs) in the env file.
OPENGOV_ENV_FILE=$ROOT/$VARDIR/opengov.env
export OPENGOV_ENV_FILE

# sql/schema.sql against what the migrations made of this empty cluster,
# before any test runs; a difference fails the run after the suite.
schema=0
scripts/schema-dump.sh --check --env "$OPENGOV_ENV_FILE" || schema=1

set +e
"$PY" -m pytest tests/api -q -p no:cacheprovider
rc=$?
set -e

# Stop before reading the log, so that reports written at shutdown are in it.
stop_stack

san=0
if [[ -f $VARDIR/log/opengov.log ]] &&
	grep -n -E 'AddressSanitizer|LeakSanitizer|runtime error:' "$VARDIR/log/opengov.log" >"$VARDIR/log/sanitizer.txt"; then
	san=1
	echo "$prog: sanitizer reports in $VARDIR/log/opengov.log:" >&2
	head -n 50 "$VARDIR/log/sanitizer.txt" >&2
fi

if ((rc == 5)); then
	echo "$prog: pytest collected no test: that is a failure" >&2
	rc=1
fi
if ((san && rc == 0)); then rc=1; fi
if ((schema && rc == 0)); then
	echo "$prog: sql/schema.sql is out of date (see above): scripts/schema-dump.sh rewrites it" >&2
	rc=1
fi
exit "$rc"
