-- random_item.lua - wrk -s: GET /v1/items/{id} over the ids listed in the
-- file given as the script's argument, one at random per request. With many
-- more ids than the workers' caches hold (src/base/rcache.c), nearly every read
-- goes to the database: the uncached cost of the route.
local ids = {}

function init(args)
	for line in io.lines(args[1]) do
		if #line > 0 then
			ids[#ids + 1] = line
		end
	end
	if #ids == 0 then
		error("random_item.lua: no ids in " .. tostring(args[1]))
	end
	math.randomseed(os.time() + #tostring({}))
end

function request()
	return wrk.format("GET", "/v1/items/" .. ids[math.random(#ids)])
end
