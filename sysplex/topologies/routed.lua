-- routed.lua - the sysplex of default.lua spread over a routed network.
--
-- Two system segments and one client segment, each behind its own router;
-- the three routers meet on a core segment.  Every router and every system
-- runs FRR (zebra, ospf6d, bfdd) as z/OS systems run OMPROUTE: OSPFv3 in
-- area 0 with BFD.  The owner of DVIPA fd00:100::1 advertises it as a host
-- route, every system its care-of (DYNAMICXCF) address; the clients reach
-- both through their router, so the Mobile IPv6 bypass crosses routers that
-- know nothing of Mobile IPv6, and the coupling bus (XCF) runs across them.
--
--          SYS1 fd00:1::/64            SYS2 fd00:2::/64
--          SYSA (owner)                SYSB (backup)  SYSC
--            |                            |             |
--         ROUTER1                      ROUTER2 ---------+
--            |                            |
--   CORE fd00:9::/64 ---------------------+----------- ROUTER3
--                                                        |
--                                    CLIENTS fd00:3::/64: CLIENT1  CLIENT2
--
-- Routers are at PREFIX::ff0N of each of their segments (ROUTER1 at
-- fd00:1::ff01 and fd00:9::ff01); systems at PREFIX::N, clients at
-- PREFIX::10N, as in the other topologies.  Killing the routing stack SYSA
-- withdraws its route to the DVIPA at once (the route dies with its TUN);
-- SYSB takes over and advertises it from the other system segment.
--
--   sysplex up sysplex/topologies/routed.lua
--   sysplex vtysh ROUTER3 -c 'show ipv6 route'
--
-- IPv4: give the segments IPv4 prefixes (prefix4 = "10.N.0.0/24") and the
-- systems IPCONFIG DYNAMICXCF addresses and IPv4 DVIPAs in their profiles;
-- ospfd then runs too and the owner advertises an IPv4 DVIPA as a /32 host
-- route alike (tests/netns/test_routed_ip4.sh builds exactly that).
--
-- Format: see the header of sysplex/topo.c and docs/LUA.md.

local dvipa = "fd00:100::1"

local function httpd()
	return { addr = dvipa, port = 8080 }
end

return {
	sysplex = "PLEX3",
	segments = {
		{ name = "SYS1", prefix = "fd00:1::/64", mtu = 1500 },
		{ name = "SYS2", prefix = "fd00:2::/64", mtu = 1500 },
		{ name = "CLIENTS", prefix = "fd00:3::/64", mtu = 1500 },
		{ name = "CORE", prefix = "fd00:9::/64", mtu = 1500 },
	},
	routers = {
		{ name = "ROUTER1", segments = { "SYS1", "CORE" } },
		{ name = "ROUTER2", segments = { "SYS2", "CORE" } },
		{ name = "ROUTER3", segments = { "CLIENTS", "CORE" } },
	},
	-- OSPF hello/dead intervals (seconds) and BFD (interval, multiplier):
	-- a router or system that dies is out of the routing within 300 ms.
	ospf = { hello_s = 1, dead_s = 3, bfd_ms = 100, bfd_multiplier = 3 },
	-- The coupling bus runs over the routed network: each stack's ROUTER
	-- listens on tcp://[its LAN address]:7000.
	couple = { interval_ms = 50, failure_ms = 250, transport = "tcp", port = 7000 },
	-- On the clients: the DVIPA prefix through their router.
	client_routes = { "fd00:100::/64" },

	systems = {
		{
			name = "SYSA", segment = "SYS1", xcf = "fd00:10::1",
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
		{
			name = "SYSB", segment = "SYS2", xcf = "fd00:10::2",
			profile = [[
; SYSB: backup for DVIPA1 (inherits SYSA's VIPADISTRIBUTE on takeover).
IPCONFIG6 DYNAMICXCF fd00:10::2
VIPADYNAMIC
  VIPABACKUP 100 MOVEABLE IMMEDIATE DVIPA1 fd00:100::1
ENDVIPADYNAMIC
]],
			httpd = httpd(),
		},
		{
			name = "SYSC", segment = "SYS2", xcf = "fd00:10::3",
			profile = [[
; SYSC: a target only.
IPCONFIG6 DYNAMICXCF fd00:10::3
]],
			httpd = httpd(),
		},
	},

	clients = {
		{ name = "CLIENT1", segment = "CLIENTS", agent = true },
		{ name = "CLIENT2", segment = "CLIENTS", agent = true },
	},
}
