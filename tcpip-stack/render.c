/*
 * render.c - the z/OS text of the stack's operator displays, rendered from
 * their result objects (display.c builds them; docs/CONSOLE.md).  A renderer
 * reads nothing but its object and struct stack_render (the report counter
 * of the headers, DETAIL), so each one is tested alone
 * (tests/unit/test_render.c).
 *
 * Level 0 of tcpip-stack/ (stack.h): calls no other file of the daemon.
 */
#include "tcpip-stack/render.h"

#include <jansson.h>
#include <string.h>
#include <time.h>

#define S(o, k) lib_json_gets((o), (k), "")
#define U(o, k) ((unsigned long long)lib_json_geti((o), (k), 0))
#define B(o, k) lib_json_getb((o), (k))

static const json_t *
rows(const json_t *r, const char *key)
{
	return json_object_get(r, key);
}

/* "EZD0101I NETSTAT CS V2R5 TCPCS n": the next report number. */
static unsigned
next_seq(struct stack_render *ctx)
{
	return ctx && ctx->seq ? ++*ctx->seq : 0;
}

static void
netstat_header(const json_t *r, struct lib_sbuf *o, struct stack_render *ctx)
{
	unsigned seq = next_seq(ctx);

	lib_sbuf_printf(o, "EZD0101I NETSTAT CS V2R5 %s %u\n", S(r, "stack"), seq);
}

static void
records(struct lib_sbuf *o, size_t n, int end)
{
	lib_sbuf_printf(o, "%zu OF %zu RECORDS DISPLAYED\n%s", n, n, end ? "END OF THE REPORT\n" : "");
}

/* The NETSTAT table reports: the numbered header, an optional note, the
 * title, one entry per row of r[key] (row()), the trailer. */
typedef void (*row_fn)(const json_t *e, struct lib_sbuf *o, int detail, int owner);

static void
netstat_table(const json_t *r, struct lib_sbuf *o, struct stack_render *ctx, const char *note,
	      const char *title, const char *key, row_fn row)
{
	int owner = strcmp(S(r, "role"), "distributor") == 0;
	const json_t *e;
	size_t i;

	netstat_header(r, o, ctx);
	lib_sbuf_printf(o, "%s%s\n", note ? note : "", title);
	json_array_foreach(rows(r, key), i, e)
		row(e, o, ctx && ctx->detail, owner);
	records(o, json_array_size(rows(r, key)), 1);
}

static void
vdpt_row(const json_t *e, struct lib_sbuf *o, int detail, int owner)
{
	const char *n = S(e, "destname");
	const json_t *w = json_object_get(e, "wlmsys");

	LIB_UNUSED(owner);
	lib_sbuf_printf(o, "DEST:         %s..%llu\n  DESTXCF:    %s\n", S(e, "dest"), U(e, "port"),
			S(e, "destxcf"));
	lib_sbuf_printf(o, "  TOTALCONN:  %010llu  RDY: %03llu  WLM: %02llu  TSR: %03llu\n",
			U(e, "totalconn"), U(e, "rdy"), U(e, "wlm"), U(e, "tsr"));
	if (detail && S(e, "distmethod")[0])
		lib_sbuf_printf(o, "  DISTMETHOD: %s\n", S(e, "distmethod"));
	lib_sbuf_printf(o, "  FLG: %s\n", S(e, "flg"));
	if (!detail)
		return;
	lib_sbuf_printf(o, "  DESTNAME:   %s\n  ACTCONN:    %010llu\n", n[0] ? n : "-",
			U(e, "actconn"));
	if (w)
		lib_sbuf_printf(o, "  SYSTEM:     CAPACITY %llu  LOAD %03llu%%  SYSWEIGHT %02llu  SEF %03llu\n",
				U(w, "capacity"), U(w, "load"), U(w, "sysweight"), U(w, "sef"));
}

void
stack_render_vdpt(const json_t *r, struct lib_sbuf *o, void *arg)
{
	netstat_table(r, o, arg, NULL, "DYNAMIC VIPA DESTINATION PORT TABLE FOR TCP/IP STACKS:",
		      "vdpt", vdpt_row);
}

