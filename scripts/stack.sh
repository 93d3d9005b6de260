#!/usr/bin/env bash
# stack.sh - the local opengov stack: PostgreSQL 15 + `opengov serve` + nginx,
# all under one directory VARDIR (var for make run, var/check for make check).
#
#   stack.sh start  VARDIR [PORT]   start what is not running (idempotent)
#   stack.sh stop   VARDIR          stop everything; quiet if already stopped
#   stack.sh status VARDIR          one line per part; exit 0 only if all are up
#   stack.sh banner VARDIR          URLs, demo accounts, tokens, curl lines
#
# Layout (README, "Two commands"): VARDIR/opengov.env (generated once, then
# reused: it holds the JWT secret and the port), pgpass (the database roles'
# passwords, generated once, mode 0600), pg/data, pg/run (the PostgreSQL
# socket; no TCP), run/opengov.sock + opengov.pid, nginx/ (config, pid,
# temp), log/, docs/.
#
# Nobody else gets in: the cluster admits its own OS user (and root) as the
# superuser by peer authentication and the service roles opengov and
# opengov_app by password only (scram-sha-256), and its socket directory is
# open to the cluster's user and the service's group only. Started as root,
# `opengov serve` and `opengov monitor` become OPENGOV_USER (default
# opengov, created by scripts/bootstrap.sh), which owns run/.
#
# Environment: OPENGOV_BIN (default bin/opengov), PGBIN (default
# /usr/lib/postgresql/15/bin), OPENGOV_USER (default opengov).
set -euo pipefail

prog=stack.sh
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)
PGBIN=${PGBIN:-/usr/lib/postgresql/15/bin}
# Non-root users often lack /usr/sbin in PATH.
NGINX=$(command -v nginx || echo /usr/sbin/nginx)
DEFAULT_PORT=8080

die() {
	echo "$prog: $*" >&2
	exit 1
}
say() { echo "$prog: $*"; }

is_root() { [[ $(id -u) -eq 0 ]]; }

usage() {
	echo "usage: $prog start VARDIR [PORT] | stop VARDIR | status VARDIR | banner VARDIR" >&2
	exit 2
}

# ---------------------------------------------------------------- paths

# All paths are made absolute: the env file, postgresql.conf and nginx.conf
# are read by processes that do not share our working directory.
set_paths() {
	local arg=$1
	VAR=$(cd "$arg" && pwd -P)
	# The path goes unquoted into the env file (KEY=VALUE, no quotes), libpq
	# URLs, sed/awk substitutions and nginx.conf: keep it to plain characters.
	[[ $VAR =~ ^[A-Za-z0-9._/+-]+$ ]] ||
		die "VARDIR $VAR: only letters, digits and ._/+- are supported in its path"
	ENV_FILE=$VAR/opengov.env
	PGPASS_MASTER=$VAR/pgpass
	LOG=$VAR/log
	NGX=$VAR/nginx
	DOCS=$VAR/docs
	NGX_CONF=$NGX/nginx.conf
	NGX_PID=$NGX/nginx.pid
	pg_paths
	run_paths
}

# As root, `opengov serve` runs as SVC_USER (see src/base/privdrop.c) and must
# reach its runtime directory, and nginx (www-data) its socket. Like the
# cluster, when SVC_USER cannot reach VARDIR (a clone under /root), that
# directory lives elsewhere: /run/opengov-TAG (only root creates entries in
# /run), with VARDIR/run a symlink to it. PASSFILE is the copy of the
# passwords the service reads (libpq's passfile); PGPASS_MASTER the one kept.
run_paths() {
	RUN=$VAR/run
	RUN_RELOCATED=0
	PASSFILE=$PGPASS_MASTER
	SVC_USER=
	SVC_GROUP=
	if is_root; then
		SVC_USER=${OPENGOV_USER:-opengov}
		if id -u "$SVC_USER" >/dev/null 2>&1; then
			SVC_GROUP=$(id -gn "$SVC_USER")
			if ! runuser -u "$SVC_USER" -- test -x "$VAR" 2>/dev/null; then
				local tag
				tag=$(printf '%s' "$VAR" | cksum | cut -d' ' -f1)
				RUN=/run/opengov-$tag
				RUN_RELOCATED=1
			fi
		fi
		PASSFILE=$RUN/pgpass
	fi
	SOCKET=$RUN/opengov.sock
	EDGE=$RUN/edge-cache
	PID_FILE=$RUN/opengov.pid
	SPAWN_PID_FILE=$RUN/opengov.spawn.pid
	CEILING_PID_FILE=$RUN/fcgi-ceiling.pid
}

