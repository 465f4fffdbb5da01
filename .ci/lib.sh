# Shell helpers the .ci scripts share (sourced, not run).

# Runs a command as root: directly when already root, else through sudo.
as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }

# wait_up port tries: waits (tries × 0.1 s at most) until the server on port answers /healthz.
wait_up() { for _ in $(seq 1 "$2"); do curl -fs "http://127.0.0.1:$1/healthz" > /dev/null && break; sleep 0.1; done; }

# wait_precompressed wasm: a release server writes the brotli and gzip variants of /pkg at
# start-up; waits (60 s at most) until those of the given .wasm are there.
wait_precompressed() { for _ in $(seq 1 600); do [ "$1.br" -nt "$1" ] && [ -f "$1.gz" ] && break; sleep 0.1; done; }

# demo_sign_in port email: signs in as a demo user and prints the session cookie (name=value),
# or fails.
demo_sign_in() {
  local cookie
  cookie=$(curl -fs -D - -o /dev/null -H 'sec-fetch-site: same-origin' \
    --data-urlencode "email=$2" --data-urlencode 'password=demo-password-2026' \
    "http://127.0.0.1:$1/api/sign_in" | awk -F'[ ;]' 'tolower($1) == "set-cookie:" { print $2; exit }')
  [ -n "$cookie" ] || { echo "signing in as $2 failed" >&2; return 1; }
  echo "$cookie"
}