/* DETAIL: the bypass, and on the distributor what it forwarded. */
static void
vcrt_row(const json_t *e, struct lib_sbuf *o, int detail, int owner)
{
	lib_sbuf_printf(o, "DEST:         %s..%llu\n  SOURCE:     %s..%llu\n  DESTXCF:    %s\n",
			S(e, "dest"), U(e, "dport"), S(e, "source"), U(e, "sport"), S(e, "destxcf"));
	if (!detail)
		return;
	lib_sbuf_printf(o, "  STATE:      %s\n  BYPASS:     %s", S(e, "state"), S(e, "bypass"));
	if (strcmp(S(e, "bypass"), "BOUND") == 0) {
		long long after = lib_json_geti(e, "bound_after_ms", -1);

		lib_sbuf_printf(o, "  CAREOF: %s", S(e, "careof"));
		if (after >= 0)
			lib_sbuf_printf(o, "  BOUND AFTER: %lld MS", after);
	}
	lib_sbuf_printf(o, "\n");
	if (json_is_string(json_object_get(e, "binding")))
		lib_sbuf_printf(o, "  BINDING:    %s\n",
				strcmp(S(e, "binding"), "HOME") == 0 ? "PER HOME ADDRESS" : "PER CONNECTION");
	if (json_is_string(json_object_get(e, "cn")))
		lib_sbuf_printf(o, "  CLIENT CN:  %s\n", S(e, "cn"));
	if (json_object_get(e, "path"))
		lib_sbuf_printf(o, "  PATH:       %s\n", S(e, "path"));
	if (owner)
		lib_sbuf_printf(o, "  FWDPKTS:    %010llu  FWDBYTES: %llu\n", U(e, "fwdpkts"),
				U(e, "fwdbytes"));
}

void
stack_render_vcrt(const json_t *r, struct lib_sbuf *o, void *arg)
{
	netstat_table(r, o, arg, NULL, "DYNAMIC VIPA CONNECTION ROUTING TABLE:", "vcrt", vcrt_row);
}

static void
vipadyn_row(const json_t *e, struct lib_sbuf *o, int detail, int owner)
{
	const char *ifn = S(e, "intfname");

	LIB_UNUSED(detail);
	LIB_UNUSED(owner);
	lib_sbuf_printf(o, "  INTFNAME: %s\n    IPADDR: %s\n", ifn[0] ? ifn : "-", S(e, "ipaddr"));
	lib_sbuf_printf(o, "    STATUS: %-10s ORIGIN: %-14s DISTSTAT: %s\n", S(e, "status"),
			S(e, "origin"), S(e, "diststat"));
	/* When this stack activated it (owned only). */
	if (json_object_get(e, "acttime_ms")) {
		time_t tt = (time_t)(U(e, "acttime_ms") / 1000);
		struct tm tm;
		char t[32];

		gmtime_r(&tt, &tm);
		strftime(t, sizeof(t), "%m/%d/%Y %H:%M:%S", &tm);
		lib_sbuf_printf(o, "    ACTTIME: %s\n", t);
	}
}

void
stack_render_vipadyn(const json_t *r, struct lib_sbuf *o, void *arg)
{
	char note[128] = "";

	if (!B(r, "member"))
		snprintf(note, sizeof(note), "EZZ8269I %s IS NOT A MEMBER OF A SYSPLEX GROUP: NO "
			 "DYNAMIC VIPA\n", S(r, "stack"));
	netstat_table(r, o, arg, note, "DYNAMIC VIPA:", "vipadyn", vipadyn_row);
}

/* One VIPA DEFINE / BACKUP / RANGE entry: the interface name of an IPv6
 * one, then its address. */
static void
cfg_addr(const json_t *e, struct lib_sbuf *o, int range)
{
	const char *ifn = S(e, "intfname");

	if (ifn[0])
		lib_sbuf_printf(o, "    INTFNAME: %s\n  ", ifn);
	if (range)
		lib_sbuf_printf(o, "    IPADDR/PREFIXLEN: %s/%llu\n", S(e, "ipaddr"), U(e, "prefixlen"));
	else
		lib_sbuf_printf(o, "    IPADDR: %s\n", S(e, "ipaddr"));
}

