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

local l = load{ client = "CLIENT2", connections = 6, bytes = 100000, pace = 400000, idle_timeout = 3 }
expect(wait_until(function() return l.ok >= 10 end, 10), "load running")
local outages = {}
for cycle = 1, cycles do
	-- 1. A target leaves and rejoins.
	local t = now()
	vary("SYSC", "LEAVEGROUP")
	expect(wait_until(function() return member("SYSC", "SYSA") ~= "ACTIVE" end, 3),
		"SYSA sees SYSC as " .. member("SYSC", "SYSA") .. " in EZBTCPCS")
	expect(wait_until(function() return not ready("SYSC") end, 3), "SYSA's VDPT dropped SYSC")
	wait(0.5)
	local n0, ok0 = seen(l, "SYSC"), l.ok
	wait(2)
	expect(seen(l, "SYSC") == n0 and l.ok > ok0 + 5, string.format(
		"no new connection to SYSC while out of the group; SYSA and SYSB served %d", l.ok - ok0))
	vary("SYSC", "JOINGROUP")
	outages[#outages + 1] = { sys = "SYSC", from = t, to = now() }
	expect(wait_until(function() return member("SYSC", "SYSA") == "ACTIVE" end, 3),
		"SYSC is ACTIVE in EZBTCPCS again")
	expect(wait_until(function() return ready("SYSC") end, 5), "SYSC is back in SYSA's VDPT with Rdy > 0")
	local n1 = seen(l, "SYSC")
	expect(wait_until(function() return seen(l, "SYSC") > n1 + 2 end, 5), "SYSC gets new connections again")

	-- 2. The routing stack leaves and rejoins.
	t = now()
	vary("SYSA", "LEAVEGROUP")
	expect(wait_until(function()
		local o = owners(dvipa)
		return #o == 1 and o[1] == "SYSB"
	end, 5), "SYSB took " .. dvipa .. " over from SYSA")
	local ok1 = l.ok
	wait(1.5)
	expect(l.ok > ok1 + 3, string.format("clients served with SYSB routing (%d)", l.ok - ok1))
	vary("SYSA", "JOINGROUP")
	outages[#outages + 1] = { sys = "SYSA", from = t, to = now() }
	expect(wait_until(function()
		local o = owners(dvipa)
		return #o == 1 and o[1] == "SYSA"
	end, 8), "SYSA rejoined and took " .. dvipa .. " back")
end
wait(3.5)	-- longer than idle_timeout: every lost connection is counted
local c = l:stop()
local bad, explained = losses(c, outages)
expect(#bad == 0, string.format("no connection to a stack in the group lost (%d ok, %d lost on a leaving stack)",
	c.ok, explained))
