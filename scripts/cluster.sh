#!/usr/bin/env bash
# cluster.sh - the several-machine topology of docs/deployment.md on one
# machine, for `make cluster-test` (tests/cluster/): etcd, two PostgreSQL 15
# nodes under Patroni (synchronous replication), two `opengov serve` hosts
# (each its own process group and FastCGI socket, and an `opengov deliver`
# beside it), and nginx in front.
#
#   scripts/cluster.sh start DIR      everything up, env in DIR/cluster.env
#   scripts/cluster.sh stop DIR       everything down (by the pids it wrote)
#   scripts/cluster.sh kill-host DIR a|b      SIGKILL one opengov host (its
#                                             serve and deliver groups)
#   scripts/cluster.sh kill-primary DIR       SIGKILL the primary's Patroni
#                                             and PostgreSQL (a dead machine)
#   scripts/cluster.sh primary DIR    prints the node that leads (pg1 or pg2)
#
# Ports: CLUSTER_PORT_BASE (default 18620) and the next six: etcd client and
# peer, PostgreSQL pg1 and pg2, Patroni REST pg1 and pg2, nginx. As root,
# PostgreSQL (and Patroni, which runs it) run as the OS user postgres and the
# opengov hosts become OPENGOV_USER, as scripts/stack.sh does.
set -euo pipefail
prog=cluster.sh
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)
PGBIN=${PGBIN:-/usr/lib/postgresql/15/bin}
BASE=${CLUSTER_PORT_BASE:-18620}
ETCD_PORT=$BASE ETCD_PEER=$((BASE + 1))
PG1=$((BASE + 2)) PG2=$((BASE + 3)) REST1=$((BASE + 4)) REST2=$((BASE + 5))
NGINX_PORT=$((BASE + 6))
SVC_USER=${OPENGOV_USER:-opengov}
OPENGOV_BIN=${OPENGOV_BIN:-$ROOT/bin/opengov}

say() { echo "$prog: $*"; }
die() {
	echo "$prog: $*" >&2
	exit 1
}
is_root() { [[ $(id -u) -eq 0 ]]; }

cmd=${1:-}
DIR=${2:-}
[[ -n $cmd && -n $DIR ]] || die "usage: $prog start|stop|kill-host|kill-primary|primary DIR [a|b]"
mkdir -p "$DIR"
DIR=$(cd "$DIR" && pwd -P)
RUN=$DIR/run LOG=$DIR/log
ENV_FILE=$DIR/cluster.env