/* D TCPIP,tcp,NETSTAT,VIPADCFG: the VIPADYNAMIC configuration, z/OS's
 * sections: VIPA BACKUP, VIPA DEFINE, VIPA RANGE, VIPA DISTRIBUTE (one DEST
 * per port and destination). */
void
stack_render_vipadcfg(const json_t *r, struct lib_sbuf *o, void *arg)
{
	const json_t *c = json_object_get(r, "vipadcfg"), *e, *p, *x;
	size_t i, j, k;

	netstat_header(r, o, arg);
	lib_sbuf_printf(o, "DYNAMIC VIPA INFORMATION:\n");
	if (json_array_size(json_object_get(c, "backup")))
		lib_sbuf_printf(o, "  VIPA BACKUP:\n");
	json_array_foreach(json_object_get(c, "backup"), i, e) {
		cfg_addr(e, o, 0);
		lib_sbuf_printf(o, "      RANK: %03llu  MOVEABLE: %s\n", U(e, "rank"), S(e, "moveable"));
	}
	if (json_array_size(json_object_get(c, "define")))
		lib_sbuf_printf(o, "  VIPA DEFINE:\n");
	json_array_foreach(json_object_get(c, "define"), i, e) {
		cfg_addr(e, o, 0);
		lib_sbuf_printf(o, "      MOVEABLE: %s\n", S(e, "moveable"));
	}
	if (json_array_size(json_object_get(c, "range")))
		lib_sbuf_printf(o, "  VIPA RANGE:\n");
	json_array_foreach(json_object_get(c, "range"), i, e) {
		cfg_addr(e, o, 1);
		lib_sbuf_printf(o, "      MOVEABLE: %s%s%s\n", S(e, "moveable"),
				S(e, "saf")[0] ? "  SAF: " : "", S(e, "saf"));
	}
	if (json_array_size(json_object_get(c, "distribute")))
		lib_sbuf_printf(o, "  VIPA DISTRIBUTE:\n");
	json_array_foreach(json_object_get(c, "distribute"), i, e) {
		const json_t *dests = json_object_get(e, "dests");
		size_t nd = json_array_size(dests);
		char aff[24] = "NO";

		if (U(e, "timedaffinity"))
			snprintf(aff, sizeof(aff), "%llu", U(e, "timedaffinity"));
		json_array_foreach(json_object_get(e, "ports"), j, p) {
			for (k = 0; k < (nd ? nd : 1); k++) {
				x = nd ? json_array_get(dests, k) : NULL;
				lib_sbuf_printf(o, "    DEST:        %s..%lld\n      DESTXCF:   %s\n",
						S(e, "ipaddr"), (long long)json_integer_value(p),
						x ? S(x, "destxcf") : "ALL");
				lib_sbuf_printf(o, "      SYSPT:     %s  TIMAFF: %s  FLG: %s%s\n",
						B(e, "sysplexports") ? "YES" : "NO", aff,
						S(e, "distmethod"), B(e, "mobileipv6") ? " MOBILEIPV6" : "");
				if (x && S(x, "srvtype")[0] && U(x, "rank"))
					lib_sbuf_printf(o, "      SRVTYPE:   %s  RANK: %03llu\n",
							S(x, "srvtype"), U(x, "rank"));
				else if (x && S(x, "srvtype")[0])
					lib_sbuf_printf(o, "      SRVTYPE:   %s\n", S(x, "srvtype"));
			}
		}
	}
	lib_sbuf_printf(o, "END OF THE REPORT\n");
}

static void
home_row(const json_t *e, struct lib_sbuf *o, int detail, int owner)
{
	LIB_UNUSED(detail);
	LIB_UNUSED(owner);
	lib_sbuf_printf(o, "LINKNAME:   %s\n  ADDRESS:  %s\n", S(e, "link"), S(e, "address"));
}

