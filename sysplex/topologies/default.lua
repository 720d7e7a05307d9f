-- default.lua - the emulated sysplex `sysplex up` builds with no arguments.
--
-- Three systems (SYSA, SYSB, SYSC, stack TCPCS on each) and two clients on one
-- LAN.  SYSA owns DVIPA fd00:100::1 (VIPADEFINE) and distributes port 8080 to
-- every stack in the sysplex (ROUNDROBIN, DESTIP ALL) with Mobile IPv6
-- optimizations on, and IPv4 DVIPA 10.100.0.1 the same way (IPv4: always
-- routed, forwarded in GRE over the IPv4 DYNAMICXCF addresses); SYSB is the
-- backup of both (VIPABACKUP 100); SYSC is a plain target.  Every system runs
-- sysplex-httpd on [::]:8080 (both DVIPAs) answering with its own name.
-- Addresses as in docs/RUNTIME.md.
--
-- Format: see the header of sysplex/topo.c.

local function httpd()
	return { addr = "::", port = 8080 }
end

return {
	sysplex = "PLEX1",
	lan = { prefix = "fd00:1::/64", prefix4 = "10.1.0.0/24", mtu = 1500 },
	-- The coupling bus (XCF) runs over the LAN: each stack's ROUTER listens on
	-- tcp://[its LAN address]:7000 and its PUB on 7001, so an nftables
	-- partition (`sysplex partition`) cuts it.  transport = "ipc" would use
	-- Unix sockets, which no network fault reaches.
	couple = { interval_ms = 50, failure_ms = 250, transport = "tcp", port = 7000 },
	-- Clients reach the DVIPA prefixes on-link: the routing stack answers
	-- neighbour solicitations for an IPv6 DVIPA itself (tcpip-stack's ndp.c),
	-- ARP requests for an IPv4 one by proxy ARP.
	client_routes = { "fd00:100::/64", "10.100.0.0/24" },

	systems = {
		{
			name = "SYSA", tcpname = "TCPCS", lan = "fd00:1::1", xcf = "fd00:10::1",
			profile = [[
; SYSA: owner (VIPADEFINE) and distributor of DVIPA1 and of 10.100.0.1.
IPCONFIG6 DYNAMICXCF fd00:10::1
IPCONFIG DYNAMICXCF 10.10.0.1 255.255.255.0 1
VIPADYNAMIC
  VIPADEFINE MOVEABLE IMMEDIATE DVIPA1 fd00:100::1
  VIPADISTRIBUTE DEFINE DISTMETHOD ROUNDROBIN MOBILEIPV6 DVIPA1 PORT 8080 DESTIP ALL
  VIPADEFINE MOVEABLE IMMEDIATE 255.255.255.0 10.100.0.1
  VIPADISTRIBUTE DEFINE DISTMETHOD ROUNDROBIN 10.100.0.1 PORT 8080 DESTIP ALL
ENDVIPADYNAMIC
]],
			httpd = httpd(),
		},
		{
			name = "SYSB", tcpname = "TCPCS", lan = "fd00:1::2", xcf = "fd00:10::2",
			profile = [[
; SYSB: backup for both DVIPAs (inherits SYSA's VIPADISTRIBUTEs on takeover).
IPCONFIG6 DYNAMICXCF fd00:10::2
IPCONFIG DYNAMICXCF 10.10.0.2 255.255.255.0 1
VIPADYNAMIC
  VIPABACKUP 100 MOVEABLE IMMEDIATE DVIPA1 fd00:100::1
  VIPABACKUP 100 MOVEABLE IMMEDIATE 255.255.255.0 10.100.0.1
ENDVIPADYNAMIC
]],
			httpd = httpd(),
		},
		{
			name = "SYSC", tcpname = "TCPCS", lan = "fd00:1::3", xcf = "fd00:10::3",
			profile = [[
; SYSC: a target only.
IPCONFIG6 DYNAMICXCF fd00:10::3
IPCONFIG DYNAMICXCF 10.10.0.3 255.255.255.0 1
]],
			httpd = httpd(),
		},
	},

	clients = {
		{ name = "CLIENT1", lan = "fd00:1::101", agent = true },
		{ name = "CLIENT2", lan = "fd00:1::102", agent = true },
	},
}
