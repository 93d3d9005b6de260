-- mix.lua - wrk script for the worker RSS steadiness run of scripts/bench.sh:
-- rotates over the paths given after "--", so that the workers go through
-- their usual allocations (JSON, libpq results, list pages) many times.
-- Usage: wrk -s tests/bench/mix.lua URL -- /path1 /path2 ...

local paths = {}
local i = 0
local threads = 0

-- Runs in the main state, once per thread: give each thread its own start.
function setup(thread)
   thread:set("offset", threads)
   threads = threads + 1
end

function init(args)
   for _, p in ipairs(args) do
      paths[#paths + 1] = p
   end
   if #paths == 0 then
      paths[1] = "/healthz"
   end
   i = (tonumber(offset) or 0) % #paths
end

function request()
   i = i % #paths + 1
   return wrk.format("GET", paths[i])
end
