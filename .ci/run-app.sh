#!/usr/bin/env bash
# `make run`: builds Rapport, seeds demo data into an empty SQLite database and serves it.
set -euo pipefail
cd "$(dirname "$0")/.."
bash .ci/build-site.sh
TARGET_DIR=${CARGO_TARGET_DIR:-target}
export LEPTOS_OUTPUT_NAME=rapport LEPTOS_SITE_ROOT=target/site LEPTOS_SITE_PKG_DIR=pkg
export LEPTOS_ENV=PROD
export LEPTOS_SITE_ADDR=${LEPTOS_SITE_ADDR:-127.0.0.1:3000}
export DATABASE_URL=${DATABASE_URL:-sqlite://rapport.db?mode=rwc}
echo
if [ "${RAPPORT_SEED_DEMO:-true}" != false ]; then
  "$TARGET_DIR/release/server" seed-demo
  echo
  echo "Demo sign-ins (password demo-password-2026): admin@rapport.test, manager@rapport.test, member@rapport.test"
else
  echo "No demo data: if the database has no admin yet, the server prints a setup token below."
fi
echo "Rapport is starting at http://$LEPTOS_SITE_ADDR"
echo
exec "$TARGET_DIR/release/server" serve
