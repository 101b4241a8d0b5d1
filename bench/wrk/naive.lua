-- POST to the naive-ORM ceiling view (no body, no CSRF: the view is exempt and makes up the
-- e-mail address itself).
local here = debug.getinfo(1, "S").source:match("^@(.*/)") or "./"
local common = dofile(here .. "common.lua")

setup = common.setup
done = common.done

wrk.method = "POST"
wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
