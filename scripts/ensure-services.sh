#!/usr/bin/env bash
# Make sure what the test suite talks to is reachable: PostgreSQL, Redis, Chromium + ChromeDriver.
# Starts a server that is installed but stopped; otherwise stops with one sentence saying what
# to start. It never lets the suite run without them.
set -euo pipefail

DATABASE_URL="${DATABASE_URL:-postgresql://postgres@127.0.0.1:5432/citizenvoice_test}"
REDIS_URL="${REDIS_URL:-redis://127.0.0.1:6379/15}"

# host and port out of scheme://user@host:port/db
hostport() { local rest="${1#*://}"; rest="${rest#*@}"; rest="${rest%%/*}"; echo "$rest"; }
pg_hp=$(hostport "$DATABASE_URL"); pg_host="${pg_hp%%:*}"; pg_port="${pg_hp##*:}"; [ "$pg_port" = "$pg_hp" ] && pg_port=5432
rd_hp=$(hostport "$REDIS_URL"); rd_host="${rd_hp%%:*}"; rd_port="${rd_hp##*:}"; [ "$rd_port" = "$rd_hp" ] && rd_port=6379

fail() { echo "ensure-services: $*" >&2; exit 1; }

pg_up() { python3 - "$pg_host" "$pg_port" <<'PY'
import socket, sys
try:
    socket.create_connection((sys.argv[1], int(sys.argv[2])), timeout=2).close()
except OSError:
    sys.exit(1)
PY
}

if ! pg_up; then
  if command -v pg_ctlcluster >/dev/null 2>&1 && [ -d /etc/postgresql ]; then
    echo "ensure-services: starting PostgreSQL"
    pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | sort -V | tail -n1)" main start || true
    for _ in $(seq 1 30); do pg_up && break; sleep 1; done
  fi
  pg_up || fail "PostgreSQL is not reachable at $pg_host:$pg_port: start a PostgreSQL server there or set DATABASE_URL to one."
fi
echo "ensure-services: PostgreSQL is up at $pg_host:$pg_port"

redis_up() { command -v redis-cli >/dev/null 2>&1 && [ "$(redis-cli -h "$rd_host" -p "$rd_port" ping 2>/dev/null)" = "PONG" ]; }
if ! redis_up; then
  if command -v redis-server >/dev/null 2>&1; then
    echo "ensure-services: starting Redis"
    mkdir -p /tmp/citizenvoice-redis
    redis-server --daemonize yes --bind 127.0.0.1 --port "$rd_port" --save "" --appendonly no \
      --maxmemory-policy noeviction --dir /tmp/citizenvoice-redis --logfile /tmp/citizenvoice-redis/redis.log
    for _ in $(seq 1 20); do redis_up && break; sleep 0.5; done
  fi
  redis_up || fail "Redis is not reachable at $rd_host:$rd_port: start a Redis server there (redis-server) or set REDIS_URL to one."
fi
echo "ensure-services: Redis is up at $rd_host:$rd_port"

chromium_bin="${CHROMIUM_BIN:-$(command -v chromium || command -v chromium-browser || true)}"
driver_bin="${CHROMEDRIVER_BIN:-$(command -v chromedriver || true)}"
if [ -z "$chromium_bin" ] || [ -z "$driver_bin" ]; then
  if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
    echo "ensure-services: installing Debian chromium and chromium-driver for the browser tests"
    apt-get update -qq >/dev/null
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver fonts-wqy-microhei >/dev/null
  fi
  command -v chromium >/dev/null 2>&1 && command -v chromedriver >/dev/null 2>&1 \
    || fail "Chromium and ChromeDriver are needed for the browser tests: install them (Debian: apt-get install chromium chromium-driver) or set CHROMIUM_BIN and CHROMEDRIVER_BIN."
fi
echo "ensure-services: Chromium and ChromeDriver are installed"
