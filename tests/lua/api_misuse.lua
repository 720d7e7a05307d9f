-- api_misuse.lua - an API call with a bad argument on line 4 is reported
-- at the script's line, not inside the API; exit 3; no sysplex is started.
expect(true, "before the error")
kill(42)
