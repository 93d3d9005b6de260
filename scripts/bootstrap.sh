#!/usr/bin/env bash
# bootstrap.sh - make sure this Debian 12 machine has what opengov needs to
# build, test and run (make check, make run, make bench, .ci/run).
# Silent and fast (well under a second) when everything is there; otherwise,
# as root, one `apt-get update` and one `apt-get install` of what is missing;
# not root: prints the command to run and exits 1. Then the npm packages of
# tests/contract (the OpenAPI linter, the Redoc bundle for /docs) and of
# tests/client (the typed client: openapi-typescript, openapi-fetch,
# TypeScript 5): `npm ci` when node_modules does not match package-lock.json
# (see contract_deps, client_deps).
set -euo pipefail

prog=bootstrap.sh
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)

# Every Debian package the project needs. Add new needs here (and, when a
# package brings a command, header or Python module, to the checks below).
PACKAGES=(
	# build
	gcc make pkg-config libc6-dev
	libpq-dev libfcgi-dev libjansson-dev libjwt-dev libargon2-dev libssl-dev
	libcmocka-dev
	# list pages' validators (XXH3)
	libxxhash-dev
	# webhook deliveries (opengov deliver)
	libcurl4-openssl-dev
	# make fuzz: clang's libFuzzer and sanitizer runtimes (libclang-rt-14-dev
	# is only recommended by clang, and we install without recommends)
	clang libclang-rt-14-dev
	# the annual report's XLSX export
	libxlsxwriter-dev
	# the local stack
	postgresql-15 postgresql-client-15 postgresql-contrib nginx-light curl
	# tests and bench
	python3 python3-pytest python3-requests python3-jsonschema
	python3-hypothesis python3-yaml python3-openpyxl wrk
	# make bench draws its scale curves
	gnuplot-nox
	# the /docs test renders the page in headless Chromium
	chromium
)
# Node.js and npm (for tests/contract) are checked by command, not package
# name: NodeSource's `nodejs` (Node 20, bundles npm) is as good as Debian's
# `nodejs` + `npm` (Node 18), and the two `npm`s conflict. Missing `node`
# installs Debian's nodejs, then npm if it did not come with it.

# Beyond "the package is installed": what the scripts actually call, so that a
# half-removed package is noticed too. command-or-path:package
COMMANDS=(
	gcc:gcc make:make pkg-config:pkg-config curl:curl wrk:wrk clang:clang
	gnuplot:gnuplot-nox
	/usr/sbin/nginx:nginx-light
	/usr/lib/postgresql/15/bin/initdb:postgresql-15
	/usr/lib/postgresql/15/bin/pg_ctl:postgresql-15
	/usr/lib/postgresql/15/bin/psql:postgresql-client-15
	/usr/bin/python3:python3
	/usr/bin/chromium:chromium
	node:nodejs
)
HEADERS=(
	/usr/include/postgresql/libpq-fe.h:libpq-dev
	/usr/include/fcgiapp.h:libfcgi-dev
	/usr/include/jansson.h:libjansson-dev
	/usr/include/jwt.h:libjwt-dev
	/usr/include/argon2.h:libargon2-dev
	/usr/include/cmocka.h:libcmocka-dev
	/usr/include/openssl/evp.h:libssl-dev
	/usr/include/xlsxwriter.h:libxlsxwriter-dev
	/usr/include/xxhash.h:libxxhash-dev
)
# Python module:package, imported by the system interpreter the tests use.
PY_MODULES=(
	pytest:python3-pytest requests:python3-requests jsonschema:python3-jsonschema
	hypothesis:python3-hypothesis yaml:python3-yaml openpyxl:python3-openpyxl
)

missing=()
add_missing() {
	local p
	for p in "${missing[@]}"; do [[ $p == "$1" ]] && return 0; done
	missing+=("$1")
}

# One dpkg-query for the whole list: "name status" per installed package;
# anything absent or not fully installed is missing.
declare -A installed=()
while read -r name status; do
	[[ $status == installed ]] && installed[${name%%:*}]=1
done < <(dpkg-query -W -f='${Package} ${db:Status-Status}\n' "${PACKAGES[@]}" 2>/dev/null || true)
for p in "${PACKAGES[@]}"; do
	[[ -n ${installed[$p]:-} ]] || add_missing "$p"
done

