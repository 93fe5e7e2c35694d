-- Sign POSTs, each with a new signer, sent as a browser sends the form: its
-- hidden fields and cookies (fetched once by bench/run.py and passed in the
-- environment), Origin, Referer and the Fetch Metadata headers.
local threads = {}

function setup(thread)
  table.insert(threads, thread)
  thread:set("thread_id", #threads)
end

function init(args)
  form_fields = os.getenv("BENCH_FORM_FIELDS") or ""
  cookie = os.getenv("BENCH_COOKIE") or ""
  run_id = os.getenv("BENCH_RUN_ID")
  origin = wrk.scheme .. "://" .. wrk.headers["Host"]
  counter = 0
end

function request()
  counter = counter + 1
  local body = "full_name=Bench+Signer"
    .. "&email=b" .. run_id .. "t" .. thread_id .. "n" .. counter .. "%40example.org"
    .. "&country=CA&postal_code=K1A+0B1&website="
  if form_fields ~= "" then
    body = form_fields .. "&" .. body
  end
  local headers = {
    ["Content-Type"] = "application/x-www-form-urlencoded",
    ["Origin"] = origin,
    ["Referer"] = origin .. wrk.path,
    ["Sec-Fetch-Site"] = "same-origin",
    ["Sec-Fetch-Mode"] = "navigate",
    ["Sec-Fetch-Dest"] = "document",
  }
  if cookie ~= "" then
    headers["Cookie"] = cookie
  end
  return wrk.format("POST", nil, headers, body)
end

function done(summary, latency, requests)
  io.write(string.format("BENCH_WRK requests=%d status_errors=%d socket_errors=%d\n",
    summary.requests, summary.errors.status,
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout))
end
