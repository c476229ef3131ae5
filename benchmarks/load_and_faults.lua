-- wrk script of benchmarks/load_and_faults.py. Each request is a path drawn at random from
-- the file named by the first script argument (one path a line), sent with the header a TLS
-- proxy adds, so that the production settings serve it as HTTPS. At the end, one JSON line
-- of figures for the Python script to read.

local paths = {}
local count = 0

function setup(thread)
  count = count + 1
  thread:set("thread_number", count)
end

function init(args)
  for line in io.lines(args[1]) do
    paths[#paths + 1] = line
  end
  -- Each thread has its own Lua state: seeded apart, they do not send the same sequence.
  math.randomseed(os.time() * 1000 + thread_number)
  wrk.headers["X-Forwarded-Proto"] = "https"
end

function request()
  return wrk.format("GET", paths[math.random(#paths)])
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    '{"requests": %d, "duration_us": %d, "bytes": %d, "connect": %d, "read": %d, ' ..
    '"write": %d, "timeout": %d, "status": %d, "p50_us": %d, "p90_us": %d, ' ..
    '"p99_us": %d, "max_us": %d}\n',
    summary.requests, summary.duration, summary.bytes, e.connect, e.read, e.write,
    e.timeout, e.status, latency:percentile(50), latency:percentile(90),
    latency:percentile(99), latency.max))
end