# Secrets of this throwaway cluster, made once.
secret() {
	local f=$DIR/secret.$1
	[[ -s $f ]] || { umask 077; head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' >"$f"; }
	cat "$f"
}

# Starts "$@" in its own session (its own process group), output to a log,
# its pid in RUN/NAME.pid.
spawn() {
	local name=$1
	shift
	setsid "$@" >>"$LOG/$name.log" 2>&1 </dev/null &
	echo $! >"$RUN/$name.pid"
}

pid_of() {
	local f=$RUN/$1.pid
	[[ -s $f ]] && kill -0 "$(cat "$f")" 2>/dev/null && cat "$f"
}

# SIGKILL the process group that spawn made (a machine that dies: nothing
# gets to clean up).
kill_group() {
	local pid
	if pid=$(pid_of "$1"); then
		kill -KILL -- "-$pid" 2>/dev/null || kill -KILL "$pid" 2>/dev/null || true
	fi
	rm -f "$RUN/$1.pid"
}

# SIGTERM the group, then SIGKILL what is left after $2 seconds.
stop_group() {
	local pid i
	pid=$(pid_of "$1") || { rm -f "$RUN/$1.pid"; return 0; }
	kill -TERM -- "-$pid" 2>/dev/null || true
	for ((i = 0; i < ${2:-10} * 10; i++)); do
		kill -0 -- "-$pid" 2>/dev/null || break
		sleep 0.1
	done
	kill -KILL -- "-$pid" 2>/dev/null || true
	rm -f "$RUN/$1.pid"
}

# The postmaster of a node and its children. Patroni starts PostgreSQL in a
# session of its own (so that a restart of Patroni leaves it running): the
# group of Patroni's process does not hold it, and a dead machine loses both.
kill_postgres() {
	local pmfile=$DIR/$1/data/postmaster.pid pm
	[[ -s $pmfile ]] || return 0
	pm=$(head -n1 "$pmfile")
	[[ $pm =~ ^[0-9]+$ ]] || return 0
	local kids
	kids=$(pgrep -P "$pm" || true)
	kill -KILL "$pm" $kids 2>/dev/null || true
}

as_pg() {
	if is_root; then (cd / && runuser -u postgres -- "$@"); else "$@"; fi
}

wait_for() { # seconds, description, command...
	local secs=$1 what=$2 i
	shift 2
	for ((i = 0; i < secs * 10; i++)); do
		"$@" >/dev/null 2>&1 && return 0
		sleep 0.1
	done
	die "timed out waiting for $what (logs in $LOG)"
}

primary_node() {
	local n port
	for n in 1 2; do
		port=$((BASE + 3 + n))
		if curl -fsS -o /dev/null "http://127.0.0.1:$port/primary" 2>/dev/null; then
			echo "pg$n"
			return 0
		fi
	done
	return 1
}

patroni_config() { # node number
	local n=$1 port rest other
	port=$((BASE + 1 + n))
	rest=$((BASE + 3 + n))
	cat <<EOF
scope: opengov-cluster-test
name: pg$n
log: {level: WARNING}
restapi:
  listen: 127.0.0.1:$rest
  connect_address: 127.0.0.1:$rest
etcd3:
  hosts: 127.0.0.1:$ETCD_PORT
bootstrap:
  dcs:
    # Seconds. The leader key lives ttl; a dead primary is replaced about
    # ttl after its last renewal. ttl >= loop_wait + 2 * retry_timeout.
    ttl: 10
    loop_wait: 2
    retry_timeout: 3
    maximum_lag_on_failover: 1048576
    # A commit is acknowledged only when the synchronous standby has it:
    # the standby Patroni promotes has every acknowledged write.
    synchronous_mode: true
    postgresql:
      use_pg_rewind: false
      use_slots: true
      parameters:
        wal_level: replica
        hot_standby: "on"
        max_wal_senders: 5
        max_replication_slots: 5
        max_connections: 100
        synchronous_commit: "on"
  initdb:
  - encoding: UTF8
  - locale: C.UTF-8
postgresql:
  listen: 127.0.0.1:$port
  connect_address: 127.0.0.1:$port
  data_dir: $DIR/pg$n/data
  bin_dir: $PGBIN
  pgpass: $DIR/pg$n/pgpass
  authentication:
    superuser: {username: postgres, password: "$(secret postgres)"}
    replication: {username: replicator, password: "$(secret replicator)"}
  parameters:
    unix_socket_directories: "$DIR/pg$n/run"
  pg_hba:
  - local all all peer
  - host replication replicator 127.0.0.1/32 scram-sha-256
  - host all all 127.0.0.1/32 scram-sha-256
EOF
}

# The libpq URL of a role over both nodes: the read-write one (the primary)
# wherever it is now.
db_url() { # role, target_session_attrs
	echo "postgresql://$1@127.0.0.1:$PG1,127.0.0.1:$PG2/opengov?target_session_attrs=$2&connect_timeout=2&passfile=$RUN/pgpass"
}

psql_primary() {
	local node port
	node=$(primary_node) || die "no primary"
	port=$((BASE + 1 + ${node#pg}))
	PGPASSWORD=$(secret postgres) "$PGBIN/psql" -X -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$port" -U postgres "$@"
}

# Exports every KEY=VALUE of the env file: parsed, not sourced (the URLs
# hold '&').
load_env() {
	local line
	while IFS= read -r line; do
		[[ $line =~ ^[A-Z_][A-Z0-9_]*= ]] && export "${line%%=*}=${line#*=}"
	done <"$ENV_FILE"
}

start_host() { # a|b
	local h=$1
	(
		load_env
		export OPENGOV_SOCKET=$RUN/host-$h/fcgi.sock OPENGOV_PID_FILE=$RUN/host-$h/serve.pid
		cd "$ROOT"
		spawn "host-$h" "$OPENGOV_BIN" serve
	)
	wait_for 20 "opengov host $h" test -S "$RUN/host-$h/fcgi.sock"
	# The host's webhook sender: one of the two holds the lock, the other waits.
	(
		load_env
		cd "$ROOT"
		spawn "deliver-$h" "$OPENGOV_BIN" deliver
	)
}

start() {
	is_root || die "run as root (PostgreSQL runs as postgres, the hosts as $SVC_USER)"
	for c in /usr/bin/patroni /usr/bin/etcd "$PGBIN/postgres" /usr/sbin/nginx "$OPENGOV_BIN"; do
		[[ -x $c ]] || die "$c missing (make cluster-test installs what it needs)"
	done
	install -d -m 0755 "$RUN" "$LOG"
	install -d -m 0700 -o postgres -g postgres "$DIR/pg1" "$DIR/pg2" "$DIR/pg1/run" "$DIR/pg2/run"
	chown postgres:postgres "$LOG"
	runuser -u postgres -- test -x "$DIR" || die "the OS user postgres cannot reach $DIR"

	say "etcd on 127.0.0.1:$ETCD_PORT"
	spawn etcd /usr/bin/etcd --name e1 --data-dir "$DIR/etcd" \
		--listen-client-urls "http://127.0.0.1:$ETCD_PORT" --advertise-client-urls "http://127.0.0.1:$ETCD_PORT" \
		--listen-peer-urls "http://127.0.0.1:$ETCD_PEER" --initial-advertise-peer-urls "http://127.0.0.1:$ETCD_PEER" \
		--initial-cluster "e1=http://127.0.0.1:$ETCD_PEER" --initial-cluster-state new
	wait_for 20 etcd curl -fsS "http://127.0.0.1:$ETCD_PORT/health"

	local n
	for n in 1 2; do
		patroni_config "$n" >"$DIR/pg$n/patroni.yml"
		chown postgres:postgres "$DIR/pg$n/patroni.yml"
		chmod 0600 "$DIR/pg$n/patroni.yml"
		say "Patroni pg$n: PostgreSQL on 127.0.0.1:$((BASE + 1 + n)), REST on 127.0.0.1:$((BASE + 3 + n))"
		# cd /: postgres may not enter the caller's directory.
		(cd / && spawn "patroni-pg$n" runuser -u postgres -- /usr/bin/patroni "$DIR/pg$n/patroni.yml")
		[[ $n == 1 ]] && wait_for 90 "pg1 to lead" curl -fsS "http://127.0.0.1:$REST1/primary"
	done
	wait_for 120 "pg2 to stream as the synchronous standby" curl -fsS "http://127.0.0.1:$REST2/sync"

	# Roles, database, passfile (the hosts' user reads it after dropping root).
	local pw_owner pw_app
	pw_owner=$(secret opengov) pw_app=$(secret opengov_app)
	psql_primary -d postgres <<EOF
SET client_min_messages = warning;
DO \$\$
BEGIN
	IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'opengov') THEN CREATE ROLE opengov LOGIN; END IF;
	IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'opengov_app') THEN CREATE ROLE opengov_app LOGIN; END IF;
END
\$\$;
ALTER ROLE opengov PASSWORD '$pw_owner';
ALTER ROLE opengov_app PASSWORD '$pw_app';
EOF
	[[ -n $(psql_primary -d postgres -Atc "SELECT 1 FROM pg_database WHERE datname = 'opengov'") ]] ||
		psql_primary -d postgres -c "CREATE DATABASE opengov OWNER opengov ENCODING 'UTF8' TEMPLATE template0"
	{
		echo "127.0.0.1:*:*:opengov:$pw_owner"
		echo "127.0.0.1:*:*:opengov_app:$pw_app"
	} >"$RUN/pgpass"
	chown "$SVC_USER" "$RUN/pgpass"
	chmod 0600 "$RUN/pgpass"
	install -d -m 0750 -o "$SVC_USER" -g www-data "$RUN/host-a" "$RUN/host-b"
	# nginx makes its workers the owner; the service deletes through the group.
	install -d -m 2770 -o "$SVC_USER" -g "$(id -gn "$SVC_USER")" "$RUN/edge-cache"

	cat >"$ENV_FILE" <<EOF
# opengov cluster test - written by scripts/cluster.sh; KEY=VALUE.
OPENGOV_BASE_URL=http://127.0.0.1:$NGINX_PORT
OPENGOV_DATABASE_URL=$(db_url opengov_app read-write)
OPENGOV_ADMIN_DATABASE_URL=$(db_url opengov read-write)
OPENGOV_DATABASE_READ_URL=$(db_url opengov_app prefer-standby)
OPENGOV_REPLICA_MAX_LAG_MS=1000
OPENGOV_SOCKET_GROUP=www-data
OPENGOV_USER=$SVC_USER
OPENGOV_WORKERS=3
OPENGOV_JWT_ALG=HS256
OPENGOV_JWT_SECRET=$(secret jwt)
OPENGOV_JWT_ISSUER=opengov-cluster
OPENGOV_JWT_AUDIENCE=opengov-api
OPENGOV_TZ=Asia/Shanghai
OPENGOV_EDGE_CACHE_DIR=$RUN/edge-cache
OPENGOV_QUOTA_REGISTRATIONS_PER_ADDRESS=100000
OPENGOV_QUOTA_REQUESTS_PER_ACCOUNT=1000000
OPENGOV_QUOTA_REQUESTS_PER_ADDRESS=1000000
OPENGOV_QUOTA_UPLOADS_PER_ACCOUNT=100000
OPENGOV_QUOTA_UPLOADS_PER_ADDRESS=100000
CLUSTER_DIR=$DIR
CLUSTER_SUPERUSER_PASSWORD=$(secret postgres)
CLUSTER_PG_PORTS=$PG1,$PG2
CLUSTER_REST_PORTS=$REST1,$REST2
EOF
	chmod 0600 "$ENV_FILE"

	say "migrate and seed --demo"
	(
		load_env
		cd "$ROOT"
		"$OPENGOV_BIN" migrate >"$LOG/migrate.log" 2>&1 || die "migrate failed (see $LOG/migrate.log)"
		"$OPENGOV_BIN" seed --demo >"$LOG/seed.log" 2>&1 || die "seed failed (see $LOG/seed.log)"
	)
	start_host a
	start_host b
	say "opengov hosts a and b: $RUN/host-a/fcgi.sock, $RUN/host-b/fcgi.sock"

	nginx_render
	/usr/sbin/nginx -p "$DIR/nginx/" -c "$DIR/nginx/nginx.conf" || die "nginx did not start"
	wait_for 20 nginx curl -fsS "http://127.0.0.1:$NGINX_PORT/readyz"
	say "up: http://127.0.0.1:$NGINX_PORT (primary $(primary_node))"
}

# The tested nginx config (nginx/opengov-dev.conf.in), with the upstream of
# two hosts and passive health checks, and the retry rules of
# nginx/opengov.conf. Written next to the cluster.
nginx_render() {
	install -d "$DIR/nginx" "$DIR/nginx/tmp" "$DIR/docs"
	local user_line="user www-data www-data;"
	runuser -u www-data -- test -x "$RUN/host-a" 2>/dev/null || user_line="user root root;"
	awk -v var="$DIR" -v port="$NGINX_PORT" -v run="$RUN" -v user="$user_line" -v edge="$RUN/edge-cache" '
		$0 ~ /^@CORS_MAP@$/ { next }
		/server unix:@SOCKET@;/ {
			# Passive health checks: one failure takes a host out for 5 s,
			# then nginx tries it again with a live request.
			print "        server unix:" run "/host-a/fcgi.sock max_fails=1 fail_timeout=5s;"
			print "        server unix:" run "/host-b/fcgi.sock max_fails=1 fail_timeout=5s;"
			next
		}
		{
			gsub(/@VAR@/, var); gsub(/@PORT@/, port); gsub(/@EDGE@/, edge)
			gsub(/@USER@/, user)
			print
		}' "$ROOT/nginx/opengov-dev.conf.in" >"$DIR/nginx/nginx.conf"
	# The log and temp paths of the template live under VAR/log, VAR/nginx.
	install -d "$DIR/nginx/tmp/body" "$DIR/nginx/tmp/fastcgi" "$DIR/nginx/tmp/proxy" \
		"$DIR/nginx/tmp/scgi" "$DIR/nginx/tmp/uwsgi"
	! grep -q '@[A-Z_]*@' "$DIR/nginx/nginx.conf" || die "placeholder left in $DIR/nginx/nginx.conf"
	/usr/sbin/nginx -t -q -p "$DIR/nginx/" -c "$DIR/nginx/nginx.conf" || die "nginx rejects $DIR/nginx/nginx.conf"
}

stop() {
	local pid
	if [[ -s $DIR/nginx/nginx.pid ]]; then
		pid=$(cat "$DIR/nginx/nginx.pid")
		kill -QUIT "$pid" 2>/dev/null || true
		for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
		kill -KILL "$pid" 2>/dev/null || true
	fi
	stop_group host-a 35
	stop_group host-b 35
	stop_group deliver-a 10
	stop_group deliver-b 10
	stop_group patroni-pg1 30
	stop_group patroni-pg2 30
	kill_postgres pg1
	kill_postgres pg2
	stop_group etcd 10
	say "stopped"
}

case $cmd in
start) start ;;
stop) stop ;;
kill-host)
	[[ ${3:-} == [ab] ]] || die "kill-host DIR a|b"
	kill_group "host-$3"
	kill_group "deliver-$3"
	;;
kill-primary)
	node=$(primary_node) || die "no primary"
	kill_group "patroni-$node"
	kill_postgres "$node"
	echo "$node"
	;;
primary) primary_node ;;
*) die "unknown command $cmd" ;;
esac
