-- exit.lua - os.exit() cannot skip the clean-up: a load is running when the
-- script calls os.exit(0) on line 7; the run still stops the load and
-- removes the instance it started, and exits 0.
local h = load{ client = "CLIENT1", connections = 2, bytes = 10000 }
wait_until(function() return h.ok > 0 end, 60)
expect(h.ok > 0, "load running")
os.exit(0)
expect(false, "never reached")
