-- runaway.lua - a loop that never waits: the instruction-count hook stops
-- it (run with a small --max-steps), reported at its line; exit 3.
local n = 0
while true do n = n + 1 end
