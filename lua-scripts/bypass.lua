-- bypass.lua - the Sysplex Distributor bypass (US 7,886,076) seen by an
-- operator: connections move from "via SYSA" to "direct to SYSx".
--
-- DVIPA fd00:100::1 has MOBILEIPV6 on: once the routing stack SYSA and the
-- target have run the return routability test with the client, the client
-- agent gets a Binding Update (home = DVIPA, care-of = the target's XCF
-- address) and sends that connection's packets straight to the target.
-- Three paced downloads from CLIENT1 (one per target, ROUNDROBIN), held open
-- until the script has seen what it needs, are followed in SYSA's
-- `D TCPIP,TCPCS,NETSTAT,VCRT,DETAIL` (bypass NONE -> TESTING -> BOUND,
-- care-of) and in the agent's binding cache (`D MIP6,BINDINGS,CLIENT1`).
-- Expected: every connection gets BOUND with care-of = its target, the agent
-- holds the same binding, SYSA stops forwarding the connection's packets
-- while the agent's direct counter grows, every download stays alive until
-- the script ends it, and the bindings go when they end.
--
--   sysplex run lua-scripts/bypass.lua [long]
-- long: each connection is followed for 300 samples (30 s) once bound
-- instead of 20.
local long = args[1] == "long"
local want_samples = long and 300 or 20
local me = address("CLIENT1").lan
local names = {}
for _, s in ipairs(systems()) do
	names[address(s).xcf] = s
end

-- Connections of CLIENT1 already in SYSA's VCRT (e.g. `sysplex up`'s check).
local old = {}
for _, e in ipairs((cmd("SYSA", "D TCPIP,TCPCS,NETSTAT,VCRT") or { vcrt = {} }).vcrt) do
	if e.source == me then
		old[e.sport] = true
	end
end

-- Held open: a length no pace here reaches the end of (10^15 bytes), read at
-- 5 MB/s each, ended by l:stop() below.
local l = load{ client = "CLIENT1", connections = 3, count = 3, bytes = 1000000000000000, pace = 5000000,
	idle_timeout = 30 }
local conns = {}	-- sport -> { path = "...", fwd_bound = n, fwd_max = n }
local bound_agent = {}

local function sample()
	local v = cmd("SYSA", "D TCPIP,TCPCS,NETSTAT,VCRT,DETAIL")
	local b = cmd("D MIP6,BINDINGS,CLIENT1")
	if not v or not b then
		return
	end
	local binding = {}
	for _, e in ipairs(b.bindings) do
		if e.kind == "connection" then
			binding[e.client_port] = e
		end
	end
	for _, e in ipairs(v.vcrt) do
		if e.source == me and not old[e.sport] then
			local c = conns[e.sport]
			if not c then
				c = { path = "", target = names[e.destxcf] or e.destxcf }
				conns[e.sport] = c
			end
			local path = e.bypass == "BOUND" and ("direct to " .. (names[e.careof] or e.careof))
				or ("via SYSA (bypass " .. e.bypass .. ")")
			if path ~= c.path then
				log("CLIENT1 ..%d -> %s:8080 on %s: %s (SYSA forwarded %d packets)", e.sport,
					e.dest, c.target, path, e.fwdpkts)
				c.path = path
			end
			if e.bypass == "BOUND" then
				c.bound = true
				c.careof = e.careof
				-- The count "before the bypass" is taken at the first sample
				-- after one that showed the agent holding the binding: SYSA
				-- shows BOUND when the BA reaches it, and packets the agent
				-- sent before it had the binding may still be on their way
				-- through SYSA then (seen on a busy machine).
				if c.agent and not c.fwd_bound then
					c.fwd_bound = e.fwdpkts
				end
				if c.fwd_bound then
					c.samples = (c.samples or 0) + 1
					c.fwd_max = math.max(c.fwd_max or 0, e.fwdpkts)
				end
				local a = binding[e.sport]
				if a then
					if not c.agent then
						log("  agent binding cache: home %s..%d care-of %s (seq %d)", a.home,
							a.home_port, a.careof, a.seq)
					end
					c.agent = a.careof
					c.direct = math.max(c.direct or 0, a.direct_pkts)
					bound_agent[e.sport] = true
				end
			end
		end
	end
end

-- Sampled until the three connections are bound and each was seen bound
-- want_samples times (at most 120 s), then ended.
local function seen_enough()
	local n = 0
	for _, x in pairs(conns) do
		if (x.samples or 0) >= want_samples and x.agent then
			n = n + 1
		end
	end
	return n >= 3
end
local deadline = now() + 120
while not seen_enough() and not l.done and now() < deadline do
	sample()
	wait(0.1)
end
local c = l:stop()
local n, bound, agreed, quiet, direct, nonrouting = 0, 0, 0, 0, 0, 0
for sport, x in pairs(conns) do
	n = n + 1
	if x.bound then
		bound = bound + 1
		if x.careof == address(x.target).xcf then
			if x.target ~= "SYSA" then
				nonrouting = nonrouting + 1
			end
		end
		if x.agent == x.careof then
			agreed = agreed + 1
		end
		if x.fwd_bound and x.fwd_max == x.fwd_bound then
			quiet = quiet + 1
		end
		if (x.direct or 0) > 0 then
			direct = direct + 1
		end
	end
end
expect(n == 3, string.format("SYSA's VCRT showed the 3 connections of CLIENT1 (%d)", n))
expect(bound == n, string.format("every connection became BOUND (%d of %d)", bound, n))
expect(nonrouting >= 1, "a connection went direct to a target other than the routing stack, care-of = its target")
expect(agreed == bound, string.format("the agent's binding cache holds the same care-of (%d of %d)", agreed, bound))
expect(quiet == bound, string.format("SYSA forwarded no packet of a bound connection (%d of %d)", quiet, bound))
expect(direct == bound, string.format("the agent sent packets direct (%d of %d)", direct, bound))
expect(c.abandoned == 3 and c.ok + c.failed + c.reset == 0, string.format(
	"the 3 downloads stayed alive until the script ended them (%d ended by it; %d ok, %d failed, %d reset before)",
	c.abandoned, c.ok, c.failed, c.reset))
expect(wait_until(function()
	local b = cmd("D MIP6,BINDINGS,CLIENT1")
	if not b then
		return false
	end
	for _, e in ipairs(b.bindings) do
		if e.kind == "connection" and bound_agent[e.client_port] then
			return false
		end
	end
	return true
end, 30), "the bindings went when the connections ended")
