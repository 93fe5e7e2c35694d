-- Sign POSTs, each with a new signer: the real form with a real CSRF token
-- and render time (fetched once by bench/run.py and passed in the environment).
local threads = {}

function setup(thread)
  table.insert(threads, thread)
  thread:set("thread_id", #threads)
end

function init(args)
  csrf_token = os.getenv("BENCH_CSRF_TOKEN")
  csrf_cookie = os.getenv("BENCH_CSRF_COOKIE")
  rendered_at = os.getenv("BENCH_RENDERED_AT")
  run_id = os.getenv("BENCH_RUN_ID")
  counter = 0
end

function request()
  counter = counter + 1
  local body = "csrfmiddlewaretoken=" .. csrf_token
    .. "&rendered_at=" .. rendered_at
    .. "&full_name=Bench+Signer"
    .. "&email=b" .. run_id .. "t" .. thread_id .. "n" .. counter .. "%40example.org"
    .. "&country=CA&postal_code=K1A+0B1&website="
  return wrk.format("POST", nil, {
    ["Content-Type"] = "application/x-www-form-urlencoded",
    ["Cookie"] = "csrftoken=" .. csrf_cookie,
  }, body)
end

function done(summary, latency, requests)
  io.write(string.format("BENCH_WRK requests=%d status_errors=%d socket_errors=%d\n",
    summary.requests, summary.errors.status,
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout))
end
