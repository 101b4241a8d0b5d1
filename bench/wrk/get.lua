-- GET one path over and over (the path is wrk's URL). No response() callback, so that wrk does
-- not parse bodies: the cheapest client for the ceilings and the public pages.
local here = debug.getinfo(1, "S").source:match("^@(.*/)") or "./"
local common = dofile(here .. "common.lua")

setup = common.setup
done = common.done
