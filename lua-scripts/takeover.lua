-- takeover.lua - the routing stack fails under load.
--
-- SYSA owns DVIPA fd00:100::1 (VIPADEFINE) and distributes port 8080; SYSB
-- is its backup (VIPABACKUP 100).  With downloads running from both clients,
-- SYSA's stack is killed.  Expected, as on z/OS (docs/DESIGN.md, "Ownership,
-- takeover"): SYSB takes the DVIPA over within the failure detection time,
-- rebuilds the connection routing table from the targets' reports and keeps
-- forwarding, so no connection terminated by SYSB or SYSC is lost (those on
-- SYSA die with its stack); new connections are served and spread over the
-- surviving targets.
--
--   sysplex run lua-scripts/takeover.lua [long]
-- long: keeps the load going 30 s after the takeover instead of 4.
local long = args[1] == "long"
local dvipa = "fd00:100::1"

local function vdpt_ready(sys)
	local v = cmd(sys, "D TCPIP,TCPCS,NETSTAT,VDPT") or { vdpt = {} }
	local r = {}
	for _, e in ipairs(v.vdpt) do
		if e.rdy > 0 and e.dest == dvipa then
			r[e.destxcf] = true
		end
	end
	return r
end

expect(wait_until(function() return routing(dvipa) == "SYSA" end, 30), "SYSA is the routing stack of " .. dvipa)
-- idle_timeout bounds how long a connection may make no progress before it
-- counts as failed: generous, so that a slow machine's stall is not a loss.
local l1 = load{ client = "CLIENT1", connections = 8, bytes = 300000, pace = 200000, idle_timeout = 15 }
local l2 = load{ client = "CLIENT2", connections = 4, bytes = 300000, pace = 200000, idle_timeout = 15 }
expect(wait_until(function() return l1.ok >= 8 and l2.ok >= 4 end, 60),
	"downloads complete from both clients before the failure")

kill("SYSA")
local t = now()
expect(wait_until(function()
	local o = owners(dvipa)
	return #o == 1 and o[1] == "SYSB"
end, 30), "SYSB took over " .. dvipa .. " (and is its only owner)")
-- For losses(): a connection that failed before its answer and started
-- before the takeover may have been sent to the dead routing stack.
local detect = now() - t
log("takeover seen %.2f s after the kill", detect)
local vipadyn = cmd("SYSB", "D TCPIP,TCPCS,NETSTAT,VIPADYN", { timeout = 30 }) or { vipadyn = {} }
local row = vipadyn.vipadyn[1] or {}
expect(row.status == "ACTIVE" and row.origin == "VIPABACKUP",
	"SYSB's VIPADYN: " .. tostring(row.status) .. " " .. tostring(row.origin) .. " " .. tostring(row.diststat))
expect(wait_until(function()
	local r = vdpt_ready("SYSB")
	return r[address("SYSB").xcf] and r[address("SYSC").xcf] and not r[address("SYSA").xcf]
end, 30), "SYSB's VDPT: SYSB and SYSC ready, SYSA gone")

local before = l1.ok + l2.ok
if long then
	wait(30)
end
expect(wait_until(function() return l1.ok + l2.ok >= before + 10 end, 60),
	string.format("new connections served after the takeover (%d)", l1.ok + l2.ok - before))
-- No new connections; the open ones end (complete, or fail after
-- idle_timeout), so every lost connection is counted.
local c1, c2 = l1:stop(60), l2:stop(60)
local outage = { { sys = "SYSA", from = t, detect = detect } }
local bad1, ex1 = losses(c1, outage)
local bad2, ex2 = losses(c2, outage)
expect(#bad1 + #bad2 == 0 and c1.abandoned + c2.abandoned == 0, string.format(
	"no connection to SYSB or SYSC lost (%d ok; %d lost with SYSA's stack; %d still open)",
	c1.ok + c2.ok, ex1 + ex2, c1.abandoned + c2.abandoned))
for _, e in ipairs(bad1) do
	log("lost: CLIENT1 ..%d on %s (%s) %.2f-%.2f s", e.port, e.target, e.why, e.t_start, e.t_end)
end
for _, e in ipairs(bad2) do
	log("lost: CLIENT2 ..%d on %s (%s) %.2f-%.2f s", e.port, e.target, e.why, e.t_start, e.t_end)
end
