-- The session sign-up rush (issue 18). Each connection first GETs the registration form for a
-- CSRF cookie and token (the thread keeps the first it reads), then signs up its thread's
-- participants, each by the participant cookie their personal page would have set, once for
-- each session: "POST /sesje/<id>/zapis/" answered by a redirect (3xx). Participants'
-- cookies come from a file, one a line; thread t takes lines (t-1)*quota+1 .. t*quota.
-- When a thread has its quota of redirects it prints "BENCH-THREAD-DONE" (also after 15 s
-- without a new one); until wrk is ended, idle connections GET /bench/hello/.
--
-- Arguments (after "--"): form path, quota per thread, cookies file, sign-up paths
-- (comma-separated, one per session).
local here = debug.getinfo(1, "S").source:match("^@(.*/)") or "./"
local common = dofile(here .. "common.lua")

setup = common.setup
done = common.done

local STALL_SECONDS = 15

local form_path, quota, cookies_file
local paths = {}
local people = {}
local token, csrf
local finished = false
local last_progress
local sent = 0

function init(args)
   form_path = args[1]
   quota = tonumber(args[2])
   cookies_file = args[3]
   for path in string.gmatch(args[4] or "", "[^,]+") do
      table.insert(paths, path)
   end
   local n = 0
   for line in io.lines(cookies_file) do
      n = n + 1
      if n > (id - 1) * quota and n <= id * quota then
         table.insert(people, line)
      end
   end
   s2xx, s3xx, s4xx, s5xx, gets, posts, answered, again = 0, 0, 0, 0, 0, 0, 0, 0
   last_progress = os.time()
end

function request()
   if not token then
      gets = gets + 1
      return wrk.format("GET", form_path)
   end
   if sent < #people * #paths then
      sent = sent + 1
      posts = posts + 1
      local person = people[math.floor((sent - 1) / #paths) + 1]
      local path = paths[((sent - 1) % #paths) + 1]
      return wrk.format("POST", path, {
         ["Cookie"] = "csrftoken=" .. csrf .. "; kongres_participant=" .. person,
         ["Content-Type"] = "application/x-www-form-urlencoded",
      }, "csrfmiddlewaretoken=" .. token .. "&next=%2F")
   end
   again = again + 1
   return wrk.format("GET", "/bench/hello/")
end

function response(status, headers, body)
   answered = answered + 1
   common.count_status(status)
   if not token and status == 200 then
      local set_cookie = headers["Set-Cookie"] or headers["set-cookie"] or ""
      local c = set_cookie:match("csrftoken=([^;]+)")
      local t = body:match('name="csrfmiddlewaretoken" value="([^"]+)"')
      if c and t then
         csrf, token = c, t
      end
   end
   local now = os.time()
   if status >= 300 and status < 400 then
      last_progress = now
   end
   local wanted = #people * #paths
   if not finished and (s3xx >= wanted or (sent >= wanted and now - last_progress >= STALL_SECONDS)) then
      finished = true
      io.write("BENCH-THREAD-DONE " .. id .. "\n")
      io.flush()
   end
end
