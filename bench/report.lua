-- wrk script: an optional extra header, and a one-line JSON summary at the end.
local header_name = os.getenv("BENCH_HEADER_NAME")
local header_value = os.getenv("BENCH_HEADER_VALUE")

function init(args)
  if header_name and header_name ~= "" then
    wrk.headers[header_name] = header_value
  end
end

function done(summary, latency, requests)
  local errors = summary.errors
  local failed = errors.connect + errors.read + errors.write + errors.timeout + errors.status
  io.write(string.format(
    '{"requests": %d, "duration_us": %d, "p50_us": %d, "p95_us": %d, "p99_us": %d, "errors": %d, "non_2xx_3xx": %d}\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(95),
    latency:percentile(99), failed, errors.status))
end
