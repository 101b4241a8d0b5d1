-- Check-in at the door: each connection is a gate's phone sending scans to the scan API as the
-- check-in page's script does (form-encoded: code, day, gate, nonce; the session cookie and
-- the CSRF token in the X-CSRFToken header). Every scan has a new nonce. Thread i of n takes
-- the ticket codes i, i + n, i + 2n, ... of the file, so no ticket is scanned twice until a
-- thread has gone through its share; then it starts again (answered 409: already checked in).
--
-- Arguments (after "--"): scan path, file of ticket codes (one a line), day id, gate ids
-- (comma-separated), session key, CSRF secret, nonce prefix, number of threads.
local here = debug.getinfo(1, "S").source:match("^@(.*/)") or "./"
local common = dofile(here .. "common.lua")

setup = common.setup
done = common.done

local path, day, headers, prefix
local codes = {}
local gates = {}
local sent = 0

function init(args)
   path = args[1]
   day = args[3]
   for gate in string.gmatch(args[4], "[^,]+") do
      table.insert(gates, gate)
   end
   headers = {
      ["Cookie"] = "sessionid=" .. args[5] .. "; csrftoken=" .. args[6],
      ["X-CSRFToken"] = args[6],
      ["X-Requested-With"] = "XMLHttpRequest",
      ["Content-Type"] = "application/x-www-form-urlencoded",
   }
   prefix = args[7]
   local threads = tonumber(args[8])
   local number = 0
   for line in io.lines(args[2]) do
      if line ~= "" then
         number = number + 1
         if number % threads == id % threads then
            table.insert(codes, line)
         end
      end
   end
   s2xx, s3xx, s4xx, s5xx, s409, answered = 0, 0, 0, 0, 0, 0
end

function request()
   sent = sent + 1
   local code = codes[(sent - 1) % #codes + 1]
   local gate = gates[(sent - 1) % #gates + 1]
   local body = string.format(
      "code=%s&day=%s&gate=%s&nonce=%s-%d-%d&device=bench-%d",
      code, day, gate, prefix, id, sent, id
   )
   return wrk.format("POST", path, headers, body)
end

function response(status, headers, body)
   answered = answered + 1
   common.count_status(status)
   if status == 409 then
      s409 = s409 + 1
   end
end
