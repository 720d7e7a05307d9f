-- takeback.lua - the VIPADEFINE owner comes back and takes the DVIPA back.
--
-- Under load, SYSA's stack is killed (SYSB, VIPABACKUP 100, takes over) and
-- then restarted.  SYSA defines the DVIPA MOVEABLE IMMEDIATE, so it takes it
-- back at once (docs/DESIGN.md, "Takeback"): SYSA becomes the only owner again and
-- SYSB returns to BACKUP; the targets report their connections to SYSA, so
-- no connection to SYSB or SYSC is lost across both moves, and at no
-- sampled instant do two stacks own the DVIPA.
--
--   sysplex run lua-scripts/takeback.lua [long]
-- long: five kill/restart rounds instead of one.
local long = args[1] == "long"
local dvipa = "fd00:100::1"
local rounds = long and 5 or 1

-- Samples the owners every 100 ms until stopped; counts double ownership.
local watch = watch_owners(dvipa, 0.1)

-- idle_timeout bounds how long a connection may make no progress before it
-- counts as failed: generous, so that a slow machine's stall is not a loss.
local l1 = load{ client = "CLIENT1", connections = 8, bytes = 400000, pace = 200000, idle_timeout = 15 }
local l2 = load{ client = "CLIENT2", connections = 4, bytes = 400000, pace = 200000, idle_timeout = 15 }
expect(wait_until(function() return l1.ok >= 8 and l2.ok >= 4 end, 60), "load running")
local outages = {}
for round = 1, rounds do
	local t = now()
	kill("SYSA")
	expect(wait_until(function() return routing(dvipa) == "SYSB" end, 30),
		string.format("round %d: SYSB took over", round))
	-- For losses(): a connection that failed before its answer and started
	-- before the takeover may have been sent to the dead routing stack.
	local detect = now() - t
	wait(1)
	restart("SYSA")
	outages[#outages + 1] = { sys = "SYSA", from = t, to = now(), detect = detect }
	local tb = now()
	expect(wait_until(function()
		local o = owners(dvipa)
		return #o == 1 and o[1] == "SYSA"
	end, 30), string.format("round %d: SYSA took %s back", round, dvipa))
	log("takeback seen %.2f s after the restart", now() - tb)
	local v = cmd("SYSB", "D TCPIP,TCPCS,NETSTAT,VIPADYN") or { vipadyn = {} }
	local row = v.vipadyn[1] or {}
	expect(wait_until(function()
		v = cmd("SYSB", "D TCPIP,TCPCS,NETSTAT,VIPADYN") or { vipadyn = {} }
		row = v.vipadyn[1] or {}
		return row.status == "BACKUP"
	end, 30), string.format("round %d: SYSB is BACKUP again (%s)", round, tostring(row.status)))
	local before = l1.ok + l2.ok
	expect(wait_until(function() return l1.ok + l2.ok > before + 5 end, 60),
		string.format("round %d: connections served after the takeback (%d)", round, l1.ok + l2.ok - before))
end
local w = watch:stop()
-- No new connections; the open ones end (complete, or fail after
-- idle_timeout), so every lost connection is counted.
local c1, c2 = l1:stop(60), l2:stop(60)
local bad1, ex1 = losses(c1, outages, "CLIENT1")
local bad2, ex2 = losses(c2, outages, "CLIENT2")
expect(#bad1 + #bad2 == 0 and c1.abandoned + c2.abandoned == 0, string.format(
	"no connection lost except those on SYSA's dead stack (%d ok, %d lost with SYSA, %d still open)",
	c1.ok + c2.ok, ex1 + ex2, c1.abandoned + c2.abandoned))
expect(w.doubles == 0 and w.samples > 10, string.format("never two owners (%d samples)", w.samples))