# The runtime directory, made on every start. As root it belongs to
# SVC_USER (the master writes its pid file and removes its socket there)
# with nginx's group (which must reach the socket), mode 0750.
run_dir() {
	if ! is_root; then
		mkdir -p "$RUN" "$EDGE"
		return 0
	fi
	[[ -n $SVC_GROUP ]] ||
		die "no OS user $SVC_USER: run scripts/bootstrap.sh as root (it creates it), or set OPENGOV_USER"
	if [[ $RUN_RELOCATED == 1 ]]; then
		if [[ -d $VAR/run && ! -L $VAR/run ]]; then
			if serve_pid >/dev/null 2>&1 || live_pid "$VAR/run/opengov.pid" serve >/dev/null; then
				die "stop the stack first ($prog stop $VAR): its runtime directory moves to $RUN"
			fi
			rm -rf "$VAR/run"
		fi
		ln -sfn "$RUN" "$VAR/run"
	fi
	install -d -m 750 -o "$SVC_USER" -g www-data "$RUN"
	# nginx's cache of public reads: nginx's workers write it (nginx makes
	# them its owner), the service's workers delete from it (the group).
	install -d -m 2770 -o "$SVC_USER" -g "$SVC_GROUP" "$EDGE"
}

# As root the cluster runs as the OS user postgres (initdb and postgres refuse
# to run as root), which must be able to reach VARDIR. A work tree under a
# private home (/root is 0700) does not allow that; then the cluster lives in
# /tmp instead and VARDIR/pg is a symlink to it, so that make check works
# from any clone. Everything else (URLs, logs) uses the real path.
pg_paths() {
	PG=$VAR/pg
	if is_root && ! runuser -u postgres -- test -x "$VAR" 2>/dev/null; then
		local tag
		tag=$(printf '%s' "$VAR" | cksum | cut -d' ' -f1)
		PG=/tmp/opengov-pg-$tag
		PG_RELOCATED=1
	else
		PG_RELOCATED=0
	fi
	PGDATA=$PG/data
	PGRUN=$PG/run
	PGLOG=$PG/postgres.log
	[[ $PG_RELOCATED == 1 ]] || PGLOG=$LOG/postgres.log
}

# ---------------------------------------------------------------- helpers

# Run a PostgreSQL server program as the cluster owner. `cd /` because
# postgres may not be allowed into the caller's working directory.
as_pg() {
	if is_root; then
		(cd / && runuser -u postgres -- "$@")
	else
		"$@"
	fi
}

psql_su() {
	"$PGBIN/psql" -X -q -v ON_ERROR_STOP=1 -h "$PGRUN" -U postgres "$@"
}

