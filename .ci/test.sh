#!/usr/bin/env bash
# The whole test suite: unit and service tests on SQLite and PostgreSQL, HTTP tests, then the
# debug site built by cargo-leptos and the end-to-end tests in Chromium.
set -euo pipefail
cd "$(dirname "$0")/.."
say() { printf '\033[1;34m[test]\033[0m %s\n' "$*"; }
warn() { printf '\033[1;31m[test] %s\033[0m\n' "$*"; }

PG_BASE=${TEST_DATABASE_URL:-postgres://postgres@127.0.0.1:5432}
pg_up() { pg_isready -q -h 127.0.0.1 -p 5432 2>/dev/null; }
if ! pg_up && command -v pg_ctlcluster >/dev/null; then
  say "PostgreSQL is not answering: trying to start it"
  pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -1)" main start 2>/dev/null || true
  for _ in $(seq 1 20); do pg_up && break; sleep 0.5; done
fi
if pg_up; then
  export TEST_DATABASE_URL="$PG_BASE"
  say "database tests run on SQLite and on PostgreSQL ($TEST_DATABASE_URL)"
elif [ "${CI:-}" = "true" ]; then
  warn "PostgreSQL is not reachable on 127.0.0.1:5432, and CI must not skip it"
  exit 1
else
  unset TEST_DATABASE_URL
  warn "PostgreSQL is not reachable on 127.0.0.1:5432: SKIPPING every PostgreSQL test variant"
fi

say "unit, service and HTTP tests"
cargo test -p migration
cargo test -p app --features ssr
cargo test -p server

say "building the site (cargo leptos build)"
cargo leptos build

TARGET_DIR=${CARGO_TARGET_DIR:-target}
export RAPPORT_SERVER_BIN="$(cd "$TARGET_DIR" && pwd)/debug/server"
export E2E_SCRATCH="$PWD/target/e2e"
rm -rf "$E2E_SCRATCH" && mkdir -p "$E2E_SCRATCH"
say "end-to-end tests in Chromium"
(cd end2end && npx playwright test)
