-- two.lua - the most common production sysplex: two systems.
--
-- SYSA owns DVIPA fd00:100::1 (VIPADEFINE) and distributes port 8080 to both
-- stacks (ROUNDROBIN, DESTIP ALL, Mobile IPv6 on); SYSB is its backup
-- (VIPABACKUP 100).  When SYSA fails, Sysplex Failure Management partitions it
-- out through the couple data set and SYSB takes the DVIPA over; in a
-- partition of the two, SFM keeps the side of the first-listed system (equal
-- weights), so SYSA stays the owner and SYSB is removed.  One client.
--
--   sysplex up sysplex/topologies/two.lua
--
-- Format: see the header of sysplex/topo.c.

local dvipa = "fd00:100::1"

local function httpd()
	return { addr = dvipa, port = 8080 }
end

return {
	sysplex = "PLEX2",
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
		{
			name = "SYSB", lan = "fd00:1::2", xcf = "fd00:10::2",
			profile = [[
; SYSB: backup for DVIPA1 (inherits SYSA's VIPADISTRIBUTE on takeover).
IPCONFIG6 DYNAMICXCF fd00:10::2
VIPADYNAMIC
  VIPABACKUP 100 MOVEABLE IMMEDIATE DVIPA1 fd00:100::1
ENDVIPADYNAMIC
]],
			httpd = httpd(),
		},
	},

	clients = {
		{ name = "CLIENT1", lan = "fd00:1::101", agent = true },
	},
}
