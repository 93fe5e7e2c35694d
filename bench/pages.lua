-- GETs of the paths in BENCH_PATHS (space-separated) in turn: the campaign
-- page in each of its languages. done() prints the counts bench/run.py reads.
function init(args)
  paths = {}
  for path in string.gmatch(os.getenv("BENCH_PATHS"), "%S+") do
    table.insert(paths, path)
  end
  turn = 0
end

function request()
  turn = turn % #paths + 1
  return wrk.format("GET", paths[turn])
end

function done(summary, latency, requests)
  io.write(string.format("BENCH_WRK requests=%d status_errors=%d socket_errors=%d\n",
    summary.requests, summary.errors.status,
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout))
end
