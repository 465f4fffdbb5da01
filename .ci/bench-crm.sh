#!/usr/bin/env bash
# `make bench-crm`: the CRM at scale. Seeds 100,000 customers, 1,000,000 interactions and 50,000
# process runs (on top of the demo data) into SQLite and into PostgreSQL, then measures with wrk
# p50 and p95 latency of these server-rendered pages:
#  - signed in as the demo admin (who sees every customer): the customer list filtered by
#    lifecycle stage, page 1 and a deep page; customer pages, a random customer each request;
#    a process's run list; run pages, a random run each request;
#  - "My day" as the demo member and as the demo manager.
# A benchmark, not a test: these machines are shared, so read the figures as one run's.
# BENCH_CUSTOMERS, BENCH_INTERACTIONS, BENCH_RUNS, BENCH_SECONDS (per page, default 10) and
# BENCH_CONNECTIONS (default 4) change the run; BENCH_DATABASES="postgres" measures one database;
# BENCH_POSTGRES_DB names a PostgreSQL database seeded before (with `server seed-bench`), measured
# as it is and kept, so a ten-times data set is seeded once (it takes about as long as the rest).
set -euo pipefail
cd "$(dirname "$0")/.."
say() { printf '\033[1;34m[bench-crm]\033[0m %s\n' "$*"; }
source .ci/lib.sh
if ! command -v wrk > /dev/null; then
  say "installing Debian's wrk"
  as_root apt-get update -qq && DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq wrk
fi

