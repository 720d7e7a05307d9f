-- leak.lua - an error while loads, a spawned task and a long exec are in
-- flight: `sysplex run` must kill them all and remove the instance it
-- started (test_lua.sh checks that no namespace or process is left).
-- Downloads held open (a length no pace reaches the end of).
local h = load{ client = "CLIENT1", connections = 4, bytes = 1000000000000000, pace = 100000 }
spawn(function() exec("CLIENT2", "sleep", "300") end)
spawn(function() exec("SYSB", "sh -c 'sleep 300 & sleep 300'") end)
wait_until(function() return h.active > 0 end, 60)
-- The three sleeps (grandchildren of the run) have started.
wait_until(function()
	local _, n = exec("SYSA", "pgrep -c -f '^sleep 300$'")
	return (tonumber(n) or 0) >= 3
end, 60)
expect(h.active > 0, "load running")
error("deliberate error with children running")
