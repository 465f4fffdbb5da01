#!/usr/bin/env bash
# The one release build that `make run`, `make test` and `make bench` use: cargo-leptos with
# npm's binaryen wasm-opt (Debian's older one produces a wasm that fails to hydrate), and the
# pages split into wasm chunks per area (`--split` and the `split` feature; see app/src/app.rs).
set -euo pipefail
cd "$(dirname "$0")/.."
PATH="$PWD/end2end/node_modules/.bin:$PATH" \
  cargo leptos build --release --split --lib-features split --bin-features split "$@"
