-- A plain GET; done() prints the counts bench/run.py reads.
function done(summary, latency, requests)
  io.write(string.format("BENCH_WRK requests=%d status_errors=%d socket_errors=%d\n",
    summary.requests, summary.errors.status,
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout))
end
