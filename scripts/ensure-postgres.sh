#!/usr/bin/env bash
# Make sure the PostgreSQL the metadata tests use answers at 127.0.0.1:5432, starting the
# machine's cluster if it is installed but stopped. Prints what it did; fails if it can't.
set -euo pipefail
HOST=${PGHOST:-127.0.0.1}
PORT=${PGPORT:-5432}
ready() { pg_isready -q -h "$HOST" -p "$PORT" 2>/dev/null; }

if ! command -v pg_isready >/dev/null; then
  echo "ensure-postgres: installing PostgreSQL from Debian packages"
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null
fi
if ready; then echo "ensure-postgres: PostgreSQL is up at $HOST:$PORT"; exit 0; fi
echo "ensure-postgres: starting PostgreSQL"
for version in $(ls /etc/postgresql 2>/dev/null); do
  pg_ctlcluster --skip-systemctl-redirect "$version" main start || true
done
for _ in $(seq 1 30); do ready && break; sleep 1; done
ready || { echo "ensure-postgres: PostgreSQL did not come up at $HOST:$PORT" >&2; exit 1; }
# Trust auth and the `test` database are what the test suite expects.
if ! psql -h "$HOST" -p "$PORT" -U postgres -tAc "SELECT 1 FROM pg_database WHERE datname='test'" | grep -q 1; then
  psql -h "$HOST" -p "$PORT" -U postgres -c "CREATE DATABASE test" >/dev/null
fi
echo "ensure-postgres: PostgreSQL is up at $HOST:$PORT"
