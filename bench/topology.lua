-- bench/topology.lua - the topology the benchmarks run on.
--
-- The default topology (sysplex/topologies/default.lua) plus two more DVIPAs
-- owned and distributed by SYSA, both with the single target SYSC so that
-- iperf3's control and data connections meet the same server:
--   DVIPA2 fd00:100::2  ports 5201 8080  NOMOBILEIPV6  (always through SYSA)
--   DVIPA3 fd00:100::3  port  5201       MOBILEIPV6    (bypass after the BU)
-- DVIPA1 fd00:100::1:8080 stays as in the default (MOBILEIPV6, DESTIP ALL).
--
-- BENCH_ONLY_DVIPA=2 (or 3) is the benchmarks' workaround for two
-- routing-stack bugs (bench/README.md, "Product bugs"): when a target is a
-- destination of several DVIPAs of one owner, the owner keeps Rdy > 0 and
-- the VCRT entries of that target only for the DVIPA the target reported
-- last.  With it, only that one of DVIPA2/DVIPA3 is defined, DVIPA1 goes to
-- SYSA and SYSB only and SYSC runs no sample server on DVIPA1, so SYSC is a
-- destination of exactly one DVIPA.  Unset, the file is the full benchmark topology.
--
-- The default topology is found through SYSPLEX_HOME (the source tree) when
-- set, else relative to this file's own directory (bench/..).

local home = os.getenv("SYSPLEX_HOME")
if not home or home == "" then
	local src = debug.getinfo(1, "S").source
	home = (src:match("^@(.*)/[^/]*$") or ".") .. "/.."
end
local t = dofile(home .. "/sysplex/topologies/default.lua")

local only = os.getenv("BENCH_ONLY_DVIPA") or ""
assert(only == "" or only == "2" or only == "3",
	"bench/topology.lua: BENCH_ONLY_DVIPA must be 2, 3 or unset")

local lines = {}
if only ~= "3" then
	lines[#lines + 1] = "  VIPADEFINE MOVEABLE IMMEDIATE DVIPA2 fd00:100::2"
end
if only ~= "2" then
	lines[#lines + 1] = "  VIPADEFINE MOVEABLE IMMEDIATE DVIPA3 fd00:100::3"
end
if only ~= "3" then
	lines[#lines + 1] = "  VIPADISTRIBUTE DEFINE DISTMETHOD ROUNDROBIN NOMOBILEIPV6 DVIPA2 PORT 5201 8080 DESTIP fd00:10::3"
end
if only ~= "2" then
	lines[#lines + 1] = "  VIPADISTRIBUTE DEFINE DISTMETHOD ROUNDROBIN MOBILEIPV6 DVIPA3 PORT 5201 DESTIP fd00:10::3"
end
lines[#lines + 1] = "ENDVIPADYNAMIC"
local extra = table.concat(lines, "\n")

local sysa = t.systems[1]
assert(sysa.name == "SYSA", "bench/topology.lua: expected SYSA first in the default topology")
local p, n = sysa.profile:gsub("ENDVIPADYNAMIC", function() return extra end, 1)
assert(n == 1, "bench/topology.lua: no VIPADYNAMIC block in SYSA's profile")
if only ~= "" then
	p, n = p:gsub("DESTIP ALL", function() return "DESTIP fd00:10::1 fd00:10::2" end, 1)
	assert(n == 1, "bench/topology.lua: DVIPA1 is not distributed with DESTIP ALL")
end
sysa.profile = p
if only ~= "" then
	-- SYSC is no longer a destination of DVIPA1: no sample server there, so
	-- `sysplex up` waits for two targets, not three.
	assert(t.systems[3].name == "SYSC", "bench/topology.lua: expected SYSC third")
	t.systems[3].httpd = nil
end
return t