CUSTOMERS=${BENCH_CUSTOMERS:-100000}
INTERACTIONS=${BENCH_INTERACTIONS:-1000000}
RUNS=${BENCH_RUNS:-50000}
DURATION=${BENCH_SECONDS:-10}
CONNECTIONS=${BENCH_CONNECTIONS:-4}
PORT=${BENCH_PORT:-3198}
PG_BASE=${BENCH_POSTGRES_URL:-postgres://postgres@127.0.0.1:5432}
# Which databases, of "sqlite postgres" (the ten-times run is PostgreSQL only).
DATABASES=${BENCH_DATABASES:-sqlite postgres}

say "building the release site (.ci/build-site.sh)"
mkdir -p target
bash .ci/build-site.sh > target/bench-build.log 2>&1 || { tail -40 target/bench-build.log; exit 1; }
BIN="${CARGO_TARGET_DIR:-target}/release/server"

SCRATCH=$(mktemp -d)
PID=""
PG_SEEDED=${BENCH_POSTGRES_DB:-}
PG_DB=${PG_SEEDED:-rapport_bench_$$}
cleanup() {
  [ -n "$PID" ] && kill "$PID" 2>/dev/null || true
  [ -n "$PG_SEEDED" ] || psql "$PG_BASE/postgres" -qc "DROP DATABASE IF EXISTS $PG_DB WITH (FORCE)" > /dev/null 2>&1 || true
  rm -rf "$SCRATCH"
}
trap cleanup EXIT
export LEPTOS_OUTPUT_NAME=rapport LEPTOS_SITE_ROOT=target/site LEPTOS_SITE_PKG_DIR=pkg LEPTOS_ENV=PROD
export LEPTOS_SITE_ADDR=127.0.0.1:$PORT RUST_LOG=warn

measure() { # label path [max_id [random_prefix]] -> prints a row
  local out
  out=$(BENCH_MAX_ID="${3:-0}" BENCH_RANDOM_PREFIX="${4:-/customers/}" wrk -t2 -c"$CONNECTIONS" -d"${DURATION}s" -s .ci/bench-latency.lua \
    "http://127.0.0.1:$PORT$2" | awk '/^RESULT/ { print $2, $3, $4, $5 }')
  read -r p50 p95 n failed <<< "$out"
  printf '%-12s %-44s %9s %9s %9s %7s\n' "$DB_LABEL" "$1" "$p50" "$p95" "$n" "$failed"
  echo "$DB_LABEL|$1|$p50|$p95|$n|$failed" >> "$SCRATCH/results"
}

sign_in() { demo_sign_in "$PORT" "$1" || exit 1; }

exact_total() { # cookie REST_list_path -> the list's total
  curl -fs -H "Cookie: $1" "http://127.0.0.1:$PORT$2&per_page=1" | grep -o '"total":[0-9]*' | tr -dc '0-9'
}

run_on() { # label database_url [seeded]
  DB_LABEL=$1
  export DATABASE_URL=$2
  local last_run
  if [ -n "${3:-}" ]; then
    say "$DB_LABEL: measuring $DATABASE_URL as it is"
    "$BIN" migrate > "$SCRATCH/seed.log" 2>&1 || { tail -20 "$SCRATCH/seed.log"; exit 1; }
    last_run=$(psql "$DATABASE_URL" -Atc "SELECT max(id) FROM process_run")
    CUSTOMERS=$(( $(psql "$DATABASE_URL" -Atc "SELECT max(id) FROM customer") - 200 ))
  else
    say "$DB_LABEL: seeding $CUSTOMERS customers, $INTERACTIONS interactions and $RUNS runs"
    local t0=$SECONDS
    "$BIN" seed-bench --customers "$CUSTOMERS" --interactions "$INTERACTIONS" --runs "$RUNS" > "$SCRATCH/seed.log" 2>&1 \
      || { tail -20 "$SCRATCH/seed.log"; exit 1; }
    say "$DB_LABEL: seeded in $((SECONDS - t0)) s"
    last_run=$(awk '/^last run id:/ { print $4 }' "$SCRATCH/seed.log")
  fi
  "$BIN" serve > "$SCRATCH/server.log" 2>&1 &
  PID=$!
  wait_up "$PORT" 300
  local cookie
  cookie=$(sign_in admin@rapport.test)
  export BENCH_COOKIE=$cookie
  local total pages deep
  # Exact counts come from the REST API: the pages count up to 10,000.
  total=$(exact_total "$cookie" "/api/v1/customers?stage=active")
  pages=$(( (total + 24) / 25 ))
  deep=$(( pages * 3 / 4 ))
  # Warm the caches as a server in use would be.
  curl -fs -o /dev/null -H "Cookie: $cookie" "http://127.0.0.1:$PORT/customers?stage=active"
  measure "list, stage=active ($total), page 1" "/customers?stage=active"
  measure "list, stage=active, page $deep of $pages" "/customers?stage=active&page=$deep"
  measure "customer page (random of $((CUSTOMERS + 200)))" "/customers/1" "$((CUSTOMERS + 200))"
  # The first demo process (every process has about a third of the runs) and the runs' ids.
  local process runs_total
  process=$(curl -fs -H "Cookie: $cookie" "http://127.0.0.1:$PORT/processes" \
    | grep -o 'href="/processes/[0-9]*"' | head -1 | tr -dc '0-9')
  runs_total=$(exact_total "$cookie" "/api/v1/process-runs?template=$process")
  measure "run list, process $process ($runs_total runs)" "/processes/$process"
  measure "run page (random of $last_run)" "/runs/1" "$last_run" "/runs/"
  # (Each sign-in on its own line, so that a failed one stops the benchmark.)
  BENCH_COOKIE=$(sign_in member@rapport.test)
  measure "My day, member" "/"
  BENCH_COOKIE=$(sign_in manager@rapport.test)
  measure "My day, manager" "/"
  kill "$PID" 2>/dev/null || true
  wait "$PID" 2>/dev/null || true
  PID=""
}

printf '\n%-12s %-44s %9s %9s %9s %7s\n' "database" "page ($CONNECTIONS connections, ${DURATION}s each)" "p50 ms" "p95 ms" "requests" "failed"
case " $DATABASES " in *" sqlite "*) run_on SQLite "sqlite://$SCRATCH/bench.db?mode=rwc" ;; esac
case " $DATABASES " in
  *" postgres "*)
    if pg_isready -q -h 127.0.0.1 -p 5432 2>/dev/null; then
      [ -n "$PG_SEEDED" ] || psql "$PG_BASE/postgres" -qc "CREATE DATABASE $PG_DB" > /dev/null
      run_on PostgreSQL "$PG_BASE/$PG_DB" "$PG_SEEDED"
    else
      say "PostgreSQL is not answering on 127.0.0.1:5432: skipped"
    fi
    ;;
esac
say "goal: p95 under 50 ms for every page on both databases"
awk -F'|' '$4 + 0 >= 50 || $6 + 0 > 0 { bad = 1; print "  over the goal or failing: " $1 " " $2 } END { if (!bad) print "  all within the goal" }' "$SCRATCH/results"
