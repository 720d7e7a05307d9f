-- chaos.lua - seeded random failures of the targets under load.
--
-- Two clients keep downloads going while, episode after episode, a target
-- that is not the routing stack (SYSB or SYSC, chosen by the seeded random
-- generator: `sysplex run --seed N`) is killed, left down for a random time
-- and restarted.  Expected: every connection that fails or is reset was on
-- the target that was down at the time (or had not yet got an answer and
-- was started before the routing stack had dropped the victim: see losses()
-- in docs/LUA.md) - no connection to a surviving target is lost; each restarted target is back in the VDPT and SYSA stays
-- the only routing stack.  The same seed gives the same sequence of
-- victims and delays.
--
--   sysplex run [--seed N] lua-scripts/chaos.lua [long]
-- long: 40 episodes, each victim drawn at random, instead of 4 (a seeded
-- shuffle of SYSB, SYSC, SYSB, SYSC, so that both fail in the short run).
local long = args[1] == "long"
local dvipa = "fd00:100::1"
local targets = { "SYSB", "SYSC" }
local plan = {}
if long then
	for i = 1, 40 do
		plan[i] = targets[random(#targets)]
	end
else
	plan = { "SYSB", "SYSC", "SYSB", "SYSC" }
	for i = #plan, 2, -1 do
		local j = random(i)
		plan[i], plan[j] = plan[j], plan[i]
	end
end
local episodes = #plan

local function ready(sys)
	local v = cmd("SYSA", "D TCPIP,TCPCS,NETSTAT,VDPT")
	for _, e in ipairs(v and v.vdpt or {}) do
		if e.dest == dvipa and e.destxcf == address(sys).xcf and e.rdy > 0 then
			return true
		end
	end
	return false
end

log("seed %d: %d episodes: %s", seed, episodes, table.concat(plan, " "))
-- idle_timeout bounds how long a connection may make no progress before it
-- counts as failed: generous, so that a slow machine's stall is not a loss.
local l1 = load{ client = "CLIENT1", connections = 8, bytes = 200000, pace = 400000, idle_timeout = 15 }
local l2 = load{ client = "CLIENT2", connections = 4, bytes = 200000, pace = 400000, idle_timeout = 15 }
expect(wait_until(function() return l1.ok >= 8 and l2.ok >= 4 end, 60), "load running")
local outages, back = {}, 0
for i = 1, episodes do
	local victim = plan[i]
	local down_for = 0.3 + random() * 1.5
	local up_for = 0.8 + random() * 1.5
	log("episode %d: kill %s for %.1f s, then %.1f s up", i, victim, down_for, up_for)
	local t = now()
	kill(victim)
	-- When SYSA stops routing to the victim (for losses(): a connection
	-- that failed before its answer and started before then may have been
	-- routed to it).  Not seen within down_for: the whole outage counts.
	local dropped = wait_until(function() return not ready(victim) end, down_for)
	local detect = now() - t
	if now() < t + down_for then
		wait(t + down_for - now())
	end
	restart(victim)
	outages[#outages + 1] = { sys = victim, from = t, to = now(), detect = dropped and detect or now() - t }
	if wait_until(function() return ready(victim) end, 60) then
		back = back + 1
	else
		log("%s is not back in the VDPT 60 s after its restart", victim)
	end
	wait(up_for)
end
expect(back == episodes, string.format("every restarted target came back into the VDPT (%d of %d)",
	back, episodes))
-- No new connections; the open ones end (complete, or fail after
-- idle_timeout), so every lost connection is counted.
local c1, c2 = l1:stop(60), l2:stop(60)
local bad1, ex1 = losses(c1, outages)
local bad2, ex2 = losses(c2, outages)
for _, e in ipairs(bad1) do log("lost: CLIENT1 ..%d on %s (%s) %.2f-%.2f s", e.port, e.target, e.why, e.t_start, e.t_end) end
for _, e in ipairs(bad2) do log("lost: CLIENT2 ..%d on %s (%s) %.2f-%.2f s", e.port, e.target, e.why, e.t_start, e.t_end) end
expect(#bad1 + #bad2 == 0, string.format(
	"no connection to a surviving target lost (%d ok; %d lost on a target while it was down)",
	c1.ok + c2.ok, ex1 + ex2))
expect(c1.abandoned + c2.abandoned == 0, string.format("every connection ended by itself (%d still open)",
	c1.abandoned + c2.abandoned))
local o = owners(dvipa)
expect(#o == 1 and o[1] == "SYSA", "SYSA is still the only routing stack (" .. table.concat(o, " ") .. ")")
