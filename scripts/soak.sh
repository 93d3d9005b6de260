#!/usr/bin/env bash
# soak.sh - `make soak`: a mixed load (reads, request creations, uploads) for
# SOAK_SECONDS (default 180) against a throwaway stack in var/soak, while
# PostgreSQL is restarted and a worker is killed; then checks that every
# answered creation is in the database, the audit chains verify, no worker
# grew in memory and the only errors were 503s during the outage
# (scripts/soak.py says how). Not part of make check. Exits 1 on a violation.
#
# Environment: SOAK_SECONDS, SOAK_THREADS (4), SOAK_RSS_TOLERANCE_KIB (4096),
# SOAK_VARDIR (var/soak), OPENGOV_BIN (default bin/opengov, the release build).
set -euo pipefail

prog=soak.sh
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)
cd "$ROOT"
VARDIR=${SOAK_VARDIR:-var/soak}
PY=/usr/bin/python3
if [[ -n ${OPENGOV_BIN:-} ]]; then export OPENGOV_BIN; fi

# From nothing, as check.sh does: a leftover stack is stopped and removed.
scripts/stack.sh stop "$VARDIR" >/dev/null 2>&1 || true
if [[ -L $VARDIR/pg ]]; then
	pgdir=$(readlink -f "$VARDIR/pg")
	if [[ $pgdir == /tmp/opengov-pg-* ]]; then rm -rf "$pgdir"; fi
fi
rm -rf "$VARDIR"

port=$("$PY" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
stop_stack() { scripts/stack.sh stop "$VARDIR" >/dev/null 2>&1 || true; }
trap stop_stack EXIT
scripts/stack.sh start "$VARDIR" "$port"

OPENGOV_ENV_FILE=$ROOT/$VARDIR/opengov.env
export OPENGOV_ENV_FILE
set +e
"$PY" scripts/soak.py
rc=$?
set -e
stop_stack
if grep -n -E 'AddressSanitizer|runtime error:' "$VARDIR/log/opengov.log" >&2; then
	echo "$prog: sanitizer reports in $VARDIR/log/opengov.log" >&2
	rc=1
fi
exit "$rc"
