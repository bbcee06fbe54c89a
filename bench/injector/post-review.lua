-- wrk script: POST one AdmissionReview (the file named by REVIEW_FILE) on every request, on kept-alive
-- TLS connections, and print the figures in one line at the end.
local file = assert(io.open(os.getenv("REVIEW_FILE"), "rb"))
local body = file:read("*a")
file:close()

wrk.method = "POST"
wrk.path = "/mutate?timeout=10s"
wrk.body = body
wrk.headers["Content-Type"] = "application/json"

-- With RATE_PER_CONNECTION set, each connection waits 1000/RATE ms before each request (an offered load
-- of about connections * RATE reviews/s, minus service time); wrk's latency excludes that wait.
local rate = tonumber(os.getenv("RATE_PER_CONNECTION") or "")
if rate then
  function delay()
    return 1000 / rate
  end
end

-- No response() callback: handing every body to Lua would cost the client CPU the server shares. wrk
-- counts non-2xx answers itself (errors.status); run.sh checks one answer for a patch beforehand.
function done(summary, latency, requests)
  local seconds = summary.duration / 1e6
  io.write(string.format(
    "RESULT reviews_per_s=%.0f p50_ms=%.2f p99_ms=%.2f max_ms=%.2f requests=%d errors=%d\n",
    summary.requests / seconds, latency:percentile(50) / 1000, latency:percentile(99) / 1000,
    latency.max / 1000, summary.requests,
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.status + summary.errors.timeout))
end
