-- The registration rush. Each connection first GETs the form (the first request of every
-- connection, before any answer is back); the thread keeps the first cookie, CSRF token and
-- hidden fields it reads, then posts registrations, each for a new person:
-- "<prefix>-<thread>-<n>@<domain>", n = 1 .. quota.
--
-- A successful registration is answered with a redirect (3xx). When a thread has its quota of
-- redirects it prints "BENCH-THREAD-DONE" (also after 15 s without a new one: something went
-- wrong, the harness's checks will say what), and the harness ends wrk once every thread is
-- done. Until then a connection with nothing new to send GETs /bench/hello/, the cheapest
-- answer there is: an idle connection would hold a sync worker until its timeout. (It used to
-- post again the form of one of the thread's earlier people, answered "already registered",
-- which cost the server more than a registration and made the figure depend on how unevenly
-- the threads finished: 77 to 121 such posts a run.)
--
-- Arguments (after "--"): form path, quota per thread, form body before the e-mail address,
-- form body after it (both URL-encoded, "&"-joined), e-mail prefix, e-mail domain, and the
-- names (comma-separated) of the hidden fields to send back as the form page gave them.
local here = debug.getinfo(1, "S").source:match("^@(.*/)") or "./"
local common = dofile(here .. "common.lua")

setup = common.setup
done = common.done

local STALL_SECONDS = 15

local form_path, quota, body_before, body_after, prefix, domain
local hidden_names = {}
local token, cookie, hidden
local finished = false
local last_progress

function init(args)
   form_path = args[1]
   quota = tonumber(args[2])
   body_before = args[3]
   body_after = args[4]
   prefix = args[5]
   domain = args[6]
   for name in string.gmatch(args[7] or "", "[^,]+") do
      table.insert(hidden_names, name)
   end
   s2xx, s3xx, s4xx, s5xx, gets, posts, answered, again = 0, 0, 0, 0, 0, 0, 0, 0
   last_progress = os.time()
end

local function urlencode(value)
   return (value:gsub("[^%w%-%._~]", function(char)
      return string.format("%%%02X", string.byte(char))
   end))
end

local function form_post(person)
   local email = string.format("%s-%d-%d%%40%s", prefix, id, person, domain)
   local body = body_before .. "&email=" .. email .. "&csrfmiddlewaretoken=" .. token .. hidden
   if body_after ~= "" then
      body = body .. "&" .. body_after
   end
   return wrk.format("POST", form_path, {
      ["Cookie"] = "csrftoken=" .. cookie,
      ["Content-Type"] = "application/x-www-form-urlencoded",
   }, body)
end

function request()
   if not token then
      gets = gets + 1
      return wrk.format("GET", form_path)
   end
   if posts < quota then
      posts = posts + 1
      return form_post(posts)
   end
   again = again + 1
   return wrk.format("GET", "/bench/hello/")
end

local function read_form(status, headers, body)
   if token or status ~= 200 then
      return
   end
   local set_cookie = headers["Set-Cookie"] or headers["set-cookie"] or ""
   local c = set_cookie:match("csrftoken=([^;]+)")
   local t = body:match('name="csrfmiddlewaretoken" value="([^"]+)"')
   local fields = {}
   for _, name in ipairs(hidden_names) do
      local value = body:match('name="' .. name .. '" value="([^"]*)"')
      if value == nil then
         return
      end
      table.insert(fields, "&" .. name .. "=" .. urlencode(value))
   end
   if c and t then
      cookie, token, hidden = c, t, table.concat(fields)
   end
end

function response(status, headers, body)
   answered = answered + 1
   common.count_status(status)
   read_form(status, headers, body)
   local now = os.time()
   if status >= 300 and status < 400 then
      last_progress = now
   end
   if not finished and (s3xx >= quota or (posts >= quota and now - last_progress >= STALL_SECONDS)) then
      finished = true
      io.write("BENCH-THREAD-DONE " .. id .. "\n")
      io.flush()
   end
end
