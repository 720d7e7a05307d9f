/*
 * topo.c - loads a topology file (Lua 5.4) into struct plex_topo.
 *
 * A topology file is a Lua chunk that returns a table:
 *
 *   return {
 *     sysplex = "PLEX1",                       -- 1..8 of A-Z 0-9
 *     lan = { prefix = "fd00:1::/64", mtu = 1500 },
 *     couple = { interval_ms = 50, failure_ms = 250, lease_ms = 400, transport = "tcp",
 *                port = 7000 },
 *     client_routes = { "fd00:100::/64", "10.100.0.0/24" },  -- on-link routes on clients
 *     systems = {
 *       { name = "SYSA", tcpname = "TCPCS", lan = "fd00:1::1", xcf = "fd00:10::1",
 *         weight = 1, profile = [[ ...z/OS PROFILE text... ]],
 *         httpd = { addr = "fd00:100::1", port = 8080 } },
 *     },
 *     clients = { { name = "CLIENT1", lan = "fd00:1::101", agent = true } },
 *   }
 *
 * Optional: tcpname (TCPCS), lan of a host (system N gets PREFIX::N, client N
 * gets PREFIX::100+N, in hex), xcf, weight (1; the system's SFM policy weight,
 * 1-9999), profile, httpd, agent (false; "standard" runs client-agent
 * --standard, a plain RFC 6275 correspondent node), mtu (1500), couple (50/250 ms,
 * lease 400 ms, transport "tcp", port 7000), client_routes (none).
 * wlm = { capacity = 100, load = 0 } of a system: its emulated WLM system at
 * start, relative capacity 0..1000000 (default 100) and load 0..100 percent
 * (default 0); the stacks' BASEWLM and SERVERWLM weights come from them, and
 * `V TCPIP,tcpname,WLM,CAPACITY=n,LOAD=pct` changes them at run time.
 * couple.lease_ms is the lease a system holds on the couple data set (see
 * docs/DESIGN.md): at least 4 x interval_ms.
 * A system's stack takes its XCF (care-of) address from its PROFILE's
 * IPCONFIG6 DYNAMICXCF, which every system needs; xcf, when given, must be
 * that address (the launcher routes it), and is taken from the PROFILE when
 * left out.  A target without the Mobile IPv6 bypass (tcpip-stack -M) is
 * written in its PROFILE: IPCONFIG6 DYNAMICXCF addr NOMOBILEIPV6.  A PROFILE's
 * IPCONFIG DYNAMICXCF (IPv4) needs prefix4 on the system's segment: every
 * host there reaches that address through the system's IPv4 LAN address.
 * couple.transport "tcp" runs the coupling bus over the LAN (each stack's
 * ROUTER on tcp://[LANADDR]:port, PUB on port+1), so that partitions made
 * with nftables cut it; "ipc" uses Unix sockets in the run directory, which
 * no network fault can reach.  Unknown keys are errors, so a
 * typo does not pass silently.  Lua errors carry FILE:LINE; a bad value is
 * reported as "FILE: systems[2].httpd.port: why".
 *
 * A routed topology (sysplex/topologies/routed.lua) has several LAN
 * segments instead of lan, routers between them, and names each host's
 * segment:
 *
 *     segments = { { name = "SYS1", prefix = "fd00:1::/64", mtu = 1500,
 *                    prefix4 = "10.1.0.0/24" }, ... },   -- prefix4 optional
 *     routers = { { name = "ROUTER1", segments = { "SYS1", "CORE" } }, ... },
 *     ospf = { hello_s = 1, dead_s = 3, bfd_ms = 100, bfd_multiplier = 3 },
 *     systems = { { name = "SYSA", segment = "SYS1", ... } },
 *     clients = { { name = "CLIENT1", segment = "CLIENTS", ... } },
 *
 * A router has one interface per segment named (lan0, lan1 ... in that
 * order) at PREFIX::ff00+N (N: its place in routers); with prefix4, every
 * host of the segment gets an IPv4 address too (systems .N, clients .100+N,
 * routers .200+N).  Every segment must be reached from every other through
 * routers, all have the same MTU, and lan and segments exclude each other.
 * ospf is optional (the defaults shown; bfd_ms = 0: no BFD).  With routers,
 * FRR runs in every router and system (frr.c); clients route through their
 * segment's first router.
 */
#include "sysplex/sysplex.h"
#include "vipa/vipa.h"

#include <arpa/inet.h>
#include <errno.h>
#include <lauxlib.h>
#include <lua.h>
#include <lualib.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

/* A runaway topology script is stopped after this many VM instructions. */
#define TOPO_INSN_LIMIT 100000000

struct tctx {
	lua_State *L;
	const char *path;
	char *err;
	size_t errlen;
	int failed;
};

