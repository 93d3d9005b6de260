#!/usr/bin/env bash
# cluster-bootstrap.sh - what `make cluster-test` needs beyond scripts/bootstrap.sh:
# Patroni (with its etcd client) and etcd, both as Debian packages, so the
# test runs on the engines an operator would run (docs/deployment.md).
# Silent when they are there; as root, one apt-get install of what is
# missing; not root: prints the command and exits 1. Installing starts no
# service in a container with a policy-rc.d; the test starts its own.
set -euo pipefail
prog=cluster-bootstrap.sh

# command-or-path:package
NEEDS=(
	/usr/bin/patroni:patroni
	/usr/bin/etcd:etcd-server
	/usr/bin/etcdctl:etcd-client
)
missing=()
for entry in "${NEEDS[@]}"; do
	[[ -x ${entry%%:*} ]] || missing+=("${entry##*:}")
done
# Patroni's etcd v3 backend needs nothing more than urllib3; psycopg2 is its
# own dependency. The load and the checks use requests (bootstrap.sh's).
((${#missing[@]} == 0)) && exit 0

install_cmd="DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends ${missing[*]}"
if [[ $(id -u) -ne 0 ]]; then
	echo "$prog: missing: ${missing[*]}" >&2
	echo "$prog: as root, run: apt-get update && $install_cmd" >&2
	exit 1
fi
echo "$prog: installing ${missing[*]}"
# Install first from the lists already there; update them only if that fails.
DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${missing[@]}" ||
	{ apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${missing[@]}"; }
for entry in "${NEEDS[@]}"; do
	[[ -x ${entry%%:*} ]] || { echo "$prog: ${entry%%:*} still missing" >&2; exit 1; }
done
