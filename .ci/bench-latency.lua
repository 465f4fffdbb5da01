-- wrk script for `make bench-crm`: sends the signed-in session cookie; with BENCH_MAX_ID set,
-- each request opens a random record's page (BENCH_RANDOM_PREFIX, default /customers/, then 1 ..
-- BENCH_MAX_ID) instead of the URL given. Prints "RESULT p50_ms p95_ms requests failures" at the end.
local cookie = os.getenv("BENCH_COOKIE") or ""
local max_id = tonumber(os.getenv("BENCH_MAX_ID") or "0")
local prefix = os.getenv("BENCH_RANDOM_PREFIX") or "/customers/"
local counter = 0

function setup(thread)
  counter = counter + 1
  thread:set("seed", counter * 7919)
end

function init(args)
  math.randomseed(seed or 1)
end

function request()
  local path = wrk.path
  if max_id > 0 then
    path = prefix .. math.random(1, max_id)
  end
  return wrk.format("GET", path, { ["Cookie"] = cookie })
end

function done(summary, latency, requests)
  local failures = summary.errors.status + summary.errors.connect + summary.errors.read
    + summary.errors.write + summary.errors.timeout
  io.write(string.format("RESULT %.1f %.1f %d %d\n",
    latency:percentile(50) / 1000, latency:percentile(95) / 1000, summary.requests, failures))
end
