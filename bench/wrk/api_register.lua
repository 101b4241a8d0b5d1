-- POST new registrations to the JSON API (issue 21), each for a new person:
-- "<prefix>-<thread>-<n>@<domain>", with the token in "Authorization: Bearer".
--
-- Arguments (after "--"): the token's secret, the JSON body before the e-mail address and after
-- it (the address goes between them, quoted), the e-mail prefix and domain.
local here = debug.getinfo(1, "S").source:match("^@(.*/)") or "./"
local common = dofile(here .. "common.lua")

setup = common.setup
done = common.done

local secret, before, after, prefix, domain
local person = 0

function init(args)
   secret, before, after, prefix, domain = args[1], args[2], args[3], args[4], args[5]
   s2xx, s3xx, s4xx, s5xx, posts = 0, 0, 0, 0, 0
end

function request()
   person = person + 1
   posts = posts + 1
   local email = string.format('"%s-%d-%d@%s"', prefix, id, person, domain)
   return wrk.format("POST", nil, {
      ["Authorization"] = "Bearer " .. secret,
      ["Content-Type"] = "application/json",
   }, before .. email .. after)
end

function response(status, headers, body)
   common.count_status(status)
end
