-- four.lua - four systems and a backup chain, for sequential failures.
--
-- SYSA owns DVIPA fd00:100::1 (VIPADEFINE) and distributes port 8080 to every
-- stack; SYSB backs it up with rank 100, SYSC with rank 50; SYSD is a target
-- only.  Kill SYSA, then SYSB: Sysplex Failure Management partitions each out
-- through the couple data set, the sysplex shrinks, and SYSC ends up owning
-- the DVIPA with two systems left.  Two clients.
--
--   sysplex up sysplex/topologies/four.lua
--
-- Format: see the header of sysplex/topo.c.

local dvipa = "fd00:100::1"

local function httpd()
	return { addr = dvipa, port = 8080 }
end

local function backup(name, n, rank)
	return {
		name = name, lan = "fd00:1::" .. n, xcf = "fd00:10::" .. n,
		profile = string.format([[
; %s: backup for DVIPA1 with rank %d.
IPCONFIG6 DYNAMICXCF fd00:10::%d
VIPADYNAMIC
  VIPABACKUP %d MOVEABLE IMMEDIATE DVIPA1 fd00:100::1
ENDVIPADYNAMIC
]], name, rank, n, rank),
		httpd = httpd(),
	}
end

return {
	sysplex = "PLEX4",
	lan = { prefix = "fd00:1::/64", mtu = 1500 },
	couple = { interval_ms = 50, failure_ms = 250, lease_ms = 400, transport = "tcp", port = 7000 },
	client_routes = { "fd00:100::/64" },

	systems = {
		{
			name = "SYSA", lan = "fd00:1::1", xcf = "fd00:10::1",
			profile = [[
; SYSA: owner (VIPADEFINE) and distributor of DVIPA1.
IPCONFIG6 DYNAMICXCF fd00:10::1
VIPADYNAMIC
  VIPADEFINE MOVEABLE IMMEDIATE DVIPA1 fd00:100::1
  VIPADISTRIBUTE DEFINE DISTMETHOD ROUNDROBIN MOBILEIPV6 DVIPA1 PORT 8080 DESTIP ALL
ENDVIPADYNAMIC
]],
			httpd = httpd(),
		},
		backup("SYSB", 2, 100),
		backup("SYSC", 3, 50),
		{
			name = "SYSD", lan = "fd00:1::4", xcf = "fd00:10::4",
			profile = [[
; SYSD: a target only.
IPCONFIG6 DYNAMICXCF fd00:10::4
]],
			httpd = httpd(),
		},
	},

	clients = {
		{ name = "CLIENT1", lan = "fd00:1::101", agent = true },
		{ name = "CLIENT2", lan = "fd00:1::102", agent = true },
	},
}
