-- The registration rush. Each connection first GETs the form (the first request of every
-- connection, before any answer is back), the thread keeps the first cookie + CSRF token pair
-- it reads, and then posts registrations, each for a new person: "<prefix>-<thread>-<n>@...".
-- A thread posts exactly `quota` registrations: a connection reserves its next post in delay()
-- and, once the quota is reserved, waits (a long delay) instead of sending. When every answer
-- is back the thread prints "BENCH-THREAD-DONE" and stops; the harness then ends wrk.
--
-- Arguments (after "--"): form path, quota per thread, form body before the e-mail address,
-- form body after it (both URL-encoded, "&"-joined), e-mail prefix, e-mail domain.
local here = debug.getinfo(1, "S").source:match("^@(.*/)") or "./"
local common = dofile(here .. "common.lua")

setup = common.setup
done = common.done

local form_path, quota, body_before, body_after, prefix, domain
local token, cookie
local reserved = 0
local finished = false
local WAIT_MS = 3600 * 1000

function init(args)
   form_path = args[1]
   quota = tonumber(args[2])
   body_before = args[3]
   body_after = args[4]
   prefix = args[5]
   domain = args[6]
   s2xx, s3xx, s4xx, s5xx, gets, posts, answered = 0, 0, 0, 0, 0, 0, 0
end

function delay()
   if token then
      if reserved >= quota then
         return WAIT_MS
      end
      reserved = reserved + 1
   end
   return 0
end

local function form_post()
   posts = posts + 1
   if posts > reserved then
      reserved = posts -- the token arrived between this connection's delay() and request()
   end
   local email = string.format("%s-%d-%d%%40%s", prefix, id, posts, domain)
   local body = body_before .. "&email=" .. email .. "&csrfmiddlewaretoken=" .. token
   if body_after ~= "" then
      body = body .. "&" .. body_after
   end
   return wrk.format("POST", form_path, {
      ["Cookie"] = "csrftoken=" .. cookie,
      ["Content-Type"] = "application/x-www-form-urlencoded",
   }, body)
end

function request()
   if token and posts < quota and (posts < reserved or reserved < quota) then
      return form_post()
   end
   gets = gets + 1
   return wrk.format("GET", form_path)
end

function response(status, headers, body)
   answered = answered + 1
   common.count_status(status)
   if not token and status == 200 then
      local set_cookie = headers["Set-Cookie"] or headers["set-cookie"] or ""
      local c = set_cookie:match("csrftoken=([^;]+)")
      local t = body:match('name="csrfmiddlewaretoken" value="([^"]+)"')
      if c and t then
         cookie, token = c, t
      end
   end
   if not finished and posts >= quota and answered >= gets + posts then
      finished = true
      io.write("BENCH-THREAD-DONE " .. id .. "\n")
      io.flush()
      wrk.thread:stop()
   end
end