void
stack_render_home(const json_t *r, struct lib_sbuf *o, void *arg)
{
	if (json_object_get(r, "error"))
		stack_render_error(r, o, arg);
	else
		netstat_table(r, o, arg, NULL, "HOME ADDRESS LIST:", "home", home_row);
}

static void
conn_row(const json_t *e, struct lib_sbuf *o, int detail, int owner)
{
	LIB_UNUSED(detail);
	LIB_UNUSED(owner);
	lib_sbuf_printf(o, "%-8s %s %s\n  LOCAL SOCKET:   %s..%llu\n  FOREIGN SOCKET: %s..%llu\n",
			S(e, "userid"), S(e, "conn"), S(e, "state"), S(e, "local"), U(e, "lport"),
			S(e, "remote"), U(e, "rport"));
}

void
stack_render_conn(const json_t *r, struct lib_sbuf *o, void *arg)
{
	netstat_table(r, o, arg, NULL, "USER ID  CONN     STATE", "conn", conn_row);
}

/* D TCPIP,tcp,NETSTAT,ROUTE[,DETAIL]: IPv4 routes one line each, IPv6
 * routes a block each (the z/OS layouts); DETAIL adds the metric and the
 * protocol that installed the route. */
void
stack_render_route(const json_t *r, struct lib_sbuf *o, void *arg)
{
	struct stack_render *ctx = arg;
	int detail = ctx && ctx->detail, v6;
	const json_t *e;
	size_t i;

	if (json_object_get(r, "error")) {
		stack_render_error(r, o, arg);
		return;
	}
	netstat_header(r, o, ctx);
	for (v6 = 0; v6 < 2; v6++) {
		const char *fam = v6 ? "ipv6" : "ipv4";

		lib_sbuf_printf(o, v6 ? "IPV6 DESTINATIONS\n" : "IPV4 DESTINATIONS\nDESTINATION"
				"        GATEWAY         FLAGS    REFCNT     INTERFACE\n");
		json_array_foreach(rows(r, "routes"), i, e) {
			if (strcmp(S(e, "family"), fam) != 0)
				continue;
			if (!v6) {
				lib_sbuf_printf(o, "%-18s %-15s %-8s 0000000000 %s\n",
						S(e, "destination"), S(e, "gateway"), S(e, "flags"),
						S(e, "interface"));
				if (detail)
					lib_sbuf_printf(o, "  METRIC: %llu  PROTOCOL: %s  MTU: %llu\n",
							U(e, "metric"), S(e, "protocol"), U(e, "mtu"));
				continue;
			}
			lib_sbuf_printf(o, "DESTIP:   %s\n  GW:     %s\n  INTF:   %-17s REFCNT:  "
					"0000000000\n  FLGS:   %-17s MTU:     %llu\n", S(e, "destination"),
					S(e, "gateway"), S(e, "interface"), S(e, "flags"), U(e, "mtu"));
			if (detail)
				lib_sbuf_printf(o, "  METRIC: %-17llu PROTO:   %s\n", U(e, "metric"),
						S(e, "protocol"));
		}
	}
	records(o, json_array_size(rows(r, "routes")), 1);
}

