-- error.lua - a Lua error on line 5: `sysplex run` reports
-- "tests/lua/error.lua:5: ..." and exits 3.
expect(true, "before the error")
local t = nil
local x = t.field
expect(true, "never reached")
