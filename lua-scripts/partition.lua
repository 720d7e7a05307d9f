-- partition.lua - a network partition cuts SYSA off from SYSB and SYSC.
--
-- `partition({"SYSA"}, {"SYSB", "SYSC"})` drops every packet between the two
-- sides (nftables in each system's namespace; the coupling bus runs over
-- the LAN, so XCF is cut too; clients still reach every system; both sides
-- still reach the couple data set).  Expected: Sysplex Failure Management
-- keeps the heavier side (SYSB and SYSC), SYSA is partitioned out and gives
-- the DVIPA up, SYSB takes it over once SYSA's lease has run out; never two
-- owners at once; clients keep being served.  After heal(), SYSA rejoins as
-- a new incarnation and takes the DVIPA back (IMMEDIATE), again never with
-- two owners, and service continues.
--
--   sysplex run lua-scripts/partition.lua [long]
-- long: three partition/heal rounds, holding each state 10 s.
local long = args[1] == "long"
local dvipa = "fd00:100::1"
local rounds, hold = long and 3 or 1, long and 10 or 2

local watch = watch_owners(dvipa, 0.05)

local l = load{ client = "CLIENT2", connections = 4, bytes = 50000, idle_timeout = 15 }
expect(wait_until(function() return l.ok >= 10 end, 60), "load running")
for round = 1, rounds do
	partition({ "SYSA" }, { "SYSB", "SYSC" })
	local t = now()
	expect(wait_until(function()
		local o = owners(dvipa)
		return #o == 1 and o[1] == "SYSB"
	end, 30), string.format("round %d: SYSB owns %s during the partition", round, dvipa))
	log("SYSB is the owner %.2f s after the partition", now() - t)
	local xcf = cmd("SYSB", "D XCF,GROUP,EZBTCPCS") or { members = {} }
	local sysa = "?"
	for _, m in ipairs(xcf.members) do
		if m.mvsname == "SYSA" then
			sysa = m.status
		end
	end
	expect(sysa ~= "ACTIVE", "round " .. round .. ": SYSB sees SYSA as " .. sysa .. " in EZBTCPCS")
	local n = l.ok
	wait(hold)
	expect(wait_until(function() return l.ok > n + 5 end, 60),
		string.format("round %d: clients served during the partition (%d)", round, l.ok - n))
	heal()
	t = now()
	expect(wait_until(function()
		local o = owners(dvipa)
		return #o == 1 and o[1] == "SYSA"
	end, 30), string.format("round %d: SYSA owns %s again after the heal", round, dvipa))
	log("SYSA is the owner %.2f s after the heal", now() - t)
	n = l.ok
	wait(hold)
	expect(wait_until(function() return l.ok > n + 5 end, 60),
		string.format("round %d: clients served after the heal (%d)", round, l.ok - n))
end
local w = watch:stop()
local c = l:stop()
log("load: %d ok, %d failed, %d reset", c.ok, c.failed, c.reset)
expect(w.doubles == 0 and w.samples > 20, string.format("never two owners of %s (%d samples)", dvipa, w.samples))
