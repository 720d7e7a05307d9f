-- json.lua - proves that json_decode (the strict JSON parser every cmd()
-- answer goes through) accepts RFC 8259 JSON and rejects everything else
-- with a reason; needs no sysplex (no API call starts one).
local good = {
	{ '{"a":1,"b":[true,false,null],"c":"x"}', function(v) return v.a == 1 and v.b[1] == true and v.b[2] == false and v.c == "x" end },
	{ ' [1, -2.5e3, 0, 9007199254740993] ', function(v) return v[2] == -2500 and v[3] == 0 and v[4] == 9007199254740993 and math.type(v[4]) == "integer" end },
	{ '"\\u00e9\\ud83d\\ude00\\n\\/"', function(v) return v == "é😀\n/" end },
	{ '{"nested":{"deep":[[[{"x":{}}]]]}}', function(v) return type(v.nested.deep[1][1][1].x) == "table" end },
	{ '{"records":0,"vcrt":[]}', function(v) return v.records == 0 and #v.vcrt == 0 end },
}
for i, g in ipairs(good) do
	local v, err = json_decode(g[1])
	expect(v ~= nil and g[2](v), "accepts " .. g[1] .. (err and (": " .. err) or ""))
end
local bad = {
	'{"a":1,}', '[1,2,]', "{'a':1}", '{"a":01}', '{"a":.5}', '{"a":1.}', '{"a":+1}', '[1] x',
	'', '   ', '{"a"}', '{"a":1 "b":2}', '"\\x"', '"\\ud800"', '"\\udc00"', '"tab\there"',
	'/* c */ 1', 'nul', 'NaN', '[' .. string.rep('[', 70) .. string.rep(']', 71), '"\255"',
	'{"a":1}}', '["unterminated]',
}
for _, b in ipairs(bad) do
	local v, err = json_decode(b)
	expect(v == nil and type(err) == "string" and err:match("^offset %d+: "),
		string.format("rejects %q: %s", b, tostring(err)))
end
