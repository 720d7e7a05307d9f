-- sfm.lua - Sysplex Failure Management in a two-system sysplex.
--
-- up("two.lua"): SYSA owns fd00:100::1, SYSB is its
-- backup.  Under load from CLIENT1:
-- 1. kill("SYSA"): SFM partitions SYSA out through the couple data set and
--    SYSB takes over; no connection to SYSB is lost; restart("SYSA") takes it
--    back.
-- 2. cds_loss("SYSB"): the backup cannot reach the couple data set; it
--    leaves, SFM partitions it out, SYSA keeps the DVIPA; cds_restore("SYSB")
--    brings it back as a new incarnation.
-- 3. hang("SYSA"), resume("SYSA") 2 s later: SYSB takes over; the resumed
--    SYSA learns it was partitioned out, rejoins and takes the DVIPA back.
-- Never two owners at once (watch_owners at 50 ms).
--
--   sysplex run lua-scripts/sfm.lua [long]
-- long: every step three times.
local long = args[1] == "long"
local dvipa = "fd00:100::1"
local rounds = long and 3 or 1

up("two.lua")
local function owner_is(sys, t)
	return wait_until(function()
		local o = owners(dvipa)
		return #o == 1 and o[1] == sys
	end, t or 20)
end
local function slot(of, from)
	local v = cmd(from, "D XCF,COUPLE") or { slots = {} }
	for _, s in ipairs(v.slots) do
		if s.system == of then
			return s
		end
	end
	return {}
end

expect(owner_is("SYSA"), "SYSA owns " .. dvipa)
local watch = watch_owners(dvipa, 0.05)
local l = load{ client = "CLIENT1", connections = 6, bytes = 200000, pace = 200000, idle_timeout = 5 }
expect(wait_until(function() return l.ok >= 5 end, 15), "load running")
local outages = {}
for round = 1, rounds do
	-- 1. The owner fails.
	local t = now()
	kill("SYSA")
	expect(owner_is("SYSB"), string.format("round %d: SYSB took over from the killed SYSA", round))
	log("SYSB is the owner %.2f s after the kill", now() - t)
	expect(slot("SYSA", "SYSB").status == "PARTITIONED", "round " .. round .. ": SYSA partitioned out")
	restart("SYSA")
	expect(owner_is("SYSA"), string.format("round %d: SYSA took the DVIPA back", round))
	outages[#outages + 1] = { sys = "SYSA", from = t, to = now() }

	-- 2. The backup loses the couple data set.
	t = now()
	local inc = slot("SYSB", "SYSA").incarnation
	cds_loss("SYSB")
	expect(wait_until(function() return slot("SYSB", "SYSA").status == "PARTITIONED" end, 20),
		string.format("round %d: SYSB, cut off from the couple data set, was partitioned out", round))
	expect(owner_is("SYSA", 1), "round " .. round .. ": SYSA kept the DVIPA")
	cds_restore("SYSB")
	expect(wait_until(function()
		local s = slot("SYSB", "SYSA")
		return s.status == "ACTIVE" and s.incarnation ~= inc
	end, 20), string.format("round %d: SYSB rejoined as a new incarnation", round))
	outages[#outages + 1] = { sys = "SYSB", from = t, to = now() }

	-- 3. The owner hangs and resumes.
	t = now()
	inc = slot("SYSA", "SYSB").incarnation
	hang("SYSA")
	expect(wait_until(function()
		local o = owners(dvipa)
		return #o == 1 and o[1] == "SYSB"
	end, 20), string.format("round %d: SYSB took over from the hung SYSA", round))
	wait(math.max(0, 2 - (now() - t)))
	resume("SYSA")
	expect(wait_until(function()
		local s = slot("SYSA", "SYSB")
		return s.status == "ACTIVE" and s.incarnation ~= inc
	end, 20), string.format("round %d: the resumed SYSA rejoined as a new incarnation", round))
	expect(owner_is("SYSA"), string.format("round %d: SYSA took the DVIPA back", round))
	outages[#outages + 1] = { sys = "SYSA", from = t, to = now() }
end
local c = l:stop()
local w = watch:stop()
local bad = losses(c, outages)
expect(#bad == 0, string.format("no connection lost but those of a failed system (%d ok)", c.ok))
expect(w.doubles == 0 and w.samples > 20,
	string.format("never two owners at once (%d samples, %d with two ACTIVE answers)", w.samples, w.same_sample))