# Export every KEY=VALUE of the env file. Parsed, not sourced: the file is
# data, and a value may hold characters (?, &) that mean something to a shell.
load_env() {
	local line key
	[[ -r $ENV_FILE ]] || die "$ENV_FILE missing: run '$prog start $VAR' first"
	while IFS= read -r line || [[ -n $line ]]; do
		[[ -z $line || $line == \#* ]] && continue
		key=${line%%=*}
		[[ $key =~ ^[A-Za-z_][A-Za-z0-9_]*$ ]] || continue
		export "$key=${line#*=}"
	done <"$ENV_FILE"
}

# The binary: OPENGOV_BIN as given (relative to the caller's directory, else
# to the repository), default bin/opengov.
resolve_bin() {
	local b=${OPENGOV_BIN:-bin/opengov}
	if [[ $b != /* ]]; then
		if [[ -e $PWD/$b ]]; then b=$PWD/$b; else b=$ROOT/$b; fi
	fi
	OPENGOV_BIN=$b
	export OPENGOV_BIN
}

# The pid in FILE if that process is alive and its command line contains
# WORD (guards against a stale file naming a recycled pid). Prints the pid.
live_pid() {
	local file=$1 word=$2 pid
	[[ -r $file ]] || return 1
	read -r pid <"$file" 2>/dev/null || return 1
	[[ $pid =~ ^[0-9]+$ ]] || return 1
	alive "$pid" || return 1
	tr '\0' ' ' <"/proc/$pid/cmdline" | grep -q -- "$word" || return 1
	echo "$pid"
}

# Is pid a live process? A zombie is not: our daemons are reparented to
# pid 1, which may take its time to reap them, and kill -0 succeeds on those.
alive() {
	local stat
	{ read -r stat <"/proc/$1/stat"; } 2>/dev/null || return 1
	stat=${stat##*) }
	[[ ${stat%% *} != Z ]]
}

# Does process group pgid still have a live member?
group_alive() {
	local f stat st pg
	for f in /proc/[0-9]*/stat; do
		{ read -r stat <"$f"; } 2>/dev/null || continue
		stat=${stat##*) }
		# fields after the command: state ppid pgrp ...
		read -r st _ pg _ <<<"$stat"
		[[ $pg == "$1" && $st != Z ]] && return 0
	done
	return 1
}

# Wait up to SECONDS for pid to exit. 0 if it did.
wait_gone() {
	local pid=$1 secs=$2 i
	for ((i = 0; i < secs * 10; i++)); do
		alive "$pid" || return 0
		sleep 0.1
	done
	! alive "$pid"
}

# Stop a daemon we started with setsid (so its pid is also its process
# group): SIG to the leader, then after TIMEOUT seconds SIGKILL to the whole
# group, which also catches workers a dying master left behind.
stop_group() {
	local name=$1 pid=$2 sig=$3 secs=$4
	kill "-$sig" "$pid" 2>/dev/null || true
	if ! wait_gone "$pid" "$secs"; then
		say "$name (pid $pid) still running after ${secs}s: SIGKILL"
		kill -KILL -- "-$pid" 2>/dev/null || kill -KILL "$pid" 2>/dev/null || true
		wait_gone "$pid" 5 || true
	fi
	# Orphaned members of the group (a pgid is never reused while in use):
	# a master that exits first may leave workers finishing a request.
	local i
	for ((i = 0; i < 20; i++)); do
		group_alive "$pid" || return 0
		sleep 0.1
	done
	kill -KILL -- "-$pid" 2>/dev/null || true
}

tail_logs() {
	local f
	for f in "$LOG/opengov.log" "$LOG/nginx-error.log" "$PGLOG"; do
		[[ -s $f ]] || continue
		echo "---- last 30 lines of $f" >&2
		tail -n 30 "$f" >&2
	done
}

# ---------------------------------------------------------------- env file

# Written once: later runs keep its JWT secret (tokens stay valid) and port.
write_env() {
	local port=$1 secret dburl_host group_line user_line
	# 32 random bytes as 64 hex digits (HS256 wants >= 32 bytes).
	secret=$(od -An -N32 -tx1 /dev/urandom | tr -d ' \n')
	[[ ${#secret} -eq 64 ]] || die "could not read 32 bytes from /dev/urandom"
	dburl_host="host=$PGRUN"
	if is_root; then
		# nginx workers run as www-data; the socket is 0660 for that group only.
		group_line="OPENGOV_SOCKET_GROUP=www-data"
		user_line="OPENGOV_USER=$SVC_USER"
	else
		group_line="# OPENGOV_SOCKET_GROUP= (unset: nginx runs as this user)"
		user_line="# OPENGOV_USER= (not root: the service runs as this user)"
	fi
	(
		umask 077 # it holds the signing secret
		cat >"$ENV_FILE.tmp" <<EOF
# opengov local stack - generated by scripts/stack.sh on $(date -u +%Y-%m-%dT%H:%M:%SZ).
# KEY=VALUE, no quotes. Kept across runs (secret, port); delete it to regenerate.
OPENGOV_VAR=$VAR
OPENGOV_PORT=$port
OPENGOV_BASE_URL=http://127.0.0.1:$port
OPENGOV_DATABASE_URL=$(db_url opengov_app)
OPENGOV_ADMIN_DATABASE_URL=$(db_url opengov)
OPENGOV_SUPERUSER_DATABASE_URL=postgresql://postgres@/opengov?$dburl_host
OPENGOV_SOCKET=$SOCKET
$group_line
$user_line
OPENGOV_WORKERS=4
OPENGOV_PID_FILE=$PID_FILE
OPENGOV_JWT_ALG=HS256
OPENGOV_JWT_SECRET=$secret
# OPENGOV_JWT_PUBLIC_KEY_FILE= (RS256/ES256 only)
# OPENGOV_JWT_PRIVATE_KEY_FILE= (RS256/ES256 only)
OPENGOV_JWT_ISSUER=opengov-local
OPENGOV_JWT_AUDIENCE=opengov-api
OPENGOV_JWT_TTL=3600
OPENGOV_CORS_ORIGINS=http://localhost:3000
OPENGOV_TZ=Asia/Shanghai
OPENGOV_MAX_BODY=1048576
EOF
		mv "$ENV_FILE.tmp" "$ENV_FILE"
	)
	say "wrote $ENV_FILE"
}

# The quotas of a local stack (README, Configuration, has the production
# defaults): the API suite and make bench create thousands of accounts,
# requests and uploads from 127.0.0.1 as a few accounts. Set only where the
# env file does not; the quota tests read the values from the env file.
STACK_QUOTAS=(
	OPENGOV_QUOTA_WINDOW=3600
	OPENGOV_QUOTA_REGISTRATIONS_PER_ADDRESS=100000
	OPENGOV_QUOTA_REQUESTS_PER_ACCOUNT=1000000
	OPENGOV_QUOTA_REQUESTS_PER_ADDRESS=1000000
	OPENGOV_QUOTA_UPLOADS_PER_ACCOUNT=100000
	OPENGOV_QUOTA_UPLOADS_PER_ADDRESS=100000
	# webhook retries after 1, 2, 4 s, three attempts a round (the
	# webhook tests wait for them; production: 30 s, 2 min, 10 min, ...)
	OPENGOV_WEBHOOK_BACKOFF=1,2,4
	OPENGOV_WEBHOOK_MAX_ATTEMPTS=3
)

stack_quotas() {
	local kv name missing=()
	for kv in "${STACK_QUOTAS[@]}"; do
		name=${kv%%=*}
		if [[ -z ${!name:-} ]]; then
			export "$kv"
			missing+=("$kv")
		fi
	done
	if ((${#missing[@]})) && [[ -w $ENV_FILE ]]; then
		printf '%s\n' "# quotas of a local stack (scripts/stack.sh STACK_QUOTAS)" "${missing[@]}" >>"$ENV_FILE"
	fi
}

# A service role's URL: no password in it (command lines are visible to
# every local user), only the file libpq reads it from.
db_url() {
	echo "postgresql://$1@/opengov?host=$PGRUN&passfile=$PASSFILE"
}

# An env file written before the stack had passwords (or with the runtime
# directory elsewhere) gets the lines that changed; secret and port stay.
env_sync() {
	local -A want=(
		[OPENGOV_DATABASE_URL]=$(db_url opengov_app)
		[OPENGOV_ADMIN_DATABASE_URL]=$(db_url opengov)
		[OPENGOV_SOCKET]=$SOCKET
		[OPENGOV_PID_FILE]=$PID_FILE
		[OPENGOV_EDGE_CACHE_DIR]=$EDGE
	)
	if is_root; then want[OPENGOV_USER]=$SVC_USER; fi
	local line key out="" changed=0 k
	local -A seen=()
	while IFS= read -r line || [[ -n $line ]]; do
		key=${line%%=*}
		if [[ $line != \#* && -n ${want[$key]+x} ]]; then
			seen[$key]=1
			if [[ ${line#*=} != "${want[$key]}" ]]; then
				line="$key=${want[$key]}"
				changed=1
			fi
		fi
		out+=$line$'\n'
	done <"$ENV_FILE"
	for k in "${!want[@]}"; do
		[[ -n ${seen[$k]:-} ]] && continue
		out+="$k=${want[$k]}"$'\n'
		changed=1
	done
	((changed)) || return 0
	(
		umask 077
		printf '%s' "$out" >"$ENV_FILE.tmp"
		mv "$ENV_FILE.tmp" "$ENV_FILE"
	)
	say "updated $ENV_FILE (database URLs, runtime paths)"
}

# The passwords of the service roles: made once (32 random bytes each, as
# hex) into VARDIR/pgpass, mode 0600, in libpq's passfile format. As root,
# a copy owned by SVC_USER goes into the runtime directory, where the
# service (which can neither read VARDIR's copy nor, maybe, reach VARDIR)
# reads it. pg_start sets the roles' passwords from it.
passwords() {
	local role pw
	if [[ ! -s $PGPASS_MASTER ]]; then
		(
			umask 077
			: >"$PGPASS_MASTER.tmp"
			for role in opengov opengov_app; do
				pw=$(od -An -N32 -tx1 /dev/urandom | tr -d ' \n')
				[[ ${#pw} -eq 64 ]] || die "could not read 32 bytes from /dev/urandom"
				echo "*:*:*:$role:$pw" >>"$PGPASS_MASTER.tmp"
			done
			mv "$PGPASS_MASTER.tmp" "$PGPASS_MASTER"
		)
		say "wrote $PGPASS_MASTER (database passwords)"
	fi
	chmod 600 "$PGPASS_MASTER"
	if is_root; then
		install -m 600 -o "$SVC_USER" -g "$SVC_GROUP" "$PGPASS_MASTER" "$PASSFILE"
	fi
}

# The password of role in the passfile.
role_password() {
	awk -F: -v r="$1" '$4 == r { print $5; exit }' "$PGPASS_MASTER"
}

# ---------------------------------------------------------------- PostgreSQL

pg_running() {
	[[ -s $PGDATA/PG_VERSION ]] && as_pg "$PGBIN/pg_ctl" -D "$PGDATA" status >/dev/null 2>&1
}

pg_init() {
	local locale=C owner=() unsafe nosync=()
	if is_root; then
		id postgres >/dev/null 2>&1 || die "no OS user postgres (install postgresql-15: scripts/bootstrap.sh)"
		owner=(-o postgres -g postgres)
	fi
	if [[ $PG_RELOCATED == 1 ]]; then
		say "postgres cannot reach $VAR; the cluster lives in $PG ($VAR/pg links to it)"
		install -d -m 755 "${owner[@]}" "$PG"
		ln -sfn "$PG" "$VAR/pg"
		touch "$PGLOG"
		ln -sfn "$PGLOG" "$LOG/postgres.log"
	else
		install -d -m 755 "$PG"
	fi
	install -d -m 700 "${owner[@]}" "$PGDATA"
	# The socket directory: the cluster's user and, as root, the service's
	# group (setgid, so the socket file gets that group too); no one else.
	if is_root; then
		install -d -m 2750 -o postgres -g "$SVC_GROUP" "$PGRUN"
	else
		install -d -m 700 "$PGRUN"
	fi
	touch "$PGLOG"
	if is_root; then chown postgres:postgres "$PGLOG"; fi
	if is_root && ! runuser -u postgres -- test -w "$PGRUN"; then
		die "the OS user postgres cannot write $PGRUN; fix the permissions of its parents"
	fi

	# fsync off only for the throwaway test cluster (VARDIR .../check): a
	# crash there loses nothing of value, and make check runs much faster.
	unsafe="# durable (fsync on)"
	if [[ $VAR == */check ]]; then
		unsafe=$'fsync = off\nsynchronous_commit = off\nfull_page_writes = off'
		nosync=(-N)
	fi

	if [[ ! -s $PGDATA/PG_VERSION ]]; then
		[[ -z $(ls -A "$PGDATA") ]] || die "$PGDATA is not empty but holds no cluster; remove it"
		# C.UTF-8 sorts by code point, same everywhere; plain C if missing.
		if locale -a 2>/dev/null | grep -qiE '^c\.utf-?8$'; then locale=C.UTF-8; fi
		say "initdb $PGDATA"
		as_pg "$PGBIN/initdb" -D "$PGDATA" -U postgres --auth-local=peer --auth-host=reject -E UTF8 \
			--locale="$locale" "${nosync[@]}" >"$LOG/initdb.log" 2>&1 ||
			{
				cat "$LOG/initdb.log" >&2
				die "initdb failed"
			}
		# Our settings live in a file of their own, rewritten on each start.
		echo "include_if_exists = 'opengov.conf'" >>"$PGDATA/postgresql.conf"
	fi

	cat >"$PGDATA/opengov.conf" <<EOF
# Written by scripts/stack.sh on every start; edit the script, not this file.
listen_addresses = ''
unix_socket_directories = '$PGRUN'
unix_socket_permissions = 0770
password_encryption = 'scram-sha-256'
max_connections = 100
shared_buffers = ${OPENGOV_PG_SHARED_BUFFERS:-256MB}
max_wal_size = ${OPENGOV_PG_MAX_WAL_SIZE:-1GB}
timezone = 'UTC'
log_timezone = 'UTC'
log_line_prefix = '%m [%p] %q%u@%d '
$unsafe
EOF
	# Who may connect, also rewritten on every start. The superuser: the
	# cluster's own OS user (and root, who can become it anyway), by peer.
	# Any other role: by password (the service's roles have one, see
	# passwords); a role without one cannot log in.
	local cluster_user root_line=""
	cluster_user=$(if is_root; then echo postgres; else id -un; fi)
	if is_root; then root_line="opengov_admin    root              postgres"; fi
	cat >"$PGDATA/pg_ident.conf" <<EOF
# Written by scripts/stack.sh on every start: the OS users that are the superuser.
# MAPNAME        SYSTEM-USERNAME   PG-USERNAME
opengov_admin    $cluster_user     postgres
$root_line
EOF
	cat >"$PGDATA/pg_hba.conf" <<EOF
# Written by scripts/stack.sh on every start. Unix socket only (no TCP).
# TYPE  DATABASE  USER      METHOD
local   all       postgres  peer map=opengov_admin
local   all       all       scram-sha-256
EOF
	chmod 600 "$PGDATA/pg_ident.conf" "$PGDATA/pg_hba.conf"
	if is_root; then
		chown postgres:postgres "$PGDATA/opengov.conf" "$PGDATA/pg_ident.conf" \
			"$PGDATA/pg_hba.conf"
	fi
}

pg_start() {
	pg_init
	if pg_running; then
		# The access rules may have changed (pg_init rewrote them).
		as_pg "$PGBIN/pg_ctl" -D "$PGDATA" reload >/dev/null
		say "postgres already running"
	else
		say "starting postgres (log $PGLOG)"
		as_pg "$PGBIN/pg_ctl" -D "$PGDATA" -l "$PGLOG" -w -t 60 start >/dev/null ||
			{
				tail -n 30 "$PGLOG" >&2
				die "postgres did not start"
			}
	fi

	# Roles and database, created only when missing. opengov owns the schema
	# (migrate, seed); opengov_app is what the service logs in as (DML only,
	# granted by the migrations). Their passwords are set from the passfile
	# on every start, through stdin: never on a command line.
	local pw_owner pw_app
	pw_owner=$(role_password opengov)
	pw_app=$(role_password opengov_app)
	[[ $pw_owner =~ ^[0-9a-f]{64}$ && $pw_app =~ ^[0-9a-f]{64}$ ]] ||
		die "$PGPASS_MASTER does not hold both passwords; remove it to make new ones"
	psql_su -d postgres <<EOF
SET client_min_messages = warning;
DO \$\$
BEGIN
	IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'opengov') THEN
		CREATE ROLE opengov LOGIN;
	END IF;
	IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'opengov_app') THEN
		CREATE ROLE opengov_app LOGIN;
	END IF;
END
\$\$;
ALTER ROLE opengov PASSWORD '$pw_owner';
ALTER ROLE opengov_app PASSWORD '$pw_app';
EOF
	if [[ -z $(psql_su -d postgres -Atc "SELECT 1 FROM pg_database WHERE datname = 'opengov'") ]]; then
		psql_su -d postgres -c "CREATE DATABASE opengov OWNER opengov ENCODING 'UTF8' TEMPLATE template0"
		say "created database opengov"
	fi
}

pg_stop() {
	if pg_running; then
		as_pg "$PGBIN/pg_ctl" -D "$PGDATA" -m fast -w -t 60 stop >/dev/null
		say "postgres stopped"
	fi
}

# ---------------------------------------------------------------- opengov serve

serve_pid() {
	live_pid "$PID_FILE" serve || live_pid "$SPAWN_PID_FILE" serve
}

serve_start() {
	local pid spawned i
	if pid=$(serve_pid); then
		say "opengov serve already running (pid $pid)"
		return 0
	fi
	rm -f "$SOCKET" "$PID_FILE" "$SPAWN_PID_FILE"
	say "starting $OPENGOV_BIN serve (log $LOG/opengov.log)"
	# setsid: its own session and process group, so `stop` can reach the
	# workers too, and a Ctrl-C in this terminal does not. All three std
	# streams are redirected so that nothing holds the caller's pipe (CI).
	(cd "$ROOT" && exec setsid nohup "$OPENGOV_BIN" serve </dev/null >>"$LOG/opengov.log" 2>&1) &
	spawned=$!
	echo "$spawned" >"$SPAWN_PID_FILE"
	for ((i = 0; i < 100; i++)); do
		[[ -S $SOCKET ]] && return 0
		if ! kill -0 "$spawned" 2>/dev/null; then
			tail_logs
			die "opengov serve exited during startup"
		fi
		sleep 0.1
	done
	tail_logs
	die "opengov serve did not create $SOCKET within 10 s"
}

serve_stop() {
	local pid
	if pid=$(serve_pid); then
		# SIGTERM lets in-flight requests finish (README, "Architecture").
		stop_group "opengov serve" "$pid" TERM 15
		say "opengov serve stopped"
	fi
	rm -f "$PID_FILE" "$SPAWN_PID_FILE"
}

# The monitor (correction deadlines and, later, the other monitoring rules)
# runs every minute beside make run's server (var/). Other stacks (tests,
# side-by-side development) run it only when asked: a background round
# would race the tests that count what a round does.
MONITOR_PID_FILE_NAME=monitor.pid

monitor_wanted() { [[ $VAR == "$ROOT/var" ]]; }

monitor_start() {
	local pid_file=$RUN/$MONITOR_PID_FILE_NAME pid
	monitor_wanted || return 0
	if pid=$(live_pid "$pid_file" monitor); then
		say "opengov monitor already running (pid $pid)"
		return 0
	fi
	(cd "$ROOT" && exec setsid nohup "$OPENGOV_BIN" monitor --every 60 </dev/null >>"$LOG/monitor.log" 2>&1) &
	echo "$!" >"$pid_file"
	say "opengov monitor running every 60 s (log $LOG/monitor.log)"
}

monitor_stop() {
	local pid_file=$RUN/$MONITOR_PID_FILE_NAME pid
	if pid=$(live_pid "$pid_file" monitor); then
		stop_group "opengov monitor" "$pid" TERM 5
		say "opengov monitor stopped"
	fi
	rm -f "$pid_file"
}

# The webhooks' sender (opengov deliver, src/domain/deliver.c) runs beside
# every stack's server: deliveries are never sent by a request. Its retry
# pauses come from OPENGOV_WEBHOOK_BACKOFF (STACK_QUOTAS shortens them on a
# local stack).
DELIVER_PID_FILE_NAME=deliver.pid

deliver_start() {
	local pid_file=$RUN/$DELIVER_PID_FILE_NAME pid
	if pid=$(live_pid "$pid_file" deliver); then
		say "opengov deliver already running (pid $pid)"
		return 0
	fi
	(cd "$ROOT" && exec setsid nohup "$OPENGOV_BIN" deliver </dev/null >>"$LOG/deliver.log" 2>&1) &
	echo "$!" >"$pid_file"
	say "opengov deliver running (log $LOG/deliver.log)"
}

deliver_stop() {
	local pid_file=$RUN/$DELIVER_PID_FILE_NAME pid
	if pid=$(live_pid "$pid_file" deliver); then
		stop_group "opengov deliver" "$pid" TERM 15
		say "opengov deliver stopped"
	fi
	rm -f "$pid_file"
}

ceiling_stop() {
	local pid
	if pid=$(live_pid "$CEILING_PID_FILE" fcgi-ceiling); then
		stop_group "fcgi-ceiling" "$pid" TERM 5
		say "fcgi-ceiling stopped"
	fi
	rm -f "$CEILING_PID_FILE"
}

# ---------------------------------------------------------------- nginx

nginx_pid() {
	live_pid "$NGX_PID" nginx
}

# @CORS_MAP@ lines: nginx's own error answers carry the CORS header for the
# same origins the service allows.
cors_map_lines() {
	local origins=${OPENGOV_CORS_ORIGINS:-} o
	local -a list
	IFS=',' read -r -a list <<<"$origins"
	for o in "${list[@]}"; do
		o=${o// /}
		if [[ $o == '*' ]]; then
			printf '        "~." "*";\n'
		elif [[ $o =~ ^[A-Za-z0-9:/._-]+$ ]]; then
			# shellcheck disable=SC2016 # $http_origin is nginx's, not ours
			printf '        "%s" $http_origin;\n' "$o"
		fi
	done
}

nginx_render() {
	local port=$1 user_line cors
	if is_root; then
		if runuser -u www-data -- test -x "$NGX" 2>/dev/null; then
			user_line="user www-data www-data;"
		else
			# www-data cannot reach VARDIR (e.g. a clone under /root): workers
			# stay root. Acceptable for a loopback-only dev/test stack.
			user_line="user root root;"
			say "www-data cannot reach $VAR: nginx workers run as root"
		fi
	else
		user_line="# not root: the workers run as $(id -un)"
	fi
	cors=$(cors_map_lines)
	# awk, not sed: the CORS block is several lines. The values hold no
	# backslash or '&' (checked in set_paths), so gsub takes them literally.
	awk -v var="$VAR" -v port="$port" -v sock="$SOCKET" -v user="$user_line" -v cors="$cors" -v edge="$EDGE" '
		$0 ~ /^@CORS_MAP@$/ { if (cors != "") print cors; next }
		{
			gsub(/@VAR@/, var); gsub(/@PORT@/, port); gsub(/@EDGE@/, edge)
			gsub(/@SOCKET@/, sock); gsub(/@USER@/, user)
			print
		}' "$ROOT/nginx/opengov-dev.conf.in" >"$NGX_CONF.tmp"
	if grep -q '@[A-Z_]*@' "$NGX_CONF.tmp"; then
		die "unreplaced placeholder left in $NGX_CONF.tmp: $(grep -o '@[A-Z_]*@' "$NGX_CONF.tmp" | sort -u | tr '\n' ' ')"
	fi
	mv "$NGX_CONF.tmp" "$NGX_CONF"
	"$NGINX" -t -q -p "$NGX/" -c "$NGX_CONF" || die "nginx rejects $NGX_CONF"
}

nginx_start() {
	local port=$1 pid
	nginx_render "$port"
	if pid=$(nginx_pid); then
		# HUP = reload: new workers with the new config, no dropped request.
		kill -HUP "$pid"
		say "nginx reloaded (pid $pid)"
	else
		rm -f "$NGX_PID"
		"$NGINX" -p "$NGX/" -c "$NGX_CONF" || {
			tail_logs
			die "nginx did not start"
		}
		say "nginx listening on 127.0.0.1:$port"
	fi
}

nginx_stop() {
	local pid
	if pid=$(nginx_pid); then
		# QUIT: graceful (finish requests in flight); TERM and KILL after.
		kill -QUIT "$pid" 2>/dev/null || true
		if ! wait_gone "$pid" 10; then
			kill -TERM "$pid" 2>/dev/null || true
			wait_gone "$pid" 5 || kill -KILL "$pid" 2>/dev/null || true
		fi
		say "nginx stopped"
	fi
	rm -f "$NGX_PID"
}

# ---------------------------------------------------------------- docs

# Static API docs served by nginx at /docs/ and /openapi.yaml, from local
# files only (docs/, openapi.yaml, Redoc's bundle from tests/contract).
# Refreshed on every start, so `make run` shows the current openapi.yaml.
docs_install() {
	"$ROOT/scripts/install-docs.sh" "$DOCS"
}

# ---------------------------------------------------------------- commands

wait_healthy() {
	local url=$1 i code=000
	for ((i = 0; i < 30; i++)); do
		code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 2 "$url" || true)
		[[ $code == 200 ]] && return 0
		sleep 0.5
	done
	tail_logs
	die "GET $url answered $code, not 200, within 15 s"
}

cmd_start() {
	local want_port=${1:-} port
	mkdir -p "$LOG" "$NGX/tmp" "$DOCS"
	run_dir
	resolve_bin
	[[ -x $OPENGOV_BIN ]] || die "$OPENGOV_BIN not found or not executable (make all)"
	[[ -x $PGBIN/initdb ]] || die "$PGBIN/initdb missing (scripts/bootstrap.sh installs postgresql-15)"

	if [[ ! -f $ENV_FILE ]]; then
		port=${want_port:-$DEFAULT_PORT}
		if [[ ! $port =~ ^[0-9]+$ ]] || ((port < 1 || port > 65535)); then
			die "bad port: $port"
		fi
		write_env "$port"
	fi
	env_sync
	passwords
	load_env
	stack_quotas
	port=$OPENGOV_PORT
	if [[ -n $want_port && $want_port != "$port" ]]; then
		say "note: $ENV_FILE fixes the port at $port (not $want_port); delete the file to change it"
	fi

	pg_start
	# The schema and the demo data: both idempotent, run on every start so
	# that a new migration lands with the next make run.
	(cd "$ROOT" && "$OPENGOV_BIN" migrate) || die "$OPENGOV_BIN migrate failed"
	(cd "$ROOT" && "$OPENGOV_BIN" seed --demo) || die "$OPENGOV_BIN seed --demo failed"
	serve_start
	monitor_start
	deliver_start
	docs_install
	nginx_start "$port"
	wait_healthy "$OPENGOV_BASE_URL/healthz"
	say "up: $OPENGOV_BASE_URL"
}

cmd_stop() {
	# Front to back: no new requests, then the workers, then the database.
	nginx_stop
	serve_stop
	monitor_stop
	deliver_stop
	ceiling_stop
	pg_stop
	# A relocated runtime directory (run_paths) goes with the stack.
	if [[ $RUN_RELOCATED == 1 && -d $RUN ]]; then
		rm -f "$RUN/pgpass"
		rmdir "$RUN" 2>/dev/null || true
	fi
}

cmd_status() {
	local ok=0 pid
	if pid=$(nginx_pid); then say "nginx: up (pid $pid)"; else
		say "nginx: down"
		ok=1
	fi
	if pid=$(serve_pid); then say "opengov serve: up (pid $pid)"; else
		say "opengov serve: down"
		ok=1
	fi
	if pg_running; then say "postgres: up ($PGDATA)"; else
		say "postgres: down"
		ok=1
	fi
	if pid=$(live_pid "$RUN/$MONITOR_PID_FILE_NAME" monitor); then say "opengov monitor: up (pid $pid)"; fi
	if pid=$(live_pid "$RUN/$DELIVER_PID_FILE_NAME" deliver); then say "opengov deliver: up (pid $pid)"; fi
	if pid=$(live_pid "$CEILING_PID_FILE" fcgi-ceiling); then say "fcgi-ceiling: up (pid $pid)"; fi
	return "$ok"
}

cmd_banner() {
	local admin public base
	load_env
	resolve_bin
	base=$OPENGOV_BASE_URL
	# Tokens for the demo accounts themselves, so /v1/me names them.
	local admin_id public_id
	admin_id=$(psql_su -d opengov -Atc "SELECT id FROM accounts WHERE username = 'demo-admin'") || true
	public_id=$(psql_su -d opengov -Atc "SELECT id FROM accounts WHERE username = 'demo-public'") || true
	admin=$("$OPENGOV_BIN" token --role admin --sub "${admin_id:-demo-admin}" --ttl 86400) ||
		die "could not mint a token"
	public=$("$OPENGOV_BIN" token --role public --sub "${public_id:-demo-public}" \
		--applicant-type natural_person --ttl 86400) || die "could not mint a token"
	cat <<EOF

opengov is running
  API        $base/v1/
  health     $base/healthz   $base/readyz   $base/metrics
  docs       $base/docs/     (OpenAPI: $base/openapi.yaml)
  logs       $LOG/
  env        $ENV_FILE

Demo accounts (password: demo-password)
  demo-public (natural_person)  demo-public2 (company)
  demo-clerk, demo-approver (unit PSB)  demo-clerk2 (unit AIC)
  demo-supervisor  demo-admin

Tokens (valid 24 h)
  ADMIN_TOKEN=$admin
  PUBLIC_TOKEN=$public

Try
  curl -s '$base/v1/units?limit=3'
  curl -s -H "Authorization: Bearer $admin" $base/v1/me
  curl -s -X POST -H 'Content-Type: application/json' -d '{"username":"demo-admin","password":"demo-password"}' $base/v1/auth/token

Stop with: make stop
EOF
}

(($# >= 2)) || usage
cmd=$1
if [[ ! -d $2 ]]; then
	case $cmd in
	start) mkdir -p "$2" ;;
	stop) exit 0 ;; # nothing was ever started there
	*) die "$2: no such directory" ;;
	esac
fi
set_paths "$2"
case $cmd in
start)
	(($# <= 3)) || usage
	cmd_start "${3:-}"
	;;
stop) cmd_stop ;;
status) cmd_status ;;
banner) cmd_banner ;;
*) usage ;;
esac
