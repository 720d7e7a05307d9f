-- api.lua - proves the Lua API against a running sysplex: cmd() returns the
-- parsed JSON (nil and the one-line error for a bad command), cmd_text() the
-- z/OS text, exec() the exit code and output, link() reaches a stack and an
-- agent, hang()/resume() stop and continue a stack (XCF sees it fail and
-- return), load{count=} ends by itself with every connection ok, wait()
-- yields to the loop (a load keeps reporting while the script waits),
-- spawn() runs tasks concurrently, and systems()/clients()/address()/
-- owners() describe the instance.
local dvipa = "fd00:100::1"
expect(table.concat(systems(), ",") == "SYSA,SYSB,SYSC", "systems()")
expect(table.concat(clients(), ",") == "CLIENT1,CLIENT2", "clients()")
expect(address("SYSB").xcf == "fd00:10::2" and address("client1").lan == "fd00:1::101", "address()")
expect(routing() == "SYSA" and #owners(dvipa) == 1, "routing() and owners()")

local v = cmd("SYSA", "D TCPIP,TCPCS,NETSTAT,VDPT")
expect(v and v.records == 6 and #v.vdpt == 6 and v.vdpt[1].rdy == 1, "cmd() returns the VDPT (two DVIPAs) as a table")
local r, err = cmd("SYSA", "D TCPIP,TCPCS,NETSTAT,VDPX")
expect(r == nil and err:match("did you mean VDPT"), "cmd() of a bad command: nil, " .. tostring(err))
local text = cmd_text("SYSB", "D TCPIP,TCPCS,NETSTAT,VIPADYN")
expect(text and text:match("EZD0101I NETSTAT CS V2R5 TCPCS") and text:match("BACKUP"), "cmd_text()")
local route = cmd("ROUTE SYSC,D TCPIP,,SYSPLEX,GROUP")
expect(route and route.group == "EZBTCPCS" and #route.members == 3, "cmd() with ROUTE")
local b = cmd("D MIP6,BINDINGS")
expect(b and type(b.bindings) == "table" and b.counters ~= nil, "cmd(\"D MIP6,BINDINGS\")")

local code, out = exec("CLIENT1", "curl", "-s", "-m", "30", "http://[" .. dvipa .. "]:8080/")
expect(code == 0 and out:match("^SYS[ABC]"), "exec() returns the exit code and output: " ..
	(tostring(out):gsub("%s+$", "")))
code = exec("SYSA", "sh -c 'exit 7'")
expect(code == 7, "exec() returns a failing exit code (" .. tostring(code) .. ")")

expect(link("SYSB", { loss = 0, delay = 0 }) and link("CLIENT2", { loss = 0, delay = 0 }),
	"link() on a stack and on a client agent")
local function curl_time()
	local rc, o = exec("CLIENT1", "curl", "-s", "-o", "/dev/null", "-m", "30", "-w", "%{time_total}",
		"http://[" .. dvipa .. "]:8080/")
	return rc == 0 and tonumber(o) or 99
end
-- The fastest of three requests, so that a slow moment does not count.
local function best_time()
	return math.min(curl_time(), curl_time(), curl_time())
end
local fast = best_time()
link("CLIENT1", { delay = 150 })
local slow = best_time()
link("CLIENT1", { delay = 0 })
-- Two round trips (handshake, request) each gain 150 ms: 0.3 s at least, less
-- the delay timer's granularity (a run measured 0.300 and failed >= 0.3).
expect(slow >= 0.28 and slow > fast + 0.2, string.format(
	"link(CLIENT1, {delay = 150}) slows a request down (%.3f s -> %.3f s)", fast, slow))

hang("SYSC")
expect(wait_until(function()
	local g = cmd("SYSA", "D XCF,GROUP,EZBTCPCS")
	for _, m in ipairs(g and g.members or {}) do
		if m.mvsname == "SYSC" then
			return m.status ~= "ACTIVE"
		end
	end
end, 30), "hang(): SYSA sees the hung SYSC fail")
resume("SYSC")
expect(wait_until(function()
	local g = cmd("SYSA", "D XCF,GROUP,EZBTCPCS")
	for _, m in ipairs(g and g.members or {}) do
		if m.mvsname == "SYSC" then
			return m.status == "ACTIVE"
		end
	end
end, 30), "resume(): SYSC is ACTIVE again")
expect(wait_until(function()
	local n = 0
	for _, e in ipairs((cmd("SYSA", "D TCPIP,TCPCS,NETSTAT,VDPT") or { vdpt = {} }).vdpt) do
		if e.rdy > 0 and e.dest == dvipa then
			n = n + 1
		end
	end
	return n == 3
end, 30), "resume(): SYSA's VDPT has 3 ready targets for the DVIPA again")

local h = load{ client = "CLIENT2", connections = 4, count = 40, bytes = 20000 }
local samples = {}
local t = spawn(function()
	while not h.done do
		samples[#samples + 1] = h.ok
		wait(0.05)
	end
end)
local c = h:wait(60)
expect(c.done and c.ok == 40 and c.failed == 0 and c.reset == 0 and c.started == 40,
	string.format("load{count=40} ended by itself: %d ok, %d failed, %d reset", c.ok, c.failed, c.reset))
local by = 0
for _ in pairs(c.by) do by = by + 1 end
expect(by == 3, "the load's connections were spread over 3 targets")
expect(#samples >= 2, string.format("a task ran while the script waited (%d samples)", #samples))
