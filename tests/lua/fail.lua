-- fail.lua - a failing expectation: `sysplex run` prints FAIL with the
-- script's line and exits 1, after running the rest of the script.
expect(true, "a passing expectation")
expect(1 + 1 == 3, "one plus one is three")
expect(true, "runs on after a failure")
