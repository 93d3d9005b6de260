-- create_request.lua - wrk script for scripts/bench.sh: POST /v1/requests, an
-- applicant's online disclosure request to a unit, as the demo citizen (a
-- real public account: the creation joins accounts on the token's sub). No
-- Idempotency-Key: every request creates a case. Anything but 201 counts as
-- an error; done() prints "Non-201 responses: N" for bench.sh to read.
-- Usage: wrk -s tests/bench/create_request.lua URL -- TOKEN UNIT_ID

local threads = {}

-- Runs in the main state, once per thread.
function setup(thread)
   threads[#threads + 1] = thread
end

function init(args)
   local token, unit = args[1], args[2]
   if not token or not unit then
      error("usage: wrk -s create_request.lua URL -- TOKEN UNIT_ID")
   end
   non201 = 0
   wrk.method = "POST"
   wrk.path = "/v1/requests"
   wrk.headers["Authorization"] = "Bearer " .. token
   wrk.headers["Content-Type"] = "application/json"
   wrk.body = string.format('{"kind":"disclosure","unit_id":"%s",'
      .. '"description":"申请公开本单位2025年度户籍迁移业务量统计数据及办理时限规定。",'
      .. '"purpose":"了解落户办理时限，便于安排家庭迁移。","delivery":"electronic"}', unit)
end

function response(status, headers, body)
   if status ~= 201 then
      non201 = non201 + 1
   end
end

function done(summary, latency, requests)
   local n = 0
   for _, t in ipairs(threads) do
      n = n + (tonumber(t:get("non201")) or 0)
   end
   io.write(string.format("Non-201 responses: %d\n", n))
end
