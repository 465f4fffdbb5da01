#!/usr/bin/env bash
# `make bench`: builds the release site and prints, measured in this one run,
#  - requests/s and p99 latency of the server-rendered sign-in page vs. the same bytes served as
#    a fixed string by the same server (64 connections, wrk), and their ratio;
#  - the hydrate .wasm size raw, gzip and brotli;
#  - the server's resident memory idle and under that load.
# A benchmark, not a test: these machines are shared, so read the figures as one run's.
set -euo pipefail
cd "$(dirname "$0")/.."
say() { printf '\033[1;34m[bench]\033[0m %s\n' "$*"; }
source .ci/lib.sh

for tool in wrk brotli; do
  if ! command -v "$tool" > /dev/null; then
    say "installing Debian's $tool"
    as_root apt-get update -qq && DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq "$tool"
  fi
done

DURATION=${BENCH_SECONDS:-10}
PORT=${BENCH_PORT:-3199}
say "building the release site (.ci/build-site.sh)"
mkdir -p target
bash .ci/build-site.sh > target/bench-build.log 2>&1 || { tail -40 target/bench-build.log; exit 1; }
TARGET_DIR=${CARGO_TARGET_DIR:-target}
BIN="$TARGET_DIR/release/server"

# The hydrate wasm every page loads first; each area's pages are in chunks loaded on first use
# (`--split`): their sizes, and the split loader's JavaScript, are printed beside it.
WASM=target/site/pkg/rapport.wasm
RAW=$(wc -c < "$WASM")
GZ=$(gzip -9 -c "$WASM" | wc -c)
BR=$(brotli -q 11 -c "$WASM" | wc -c)
CHUNKS=$(find target/site/pkg -name '*.wasm' ! -name rapport.wasm)
CHUNK_COUNT=$(echo "$CHUNKS" | grep -c . || true)
CHUNK_RAW=0; CHUNK_BR=0
for c in $CHUNKS; do
  CHUNK_RAW=$((CHUNK_RAW + $(wc -c < "$c"))); CHUNK_BR=$((CHUNK_BR + $(brotli -q 11 -c "$c" | wc -c)))
done
SPLIT_JS=$(find target/site/pkg -name '__wasm_split*.js' | head -1)
SPLIT_JS_BR=$( [ -n "$SPLIT_JS" ] && brotli -q 11 -c "$SPLIT_JS" | wc -c || echo 0)

SCRATCH=$(mktemp -d)
FIXED="$SCRATCH/signin.html"
export LEPTOS_OUTPUT_NAME=rapport LEPTOS_SITE_ROOT=target/site LEPTOS_SITE_PKG_DIR=pkg LEPTOS_ENV=PROD
export LEPTOS_SITE_ADDR=127.0.0.1:$PORT DATABASE_URL="sqlite://$SCRATCH/bench.db?mode=rwc"
export RAPPORT_BENCH_FIXED_FILE="$FIXED" RUST_LOG=warn
"$BIN" seed-demo > /dev/null
"$BIN" serve > "$SCRATCH/server.log" 2>&1 &
PID=$!
trap 'kill $PID 2>/dev/null || true; rm -rf "$SCRATCH"' EXIT
wait_up "$PORT" 100
# Let the start-up compression of /pkg finish first, so that neither its CPU nor its memory
# counts in the figures.
wait_precompressed "$WASM"
sleep 1
curl -fs "http://127.0.0.1:$PORT/signin" -o "$FIXED"
curl -fs "http://127.0.0.1:$PORT/__bench/fixed" -o /dev/null
MINIMAL_BYTES=$(curl -fs "http://127.0.0.1:$PORT/__bench/minimal" | wc -c)
rss() { awk '/VmRSS/ { printf "%.1f", $2 / 1024 }' "/proc/$PID/status"; }
sleep 1
IDLE=$(rss)

run_wrk() { # path -> "rps p99_ms"
  wrk -t2 -c64 -d"${DURATION}s" --latency "http://127.0.0.1:$PORT$1" > "$SCRATCH/wrk.txt"
  local rps p99
  rps=$(awk '/Requests\/sec/ { print $2 }' "$SCRATCH/wrk.txt")
  p99=$(awk '$1 == "99%" { v = $2; if (v ~ /us$/) { sub(/us/, "", v); v = v / 1000 } else if (v ~ /ms$/) { sub(/ms/, "", v) } else if (v ~ /s$/) { sub(/s/, "", v); v = v * 1000 } print v }' "$SCRATCH/wrk.txt")
  echo "$rps $p99"
}
PEAK_FILE="$SCRATCH/peak"
echo 0 > "$PEAK_FILE"
( while kill -0 $PID 2>/dev/null; do
    now=$(rss); awk -v a="$now" -v b="$(cat "$PEAK_FILE")" 'BEGIN { exit !(a > b) }' && echo "$now" > "$PEAK_FILE"; sleep 0.2
  done ) &
