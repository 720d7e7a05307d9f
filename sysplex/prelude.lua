-- prelude.lua - the Lua half of the `sysplex run` API (docs/LUA.md).  The
-- build checks it with `luac -p` and embeds it in bin/sysplex (the Makefile
-- turns it into a C array, plex_lua_prelude); lua.c runs it as chunk
-- "=sysplex" in the script's state before the script, with the table of C
-- primitives as its argument.  It defines the globals up, down, kill,
-- restart, hang, resume, partition, heal, link, cds_loss, cds_restore, cmd,
-- cmd_text, exec, load, wait, wait_until, expect, log, now, spawn, status,
-- systems, clients, address, owners, watch_owners, routing, losses,
-- json_decode, random, seed, instance (lua.c sets args).  Errors a script
-- makes calling the API are reported at the script's line, never here:
-- raise() skips the frames of this chunk.
local sx = ...
local builtin_load = load
local hosts_cache	-- status().hosts, dropped by up() and down()

local function trim(s)
	return ((s or ""):gsub("^%s+", ""):gsub("%s+$", ""))
end

-- Raises msg at the first stack frame outside this prelude (the script).
local function raise(msg)
	local lvl = 2
	while true do
		local info = debug.getinfo(lvl, "Sl")
		if not info then
			break
		end
		if info.source ~= "=sysplex" and info.what ~= "C" and info.currentline > 0 then
			error(info.short_src .. ":" .. info.currentline .. ": " .. msg, 0)
		end
		lvl = lvl + 1
	end
	error(msg, 0)
end

local function first_line(s)
	s = trim(s)
	return s:match("^[^\n]*") or s
end

local function check_host(h, fn)
	if type(h) ~= "string" or h == "" then
		raise(fn .. ": expected a host name such as \"SYSB\" or \"CLIENT1\", got " .. type(h))
	end
	return h:upper()
end

local starting = false	-- an up() or down() is under way (tasks wait)

local function ensure_up()
	while starting do
		sx.sleep(0.05)
	end
	if sx.is_up() then
		return
	end
	sx.set_owned(true)
	sx.log("instance " .. sx.instance .. " is not up: starting the default sysplex")
	starting = true
	local st, out, err = sx.spawn({ "up" }, 180)
	starting = false
	if st ~= 0 then
		raise("sysplex up failed: " .. first_line(err ~= "" and err or out))
	end
	sx.log(first_line(out))
end

-- The hosts of the instance (names do not change while it is up).
local function hosts()
	if not hosts_cache then
		local s = status()
		if not s.hosts then
			return {}
		end
		hosts_cache = s.hosts
	end
	return hosts_cache
end

local function self(args, timeout, what)
	local st, out, err = sx.spawn(args, timeout)
	if st ~= 0 then
		local why = trim(err ~= "" and err or out)
		if st == nil then
			why = "no result after " .. timeout .. " s (killed)"
		end
		raise(what .. ": " .. why:gsub("^sysplex: ", ""))
	end
	return out
end

function up(topology)
	if topology ~= nil and type(topology) ~= "string" then
		raise("up([topology]): the topology is a file name")
	end
	if sx.is_up() then
		if not sx.owned() then
			raise("up(): instance " .. sx.instance .. " is already up and was not started by this script; call down() first")
		end
		down()
	end
	local args = { "up" }
	if topology then
		local f = io.open(topology, "r")
		if not f and sx.script_dir then
			local alt = sx.script_dir .. "/" .. topology
			f = io.open(alt, "r")
			if f then
				topology = alt
			end
		end
		-- A bare name found nowhere here is a shipped topology, which
		-- `sysplex up` finds (it fails when there is none).
		if not f and topology:find("/", 1, true) then
			raise("up(): no topology file " .. topology)
		end
		if f then
			f:close()
		end
		args[2] = topology
	end
	sx.set_owned(true)
	hosts_cache = nil
	starting = true
	local ok, out = pcall(self, args, 180, "up(" .. (topology or "") .. ")")
	starting = false
	if not ok then
		error(out, 0)
	end
	sx.log(first_line(out))
	return true
end

function down()
	hosts_cache = nil
	starting = true
	local ok, out = pcall(self, { "down" }, 120, "down()")
	starting = false
	if not ok then
		error(out, 0)
	end
	sx.set_owned(false)
	sx.log(first_line(out))
	return true
end

local function fault(what, args)
	ensure_up()
	local out = self(args, 120, what)
	sx.log((first_line(out):gsub("^sysplex: ", "")))
	return true
end

-- The fault on one system called name: name(sys) runs `sysplex VERB SYS`.
local function system_fault(name, verb)
	return function(sys)
		return fault(name .. "(" .. tostring(sys) .. ")", { verb, check_host(sys, name) })
	end
