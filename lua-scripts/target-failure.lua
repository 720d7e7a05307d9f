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

-- idle_timeout bounds how long a connection may make no progress before it
-- counts as failed: generous, so that a slow machine's stall is not a loss.
local l = load{ client = "CLIENT1", connections = 8, bytes = 200000, pace = 400000, idle_timeout = 15 }
expect(wait_until(function() return l.ok >= 10 end, 60), "load running")
local outages = {}
for round, victim in ipairs(victims) do
	expect(wait_until(function() return seen(l, victim) > 0 end, 30),
		string.format("round %d: %s serves connections before it fails", round, victim))
	local t = now()
	kill(victim)
	expect(wait_until(function() return ready(victim) == false end, 30),
		string.format("round %d: SYSA's VDPT no longer has %s ready", round, victim))
	-- For losses(): a connection that failed before its answer and started
	-- before the drop may have been sent to the dead target.
	local detect = now() - t
	log("%s left the VDPT %.2f s after the kill", victim, detect)
	-- Every connection started before the drop has ended (those on the dead
	-- target after idle_timeout): from here on, one answered by it would be new.
	local started = l.started
	wait_until(function() return l.ok + l.failed + l.reset >= started end, 60)
	local n0, others0 = seen(l, victim), l.ok
	expect(wait_until(function() return l.ok > others0 + 5 end, 60), string.format(
		"round %d: the other targets kept serving (%d)", round, l.ok - others0))
	expect(seen(l, victim) == n0, string.format("round %d: no new connection went to %s while it was down",
		round, victim))
	restart(victim)
	outages[#outages + 1] = { sys = victim, from = t, to = now(), detect = detect }
	expect(wait_until(function() return ready(victim) end, 30),
		string.format("round %d: %s back in SYSA's VDPT with Rdy > 0", round, victim))
	local n1 = seen(l, victim)
	expect(wait_until(function() return seen(l, victim) > n1 + 2 end, 30),
		string.format("round %d: %s gets new connections again", round, victim))
end
-- No new connections; the open ones end (complete, or fail after
-- idle_timeout), so every lost connection is counted.
local c = l:stop(60)
local bad, explained = losses(c, outages)
expect(#bad == 0 and c.abandoned == 0, string.format(
	"no connection to a surviving target lost (%d ok, %d lost on the failed target, %d still open)",
	c.ok, explained, c.abandoned))
