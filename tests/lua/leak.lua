-- leak.lua - an error while loads, a spawned task and a long exec are in
-- flight: `sysplex run` must kill them all and remove the instance it
-- started (test_lua.sh checks that no namespace or process is left).
--   sysplex run tests/lua/leak.lua [SECONDS]
-- SECONDS (default 300) is the sleeps' argument: a value of its own, such
-- as 300.4711, tells this run's sleeps from any other's on the machine.
local d = args[1] or "300"
-- Downloads held open (a length no pace reaches the end of).
local h = load{ client = "CLIENT1", connections = 4, bytes = 1000000000000000, pace = 100000 }
spawn(function() exec("CLIENT2", "sleep", d) end)
spawn(function() exec("SYSB", "sh -c 'sleep " .. d .. " & sleep " .. d .. "'") end)
wait_until(function() return h.active > 0 end, 60)
-- The three sleeps (grandchildren of the run) have started.
local started = wait_until(function()
	local _, n = exec("SYSA", "pgrep -c -f '^sleep " .. d:gsub("%.", "[.]") .. "$'")
	return (tonumber(n) or 0) >= 3
end, 60)
expect(h.active > 0 and started, "load running, the three sleeps started")
error("deliberate error with children running")
