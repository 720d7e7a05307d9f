-- quiesce.lua - V TCPIP,,SYSPLEX,QUIESCE and RESUME on a target.
--
-- `V TCPIP,TCPCS,SYSPLEX,QUIESCE,PORT=8080` on SYSB: the routing stack's
-- VDPT marks SYSB QUIESCED for port 8080 and gives it no new connection
-- while SYSA and SYSC keep serving; connections SYSB already has go on to
-- completion (a quiesce is not a failure: no connection at all is lost).
-- `RESUME,PORT=8080` clears the flag and SYSB gets new connections again.
--
--   sysplex run lua-scripts/quiesce.lua [long]
-- long: also QUIESCE,TARGET / RESUME,TARGET (every port of the target), and
-- holds each state 10 s.
local long = args[1] == "long"
local dvipa = "fd00:100::1"
local hold = long and 10 or 2
local forms = long and { "PORT=8080", "TARGET" } or { "PORT=8080" }

local function vary(sys, action)
	local r, err = cmd(sys, "V TCPIP,TCPCS,SYSPLEX," .. action)
	expect(r and r.ok, string.format("%s: V TCPIP,TCPCS,SYSPLEX,%s: %s", sys, action,
		r and r.message or tostring(err)))
end

-- SYSB's VDPT entry for port 8080 on the routing stack.
local function entry(sys)
	local v = cmd("SYSA", "D TCPIP,TCPCS,NETSTAT,VDPT")
	for _, e in ipairs(v and v.vdpt or {}) do
		if e.dest == dvipa and e.port == 8080 and e.destxcf == address(sys).xcf then
			return e
		end
	end
	return {}
end

local function seen(h, sys)
	local b = h.by[sys]
	return b and (b.ok + b.failed + b.reset + b.active) or 0
end

-- idle_timeout bounds how long a connection may make no progress before it
-- counts as failed: generous, so that a slow machine's stall is not a loss.
local l = load{ client = "CLIENT1", connections = 6, bytes = 200000, pace = 400000, idle_timeout = 15 }
expect(wait_until(function() return seen(l, "SYSB") >= 3 end, 60), "load running; SYSB serves")
for _, form in ipairs(forms) do
	vary("SYSB", "QUIESCE," .. form)
	expect(wait_until(function() return entry("SYSB").quiesced == true end, 30),
		"SYSA's VDPT shows SYSB QUIESCED (" .. form .. ")")
	local e = entry("SYSB")
	log("VDPT entry of SYSB: rdy %d, totalconn %d, quiesced %s", e.rdy or -1, e.totalconn or -1,
		tostring(e.quiesced))
	-- Every connection started before the quiesce has ended: from here on,
	-- a connection answered by SYSB would be a new one.
	local started = l.started
	wait_until(function() return l.ok + l.failed + l.reset >= started end, 60)
	local n0, tc0, ok0 = seen(l, "SYSB"), entry("SYSB").totalconn, l.ok
	wait(hold)
	wait_until(function() return l.ok > ok0 + 5 end, 60)
	expect(seen(l, "SYSB") == n0 and entry("SYSB").totalconn == tc0 and l.ok > ok0 + 5, string.format(
		"no new connection to SYSB while quiesced (%d new elsewhere)", l.ok - ok0))
	vary("SYSB", "RESUME," .. form)
	expect(wait_until(function() return entry("SYSB").quiesced == false end, 30),
		"SYSA's VDPT shows SYSB resumed")
	local n1 = seen(l, "SYSB")
	expect(wait_until(function() return seen(l, "SYSB") > n1 + 2 end, 30), "SYSB gets new connections again")
end
-- No new connections; the open ones end by themselves.
local c = l:stop(60)
expect(c.failed + c.reset + c.abandoned == 0, string.format(
	"no connection lost (%d ok, %d failed, %d reset, %d still open)", c.ok, c.failed, c.reset, c.abandoned))
