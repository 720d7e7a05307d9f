-- leavegroup.lua - V TCPIP,,SYSPLEX,LEAVEGROUP and JOINGROUP.
--
-- 1. On a target (SYSC): after LEAVEGROUP, SYSC is no longer an active
--    member of XCF group EZBTCPCS (D XCF,GROUP,EZBTCPCS), SYSA's VDPT drops
--    it and sends it no new connection while SYSA and SYSB keep serving;
--    after JOINGROUP it is ACTIVE again, back in the VDPT with Rdy > 0, and
--    gets connections.
-- 2. On the routing stack (SYSA): LEAVEGROUP gives the DVIPA up and the
--    backup SYSB takes it over; JOINGROUP brings SYSA back, and SYSA (the
--    VIPADEFINE owner, MOVEABLE IMMEDIATE) takes the DVIPA back.
-- No connection to a stack that stayed in the group is lost.
--
--   sysplex run lua-scripts/leavegroup.lua [long]
-- long: each leave/join cycle three times.
local long = args[1] == "long"
local dvipa = "fd00:100::1"
local cycles = long and 3 or 1

local function vary(sys, action)
	local r, err = cmd(sys, "V TCPIP,TCPCS,SYSPLEX," .. action)
	expect(r and r.ok, string.format("%s: V TCPIP,TCPCS,SYSPLEX,%s: %s", sys, action,
		r and r.message or tostring(err)))
end

local function member(sys, from)
	local g = cmd(from, "D XCF,GROUP,EZBTCPCS")
	for _, m in ipairs(g and g.members or {}) do
		if m.mvsname == sys then
			return m.status
		end
	end
	return "ABSENT"
end

local function ready(sys)
	local v = cmd(routing(dvipa), "D TCPIP,TCPCS,NETSTAT,VDPT")
	for _, e in ipairs(v and v.vdpt or {}) do
		if e.dest == dvipa and e.destxcf == address(sys).xcf and e.rdy > 0 then
			return true
		end
	end
	return false
end

local function seen(h, sys)
	local b = h.by[sys]
	return b and (b.ok + b.failed + b.reset + b.active) or 0
end

-- Connections that ended (any way) so far.
local function ended(h)
	return h.ok + h.failed + h.reset
end

-- idle_timeout bounds how long a connection may make no progress before it
-- counts as failed: generous, so that a slow machine's stall is not a loss.
local l = load{ client = "CLIENT2", connections = 6, bytes = 100000, pace = 400000, idle_timeout = 15 }
expect(wait_until(function() return l.ok >= 10 end, 60), "load running")
local outages = {}
for cycle = 1, cycles do
	-- 1. A target leaves and rejoins.
	local t = now()
	vary("SYSC", "LEAVEGROUP")
	expect(wait_until(function() return member("SYSC", "SYSA") ~= "ACTIVE" end, 30),
		"SYSA sees SYSC as " .. member("SYSC", "SYSA") .. " in EZBTCPCS")
	expect(wait_until(function() return not ready("SYSC") end, 30), "SYSA's VDPT dropped SYSC")
	local detect = now() - t
	-- Every connection started before the drop has ended: from here on, a
	-- connection answered by SYSC would be a new one.
	local started = l.started
	wait_until(function() return ended(l) >= started end, 60)
	local n0, ok0 = seen(l, "SYSC"), l.ok
	expect(wait_until(function() return l.ok > ok0 + 5 end, 60) and seen(l, "SYSC") == n0, string.format(
		"no new connection to SYSC while out of the group; SYSA and SYSB served %d", l.ok - ok0))
	vary("SYSC", "JOINGROUP")
	outages[#outages + 1] = { sys = "SYSC", from = t, to = now(), detect = detect }
	expect(wait_until(function() return member("SYSC", "SYSA") == "ACTIVE" end, 30),
		"SYSC is ACTIVE in EZBTCPCS again")
	expect(wait_until(function() return ready("SYSC") end, 30), "SYSC is back in SYSA's VDPT with Rdy > 0")
	local n1 = seen(l, "SYSC")
	expect(wait_until(function() return seen(l, "SYSC") > n1 + 2 end, 30), "SYSC gets new connections again")

	-- 2. The routing stack leaves and rejoins.
	t = now()
	vary("SYSA", "LEAVEGROUP")
	expect(wait_until(function()
		local o = owners(dvipa)
		return #o == 1 and o[1] == "SYSB"
	end, 30), "SYSB took " .. dvipa .. " over from SYSA")
	detect = now() - t
	local ok1 = l.ok
	expect(wait_until(function() return l.ok > ok1 + 3 end, 60),
		string.format("clients served with SYSB routing (%d)", l.ok - ok1))
	vary("SYSA", "JOINGROUP")
	outages[#outages + 1] = { sys = "SYSA", from = t, to = now(), detect = detect }
	expect(wait_until(function()
		local o = owners(dvipa)
		return #o == 1 and o[1] == "SYSA"
	end, 30), "SYSA rejoined and took " .. dvipa .. " back")
end
-- No new connections; the open ones end (complete, or fail after
-- idle_timeout), so every lost connection is counted.
local c = l:stop(60)
local bad, explained = losses(c, outages)
expect(#bad == 0 and c.abandoned == 0, string.format(
	"no connection to a stack in the group lost (%d ok, %d lost on a leaving stack, %d still open)",
	c.ok, explained, c.abandoned))