static void tfail(struct tctx *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void
tfail(struct tctx *c, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (c->failed)
		return;
	c->failed = 1;
	n = snprintf(c->err, c->errlen, "%s: ", c->path);
	if (n < 0 || (size_t)n >= c->errlen)
		return;
	va_start(ap, fmt);
	vsnprintf(c->err + n, c->errlen - (size_t)n, fmt, ap);
	va_end(ap);
}

static void
insn_hook(lua_State *L, lua_Debug *ar)
{
	if (lua_getinfo(L, "Sl", ar) && ar->currentline > 0)
		luaL_error(L, "%s:%d: the topology script runs too long (instruction limit)",
			   ar->short_src, ar->currentline);
	luaL_error(L, "the topology script runs too long (instruction limit)");
}

/* Checks that the table at the top of the stack has only keys from allowed
 * (a NULL-terminated list).  `where` names the table in messages. */
static void
check_keys(struct tctx *c, const char *where, const char *const *allowed)
{
	lua_State *L = c->L;

	lua_pushnil(L);
	while (lua_next(L, -2) != 0) {
		const char *const *a;
		int ok = 0;

		lua_pop(L, 1);
		if (lua_type(L, -1) == LUA_TSTRING) {
			const char *k = lua_tostring(L, -1);
			for (a = allowed; *a; a++)
				if (strcmp(*a, k) == 0)
					ok = 1;
			if (!ok)
				tfail(c, "%s: unknown key \"%s\"", where, k);
		} else {
			tfail(c, "%s: unexpected non-string key", where);
		}
		if (!ok) {
			lua_pop(L, 1);
			return;
		}
	}
}

/* Pushes field `key` of the table at the top.  Returns 1 when it has type
 * `type` (it stays pushed), 0 when absent (nil) and -1 on a type error
 * (reported: "expected WHAT"); nothing stays pushed then. */
static int
field(struct tctx *c, const char *where, const char *key, int type, const char *what)
{
	lua_State *L = c->L;
	int t = lua_getfield(L, -1, key);

	if (t == type)
		return 1;
	if (t != LUA_TNIL)
		tfail(c, "%s.%s: expected %s, got %s", where, key, what, lua_typename(L, t));
	lua_pop(L, 1);
	return t == LUA_TNIL ? 0 : -1;
}

/* Reads string field `key` of the table at the top into buf.  Returns 1 when
 * present, 0 when absent (nil), -1 on a type error (reported). */
static int
get_str(struct tctx *c, const char *where, const char *key, char *buf, size_t len)
{
	int r = field(c, where, key, LUA_TSTRING, "a string");
	const char *s;
	size_t l;

	if (r <= 0)
		return r;
	s = lua_tolstring(c->L, -1, &l);
	if (l >= len || strlen(s) != l) {
		tfail(c, "%s.%s: too long (at most %zu characters)", where, key, len - 1);
		r = -1;
	} else {
		memcpy(buf, s, l + 1);
	}
	lua_pop(c->L, 1);
	return r;
}

/* Reads an integer field in [lo, hi]; 1 present, 0 absent, -1 error. */
static int
get_int(struct tctx *c, const char *where, const char *key, long long lo, long long hi,
	long long *out)
{
	int r = field(c, where, key, LUA_TNUMBER, "an integer"), isint = 0;
	lua_Integer v;

	if (r <= 0)
		return r;
	v = lua_tointegerx(c->L, -1, &isint);
	if (!isint || v < lo || v > hi) {
		tfail(c, "%s.%s: expected an integer %lld..%lld", where, key, lo, hi);
		r = -1;
	} else {
		*out = v;
	}
	lua_pop(c->L, 1);
	return r;
}

static int
get_bool(struct tctx *c, const char *where, const char *key, int *out)
{
	int r = field(c, where, key, LUA_TBOOLEAN, "true or false");

	if (r <= 0)
		return r;
	*out = lua_toboolean(c->L, -1);
	lua_pop(c->L, 1);
	return r;
}

/* Canonicalizes an IPv6 address in place; -1 when it is not one. */
static int
canon6(char *s, size_t len, uint8_t out[16])
{
	uint8_t a[16];

	if (inet_pton(AF_INET6, s, a) != 1)
		return -1;
	inet_ntop(AF_INET6, a, s, (socklen_t)len);
	if (out)
		memcpy(out, a, 16);
	return 0;
}

/* Parses "addr/len" of family af (AF_INET6, AF_INET) with minlen <= len <=
 * maxlen into the canonical text of its network, "addr/len" (the bits past
 * len cleared), and that network's address into net (16 or 4 bytes; NULL:
 * not wanted) and len into *plen; -1 when malformed. */
static int
canon_prefix(int af, const char *in, int minlen, int maxlen, char *out, size_t len,
	     uint8_t *net, int *plen)
{
	char buf[PLEX_ADDR_LEN], abuf[INET6_ADDRSTRLEN], *slash, *end;
	int i, alen = af == AF_INET6 ? 16 : 4;
	uint8_t a[16];
	long l;

	if (lib_strlcpy(buf, in, sizeof(buf)) >= sizeof(buf))
		return -1;
	slash = strchr(buf, '/');
	if (!slash)
		return -1;
	*slash = '\0';
	l = strtol(slash + 1, &end, 10);
	if (*end || slash[1] == '\0' || l < minlen || l > maxlen || inet_pton(af, buf, a) != 1)
		return -1;
	for (i = 0; i < alen; i++) {
		int bits = (int)l - i * 8;
		a[i] &= bits >= 8 ? 0xff : bits <= 0 ? 0 : (uint8_t)(0xff << (8 - bits));
	}
	inet_ntop(af, a, abuf, sizeof(abuf));
	snprintf(out, len, "%s/%d", abuf, (int)l);
	if (net)
		memcpy(net, a, (size_t)alen);
	if (plen)
		*plen = (int)l;
	return 0;
}

static int
in_prefix(const uint8_t a[16], const uint8_t net[16], int plen)
{
	int i;

	for (i = 0; i < 16; i++) {
		int bits = plen - i * 8;
		uint8_t m = bits >= 8 ? 0xff : bits <= 0 ? 0 : (uint8_t)(0xff << (8 - bits));
		if ((a[i] & m) != net[i])
			return 0;
	}
	return 1;
}

static int
valid_hostname(const char *n, size_t max)
{
	return plex_name_ok(n, max, 1) && strcmp(n, "LAN") != 0;
}

/*
 * The stack's XCF address is its PROFILE's IPCONFIG6 DYNAMICXCF: a system
 * needs one, xcf must agree with it, and is taken from it when left out.  A
 * PROFILE that does not parse is left to the full check `up` runs on it
 * (tcpip-stack -n, which names FILE:LINE).
 */
static void
check_xcf(struct tctx *c, struct plex_host *h, const char *where)
{
	static struct vipa_profile p;
	char err[512], dyn[INET6_ADDRSTRLEN];

	if (c->failed)
		return;
	if (!h->profile) {
		tfail(c, "%s.profile: required: a stack needs at least IPCONFIG6 DYNAMICXCF "
		      "(its XCF and care-of address)", where);
		return;
	}
	if (vipa_profile_parse_buf(&p, "profile", h->profile, strlen(h->profile), err,
				   sizeof(err)) < 0)
		return;
	if (!p.has_dynxcf) {
		tfail(c, "%s.profile: no IPCONFIG6 DYNAMICXCF: a stack needs one (its XCF and "
		      "care-of address)%s%s", where, h->xcf[0] ? ", e.g. IPCONFIG6 DYNAMICXCF " : "",
		      h->xcf);
		return;
	}
	if (p.has_dynxcf4) {
		if (!h->ifs[0].addr4[0])
			tfail(c, "%s.profile: IPCONFIG DYNAMICXCF (IPv4) needs prefix4 on the "
			      "system's segment (the IPv4 subnet of its LAN)", where);
		vipa_addr_str(p.dynxcf4, h->xcf4, sizeof(h->xcf4));
	}
	inet_ntop(AF_INET6, p.dynxcf, dyn, sizeof(dyn));
	if (!h->xcf[0]) {
		lib_strlcpy(h->xcf, dyn, sizeof(h->xcf));
		return;
	}
	if (strcmp(h->xcf, dyn) != 0)
		tfail(c, "%s.xcf: %s is not the PROFILE's IPCONFIG6 DYNAMICXCF %s, which the stack "
		      "uses: give the same address or leave xcf out", where, h->xcf, dyn);
}

/* Host number `id` in a segment: PREFIX::id (hex) and, with IPv4, the
 * network's address + id (systems N, clients 100+N, routers 200+N in IPv4;
 * N, 0x100+N, 0xff00+N in IPv6). */
static void
seg_addr(const struct plex_seg *g, unsigned id6, unsigned id4, struct plex_if *f)
{
	uint8_t a[16], b[4];

	memcpy(a, g->net, 16);
	a[14] |= (uint8_t)(id6 >> 8);
	a[15] |= (uint8_t)id6;
	inet_ntop(AF_INET6, a, f->addr, sizeof(f->addr));
	f->addr4[0] = '\0';
	if (g->prefix4[0]) {
		memcpy(b, g->net4, 4);
		b[3] = (uint8_t)(b[3] + id4);
		inet_ntop(AF_INET, b, f->addr4, sizeof(f->addr4));
	}
}

static int
find_seg(const struct plex_topo *t, const char *name)
{
	int i;

	for (i = 0; i < t->nsegs; i++)
		if (strcmp(t->seg[i].name, name) == 0)
			return i;
	return -1;
}

/* The segment of a system or client: key "segment", which may be left out
 * when there is only one. */
static int
host_seg(struct tctx *c, const struct plex_topo *t, const char *where)
{
	char name[PLEX_SEG_MAX + 2];
	int r = get_str(c, where, "segment", name, sizeof(name)), i;

	if (r < 0)
		return -1;
	if (r == 0) {
		if (t->nsegs == 1)
			return 0;
		tfail(c, "%s.segment: required (the topology has %d segments)", where, t->nsegs);
		return -1;
	}
	i = find_seg(t, name);
	if (i < 0)
		tfail(c, "%s.segment: no segment \"%s\" in segments", where, name);
	return i;
}

/* Reads one entry of systems{} or clients{} (the table at the top). */
static void
load_host(struct tctx *c, struct plex_topo *t, int is_system, int nth)
{
	static const char *const sys_keys[] = { "name", "tcpname", "segment", "lan", "xcf",
						"weight", "profile", "httpd", "wlm", NULL };
	static const char *const wlm_keys[] = { "capacity", "load", NULL };
	static const char *const cli_keys[] = { "name", "segment", "lan", "agent", NULL };
	static const char *const httpd_keys[] = { "addr", "port", NULL };
	struct plex_host *h = &t->h[t->nhosts];
	const struct plex_seg *g;
	lua_State *L = c->L;
	char where[64];
	uint8_t a[16];
	long long v;
	int seg;

	memset(h, 0, sizeof(*h));
	snprintf(where, sizeof(where), "%s[%d]", is_system ? "systems" : "clients", nth);
	if (!lua_istable(L, -1)) {
		tfail(c, "%s: expected a table", where);
		return;
	}
	check_keys(c, where, is_system ? sys_keys : cli_keys);
	h->is_system = is_system;
	h->index = t->nhosts + 1;
	if (get_str(c, where, "name", h->name, sizeof(h->name)) <= 0) {
		tfail(c, "%s.name: required", where);
		return;
	}
	if (!valid_hostname(h->name, is_system ? 8 : PLEX_HOST_MAX)) {
		tfail(c, "%s.name: \"%s\": expected 1..%d of A-Z 0-9 (not LAN)", where, h->name,
		      is_system ? 8 : PLEX_HOST_MAX);
		return;
	}
	snprintf(where, sizeof(where), "%s[%d] (%s)", is_system ? "systems" : "clients", nth,
		 h->name);
	for (int i = 0; i < t->nhosts; i++)
		if (strcmp(t->h[i].name, h->name) == 0)
			tfail(c, "%s.name: duplicate host name", where);
	seg = host_seg(c, t, where);
	if (seg < 0)
		return;
	g = &t->seg[seg];
	h->nif = 1;
	h->ifs[0].seg = seg;
	lib_strlcpy(h->ifs[0].name, "lan0", sizeof(h->ifs[0].name));
	/* Default: PREFIX::N for the Nth system, PREFIX::100+N for the Nth
	 * client (hex, as in docs/RUNTIME.md). */
	seg_addr(g, is_system ? (unsigned)nth : 0x100u + (unsigned)nth,
		 is_system ? (unsigned)nth : 100u + (unsigned)nth, &h->ifs[0]);
	if (get_str(c, where, "lan", h->lan, sizeof(h->lan)) == 1) {
		if (canon6(h->lan, sizeof(h->lan), a) < 0)
			tfail(c, "%s.lan: \"%s\" is not an IPv6 address", where, h->lan);
		else if (!in_prefix(a, g->net, g->plen))
			tfail(c, "%s.lan: %s is not inside segment %s's prefix %s/%d", where, h->lan,
			      g->name, g->prefix, g->plen);
		else
			lib_strlcpy(h->ifs[0].addr, h->lan, sizeof(h->ifs[0].addr));
	}
	lib_strlcpy(h->lan, h->ifs[0].addr, sizeof(h->lan));
	if (!is_system) {
		/* agent = true | false | "standard" (client-agent --standard). */
		if (lua_getfield(L, -1, "agent") == LUA_TSTRING) {
			if (strcmp(lua_tostring(L, -1), "standard") == 0)
				h->agent = 2;
			else
				tfail(c, "%s.agent: expected true, false or \"standard\", got \"%s\"",
				      where, lua_tostring(L, -1));
			lua_pop(L, 1);
		} else {
			lua_pop(L, 1);
			get_bool(c, where, "agent", &h->agent);
		}
		return;
	}
	lib_strlcpy(h->tcpname, "TCPCS", sizeof(h->tcpname));
	v = 1;
	get_int(c, where, "weight", 1, 9999, &v);
	h->weight = (unsigned)v;
	h->wlm_capacity = PLEX_WLM_CAPACITY_DEFAULT;
	if (lua_getfield(L, -1, "wlm") == LUA_TTABLE) {
		char w2[80];

		snprintf(w2, sizeof(w2), "%s.wlm", where);
		check_keys(c, w2, wlm_keys);
		v = PLEX_WLM_CAPACITY_DEFAULT;
		get_int(c, w2, "capacity", 0, PLEX_WLM_CAPACITY_MAX, &v);
		h->wlm_capacity = (unsigned)v;
		v = 0;
		get_int(c, w2, "load", 0, 100, &v);
		h->wlm_load = (unsigned)v;
	} else if (!lua_isnil(L, -1)) {
		tfail(c, "%s.wlm: expected a table { capacity = ..., load = ... }", where);
	}
	lua_pop(L, 1);
	if (get_str(c, where, "tcpname", h->tcpname, sizeof(h->tcpname)) == 1 &&
	    !valid_hostname(h->tcpname, 8))
		tfail(c, "%s.tcpname: expected 1..8 of A-Z 0-9", where);
	if (get_str(c, where, "xcf", h->xcf, sizeof(h->xcf)) == 1 &&
	    canon6(h->xcf, sizeof(h->xcf), NULL) < 0)
		tfail(c, "%s.xcf: \"%s\" is not an IPv6 address", where, h->xcf);
	if (lua_getfield(L, -1, "profile") == LUA_TSTRING) {
		h->profile = strdup(lua_tostring(L, -1));
		if (!h->profile)
			tfail(c, "out of memory");
	} else if (!lua_isnil(L, -1)) {
		tfail(c, "%s.profile: expected a string", where);
	}
	lua_pop(L, 1);
	check_xcf(c, h, where);
	for (int i = 0; i < t->nhosts && h->xcf[0]; i++)
		if (strcmp(t->h[i].xcf, h->xcf) == 0)
			tfail(c, "%s.xcf: %s is already used by %s", where, h->xcf, t->h[i].name);
	if (lua_getfield(L, -1, "httpd") == LUA_TTABLE) {
		char w2[80];

		snprintf(w2, sizeof(w2), "%s.httpd", where);
		check_keys(c, w2, httpd_keys);
		h->has_httpd = 1;
		if (get_str(c, w2, "addr", h->httpd_addr, sizeof(h->httpd_addr)) <= 0)
			tfail(c, "%s.addr: required", w2);
		else if (canon6(h->httpd_addr, sizeof(h->httpd_addr), NULL) < 0)
			tfail(c, "%s.addr: \"%s\" is not an IPv6 address", w2, h->httpd_addr);
		v = 8080;
		get_int(c, w2, "port", 1, 65535, &v);
		h->httpd_port = (unsigned)v;
	} else if (!lua_isnil(L, -1)) {
		tfail(c, "%s.httpd: expected a table { addr = ..., port = ... }", where);
	}
	lua_pop(L, 1);
}

/* Reads one entry of routers{}: a name and the segments it joins (its
 * interfaces lan0, lan1 ... in that order, at PREFIX::ff00+N of each). */
static void
load_router(struct tctx *c, struct plex_topo *t, int nth)
{
	static const char *const keys[] = { "name", "segments", NULL };
	struct plex_host *h = &t->h[t->nhosts];
	lua_State *L = c->L;
	lua_Integer i, n;
	char where[64];

	memset(h, 0, sizeof(*h));
	snprintf(where, sizeof(where), "routers[%d]", nth);
	if (!lua_istable(L, -1)) {
		tfail(c, "%s: expected a table", where);
		return;
	}
	check_keys(c, where, keys);
	h->is_router = 1;
	h->index = t->nhosts + 1;
	if (get_str(c, where, "name", h->name, sizeof(h->name)) <= 0) {
		tfail(c, "%s.name: required", where);
		return;
	}
	if (!valid_hostname(h->name, PLEX_HOST_MAX)) {
		tfail(c, "%s.name: \"%s\": expected 1..%d of A-Z 0-9 (not LAN)", where, h->name,
		      PLEX_HOST_MAX);
		return;
	}
	snprintf(where, sizeof(where), "routers[%d] (%s)", nth, h->name);
	for (int j = 0; j < t->nhosts; j++)
		if (strcmp(t->h[j].name, h->name) == 0)
			tfail(c, "%s.name: duplicate host name", where);
	if (lua_getfield(L, -1, "segments") != LUA_TTABLE) {
		tfail(c, "%s.segments: required: a list of segment names, e.g. { \"SYS1\", "
		      "\"CLIENTS\" }", where);
		lua_pop(L, 1);
		return;
	}
	n = (lua_Integer)lua_rawlen(L, -1);
	if (n < 1)
		tfail(c, "%s.segments: empty", where);
	for (i = 1; i <= n && !c->failed; i++) {
		struct plex_if *f = &h->ifs[h->nif];
		int seg;

		if (h->nif >= PLEX_MAX_SEGS) {
			tfail(c, "%s.segments: at most %d", where, PLEX_MAX_SEGS);
			break;
		}
		if (lua_rawgeti(L, -1, i) != LUA_TSTRING) {
			tfail(c, "%s.segments[%d]: expected a segment name", where, (int)i);
			lua_pop(L, 1);
			break;
		}
		seg = find_seg(t, lua_tostring(L, -1));
		if (seg < 0)
			tfail(c, "%s.segments[%d]: no segment \"%s\" in segments", where, (int)i,
			      lua_tostring(L, -1));
		lua_pop(L, 1);
		if (seg < 0)
			break;
		for (int j = 0; j < h->nif; j++)
			if (h->ifs[j].seg == seg)
				tfail(c, "%s.segments: %s is named twice", where, t->seg[seg].name);
		f->seg = seg;
		snprintf(f->name, sizeof(f->name), "lan%d", h->nif);
		seg_addr(&t->seg[seg], 0xff00u + (unsigned)nth, 200u + (unsigned)nth, f);
		h->nif++;
	}
	lua_pop(L, 1);
	if (h->nif > 0)
		lib_strlcpy(h->lan, h->ifs[0].addr, sizeof(h->lan));
}

/* Loads the list systems{}, clients{} or routers{} of the table at the top
 * (kind 1, 0, 2). */
static void
load_hosts(struct tctx *c, struct plex_topo *t, const char *key, int kind)
{
	lua_State *L = c->L;
	lua_Integer i, n;
	int ty = lua_getfield(L, -1, key);

	if (ty == LUA_TNIL) {
		lua_pop(L, 1);
		return;
	}
	if (ty != LUA_TTABLE) {
		tfail(c, "%s: expected a list of tables", key);
		lua_pop(L, 1);
		return;
	}
	n = (lua_Integer)lua_rawlen(L, -1);
	for (i = 1; i <= n && !c->failed; i++) {
		if (t->nhosts >= PLEX_MAX_HOSTS) {
			tfail(c, "%s: too many hosts (at most %d in all)", key, PLEX_MAX_HOSTS);
			break;
		}
		lua_rawgeti(L, -1, i);
		if (kind == 2)
			load_router(c, t, (int)i);
		else
			load_host(c, t, kind, (int)i);
		lua_pop(L, 1);
		if (!c->failed)
			t->nhosts++;
	}
	lua_pop(L, 1);
}

/* Reads lan{} or one entry of segments{} (the table at the top) into t->seg. */
static void
load_seg(struct tctx *c, struct plex_topo *t, const char *where, int is_lan)
{
	static const char *const keys[] = { "name", "prefix", "prefix4", "mtu", NULL };
	struct plex_seg *g = &t->seg[t->nsegs];
	char buf[PLEX_ADDR_LEN], w[64];
	long long v;

	memset(g, 0, sizeof(*g));
	g->router = -1;
	g->mtu = 1500;
	check_keys(c, where, is_lan ? keys + 1 : keys);
	if (is_lan) {
		lib_strlcpy(g->name, "LAN", sizeof(g->name));
	} else if (get_str(c, where, "name", g->name, sizeof(g->name)) <= 0 ||
		   !plex_name_ok(g->name, PLEX_SEG_MAX, 1)) {
		tfail(c, "%s.name: required: 1..%d of A-Z 0-9", where, PLEX_SEG_MAX);
		return;
	} else {
		if (find_seg(t, g->name) >= 0)
			tfail(c, "%s.name: duplicate segment name %s", where, g->name);
		snprintf(w, sizeof(w), "%s (%s)", where, g->name);
		where = w;
	}
	if (get_str(c, where, "prefix", buf, sizeof(buf)) <= 0)
		tfail(c, "%s.prefix: required, e.g. \"fd00:1::/64\"", where);
	else if (canon_prefix(AF_INET6, buf, 1, 112, g->prefix, sizeof(g->prefix), g->net,
			      &g->plen) < 0)
		tfail(c, "%s.prefix: \"%s\" is not an IPv6 prefix ADDR/LEN (LEN <= 112)", where, buf);
	else
		*strchr(g->prefix, '/') = '\0';
	/* 8 <= LEN <= 24: room for the host numbers (seg_addr). */
	if (get_str(c, where, "prefix4", buf, sizeof(buf)) == 1) {
		if (canon_prefix(AF_INET, buf, 8, 24, g->prefix4, sizeof(g->prefix4), g->net4,
				 &g->plen4) < 0)
			tfail(c, "%s.prefix4: \"%s\" is not an IPv4 prefix a.b.c.d/LEN (8 <= LEN <= "
			      "24)", where, buf);
		else
			*strchr(g->prefix4, '/') = '\0';
	}
	if (get_int(c, where, "mtu", 1280, 65535, &v) == 1)
		g->mtu = (unsigned)v;
	if (!c->failed)
		t->nsegs++;
}

/* Reads lan{} or segments{} and checks the segments against each other. */
static void
load_segs(struct tctx *c, struct plex_topo *t)
{
	lua_State *L = c->L;
	int has_lan = lua_getfield(L, -1, "lan") != LUA_TNIL, i, j;

	if (has_lan) {
		if (!lua_istable(L, -1))
			tfail(c, "lan: expected a table { prefix = \"fd00:1::/64\", mtu = 1500 }");
		else
			load_seg(c, t, "lan", 1);
	}
	lua_pop(L, 1);
	if (lua_getfield(L, -1, "segments") != LUA_TNIL) {
		lua_Integer n, k;

		if (has_lan) {
			tfail(c, "segments: give either lan = {...} (one segment) or segments = "
			      "{...}, not both");
		} else if (!lua_istable(L, -1) || (n = (lua_Integer)lua_rawlen(L, -1)) < 1) {
			tfail(c, "segments: expected a list of tables { name = ..., prefix = ... }");
		} else {
			for (k = 1; k <= n && !c->failed; k++) {
				char where[32];

				if (t->nsegs >= PLEX_MAX_SEGS) {
					tfail(c, "segments: at most %d", PLEX_MAX_SEGS);
					break;
				}
				snprintf(where, sizeof(where), "segments[%d]", (int)k);
				if (lua_rawgeti(L, -1, k) != LUA_TTABLE)
					tfail(c, "%s: expected a table", where);
				else
					load_seg(c, t, where, 0);
				lua_pop(L, 1);
			}
		}
	} else if (!has_lan) {
		tfail(c, "lan: required: { prefix = \"fd00:1::/64\", mtu = 1500 } (or segments = "
		      "{...})");
	}
	lua_pop(L, 1);
	if (c->failed)
		return;
	t->mtu = t->seg[0].mtu;
	for (i = 0; i < t->nsegs && !c->failed; i++) {
		const struct plex_seg *g = &t->seg[i];

		if (g->prefix4[0])
			t->has_v4 = 1;
		/* A router's Packet Too Big for a packet whose source is a DVIPA
		 * would reach the DVIPA's owner, not the target that sent it. */
		if (g->mtu != t->mtu)
			tfail(c, "segments: %s has MTU %u, %s %u: every segment needs the same MTU "
			      "(a router's Packet Too Big for a DVIPA's packet would go to the "
			      "DVIPA's owner, not to the target that sent it)", t->seg[0].name,
			      t->mtu, g->name, g->mtu);
		for (j = 0; j < i && !c->failed; j++) {
			const struct plex_seg *o = &t->seg[j];
			int l = g->plen < o->plen ? g->plen : o->plen;

			if (in_prefix(g->net, o->net, l) && in_prefix(o->net, g->net, l))
				tfail(c, "segments: %s's prefix %s/%d overlaps %s's %s/%d", g->name,
				      g->prefix, g->plen, o->name, o->prefix, o->plen);
		}
	}
}

static void
load_ospf(struct tctx *c, struct plex_topo *t)
{
	static const char *const keys[] = { "hello_s", "dead_s", "bfd_ms", "bfd_multiplier",
					    NULL };
	struct plex_ospf *o = &t->ospf;
	lua_State *L = c->L;
	long long v;

	o->hello_s = 1;
	o->dead_s = 3;
	o->bfd_ms = 100;
	o->bfd_mult = 3;
	if (lua_getfield(L, -1, "ospf") == LUA_TTABLE) {
		check_keys(c, "ospf", keys);
		if (get_int(c, "ospf", "hello_s", 1, 65535, &v) == 1)
			o->hello_s = (unsigned)v;
		if (get_int(c, "ospf", "dead_s", 1, 65535, &v) == 1)
			o->dead_s = (unsigned)v;
		if (get_int(c, "ospf", "bfd_ms", 0, 60000, &v) == 1)
			o->bfd_ms = (unsigned)v;
		if (get_int(c, "ospf", "bfd_multiplier", 2, 255, &v) == 1)
			o->bfd_mult = (unsigned)v;
		if (o->dead_s <= o->hello_s)
			tfail(c, "ospf.dead_s must be larger than ospf.hello_s");
		if (o->bfd_ms && o->bfd_ms < 10)
			tfail(c, "ospf.bfd_ms: expected 0 (no BFD) or 10..60000");
	} else if (!lua_isnil(L, -1)) {
		tfail(c, "ospf: expected a table { hello_s = 1, dead_s = 3, bfd_ms = 100 }");
	}
	lua_pop(L, 1);
}

/* Routers join the segments into one network; every pair of hosts must be
 * able to reach each other. */
static void
check_routed(struct tctx *c, struct plex_topo *t)
{
	int reach[PLEX_MAX_SEGS] = { 0 }, i, j, changed = 1;

	for (i = 0; i < t->nhosts; i++) {
		const struct plex_host *h = &t->h[i];

		for (j = 0; j < h->nif; j++) {
			struct plex_seg *g = &t->seg[h->ifs[j].seg];

			if (h->is_router) {
				if (g->router < 0)
					g->router = i;
				g->nrouters++;
			} else if (h->is_system) {
				g->nsystems++;
			} else {
				g->nclients++;
			}
		}
		if (h->is_router)
			t->routed = 1;
	}
	if (t->nsegs > 1 && !t->routed) {
		tfail(c, "routers: required: %d segments need routers between them", t->nsegs);
		return;
	}
	/* Segments reachable from the first one, through routers. */
	reach[0] = 1;
	while (changed) {
		changed = 0;
		for (i = 0; i < t->nhosts; i++) {
			const struct plex_host *h = &t->h[i];
			int any = 0;

			if (!h->is_router)
				continue;
			for (j = 0; j < h->nif; j++)
				any |= reach[h->ifs[j].seg];
			for (j = 0; j < h->nif && any; j++)
				if (!reach[h->ifs[j].seg]) {
					reach[h->ifs[j].seg] = 1;
					changed = 1;
				}
		}
	}
	for (i = 0; i < t->nsegs; i++)
		if (!reach[i])
			tfail(c, "segments: %s is not connected to %s by any router", t->seg[i].name,
			      t->seg[0].name);
	for (i = 0; i < t->nsegs && !c->failed; i++)
		if (t->seg[i].nsystems + t->seg[i].nclients + t->seg[i].nrouters == 0)
			tfail(c, "segments: nothing is attached to %s", t->seg[i].name);
}

static void
load_table(struct tctx *c, struct plex_topo *t)
{
	static const char *const top_keys[] = { "sysplex", "lan", "segments", "couple",
						 "client_routes", "systems", "clients", "routers",
						 "ospf", NULL };
	static const char *const couple_keys[] = { "interval_ms", "failure_ms", "lease_ms",
						   "transport", "port", NULL };
	lua_State *L = c->L;
	char buf[PLEX_ADDR_LEN];
	long long v;
	int nsys = 0;

	check_keys(c, "topology", top_keys);
	lib_strlcpy(t->sysplex, "PLEX1", sizeof(t->sysplex));
	if (get_str(c, "topology", "sysplex", t->sysplex, sizeof(t->sysplex)) == 1 &&
	    !valid_hostname(t->sysplex, 8))
		tfail(c, "sysplex: expected 1..8 of A-Z 0-9");
	load_segs(c, t);
	if (c->failed)
		return;

	t->hb_ms = 50;
	t->fail_ms = 250;
	t->lease_ms = 400;
	t->xcf_port = 7000;
	if (lua_getfield(L, -1, "couple") == LUA_TTABLE) {
		check_keys(c, "couple", couple_keys);
		if (get_int(c, "couple", "interval_ms", 1, 60000, &v) == 1)
			t->hb_ms = (unsigned)v;
		if (get_int(c, "couple", "failure_ms", 1, 600000, &v) == 1)
			t->fail_ms = (unsigned)v;
		if (get_int(c, "couple", "lease_ms", 1, 600000, &v) == 1)
			t->lease_ms = (unsigned)v;
		if (t->fail_ms <= t->hb_ms)
			tfail(c, "couple.failure_ms must be larger than couple.interval_ms");
		else if (t->lease_ms < 4 * t->hb_ms)
			tfail(c, "couple.lease_ms must be at least 4 x couple.interval_ms");
		if (get_str(c, "couple", "transport", buf, sizeof(buf)) == 1) {
			if (strcmp(buf, "ipc") == 0)
				t->transport_ipc = 1;
			else if (strcmp(buf, "tcp") != 0)
				tfail(c, "couple.transport: \"%s\": expected \"tcp\" or \"ipc\"", buf);
		}
		if (get_int(c, "couple", "port", 1, 65534, &v) == 1)
			t->xcf_port = (unsigned)v;
	} else if (!lua_isnil(L, -1)) {
		tfail(c, "couple: expected a table");
	}
	lua_pop(L, 1);
	load_ospf(c, t);

	if (lua_getfield(L, -1, "client_routes") == LUA_TTABLE) {
		lua_Integer i, n = (lua_Integer)lua_rawlen(L, -1);

		for (i = 1; i <= n && !c->failed; i++) {
			if (t->nroutes >= PLEX_MAX_ROUTES) {
				tfail(c, "client_routes: at most %d", PLEX_MAX_ROUTES);
				break;
			}
			lua_rawgeti(L, -1, i);
			if (!lua_isstring(L, -1) ||
			    (canon_prefix(AF_INET6, lua_tostring(L, -1), 1, 128,
					  t->routes[t->nroutes], sizeof(t->routes[0]), NULL, NULL) < 0 &&
			     canon_prefix(AF_INET, lua_tostring(L, -1), 1, 32,
					  t->routes[t->nroutes], sizeof(t->routes[0]), NULL, NULL) < 0))
				tfail(c, "client_routes[%d]: expected an IPv6 or IPv4 prefix ADDR/LEN",
				      (int)i);
			else
				t->nroutes++;
			lua_pop(L, 1);
		}
	} else if (!lua_isnil(L, -1)) {
		tfail(c, "client_routes: expected a list of prefixes");
	}
	lua_pop(L, 1);

	load_hosts(c, t, "systems", 1);
	nsys = t->nhosts;
	load_hosts(c, t, "clients", 0);
	load_hosts(c, t, "routers", 2);
	if (c->failed)
		return;
	if (nsys == 0)
		tfail(c, "systems: at least one system is required");
	else if (nsys > 16)
		tfail(c, "systems: at most 16 (the XCF group limit)");
	for (int i = 0; i < t->nhosts && !c->failed; i++)
		for (int k = 0; k < t->h[i].nif; k++)
			for (int j = 0; j <= i && !c->failed; j++)
				for (int l = 0; l < t->h[j].nif; l++) {
					if (j == i && l >= k)
						break;
					if (strcmp(t->h[i].ifs[k].addr, t->h[j].ifs[l].addr) == 0)
						tfail(c, "%s and %s have the same LAN address %s",
						      t->h[j].name, t->h[i].name,
						      t->h[i].ifs[k].addr);
				}
	if (!c->failed)
		check_routed(c, t);
}

int
plex_topo_load(struct plex_topo *t, const char *path, char *err, size_t errlen)
{
	struct tctx c = { .path = path, .err = err, .errlen = errlen };
	lua_State *L;

	memset(t, 0, sizeof(*t));
	if (!realpath(path, t->path)) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	L = luaL_newstate();
	if (!L) {
		snprintf(err, errlen, "%s: cannot create a Lua state", path);
		return -1;
	}
	c.L = L;
	luaL_openlibs(L);
	lua_sethook(L, insn_hook, LUA_MASKCOUNT, TOPO_INSN_LIMIT);
	if (luaL_loadfilex(L, path, "t") != LUA_OK || lua_pcall(L, 0, 1, 0) != LUA_OK) {
		snprintf(err, errlen, "%s", lua_tostring(L, -1) ? lua_tostring(L, -1) : "Lua error");
		lua_close(L);
		return -1;
	}
	lua_sethook(L, NULL, 0, 0);
	if (!lua_istable(L, -1))
		tfail(&c, "the file must return a table (got %s)", luaL_typename(L, -1));
	else
		load_table(&c, t);
	lua_close(L);
	if (c.failed) {
		plex_topo_free(t);
		return -1;
	}
	return 0;
}

void
plex_topo_free(struct plex_topo *t)
{
	int i;

	for (i = 0; i < PLEX_MAX_HOSTS; i++) {
		free(t->h[i].profile);
		t->h[i].profile = NULL;
	}
}

const struct plex_host *
plex_topo_host(const struct plex_topo *t, const char *name)
{
	int i;

	for (i = 0; i < t->nhosts; i++)
		if (strcmp(t->h[i].name, name) == 0)
			return &t->h[i];
	return NULL;
}
