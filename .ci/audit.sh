#!/usr/bin/env bash
# `make audit`: Lighthouse (its defaults: a phone, simulated throttling) over the pages of the
# release build, with the precompressed assets the server writes at start-up, on a scratch SQLite
# database with the demo data: the signed-out pages, then every page as the demo admin (who sees
# them all; pages with an id in their address are found through the app's own lists). Prints
# each page's performance, accessibility, best-practices and SEO scores (0-100).
# Not a test: performance scores move with the load on these shared machines.
# AUDIT_PAGES="/ /customers" audits only those (signed in).
set -euo pipefail
cd "$(dirname "$0")/.."
say() { printf '\033[1;34m[audit]\033[0m %s\n' "$*"; }
source .ci/lib.sh

# Lighthouse 13 wants Node 22; 12.2.3 runs on the machines' Node 20. Kept out of end2end/'s
# packages: the test suite does not need it.
LH_VERSION=12.2.3
LH_DIR=target/lighthouse
mkdir -p target
if ! "$LH_DIR/node_modules/.bin/lighthouse" --version 2>/dev/null | grep -qx "$LH_VERSION"; then
  say "installing lighthouse $LH_VERSION into $LH_DIR"
  npm install --prefix "$LH_DIR" --save-exact --no-audit --no-fund "lighthouse@$LH_VERSION" > target/lighthouse-install.log 2>&1 \
    || { tail -20 target/lighthouse-install.log; exit 1; }
fi
LH="$LH_DIR/node_modules/.bin/lighthouse"
export CHROME_PATH=${CHROME_PATH:-/usr/bin/chromium}

say "building the release site (.ci/build-site.sh)"
bash .ci/build-site.sh > target/audit-build.log 2>&1 || { tail -40 target/audit-build.log; exit 1; }
BIN="${CARGO_TARGET_DIR:-target}/release/server"

PORT=${AUDIT_PORT:-3196}
BASE="http://127.0.0.1:$PORT"
SCRATCH=$(mktemp -d)
export LEPTOS_OUTPUT_NAME=rapport LEPTOS_SITE_ROOT=target/site LEPTOS_SITE_PKG_DIR=pkg LEPTOS_ENV=PROD
export LEPTOS_SITE_ADDR=127.0.0.1:$PORT DATABASE_URL="sqlite://$SCRATCH/audit.db?mode=rwc" RUST_LOG=warn
"$BIN" seed-demo > /dev/null
"$BIN" serve > "$SCRATCH/server.log" 2>&1 &
PID=$!
trap 'kill $PID 2>/dev/null || true; rm -rf "$SCRATCH"' EXIT
wait_up "$PORT" 100
# Audit what users get: the brotli and gzip variants of /pkg.
wait_precompressed target/site/pkg/rapport.wasm

COOKIE=$(demo_sign_in "$PORT" admin@rapport.test)
first_link() { # page pattern -> the first href on the page matching the pattern
  curl -fs -H "Cookie: $COOKIE" "$BASE$1" | grep -o "href=\"$2\"" | head -1 | sed 's/^href="//; s/"$//'
}

if [ -n "${AUDIT_PAGES:-}" ]; then
  SIGNED_OUT=""
  SIGNED_IN=$AUDIT_PAGES
else
  SIGNED_OUT="/signin /forgot-password"
  customer=$(first_link /customers '/customers/[0-9]*')
  process=$(first_link /processes '/processes/[0-9]*')
  version=$(first_link "$process" '/processes/versions/[0-9]*')
  run=$(first_link "$process" '/runs/[0-9]*')
  field=$(first_link /admin/fields '/admin/fields/[0-9]*')
  SIGNED_IN="/ /customers $customer $customer/edit /customers/new /customers/import /processes $process
    $version $run /profile /admin/users /admin/teams /admin/stages /admin/fields $field
    /admin/fields/new /admin/mailbox /admin/audit"
fi

audit() { # path [cookie]
  local out="$SCRATCH/report.json" headers="{}"
  [ -n "${2:-}" ] && headers="{\"Cookie\": \"$2\"}"
  if ! "$LH" "$BASE$1" --quiet --output=json --output-path="$out" --extra-headers="$headers" \
      --only-categories=performance,accessibility,best-practices,seo \
      --chrome-flags="--headless=new --no-sandbox --disable-gpu" > "$SCRATCH/lighthouse.log" 2>&1; then
    printf '%-36s %s\n' "$1" "lighthouse failed (see below)"; tail -5 "$SCRATCH/lighthouse.log"; return
  fi
  node -e '
    const r = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
    const s = (k) => r.categories[k].score === null ? "-" : Math.round(r.categories[k].score * 100);
    const where = r.finalDisplayedUrl.replace(/^https?:\/\/[^/]+/, "");
    const moved = where === process.argv[2] ? "" : `  (ended at ${where})`;
    console.log(process.argv[2].padEnd(36), ...["performance", "accessibility", "best-practices", "seo"].map((k) => String(s(k)).padStart(14)), moved);
  ' "$out" "$1"
}

printf '\n%-36s %14s %14s %14s %14s\n' "page (Lighthouse $LH_VERSION, mobile)" performance accessibility best-practices seo
for p in $SIGNED_OUT; do audit "$p"; done
for p in $SIGNED_IN; do audit "$p" "$COOKIE"; done