for entry in "${COMMANDS[@]}"; do
	cmd=${entry%%:*}
	if [[ $cmd == /* ]]; then
		[[ -x $cmd ]] || add_missing "${entry##*:}"
	else
		command -v "$cmd" >/dev/null 2>&1 || add_missing "${entry##*:}"
	fi
done
for entry in "${HEADERS[@]}"; do
	[[ -f ${entry%%:*} ]] || add_missing "${entry##*:}"
done
# libcurl's headers live under the multiarch directory (x86_64, aarch64...).
compgen -G '/usr/include/*/curl/curl.h' >/dev/null || add_missing libcurl4-openssl-dev
compgen -G '/usr/lib/llvm-14/lib/clang/*/lib/linux/libclang_rt.fuzzer-*.a' >/dev/null ||
	add_missing libclang-rt-14-dev
if [[ -x /usr/bin/python3 ]]; then
	# One interpreter start for all modules (each import would cost ~50 ms).
	mods=""
	for entry in "${PY_MODULES[@]}"; do mods+="${mods:+ }${entry%%:*}"; done
	absent=$(/usr/bin/python3 - "$mods" <<'EOF' 2>/dev/null || true
import importlib.util, sys
print(" ".join(m for m in sys.argv[1].split() if importlib.util.find_spec(m) is None))
EOF
	)
	for entry in "${PY_MODULES[@]}"; do
		[[ " $absent " == *" ${entry%%:*} "* ]] && add_missing "${entry##*:}"
	done
else
	for entry in "${PY_MODULES[@]}"; do add_missing "${entry##*:}"; done
fi
# npm only once node is there (see above); Debian's npm goes with Debian's node.
if command -v node >/dev/null 2>&1 && ! command -v npm >/dev/null 2>&1; then
	add_missing npm
fi

# tests/contract/node_modules from package-lock.json with `npm ci`, only when
# the lock (or package.json) changed since the last install: a stamp in
# node_modules holds their hashes, so the usual run costs one sha256sum.
# --ignore-scripts: nothing there needs an install script (the only one is
# core-js's donation banner). Runs as any user; needs the npm registry.
contract_deps() {
	local dir=$ROOT/tests/contract want have=""
	local stamp=$dir/node_modules/.opengov-lock.sha256
	[[ -f $dir/package-lock.json ]] || return 0
	want=$(cd "$dir" && sha256sum package.json package-lock.json)
	[[ -r $stamp ]] && have=$(<"$stamp")
	if [[ $have == "$want" && -x $dir/node_modules/.bin/redocly &&
		-f $dir/node_modules/redoc/bundles/redoc.standalone.js ]]; then
		return 0
	fi
	echo "$prog: npm ci in tests/contract (@redocly/cli, redoc)"
	(cd "$dir" && npm ci --no-audit --no-fund --ignore-scripts --loglevel=error) || {
		echo "$prog: npm ci failed in $dir" >&2
		exit 1
	}
	printf '%s\n' "$want" >"$stamp"
}

# tests/client/node_modules the same way: the pinned openapi-typescript,
# openapi-fetch and TypeScript 5 that tests/api/test_typed_client.py uses to
# generate the client from openapi.yaml and compile its journey. No package
# there needs an install script either.
client_deps() {
	local dir=$ROOT/tests/client want have=""
	local stamp=$dir/node_modules/.opengov-lock.sha256
	[[ -f $dir/package-lock.json ]] || return 0
	want=$(cd "$dir" && sha256sum package.json package-lock.json)
	[[ -r $stamp ]] && have=$(<"$stamp")
	if [[ $have == "$want" && -x $dir/node_modules/.bin/openapi-typescript &&
		-x $dir/node_modules/.bin/tsc && -f $dir/node_modules/openapi-fetch/package.json ]]; then
		return 0
	fi
	echo "$prog: npm ci in tests/client (openapi-typescript, openapi-fetch, typescript)"
	(cd "$dir" && npm ci --no-audit --no-fund --ignore-scripts --loglevel=error) || {
		echo "$prog: npm ci failed in $dir" >&2
		exit 1
	}
	printf '%s\n' "$want" >"$stamp"
}

# The unprivileged system user `opengov serve` and `opengov monitor` become
# when they are started as root (OPENGOV_USER, default opengov; see
# scripts/stack.sh). Only root needs it, and only root can create it.
service_user() {
	local user=${OPENGOV_USER:-opengov}
	[[ $(id -u) -eq 0 ]] || return 0
	id -u "$user" >/dev/null 2>&1 && return 0
	echo "$prog: creating the system user $user (the service runs as it)"
	useradd --system --user-group --no-create-home --home-dir /nonexistent \
		--shell /usr/sbin/nologin --comment "opengov service" "$user"
}
[[ ${1:-} == --recheck ]] || service_user

if ((${#missing[@]} == 0)); then
	# --recheck: only the Debian packages (the caller goes on to npm).
	[[ ${1:-} == --recheck ]] || { contract_deps; client_deps; }
	exit 0
fi

# The check that follows an install (below) must not install again.
if [[ ${1:-} == --recheck ]]; then
	echo "$prog: missing: ${missing[*]}" >&2
	exit 1
fi

install_cmd="apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends ${missing[*]}"
if [[ $(id -u) -ne 0 ]]; then
	echo "$prog: missing: ${missing[*]}" >&2
	echo "$prog: as root, run:" >&2
	echo "  $install_cmd" >&2
	exit 1
fi

echo "$prog: installing ${missing[*]}"

# Package scripts must not start services: the Debian nginx would take port
# 80 and postgresql-15 its own cluster on 5432, neither of which we use (the
# stack runs its own, see scripts/stack.sh). policy-rc.d exit 101 = "do not
# start"; only ours is removed afterwards, an existing one is left alone.
policy=/usr/sbin/policy-rc.d
own_policy=0
if [[ ! -e $policy ]]; then
	printf '#!/bin/sh\n# temporary, from opengov scripts/bootstrap.sh\nexit 101\n' >"$policy"
	chmod 755 "$policy"
	own_policy=1
fi
cleanup() { if ((own_policy)); then rm -f "$policy"; fi; }
trap cleanup EXIT

export DEBIAN_FRONTEND=noninteractive
apt-get update -q
apt-get install -y -q --no-install-recommends "${missing[@]}"
# Debian's nodejs comes without npm (NodeSource's brings its own).
if ! command -v npm >/dev/null 2>&1; then
	apt-get install -y -q --no-install-recommends npm
fi

# Should a service have started anyway (a policy-rc.d that allows it, systemd
# ignoring it), stop the system nginx: it would sit on port 80 for nothing.
if [[ -s /run/nginx.pid ]] && kill -0 "$(cat /run/nginx.pid)" 2>/dev/null; then
	echo "$prog: stopping the system nginx service (not used by opengov)"
	service nginx stop >/dev/null 2>&1 || systemctl stop nginx >/dev/null 2>&1 || true
fi

# Check again: a package that installed but did not deliver is an error now,
# not a puzzling build failure later.
if ! "$0" --recheck; then
	echo "$prog: still missing packages after apt-get install" >&2
	exit 1
fi
contract_deps
client_deps
echo "$prog: done"
