#!/usr/bin/env bash
# lint-openapi.sh - lint openapi.yaml with the pinned @redocly/cli
# (tests/contract/package.json, installed by scripts/bootstrap.sh) and the
# rules in redocly.yaml. Fails on any error AND on any warning: redocly
# itself exits 0 when there are only warnings.
#
#   scripts/lint-openapi.sh [SPEC]     default: openapi.yaml
set -euo pipefail

prog=lint-openapi.sh
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)
cd "$ROOT"
spec=${1:-openapi.yaml}
redocly=tests/contract/node_modules/.bin/redocly

if [[ ! -x $redocly ]]; then
	echo "$prog: $redocly missing: run scripts/bootstrap.sh (it runs npm ci in tests/contract)" >&2
	exit 1
fi

# An ignore file (redocly lint --generate-ignore-file) would hide problems
# without a reason; silencing belongs in redocly.yaml, with its comment.
if [[ -e .redocly.lint-ignore.yaml ]]; then
	echo "$prog: .redocly.lint-ignore.yaml exists: silence rules in tests/contract/redocly.yaml instead, with a reason" >&2
	exit 1
fi

# No telemetry, no update check: CI reaches only the package registries.
export REDOCLY_TELEMETRY=off REDOCLY_SUPPRESS_UPDATE_NOTICE=true NO_COLOR=1

out=$(mktemp)
trap 'rm -f "$out"' EXIT
set +e
# --lint-config error: a misspelt rule or option in redocly.yaml is an error.
"$redocly" lint --config tests/contract/redocly.yaml --lint-config error "$spec" >"$out" 2>&1
rc=$?
set -e

# The CLI boxes a "Node.js 20 support is ending" notice on Node 20 (it still
# supports it: engines >=20.19 <21 || >=22.12); keep it out of make check.
grep -v -E '^[[:space:]]*[╔║╚]' "$out" | cat -s || true

if ((rc != 0)); then
	echo "$prog: $spec has lint errors (redocly exit $rc)" >&2
	exit 1
fi
if grep -q -E 'You have [0-9]+ warnings?' "$out"; then
	echo "$prog: $spec has lint warnings; fix them or justify silencing the rule in redocly.yaml" >&2
	exit 1
fi
echo "$prog: $spec: no errors, no warnings"
