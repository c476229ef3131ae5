-- wrk script of bench_pages.py: cycles through the request paths of a file and prints
-- the run's figures as one JSON line.
--
-- wrk -s benchmarks/wrk_report.lua http://127.0.0.1:PORT -- PATHS_FILE [COOKIE]
--
-- Each thread starts at a different offset, so that the threads do not ask for the same
-- page at the same moment (which would measure one page's lock contention, not the mix).

local paths = {}
local cookie = nil
local counter = 0
local thread_count = 0
local threads = {}

function setup(thread)
  thread:set("id", thread_count)
  thread_count = thread_count + 1
  table.insert(threads, thread)
end

function init(args)
  for line in io.lines(args[1]) do
    if line ~= "" then
      table.insert(paths, line)
    end
  end
  if args[2] and args[2] ~= "" then
    cookie = args[2]
  end
  counter = (id or 0) * 7919
end

function request()
  counter = counter + 1
  local path = paths[(counter % #paths) + 1]
  local headers = {}
  -- The admin's session only on admin pages: the public pages are measured anonymous.
  if cookie and path:sub(1, 7) == "/admin/" then
    headers["Cookie"] = cookie
  end
  return wrk.format("GET", path, headers)
end

function done(summary, latency, requests)
  local seconds = summary.duration / 1e6
  local errors = summary.errors
  io.write(string.format(
    '{"requests": %d, "seconds": %.3f, "rps": %.2f, "bytes": %d, ' ..
    '"p50_ms": %.3f, "p90_ms": %.3f, "p95_ms": %.3f, "p99_ms": %.3f, "max_ms": %.3f, ' ..
    '"mean_ms": %.3f, "errors": {"connect": %d, "read": %d, "write": %d, ' ..
    '"status": %d, "timeout": %d}}\n',
    summary.requests, seconds, summary.requests / seconds, summary.bytes,
    latency:percentile(50) / 1000, latency:percentile(90) / 1000,
    latency:percentile(95) / 1000, latency:percentile(99) / 1000, latency.max / 1000,
    latency.mean / 1000, errors.connect, errors.read, errors.write, errors.status,
    errors.timeout
  ))
end