SAMPLER=$!
say "load: /signin (server-rendered), the same bytes as a fixed string, the smallest Leptos page; 64 connections, ${DURATION}s each"
read -r SSR_RPS SSR_P99 < <(run_wrk /signin)
read -r FIX_RPS FIX_P99 < <(run_wrk /__bench/fixed)
read -r MIN_RPS MIN_P99 < <(run_wrk /__bench/minimal)
kill $SAMPLER 2>/dev/null || true
PEAK=$(cat "$PEAK_FILE")
BYTES=$(wc -c < "$FIXED")

printf '\n%-44s %12s %12s\n' "" "req/s" "p99 (ms)"
printf '%-44s %12s %12s\n' "server-rendered /signin ($BYTES bytes)" "$SSR_RPS" "$SSR_P99"
printf '%-44s %12s %12s\n' "same bytes as a fixed string (baseline)" "$FIX_RPS" "$FIX_P99"
printf '%-44s %12s %12s\n' "smallest Leptos page ($MINIMAL_BYTES bytes, same pipeline)" "$MIN_RPS" "$MIN_P99"
awk -v a="$SSR_RPS" -v b="$FIX_RPS" 'BEGIN { printf "%-44s %12.2f   (goal >= 0.30)\n", "SSR / fixed-string throughput ratio", a / b }'
awk -v a="$MIN_RPS" -v b="$FIX_RPS" 'BEGIN { printf "%-44s %12.2f   (the floor of leptos_axum rendering here)\n", "smallest Leptos page / fixed-string ratio", a / b }'
printf '\n%-44s %9d B raw  %9d B gzip  %9d B brotli   (goal brotli <= 300 KB)\n' "hydrate wasm ($WASM)" "$RAW" "$GZ" "$BR"
printf '%-44s %9d B raw  %9s        %9d B brotli   (%d chunks, loaded per area on first use)\n' "page chunks, all together" "$CHUNK_RAW" "" "$CHUNK_BR" "$CHUNK_COUNT"
printf '%-44s %9s        %9s        %9d B brotli\n' "split loader (${SPLIT_JS##*/})" "" "" "$SPLIT_JS_BR"
printf '%-44s %9s MB idle  %9s MB peak under load   (goal <= 64 MB)\n' "server resident memory" "$IDLE" "$PEAK"

# The same three responses in instructions the server executes per request (callgrind, 500
# keep-alive requests each after 50 to warm up): unlike req/s, these barely move (a few percent
# at most) with whatever else the shared machine is doing. The kernel's and wrk's share is not in them.
if [ "${BENCH_INSTRUCTIONS:-1}" = 1 ]; then
  if ! command -v valgrind > /dev/null; then
    say "installing Debian's valgrind"
    as_root apt-get update -qq && DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq valgrind
  fi
  kill $PID 2>/dev/null || true
  wait $PID 2>/dev/null || true
  instructions() { # path -> instructions per request
    local out="$SCRATCH/callgrind.$RANDOM" vpid
    valgrind --tool=callgrind --instr-atstart=no --callgrind-out-file="$out" "$BIN" serve > "$SCRATCH/vg.log" 2>&1 &
    vpid=$!
    wait_up "$PORT" 1200 # valgrind starts slowly
    for _ in $(seq 1 50); do curl -fs "http://127.0.0.1:$PORT$1" -o /dev/null; done
    for _ in $(seq 1 500); do printf 'url = "http://127.0.0.1:%s%s"\noutput = /dev/null\n' "$PORT" "$1"; done > "$SCRATCH/curl.cfg"
    callgrind_control -i on "$vpid" > /dev/null 2>&1
    curl -fs -K "$SCRATCH/curl.cfg"
    callgrind_control -i off "$vpid" > /dev/null 2>&1
    kill "$vpid"; wait "$vpid" 2>/dev/null || true
    callgrind_annotate "$out" 2>/dev/null | awk '/PROGRAM TOTALS/ && !done { gsub(",", "", $1); printf "%d", $1 / 500; done = 1 }'
  }
  say "instructions per request (callgrind, 500 requests each)"
  SSR_I=$(instructions /signin); FIX_I=$(instructions /__bench/fixed); MIN_I=$(instructions /__bench/minimal)
  printf '\n%-44s %12s\n' "" "instructions/request"
  printf '%-44s %12s\n' "server-rendered /signin" "$SSR_I" "same bytes as a fixed string" "$FIX_I" "smallest Leptos page" "$MIN_I"
fi
