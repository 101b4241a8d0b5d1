-- Shared by the bench's wrk scripts: numbers the threads and prints one machine-readable line
-- at the end, "BENCH-RESULT {json}", with wrk's summary, latency percentiles (microseconds) and
-- the counters each thread kept (globals named in M.counters), summed over the threads.
local M = {}

M.counters = { "s2xx", "s3xx", "s4xx", "s5xx", "s409", "gets", "posts", "answered", "again" }

local threads = {}

function M.setup(thread)
   table.insert(threads, thread)
   thread:set("id", #threads)
end

local function json(fields)
   local parts = {}
   for key, value in pairs(fields) do
      table.insert(parts, string.format("%q:%d", key, value))
   end
   return "{" .. table.concat(parts, ",") .. "}"
end

function M.count_status(status)
   if status >= 500 then
      s5xx = s5xx + 1
   elseif status >= 400 then
      s4xx = s4xx + 1
   elseif status >= 300 then
      s3xx = s3xx + 1
   else
      s2xx = s2xx + 1
   end
end

function M.done(summary, latency, requests)
   local out = {
      requests = summary.requests,
      duration_us = summary.duration,
      bytes = summary.bytes,
      err_connect = summary.errors.connect,
      err_read = summary.errors.read,
      err_write = summary.errors.write,
      err_status = summary.errors.status,
      err_timeout = summary.errors.timeout,
      p50_us = latency:percentile(50.0),
      p95_us = latency:percentile(95.0),
      p99_us = latency:percentile(99.0),
      max_us = latency.max,
      threads = #threads,
   }
   for _, name in ipairs(M.counters) do
      local total = 0
      for _, thread in ipairs(threads) do
         total = total + (thread:get(name) or 0)
      end
      out[name] = total
   end
   io.write("BENCH-RESULT " .. json(out) .. "\n")
end

return M
