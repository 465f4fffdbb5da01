#!/usr/bin/env bash
# The whole test suite: unit and service tests on SQLite and PostgreSQL, HTTP tests, then the
# release site built by cargo-leptos (the build `make run` and `make bench` use too) and the
# end-to-end tests in Chromium against it.
set -euo pipefail
cd "$(dirname "$0")/.."
mkdir -p target
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

# A real SMTP sink for the delivery test (maildev from end2end's npm packages).
SMTP_PORT=${RAPPORT_TEST_SMTP_PORT:-41025}
SMTP_WEB_PORT=${RAPPORT_TEST_SMTP_WEB_PORT:-41080}
end2end/node_modules/.bin/maildev --smtp "$SMTP_PORT" --web "$SMTP_WEB_PORT" \
  --ip 127.0.0.1 --web-ip 127.0.0.1 --silent > target/maildev.log 2>&1 &
MAILDEV_PID=$!
trap 'kill $MAILDEV_PID 2>/dev/null || true' EXIT
for _ in $(seq 1 40); do
  curl -fs "http://127.0.0.1:$SMTP_WEB_PORT/api/email" > /dev/null 2>&1 && break
  sleep 0.25
done
if curl -fs "http://127.0.0.1:$SMTP_WEB_PORT/api/email" > /dev/null 2>&1; then
  export RAPPORT_TEST_SMTP_URL="smtp://127.0.0.1:$SMTP_PORT"
  export RAPPORT_TEST_SMTP_API="http://127.0.0.1:$SMTP_WEB_PORT/api"
elif [ "${CI:-}" = "true" ]; then
  warn "maildev did not start (see target/maildev.log), and CI must not skip the SMTP test"
  exit 1
else
  warn "maildev did not start: SKIPPING the real SMTP test"
fi

say "unit, service and HTTP tests"
cargo test -p migration
cargo test -p app --features ssr
cargo test -p server

say "building the release site (.ci/build-site.sh)"
bash .ci/build-site.sh

TARGET_DIR=${CARGO_TARGET_DIR:-target}
export RAPPORT_SERVER_BIN="$(cd "$TARGET_DIR" && pwd)/release/server"
export E2E_SCRATCH="$PWD/target/e2e"
rm -rf "$E2E_SCRATCH" && mkdir -p "$E2E_SCRATCH"
say "end-to-end tests in Chromium"
(cd end2end && npx playwright test)
