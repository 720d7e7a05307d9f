-- target-failure.lua - a target (not the routing stack) fails and returns.
--
-- Under load, SYSC's stack is killed.  Expected, as on z/OS (docs/DESIGN.md):
-- the routing stack SYSA drops SYSC from its VDPT at once and sends it no
-- new connection; connections to SYSA and SYSB are not affected (those on
-- SYSC are lost: their TCP state lived there).  SYSC's stack is restarted:
-- it rejoins EZBTCPCS, registers its listener again (VDPT Rdy > 0) and
-- gets new connections.
--
--   sysplex run lua-scripts/target-failure.lua [long]
-- long: three fail/return rounds, alternating SYSC and SYSB.
local long = args[1] == "long"
local dvipa = "fd00:100::1"
local victims = long and { "SYSC", "SYSB", "SYSC" } or { "SYSC" }

-- Connections a target has answered so far (ended or still open).
local function seen(h, sys)
	local b = h.by[sys]
	return b and (b.ok + b.failed + b.reset + b.active) or 0
end

local function ready(sys)
	local v = cmd("SYSA", "D TCPIP,TCPCS,NETSTAT,VDPT")
	if not v then
		return nil
	end
	for _, e in ipairs(v.vdpt) do
		if e.dest == dvipa and e.destxcf == address(sys).xcf then
			return e.rdy > 0
		end
	end
	return false
end

local l = load{ client = "CLIENT1", connections = 8, bytes = 200000, pace = 400000, idle_timeout = 3 }
expect(wait_until(function() return l.ok >= 10 end, 10), "load running")
local outages = {}
for round, victim in ipairs(victims) do
	expect(wait_until(function() return seen(l, victim) > 0 end, 5),
		string.format("round %d: %s serves connections before it fails", round, victim))
	local t = now()
	kill(victim)
	expect(wait_until(function() return ready(victim) == false end, 3),
		string.format("round %d: SYSA's VDPT no longer has %s ready", round, victim))
	log("%s left the VDPT %.2f s after the kill", victim, now() - t)
	wait(1)
	local n0, others0 = seen(l, victim), l.ok
	wait(3)
	expect(seen(l, victim) == n0, string.format("round %d: no new connection went to %s while it was down",
		round, victim))
	expect(l.ok > others0 + 5, string.format("round %d: the other targets kept serving (%d)", round,
		l.ok - others0))
	restart(victim)
	outages[#outages + 1] = { sys = victim, from = t, to = now() }
	expect(wait_until(function() return ready(victim) end, 5),
		string.format("round %d: %s back in SYSA's VDPT with Rdy > 0", round, victim))
	local n1 = seen(l, victim)
	expect(wait_until(function() return seen(l, victim) > n1 + 2 end, 5),
		string.format("round %d: %s gets new connections again", round, victim))
end
wait(3.5)	-- longer than idle_timeout: every lost connection is counted
local c = l:stop()
local bad, explained = losses(c, outages)
expect(#bad == 0, string.format("no connection to a surviving target lost (%d ok, %d lost on the failed target)",
	c.ok, explained))
