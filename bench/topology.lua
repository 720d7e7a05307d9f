-- bench/topology.lua - the topology the benchmarks run on.
--
-- The default topology (sysplex/topologies/default.lua) plus two more DVIPAs
-- owned and distributed by SYSA, both with the single target SYSC so that
-- iperf3's control and data connections meet the same server:
--   DVIPA2 fd00:100::2  ports 5201 8080  NOMOBILEIPV6  (always through SYSA)
--   DVIPA3 fd00:100::3  port  5201       MOBILEIPV6    (bypass after the BU)
-- DVIPA1 fd00:100::1:8080 stays as in the default (MOBILEIPV6, DESTIP ALL).
--
-- The default topology is found through SYSPLEX_HOME (the source tree) when
-- set, else relative to this file's own directory (bench/..).

local home = os.getenv("SYSPLEX_HOME")
if not home or home == "" then
	local src = debug.getinfo(1, "S").source
	local dir = src:match("^@(.*)/[^/]*$") or "."
	home = dir .. "/.."
end
local t = dofile(home .. "/sysplex/topologies/default.lua")

local extra = [[
  VIPADEFINE MOVEABLE IMMEDIATE DVIPA2 fd00:100::2
  VIPADEFINE MOVEABLE IMMEDIATE DVIPA3 fd00:100::3
  VIPADISTRIBUTE DEFINE DISTMETHOD ROUNDROBIN NOMOBILEIPV6 DVIPA2 PORT 5201 8080 DESTIP fd00:10::3
  VIPADISTRIBUTE DEFINE DISTMETHOD ROUNDROBIN MOBILEIPV6 DVIPA3 PORT 5201 DESTIP fd00:10::3
ENDVIPADYNAMIC]]

local sysa = t.systems[1]
assert(sysa.name == "SYSA", "bench/topology.lua: expected SYSA first in the default topology")
local p, n = sysa.profile:gsub("ENDVIPADYNAMIC", function() return extra end, 1)
assert(n == 1, "bench/topology.lua: no VIPADYNAMIC block in SYSA's profile")
sysa.profile = p
return t