void
stack_render_config(const json_t *r, struct lib_sbuf *o, void *arg)
{
	const json_t *c = json_object_get(r, "config"), *p = json_object_get(r, "persistence");
	const char *file = S(p, "file");

	netstat_header(r, o, arg);
	lib_sbuf_printf(o, "IPV6 CONFIGURATION TABLE:\n");
	lib_sbuf_printf(o, "  DYNAMICXCF: %s  MOBILEIPV6: %s\n", S(c, "dynamicxcf"),
			B(c, "mobileipv6") ? "YES" : "NO");
	lib_sbuf_printf(o, "  LAN INTERFACE: %s  MTU: %llu  TUN INTERFACE: %s\n", S(c, "lan"),
			U(c, "lan_mtu"), S(c, "tun"));
	if (json_object_get(c, "datapath")) {
		lib_sbuf_printf(o, "  DATAPATH: %s", S(c, "datapath"));
		if (S(c, "datapath_attach")[0])
			lib_sbuf_printf(o, " (%s ON %s)", S(c, "datapath_attach"), S(c, "lan"));
		if (S(c, "datapath_reason")[0])
			lib_sbuf_printf(o, " (%s)", S(c, "datapath_reason"));
		lib_sbuf_printf(o, "\n");
	}
	if (json_is_string(json_object_get(c, "dynamicxcf4")))
		lib_sbuf_printf(o, "IPV4 CONFIGURATION TABLE:\n  DYNAMICXCF: %s  (IPV4 DVIPAS: ALWAYS "
				"ROUTED, GRE TO THE TARGETS)\n", S(c, "dynamicxcf4"));
	lib_sbuf_printf(o, "SYSPLEX CONFIGURATION:\n");
	lib_sbuf_printf(o, "  GROUP: %s  MEMBER: %s  MVSNAME: %s\n", S(c, "group"), S(c, "member"),
			S(r, "system"));
	lib_sbuf_printf(o, "PERSISTENCE (VCRT AND VDPT STORE):\n");
	lib_sbuf_printf(o, "  STATUS: %s\n", S(p, "status"));
	lib_sbuf_printf(o, "  FILE: %s\n", file[0] ? file : "-");
	if (S(p, "disabled_reason")[0])
		lib_sbuf_printf(o, "  NOT WRITTEN: %s\n", S(p, "disabled_reason"));
	if (S(p, "moved_to")[0]) {
		lib_sbuf_printf(o, "  UNUSABLE FILE MOVED TO: %s\n", S(p, "moved_to"));
		lib_sbuf_printf(o, "    BECAUSE: %s\n", S(p, "moved_reason"));
	}
	lib_sbuf_printf(o, "  ROWS WRITTEN: %llu  FLUSHES: %llu  ERRORS: %llu  RECREATED: %llu  "
			"MOVED ASIDE: %llu\n", U(p, "written"), U(p, "flushes"), U(p, "errors"),
			U(p, "recreated"), U(p, "moved_aside"));
	lib_sbuf_printf(o, "END OF THE REPORT\n");
}

void
stack_render_sysplex_vipadyn(const json_t *r, struct lib_sbuf *o, void *arg)
{
	const char *last = NULL;
	const json_t *e;
	size_t i;

	lib_sbuf_printf(o, "EZZ8260I SYSPLEX CS V2R5 %u\nVIPA DYNAMIC DISPLAY FROM %s AT %s\n",
			next_seq(arg), S(r, "stack"), S(r, "system"));
	if (!B(r, "member"))
		lib_sbuf_printf(o, "EZZ8269I %s IS NOT A MEMBER OF A SYSPLEX GROUP\n", S(r, "stack"));
	/* The rows of one DVIPA follow each other: one heading per DVIPA. */
	json_array_foreach(rows(r, "sysplex_vipadyn"), i, e) {
		const char *ip = S(e, "ipaddr");
		unsigned long long rank = U(e, "rank");
		char rk[24] = "";

		if (!last || strcmp(last, ip) != 0) {
			const char *org = S(e, "origin");

			lib_sbuf_printf(o, "IPADDR: %s\n", ip);
			if (org[0])
				lib_sbuf_printf(o, "  ORIGIN: %s\n", org);
			lib_sbuf_printf(o, "  TCPNAME  MVSNAME  STATUS      RANK DIST\n"
					"  -------- -------- ----------- ---- ----\n");
		}
		last = ip;
		if (rank)
			snprintf(rk, sizeof(rk), "%03llu", rank);
		lib_sbuf_printf(o, "  %-8s %-8s %-11s %-4s %s\n", S(e, "tcpname"), S(e, "mvsname"),
				S(e, "status"), rk, S(e, "dist"));
	}
	records(o, json_array_size(rows(r, "sysplex_vipadyn")), 0);
}

/* D TCPIP,,SYSPLEX,PORTS: per SYSPLEXPORTS DVIPA we own, each target's
 * ephemeral port ranges; then the ports this stack was given. */