end

kill = system_fault("kill", "kill")
restart = system_fault("restart", "restart")
hang = system_fault("hang", "hang")
resume = system_fault("resume", "resume")
cds_loss = system_fault("cds_loss", "cds-loss")
cds_restore = system_fault("cds_restore", "cds-restore")

local function side(x, fn)
	if type(x) == "string" then
		return x:upper()
	end
	if type(x) == "table" and #x > 0 then
		for i = 1, #x do
			check_host(x[i], fn)
		end
		return table.concat(x, ","):upper()
	end
	raise(fn .. ": a side is a list of systems such as {\"SYSA\"} or {\"SYSB\", \"SYSC\"}")
end

function partition(a, b)
	local args = { "partition", side(a, "partition") }
	if b ~= nil then
		args[3] = side(b, "partition")
	end
	return fault("partition()", args)
end

function heal()
	return fault("heal()", { "heal" })
end

function link(host, o)
	host = check_host(host, "link")
	if type(o) ~= "table" or (o.loss == nil and o.delay == nil) then
		raise("link(host, {loss = percent, delay = ms}): give loss, delay or both")
	end
	local args = { "link", host }
	if o.loss ~= nil then
		args[#args + 1] = "loss=" .. math.floor(tonumber(o.loss) or -1)
	end
	if o.delay ~= nil then
		args[#args + 1] = "delay=" .. math.floor(tonumber(o.delay) or -1)
	end
	return fault("link(" .. host .. ")", args)
end

local function run_cmd(sys, text, o, json)
	if text == nil then
		sys, text = nil, sys
	end
	if type(text) ~= "string" or text == "" then
		raise("cmd([sys,] \"D TCPIP,...\"): the command is a string")
	end
	if sys ~= nil then
		sys = check_host(sys, "cmd")
	end
	ensure_up()
	local timeout = (type(o) == "table" and tonumber(o.timeout)) or 5
	local args = { "cmd", "--timeout", tostring(timeout) }
	if json then
		args[#args + 1] = "--json"
	end
	if sys then
		args[#args + 1] = "--system"
		args[#args + 1] = sys
	end
	args[#args + 1] = "--"
	args[#args + 1] = text
	local st, out, err = sx.spawn(args, timeout + 10)
	if st == 0 then
		if not json then
			return out
		end
		local t, jerr = sx.json_decode(out)
		if t == nil then
			return nil, "bad JSON in the answer to " .. text .. ": " .. jerr
		end
		return t
	end
	if st == nil then
		return nil, "no answer to " .. text .. " in " .. (timeout + 10) .. " s"
	end
	local t = json and sx.json_decode(out)
	if type(t) == "table" and t.error then
		return nil, t.error
	end
	return nil, (trim(err ~= "" and err or out):gsub("^sysplex: ", ""))
end

function cmd(sys, text, o)
	return run_cmd(sys, text, o, true)
end

function cmd_text(sys, text, o)
	return run_cmd(sys, text, o, false)
end

-- wlm(sys, {capacity = n, load = pct}): the emulated WLM system of sys
-- (V TCPIP,,WLM,CAPACITY=n,LOAD=pct on its stack).
function wlm(sys, o)
	sys = check_host(sys, "wlm")
	if type(o) ~= "table" or (o.capacity == nil and o.load == nil) then
		raise("wlm(sys, {capacity = n, load = pct}): give capacity, load or both")
	end
	local ops = {}
	for _, k in ipairs({ "capacity", "load" }) do
		if o[k] ~= nil then
			local v = math.tointeger(o[k])
			if v == nil then
				raise("wlm(" .. sys .. "): " .. k .. " must be a whole number, got " .. tostring(o[k]))
			end
			ops[#ops + 1] = k:upper() .. "=" .. v
		end
	end
	return run_cmd(sys, "V TCPIP,,WLM," .. table.concat(ops, ","), o, true)
end

function exec(host, ...)
	host = check_host(host, "exec")
	local argv, timeout = { ... }, 60
	if type(argv[#argv]) == "table" then
		timeout = tonumber(argv[#argv].timeout) or timeout
		argv[#argv] = nil
	end
	if #argv == 0 then
		raise("exec(host, command...): the command is missing")
	end
	for i = 1, #argv do
		argv[i] = tostring(argv[i])
	end
	if #argv == 1 and argv[1]:find("[%s|;&<>$*?'\"]") then
		argv = { "sh", "-c", argv[1] }
	end
	ensure_up()
	local args = { "exec", host, "--" }
	for i = 1, #argv do
		args[#args + 1] = argv[i]
	end
	local st, out, err = sx.spawn(args, timeout)
	if st == nil then
		return nil, out, "killed after " .. timeout .. " s"
	end
	return st, out, err
end

function load(o, ...)
	if type(o) ~= "table" then
		return builtin_load(o, ...)
	end
	local known = { client = 1, connections = 1, rate = 1, bytes = 1, port = 1, dvipa = 1,
		count = 1, duration = 1, pace = 1, connect_timeout = 1, idle_timeout = 1,
		report_ms = 1 }
	for k in pairs(o) do
		if not known[k] then
			raise("load{}: unknown field " .. tostring(k))
		end
	end
	ensure_up()
	local client = check_host(o.client or "CLIENT1", "load")
	local known_host = false
	for _, h in ipairs(hosts()) do
		known_host = known_host or h.name == client
	end
	if not known_host then
		raise("load{}: no host " .. client .. " in instance " .. sx.instance)
	end
	local args = { "load", client }
	local function opt(name, flag)
		if o[name] ~= nil then
			local v = tonumber(o[name])
			if not v or v < 0 then
				raise("load{}: " .. name .. " must be a number >= 0")
			end
			args[#args + 1] = flag
			args[#args + 1] = tostring(v)
		end
	end
	opt("connections", "--connections")
	opt("rate", "--rate")
	opt("bytes", "--bytes")
	opt("port", "--port")
	opt("count", "--count")
	opt("duration", "--duration")
	opt("pace", "--pace")
	opt("connect_timeout", "--connect-timeout")
	opt("idle_timeout", "--idle-timeout")
	opt("report_ms", "--report-ms")
	if o.dvipa ~= nil then
		args[#args + 1] = "--dvipa"
		args[#args + 1] = tostring(o.dvipa)
	end
	local h, err = sx.load(args)
	if not h then
		raise("load{}: " .. err)
	end
	return h
end

function wait(s)
	s = tonumber(s)
	if not s or s < 0 then
		raise("wait(seconds): expected a number >= 0")
	end
	sx.sleep(s)
end

function wait_until(fn, timeout, interval)
	if type(fn) ~= "function" then
		raise("wait_until(fn, timeout): fn must be a function")
	end
	timeout = tonumber(timeout) or 10
	interval = tonumber(interval) or 0.1
	local deadline = sx.now() + timeout
	while true do
		if fn() then
			return true
		end
		if sx.now() >= deadline then
			return false
		end
		sx.sleep(interval)
	end
end

function expect(cond, message)
	return sx.expect(cond and true or false, message)
end

function log(fmt, ...)
	if select("#", ...) > 0 then
		fmt = string.format(fmt, ...)
	end
	sx.log(tostring(fmt))
end

function now()
	return sx.now()
end

function spawn(fn, ...)
	if type(fn) ~= "function" then
		raise("spawn(fn, ...): fn must be a function")
	end
	return sx.spawn_task(fn, ...)
end

function status()
	if not sx.is_up() then
		hosts_cache = nil
		return { up = false, instance = sx.instance }
	end
	local st, out = sx.spawn({ "status", "--json" }, 30)
	return sx.json_decode(out) or { up = false, instance = sx.instance }
end

-- The names of the hosts of one role ("system", "client" or "router").
local function host_names(role)
	ensure_up()
	local r = {}
	for _, h in ipairs(hosts()) do
		if h.role == role then
			r[#r + 1] = h.name
		end
	end
	return r
end

function systems()
	return host_names("system")
end

function clients()
	return host_names("client")
end

function routers()
	return host_names("router")
end

-- A host's addresses: { lan = ..., xcf = ... } (xcf nil for clients).
function address(host)
	host = check_host(host, "address")
	ensure_up()
	for _, h in ipairs(hosts()) do
		if h.name == host then
			return { lan = h.lan, xcf = h.xcf }
		end
	end
	raise("address(): no host " .. host)
end

-- What every system answers for the DVIPA (any, when nil): a list of
-- { sys = "SYSB", since = ms, now = ms } for the systems whose stack reports
-- it ACTIVE and distributing (SYSPLEX$ROLE), sorted by name.  The systems
-- are asked at the same time; since/now are the stack's monotonic clock (one
-- clock for every stack on this host): the owner was ACTIVE from since to now.
-- Dead or hung stacks are skipped (timeout s, default 1).
local function owner_answers(dvipa, timeout)
	local sys = systems()
	local res, left = {}, #sys
	for _, s in ipairs(sys) do
		spawn(function()
			local out = cmd_text(s, "SYSPLEX$ROLE", { timeout = timeout or 1 })
			for line in (out or ""):gmatch("[^\n]+") do
				local a, st, dist, rest = line:match("^(%S+)%s+(%S+)%s+(%S+)(.*)$")
				if st == "ACTIVE" and (dist == "DIST" or dist == "DIST/DEST") and
					(dvipa == nil or a == dvipa) then
					res[#res + 1] = { sys = s, since = tonumber(rest:match("SINCE=(%d+)")),
						now = tonumber(rest:match("NOW=(%d+)")) }
					break
				end
			end
			left = left - 1
		end)
	end
	while left > 0 do
		sx.sleep(0.005)
	end
	table.sort(res, function(x, y) return x.sys < y.sys end)
	return res
end

-- The systems whose stack reports the DVIPA (any, when nil) ACTIVE and
-- distributing (SYSPLEX$ROLE); dead or hung stacks are skipped.
function owners(dvipa)
	local r = {}
	for _, a in ipairs(owner_answers(dvipa)) do
		r[#r + 1] = a.sys
	end
	return r
end


function routing(dvipa)
	return owners(dvipa)[1]
end

-- losses(counts, outages) -> unexplained, explained
-- Sorts the failed and reset connections of a load (counts from h:counts()
-- or h:stop()) against outages { {sys = "SYSC", from = t0, to = t1}, ... }
-- (script times, now(); to defaults to the end of the run; detect, the
-- failure detection allowance for connections whose target is unknown,
-- defaults to 1 s).  A connection is explained by an outage when its target
-- is that system and its life overlaps [from, to], or when its target is
-- unknown ("?": it failed before the server's header) and it started before
-- from + detect and ended after from.  Returns the list of unexplained
-- events and the number explained.
function losses(c, outages, label)
	if type(c) ~= "table" or type(c.events) ~= "table" then
		raise("losses(counts, outages[, label]): counts is what h:counts() or h:stop() returns")
	end
	local bad, explained = {}, 0
	for _, e in ipairs(c.events) do
		local ok = false
		for _, o in ipairs(outages or {}) do
			local from, to = o.from or 0, o.to or math.huge
			if e.target == o.sys and e.t_end >= from and e.t_start <= to then
				ok = true
			elseif e.target == "?" and e.t_end >= from and e.t_start <= from + (o.detect or 1) then
				ok = true
			end
		end
		if ok then
			explained = explained + 1
		else
			bad[#bad + 1] = e
			log("lost: %s..%d on %s (%s) %.2f-%.2f s", label and label .. " " or "", e.port, e.target,
			    e.why, e.t_start, e.t_end)
		end
	end
	return bad, explained
end

-- Samples the owners of dvipa every `interval` s (0.1) in a task of its own
-- (every system asked at the same time) and logs any two owners at once:
-- two systems whose ACTIVE answers prove overlapping ownership (each owner
-- was ACTIVE from its SINCE to the NOW of its latest answer, on the one
-- clock of this host) and the two intervals overlap by at least a
-- millisecond, the clock's resolution: answers from two different instants
-- of a handover, or a give-up and an activation within one millisecond, are
-- not mistaken for two owners.  h:stop() ends it and returns
-- { samples = n, doubles = n, same_sample = n } (same_sample: samples with
-- two ACTIVE answers, overlapping or not).
function watch_owners(dvipa, interval)
	local h = { samples = 0, doubles = 0, same_sample = 0, sampling = true, cur = {}, seen = {} }
	spawn(function()
		while h.sampling do
			local a = owner_answers(dvipa)
			h.samples = h.samples + 1
			if #a > 1 then
				h.same_sample = h.same_sample + 1
			end
			for _, o in ipairs(a) do
				local c = h.cur[o.sys]
				if not o.since or not o.now then
					o.since, o.now = -h.samples - 1, -h.samples
				end
				if c and c.since == o.since then
					c.last = math.max(c.last, o.now)
				else
					h.cur[o.sys] = { since = o.since, last = o.now }
				end
			end
			for s1, c1 in pairs(h.cur) do
				for s2, c2 in pairs(h.cur) do
					if s1 < s2 and math.max(c1.since, c2.since) < math.min(c1.last, c2.last) then
						local key = s1 .. ":" .. c1.since .. ":" .. s2 .. ":" .. c2.since
						if not h.seen[key] then
							h.seen[key] = true
							h.doubles = h.doubles + 1
							log("two owners: %s (ACTIVE %d..%d) and %s (ACTIVE %d..%d)", s1, c1.since,
								c1.last, s2, c2.since, c2.last)
						end
					end
				end
			end
			wait(interval or 0.1)
		end
	end)
	function h:stop()
		self.sampling = false
		return { samples = self.samples, doubles = self.doubles, same_sample = self.same_sample }
	end
	return h
end


json_decode = sx.json_decode
random = math.random
instance = sx.instance
seed = sx.seed

os.exit = function(code)
	error(setmetatable({ sysplex_exit = code == nil and true or code }, {
		__tostring = function() return "os.exit(" .. tostring(code) .. ")" end }), 0)
end
