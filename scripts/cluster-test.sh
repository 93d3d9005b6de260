#!/usr/bin/env bash
# cluster-test.sh - `make cluster-test`: a fresh cluster (scripts/cluster.sh)
# in CLUSTER_DIR (default var/cluster), the fault test against it
# (tests/cluster/fault_test.py), then everything stopped, pass or fail.
# Its figures: stdout and CLUSTER_DIR/report.json.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)
DIR=${CLUSTER_DIR:-$ROOT/var/cluster}

"$ROOT/scripts/cluster.sh" stop "$DIR" >/dev/null 2>&1 || true
rm -rf "$DIR"
trap '"$ROOT/scripts/cluster.sh" stop "$DIR"' EXIT
"$ROOT/scripts/cluster.sh" start "$DIR"
/usr/bin/python3 "$ROOT/tests/cluster/fault_test.py" "$DIR/cluster.env"
