-- wrk script: optional unique query strings (to defeat the page cache),
-- optional extra header, and a one-line JSON summary at the end.
local unique = os.getenv("BENCH_UNIQUE") == "1"
local header_name = os.getenv("BENCH_HEADER_NAME")
local header_value = os.getenv("BENCH_HEADER_VALUE")
-- Differs for every run, so a measured run never meets the pages its warm-up left in the cache.
local run = os.getenv("BENCH_RUN") or tostring(os.time())
local counter = 0

function setup(thread)
  counter = counter + 1
  thread:set("thread_id", counter)
end

function init(args)
  if header_name and header_name ~= "" then
    wrk.headers[header_name] = header_value
  end
  requests_made = 0
end

function request()
  requests_made = requests_made + 1
  local path = wrk.path
  if unique then
    local sep = string.find(path, "?", 1, true) and "&" or "?"
    path = path .. sep .. "bench=" .. run .. "-" .. thread_id .. "-" .. requests_made
  end
  return wrk.format(nil, path)
end

function done(summary, latency, requests)
  local errors = summary.errors
  local failed = errors.connect + errors.read + errors.write + errors.timeout + errors.status
  io.write(string.format(
    '{"requests": %d, "duration_us": %d, "p50_us": %d, "p95_us": %d, "p99_us": %d, "errors": %d, "non_2xx_3xx": %d}\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(95),
    latency:percentile(99), failed, errors.status))
end