void
stack_render_sysplex_ports(const json_t *r, struct lib_sbuf *o, void *arg)
{
	const json_t *e, *g, *l = json_object_get(r, "local");
	const char *last = NULL;
	size_t i, j;

	lib_sbuf_printf(o, "EZZ8260I SYSPLEX CS V2R5 %u\nSYSPLEX PORTS DISPLAY FROM %s AT %s\n",
			next_seq(arg), S(r, "stack"), S(r, "system"));
	json_array_foreach(rows(r, "ports"), i, e) {
		const char *ip = S(e, "dvipa");
		const char *n = S(e, "destname");

		if (!last || strcmp(last, ip) != 0)
			lib_sbuf_printf(o, "DVIPA: %s\n  DESTNAME         DESTXCF                  BLOCKS PORTS\n"
					"  ---------------- ------------------------ ------ -----------\n", ip);
		last = ip;
		lib_sbuf_printf(o, "  %-16s %-24s %6llu", n[0] ? n : "-", S(e, "destxcf"),
				U(e, "blocks"));
		json_array_foreach(json_object_get(e, "ranges"), j, g)
			lib_sbuf_printf(o, " %llu-%llu", U(g, "first"), U(g, "last"));
		lib_sbuf_printf(o, "\n");
	}
	if (l && U(l, "last"))
		lib_sbuf_printf(o, "LOCAL EPHEMERAL PORTS FOR %s: %llu-%llu (FROM %s)\n", S(l, "dvipa"),
				U(l, "first"), U(l, "last"), S(l, "from"));
	else if (l)
		lib_sbuf_printf(o, "LOCAL EPHEMERAL PORTS FOR %s: REQUESTED\n", S(l, "dvipa"));
	records(o, json_array_size(rows(r, "ports")), 0);
}

/* D TCPIP,,SYSPLEX,GROUP, or with STACK_RENDER_XCF D XCF,GROUP,EZBTCPCS (the
 * same object as XCF shows it). */
void
stack_render_group(const json_t *r, struct lib_sbuf *o, void *arg)
{
	struct stack_render *ctx = arg;
	int xcf = ctx && ctx->detail == STACK_RENDER_XCF;
	const json_t *e;
	size_t i;

	if (xcf)
		lib_sbuf_printf(o, "IXC333I  DISPLAY XCF\nINFORMATION FOR GROUP %s\n"
				"    MEMBER NAME:     SYSTEM:   STATUS:\n", S(r, "group"));
	else
		lib_sbuf_printf(o, "EZZ8270I SYSPLEX CS V2R5 %u\nSYSPLEX GROUP %s SEEN FROM %s AT %s\n"
				"  MEMBER           MVSNAME  TCPNAME  STATUS\n", next_seq(ctx),
				S(r, "group"), S(r, "stack"), S(r, "system"));
	json_array_foreach(rows(r, "members"), i, e) {
		const char *doubt = B(e, "in_doubt") ? " (IN DOUBT)" : "";

		if (xcf)
			lib_sbuf_printf(o, "    %-16s %-9s %s%s\n", S(e, "member"), S(e, "mvsname"),
					S(e, "status"), doubt);
		else
			lib_sbuf_printf(o, "  %-16s %-8s %-8s %s%s\n", S(e, "member"), S(e, "mvsname"),
					S(e, "tcpname"), S(e, "status"), doubt);
	}
	if (!xcf)
		records(o, json_array_size(rows(r, "members")), 0);
}

void
stack_render_xcf_groups(const json_t *r, struct lib_sbuf *o, void *arg)
{
	const json_t *e;
	size_t i;

	LIB_UNUSED(arg);
	lib_sbuf_printf(o, "IXC331I  DISPLAY XCF\nGROUPS(SIZE):");
	json_array_foreach(rows(r, "groups"), i, e)
		lib_sbuf_printf(o, "  %s(%llu)", S(e, "name"), U(e, "members"));
	lib_sbuf_printf(o, "\n");
}

