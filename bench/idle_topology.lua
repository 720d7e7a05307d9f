-- bench/idle_topology.lua - the topology of bench/idle.sh: the default one
-- (sysplex/topologies/default.lua) with DVIPA1 distributed on port 7777 as
-- well (where bench/idle_conns.py holds the idle connections on every
-- system) and without the Mobile IPv6 bypass, so that the sweep measures the
-- connection tracking alone (no binding per connection).
local home = os.getenv("SYSPLEX_HOME")
if not home or home == "" then
	local src = debug.getinfo(1, "S").source
	home = (src:match("^@(.*)/[^/]*$") or ".") .. "/.."
end
local t = dofile(home .. "/sysplex/topologies/default.lua")
local sysa = t.systems[1]
assert(sysa.name == "SYSA", "bench/idle_topology.lua: expected SYSA first")
local p, n = sysa.profile:gsub("MOBILEIPV6 DVIPA1 PORT 8080 DESTIP ALL",
	"NOMOBILEIPV6 DVIPA1 PORT 8080 7777 DESTIP ALL", 1)
assert(n == 1, "bench/idle_topology.lua: DVIPA1's VIPADISTRIBUTE is not the expected one")
sysa.profile = p
-- IDLE_LEASE_MS: the couple data set lease (and an XCF failure time of half
-- of it) for runs on a machine too busy for the default 400 ms (every
-- system's status update late by more than LEASE / 8 is partitioned out, and
-- its DVIPA moves); unset: the default topology's timing.
local lease = tonumber(os.getenv("IDLE_LEASE_MS") or "")
if lease then
	t.couple = t.couple or {}
	t.couple.lease_ms = lease
	t.couple.failure_ms = math.max(t.couple.failure_ms or 250, math.floor(lease / 2))
end
return t
