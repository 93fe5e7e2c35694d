-- Sign POSTs, each with a new signer: the real form as a browser sends it from
-- the campaign page (its origin, and the time the page's script measured).
local threads = {}

function setup(thread)
  table.insert(threads, thread)
  thread:set("thread_id", #threads)
end

function init(args)
  origin = os.getenv("BENCH_ORIGIN")
  run_id = os.getenv("BENCH_RUN_ID")
  counter = 0
end

function request()
  counter = counter + 1
  local body = "shown_for=30000"
    .. "&full_name=Bench+Signer"
    .. "&email=b" .. run_id .. "t" .. thread_id .. "n" .. counter .. "%40example.org"
    .. "&country=CA&postal_code=K1A+0B1&website="
  return wrk.format("POST", nil, {
    ["Content-Type"] = "application/x-www-form-urlencoded",
    ["Sec-Fetch-Site"] = "same-origin",
    ["Origin"] = origin,
  }, body)
end

function done(summary, latency, requests)
  io.write(string.format("BENCH_WRK requests=%d status_errors=%d socket_errors=%d\n",
    summary.requests, summary.errors.status,
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout))
end