void
stack_render_couple(const json_t *r, struct lib_sbuf *o, void *arg)
{
	const json_t *self = json_object_get(r, "self"), *e;
	int reachable = B(r, "reachable");
	size_t i;

	LIB_UNUSED(arg);
	if (json_object_get(r, "error") && !json_object_get(r, "cds")) {
		lib_sbuf_printf(o, "IXC357I  DISPLAY XCF\nNO COUPLE DATA SET\n");
		return;
	}
	lib_sbuf_printf(o, "IXC357I  DISPLAY XCF\nSYSPLEX %s COUPLE DATA SET AS SEEN FROM %s\n"
			"  DSN: %s\n  INTERVAL: %llu MS  FAILURE: %llu MS  LEASE: %llu MS  ISOLATE: %llu MS\n",
			S(r, "sysplex"), S(r, "system"), S(r, "cds"), U(r, "interval_ms"),
			U(r, "failure_ms"), U(r, "lease_ms"), U(r, "isolate_ms"));
	lib_sbuf_printf(o, "  %s: %s, LEASE %llu MS LEFT, LAST READ %llu MS AGO%s%s\n"
			"  LEASE LAPSES: %llu  SLOWEST STATUS UPDATE: %llu MS\n", S(r, "system"),
			S(self, "status"), U(self, "lease_left_ms"), U(r, "read_age_ms"),
			reachable ? "" : ", NOT REACHABLE: ", reachable ? "" : S(r, "error"),
			U(self, "lease_lapses"), U(self, "update_ms_max"));
	lib_sbuf_printf(o, "  SYSTEM   STATUS       INCARNATION           BEAT  UNCHANGED WEIGHT "
			"PARTITIONED BY\n");
	json_array_foreach(rows(r, "slots"), i, e) {
		char by[80] = "";

		if (U(e, "pill_incarnation"))
			snprintf(by, sizeof(by), "%s (%s)", S(e, "partitioned_by"), S(e, "reason"));
		lib_sbuf_printf(o, "  %-8s %-12s %-19llu %6llu %7llu MS %6llu %s%s\n", S(e, "system"),
				S(e, "status"), U(e, "incarnation"), U(e, "beat"), U(e, "unchanged_ms"),
				U(e, "weight"), by, B(e, "in_doubt") ? " IN DOUBT" : "");
	}
	records(o, json_array_size(rows(r, "slots")), 0);
}

/* An answer that is only {"error": why}: the reason, one line. */
void
stack_render_error(const json_t *r, struct lib_sbuf *o, void *arg)
{
	LIB_UNUSED(arg);
	lib_sbuf_printf(o, "%s\n", S(r, "error"));
}

void
stack_render_mip6(const json_t *r, struct lib_sbuf *o, void *arg)
{
	const json_t *e;
	size_t i;

	LIB_UNUSED(arg);
	lib_sbuf_printf(o, "MIP6 CORRESPONDENT NODES KNOWN TO %s:\n", S(r, "system"));
	json_array_foreach(rows(r, "clients"), i, e)
		lib_sbuf_printf(o, "  CLIENT: %s  CN: %s\n", S(e, "client"), S(e, "cn"));
	lib_sbuf_printf(o, "PER-HOME-ADDRESS BINDINGS:\n");
	json_array_foreach(rows(r, "homes"), i, e)
		lib_sbuf_printf(o, "  CLIENT: %s  HOME: %s  CAREOF: %s  STATE: %s  CONNS: %llu  SEQ: %llu\n",
				S(e, "client"), S(e, "dvipa"), S(e, "careof"), S(e, "state"), U(e, "conns"),
				U(e, "seq"));
}

void
stack_render_role(const json_t *r, struct lib_sbuf *o, void *arg)
{
	const json_t *e;
	size_t i;

	LIB_UNUSED(arg);
	json_array_foreach(rows(r, "dvipas"), i, e) {
		lib_sbuf_printf(o, "%s %s %s", S(e, "dvipa"), S(e, "status"), S(e, "dist"));
		if (json_object_get(e, "since_ms"))
			lib_sbuf_printf(o, " SINCE=%llu NOW=%llu", U(e, "since_ms"), U(e, "now_ms"));
		lib_sbuf_printf(o, "\n");
	}
}

#undef S
#undef U
#undef B
