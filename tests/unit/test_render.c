/*
 * test_render.c - proves the text renderers of the operator displays: each
 * turns a result object (JSON in docs/CONSOLE.md's shapes) into exactly the
 * z/OS text the display shows, reading nothing but that object:
 *  - the stack's (tcpip-stack/render.c): NETSTAT reports with their numbered
 *    header (the counter goes up once per report) and trailer, DETAIL lines
 *    only with DETAIL, FWDPKTS only on the distributor, WLM capped at 99,
 *    ACTTIME only for an owned DVIPA, one heading per DVIPA in the SYSPLEX
 *    display, XCF and couple data set displays (with and without a CDS),
 *    SYSPLEX$ROLE's lines with SINCE/NOW only for an owned DVIPA; ROUTE's
 *    IPv4 lines before its IPv6 blocks, METRIC/PROTO only with DETAIL;
 *  - the client agent's SHOW (client-agent/actl.c);
 *  - names with quotes or odd bytes reach the text as the object holds them.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tcpip-stack/render.c"
#include "client-agent/actl.c"

/* actl.c's commands call into the agent; SHOW's renderer does not. */
int
agent_link(struct agent *a, int loss_pct, unsigned delay_ms)
{
	(void)a;
	(void)loss_pct;
	(void)delay_ms;
	return 0;
}

/* ...and into its kernel fast path, which SHOW's renderer does not either. */
int
agent_fast_link(struct agent *a, int loss_pct, unsigned delay_ms)
{
	return agent_link(a, loss_pct, delay_ms);
}

int
agent_fast_active(const struct agent *a)
{
	(void)a;
	return 0;
}

const char *
agent_fast_datapath(const struct agent *a)
{
	(void)a;
	return "TUN";
}

int
agent_fast_sync_conn(struct agent *a, struct agent_conn_binding *c)
{
	(void)a;
	(void)c;
	return 0;
}

void
agent_fast_sync_home(struct agent *a, struct agent_home_binding *b)
{
	(void)a;
	(void)b;
}

json_t *
agent_fast_show(struct agent *a)
{
	(void)a;
	return json_object();
}

/* Renders json with fn and compares with want. */
static void
check(lib_ctl_render_cb fn, const char *json, struct stack_render *ctx, const char *want)
{
	struct lib_sbuf o = { 0 };
	json_error_t e;
	json_t *r = json_loads(json, 0, &e);

	if (!r)
		fail_msg("bad test JSON: %s: %s", e.text, json);
	fn(r, &o, ctx);
	json_decref(r);
	assert_non_null(o.s);
	if (strcmp(o.s, want) != 0)
		fail_msg("rendered:\n%s\nwanted:\n%s", o.s, want);
	lib_sbuf_free(&o);
}

static void
test_vdpt(void **state)
{
	unsigned seq = 6;
	struct stack_render plain = { &seq, 0 }, detail = { &seq, 1 };
	static const char obj[] =
		"{\"system\":\"SYSA\",\"stack\":\"TCPCS\",\"vdpt\":["
		"{\"dest\":\"fd00:100::1\",\"port\":8080,\"destxcf\":\"fd00:10::1\",\"destname\":\"SYSATCPCS\","
		"\"rdy\":1,\"totalconn\":12,\"actconn\":3,\"weight\":150,\"quiesced\":true,"
		"\"wlm\":21,\"tsr\":87,\"flg\":\"BQ\",\"distmethod\":\"BASEWLM\","
		"\"wlmsys\":{\"capacity\":100,\"load\":0,\"sysweight\":21,\"sef\":100}},"
		"{\"dest\":\"fd00:100::1\",\"port\":8080,\"destxcf\":\"fd00:10::2\",\"destname\":\"\","
		"\"rdy\":0,\"totalconn\":4294967295,\"actconn\":0,\"weight\":1,\"quiesced\":false,"
		"\"wlm\":0,\"tsr\":100,\"flg\":\"B\",\"distmethod\":\"BASEWLM\"}],"
		"\"records\":2}";

	(void)state;
	check(stack_render_vdpt, obj, &plain,
	      "EZD0101I NETSTAT CS V2R5 TCPCS 7\n"
	      "DYNAMIC VIPA DESTINATION PORT TABLE FOR TCP/IP STACKS:\n"
	      "DEST:         fd00:100::1..8080\n"
	      "  DESTXCF:    fd00:10::1\n"
	      "  TOTALCONN:  0000000012  RDY: 001  WLM: 21  TSR: 087\n"
	      "  FLG: BQ\n"
	      "DEST:         fd00:100::1..8080\n"
	      "  DESTXCF:    fd00:10::2\n"
	      "  TOTALCONN:  4294967295  RDY: 000  WLM: 00  TSR: 100\n"
	      "  FLG: B\n"
	      "2 OF 2 RECORDS DISPLAYED\nEND OF THE REPORT\n");
	check(stack_render_vdpt, obj, &detail,
	      "EZD0101I NETSTAT CS V2R5 TCPCS 8\n"
	      "DYNAMIC VIPA DESTINATION PORT TABLE FOR TCP/IP STACKS:\n"
	      "DEST:         fd00:100::1..8080\n"
	      "  DESTXCF:    fd00:10::1\n"
	      "  TOTALCONN:  0000000012  RDY: 001  WLM: 21  TSR: 087\n"
	      "  DISTMETHOD: BASEWLM\n"
	      "  FLG: BQ\n"
	      "  DESTNAME:   SYSATCPCS\n"
	      "  ACTCONN:    0000000003\n"
	      "  SYSTEM:     CAPACITY 100  LOAD 000%  SYSWEIGHT 21  SEF 100\n"
	      "DEST:         fd00:100::1..8080\n"
	      "  DESTXCF:    fd00:10::2\n"
	      "  TOTALCONN:  4294967295  RDY: 000  WLM: 00  TSR: 100\n"
	      "  DISTMETHOD: BASEWLM\n"
	      "  FLG: B\n"
	      "  DESTNAME:   -\n"
	      "  ACTCONN:    0000000000\n"
	      "2 OF 2 RECORDS DISPLAYED\nEND OF THE REPORT\n");
	assert_int_equal(seq, 8);
}

static const char vcrt_rows[] =
	"\"vcrt\":[{\"dest\":\"fd00:100::1\",\"dport\":8080,\"source\":\"fd00:1::101\",\"sport\":40000,"
	"\"destxcf\":\"fd00:10::3\",\"state\":\"ESTABLISHED\",\"bypass\":\"BOUND\",\"binding\":\"HOME\","
	"\"cn\":\"STANDARD\",\"careof\":\"fd00:10::3\","
	"\"path\":\"BPF\",\"fwdpkts\":11,\"fwdbytes\":9007199254740993,\"bound_after_ms\":42},"
	"{\"dest\":\"fd00:100::1\",\"dport\":8080,\"source\":\"fd00:1::102\",\"sport\":40001,"
	"\"destxcf\":\"fd00:10::2\",\"state\":\"SYN-RECEIVED\",\"bypass\":\"NONE\",\"cn\":\"UNKNOWN\",\"careof\":null,"
	"\"path\":\"TUN\",\"fwdpkts\":0,\"fwdbytes\":0,\"bound_after_ms\":-1}],\"records\":2}";

/* The DETAIL text of vcrt_rows; fwd: with the distributor's counters. */
static void
vcrt_detail(char *buf, size_t len, const char *stack, unsigned seq, int fwd)
{
	snprintf(buf, len,
		 "EZD0101I NETSTAT CS V2R5 %s %u\n"
		 "DYNAMIC VIPA CONNECTION ROUTING TABLE:\n"
		 "DEST:         fd00:100::1..8080\n  SOURCE:     fd00:1::101..40000\n"
		 "  DESTXCF:    fd00:10::3\n  STATE:      ESTABLISHED\n"
		 "  BYPASS:     BOUND  CAREOF: fd00:10::3  BOUND AFTER: 42 MS\n"
		 "  BINDING:    PER HOME ADDRESS\n  CLIENT CN:  STANDARD\n  PATH:       BPF\n%s"
		 "DEST:         fd00:100::1..8080\n  SOURCE:     fd00:1::102..40001\n"
		 "  DESTXCF:    fd00:10::2\n  STATE:      SYN-RECEIVED\n  BYPASS:     NONE\n"
		 "  CLIENT CN:  UNKNOWN\n  PATH:       TUN\n%s"
		 "2 OF 2 RECORDS DISPLAYED\nEND OF THE REPORT\n", stack, seq,
		 fwd ? "  FWDPKTS:    0000000011  FWDBYTES: 9007199254740993\n" : "",
		 fwd ? "  FWDPKTS:    0000000000  FWDBYTES: 0\n" : "");
}

static void
test_vcrt(void **state)
{
	unsigned seq = 0;
	struct stack_render plain = { &seq, 0 }, detail = { &seq, 1 };
	char obj[1200], want[1200];

	(void)state;
	snprintf(obj, sizeof(obj), "{\"system\":\"SYSA\",\"stack\":\"TCPCS\",\"role\":\"distributor\",%s",
		 vcrt_rows);
	check(stack_render_vcrt, obj, &plain,
	      "EZD0101I NETSTAT CS V2R5 TCPCS 1\n"
	      "DYNAMIC VIPA CONNECTION ROUTING TABLE:\n"
	      "DEST:         fd00:100::1..8080\n"
	      "  SOURCE:     fd00:1::101..40000\n"
	      "  DESTXCF:    fd00:10::3\n"
	      "DEST:         fd00:100::1..8080\n"
	      "  SOURCE:     fd00:1::102..40001\n"
	      "  DESTXCF:    fd00:10::2\n"
	      "2 OF 2 RECORDS DISPLAYED\nEND OF THE REPORT\n");
	vcrt_detail(want, sizeof(want), "TCPCS", 2, 1);
	check(stack_render_vcrt, obj, &detail, want);
	/* A target: no forwarding counters. */
	snprintf(obj, sizeof(obj), "{\"system\":\"SYSB\",\"stack\":\"TCPB\",\"role\":\"target\",%s",
		 vcrt_rows);
	vcrt_detail(want, sizeof(want), "TCPB", 3, 0);
	check(stack_render_vcrt, obj, &detail, want);
}

static void
test_vipadyn_and_cfg(void **state)
{
	unsigned seq = 41;
	struct stack_render ctx = { &seq, 0 };

	(void)state;
	check(stack_render_vipadyn,
	      "{\"system\":\"SYSA\",\"stack\":\"TCPCS\",\"member\":true,\"vipadyn\":["
	      "{\"ipaddr\":\"fd00:100::1\",\"intfname\":\"DVIPA1\",\"status\":\"ACTIVE\",\"origin\":\"VIPADEFINE\","
	      "\"diststat\":\"DIST/DEST\",\"rank\":0,\"owner\":\"SYSATCPCS\",\"acttime_ms\":86401000},"
	      "{\"ipaddr\":\"fd00:100::2\",\"intfname\":\"\",\"status\":\"BACKUP\",\"origin\":\"VIPABACKUP\","
	      "\"diststat\":\"\",\"rank\":100,\"owner\":\"\"}],\"records\":2}", &ctx,
	      "EZD0101I NETSTAT CS V2R5 TCPCS 42\n"
	      "DYNAMIC VIPA:\n"
	      "  INTFNAME: DVIPA1\n"
	      "    IPADDR: fd00:100::1\n"
	      "    STATUS: ACTIVE     ORIGIN: VIPADEFINE     DISTSTAT: DIST/DEST\n"
	      "    ACTTIME: 01/02/1970 00:00:01\n"
	      "  INTFNAME: -\n"
	      "    IPADDR: fd00:100::2\n"
	      "    STATUS: BACKUP     ORIGIN: VIPABACKUP     DISTSTAT: \n"
	      "2 OF 2 RECORDS DISPLAYED\nEND OF THE REPORT\n");
	check(stack_render_vipadyn,
	      "{\"system\":\"SYSA\",\"stack\":\"TCPCS\",\"member\":false,\"vipadyn\":[],\"records\":0}", &ctx,
	      "EZD0101I NETSTAT CS V2R5 TCPCS 43\n"
	      "EZZ8269I TCPCS IS NOT A MEMBER OF A SYSPLEX GROUP: NO DYNAMIC VIPA\n"
	      "DYNAMIC VIPA:\n"
	      "0 OF 0 RECORDS DISPLAYED\nEND OF THE REPORT\n");
	check(stack_render_vipadcfg,
	      "{\"system\":\"SYSA\",\"stack\":\"TCPCS\",\"vipadcfg\":{\"define\":["
	      "{\"intfname\":\"DVIPA1\",\"ipaddr\":\"fd00:100::1\",\"moveable\":\"IMMEDIATE\"}],"
	      "\"backup\":[{\"intfname\":\"\",\"ipaddr\":\"10.1.1.2\",\"rank\":100,\"moveable\":\"WHENIDLE\"}],"
	      "\"range\":[{\"intfname\":\"APPL6\",\"ipaddr\":\"fd00:200::\",\"prefixlen\":64,"
	      "\"moveable\":\"NONDISRUPTIVE\",\"saf\":\"\"}],"
	      "\"distribute\":[{\"ipaddr\":\"fd00:100::1\",\"ports\":[8080],\"destxcf\":\"ALL\",\"dests\":[],"
	      "\"distmethod\":\"BASEWLM\",\"mobileipv6\":true,\"timedaffinity\":0,\"sysplexports\":false},"
	      "{\"ipaddr\":\"fd00:100::1\",\"ports\":[8081],\"destxcf\":[\"fd00:10::2\",\"fd00:10::3\"],"
	      "\"dests\":[{\"destxcf\":\"fd00:10::2\",\"weight\":1,\"srvtype\":\"PREFERRED\",\"rank\":0},"
	      "{\"destxcf\":\"fd00:10::3\",\"weight\":1,\"srvtype\":\"BACKUP\",\"rank\":50}],"
	      "\"distmethod\":\"HOTSTANDBY\",\"mobileipv6\":false,\"timedaffinity\":30,\"sysplexports\":true,"
	      "\"autoswitchback\":true,\"healthswitch\":true}]},"
	      "\"profile\":\"VIPADYNAMIC\\nENDVIPADYNAMIC\\n\"}", &ctx,
	      "EZD0101I NETSTAT CS V2R5 TCPCS 44\n"
	      "DYNAMIC VIPA INFORMATION:\n"
	      "  VIPA BACKUP:\n"
	      "    IPADDR: 10.1.1.2\n"
	      "      RANK: 100  MOVEABLE: WHENIDLE\n"
	      "  VIPA DEFINE:\n"
	      "    INTFNAME: DVIPA1\n"
	      "      IPADDR: fd00:100::1\n"
	      "      MOVEABLE: IMMEDIATE\n"
	      "  VIPA RANGE:\n"
	      "    INTFNAME: APPL6\n"
	      "      IPADDR/PREFIXLEN: fd00:200::/64\n"
	      "      MOVEABLE: NONDISRUPTIVE\n"
	      "  VIPA DISTRIBUTE:\n"
	      "    DEST:        fd00:100::1..8080\n"
	      "      DESTXCF:   ALL\n"
	      "      SYSPT:     NO  TIMAFF: NO  FLG: BASEWLM MOBILEIPV6\n"
	      "    DEST:        fd00:100::1..8081\n"
	      "      DESTXCF:   fd00:10::2\n"
	      "      SYSPT:     YES  TIMAFF: 30  FLG: HOTSTANDBY\n"
	      "      SRVTYPE:   PREFERRED\n"
	      "    DEST:        fd00:100::1..8081\n"
	      "      DESTXCF:   fd00:10::3\n"
	      "      SYSPT:     YES  TIMAFF: 30  FLG: HOTSTANDBY\n"
	      "      SRVTYPE:   BACKUP  RANK: 050\n"
	      "END OF THE REPORT\n");
}

static void
test_home_conn_config(void **state)
{
	unsigned seq = 0;
	struct stack_render ctx = { &seq, 0 };

	(void)state;
	check(stack_render_home,
	      "{\"system\":\"SYSA\",\"stack\":\"TCPCS\",\"home\":[{\"address\":\"fd00:1::1\",\"link\":\"lan0\"}],"
	      "\"records\":1}", &ctx,
	      "EZD0101I NETSTAT CS V2R5 TCPCS 1\n"
	      "HOME ADDRESS LIST:\n"
	      "LINKNAME:   lan0\n  ADDRESS:  fd00:1::1\n"
	      "1 OF 1 RECORDS DISPLAYED\nEND OF THE REPORT\n");
	check(stack_render_home, "{\"error\":\"getifaddrs failed\"}", &ctx, "getifaddrs failed\n");
	check(stack_render_conn,
	      "{\"system\":\"SYSA\",\"stack\":\"TCPCS\",\"conn\":[{\"userid\":\"SYSPLEXH\",\"conn\":\"0001E240\","
	      "\"local\":\"::\",\"lport\":8080,\"remote\":\"::\",\"rport\":0,\"state\":\"LISTEN\"}],"
	      "\"records\":1}", &ctx,
	      "EZD0101I NETSTAT CS V2R5 TCPCS 2\n"
	      "USER ID  CONN     STATE\n"
	      "SYSPLEXH 0001E240 LISTEN\n  LOCAL SOCKET:   ::..8080\n  FOREIGN SOCKET: ::..0\n"
	      "1 OF 1 RECORDS DISPLAYED\nEND OF THE REPORT\n");
	check(stack_render_config,
	      "{\"system\":\"SYSA\",\"stack\":\"TCPCS\",\"config\":{\"member\":\"SYSATCPCS\",\"group\":\"EZBTCPCS\","
	      "\"dynamicxcf\":\"fd00:10::1\",\"mobileipv6\":false,\"lan\":\"lan0\",\"lan_mtu\":1500,\"tun\":\"tcpip0\","
	      "\"datapath\":\"BPF\",\"datapath_attach\":\"tcx\",\"datapath_reason\":null},"
	      "\"persistence\":{\"status\":\"DISABLED\",\"file\":null,\"disabled_reason\":\"read-only\","
	      "\"moved_to\":\"/x.bad\",\"moved_reason\":\"not a database\",\"moved_aside\":1,\"recreated\":2,"
	      "\"written\":3,\"flushes\":4,\"errors\":5}}", &ctx,
	      "EZD0101I NETSTAT CS V2R5 TCPCS 3\n"
	      "IPV6 CONFIGURATION TABLE:\n"
	      "  DYNAMICXCF: fd00:10::1  MOBILEIPV6: NO\n"
	      "  LAN INTERFACE: lan0  MTU: 1500  TUN INTERFACE: tcpip0\n"
	      "  DATAPATH: BPF (tcx ON lan0)\n"
	      "SYSPLEX CONFIGURATION:\n"
	      "  GROUP: EZBTCPCS  MEMBER: SYSATCPCS  MVSNAME: SYSA\n"
	      "PERSISTENCE (VCRT AND VDPT STORE):\n"
	      "  STATUS: DISABLED\n"
	      "  FILE: -\n"
	      "  NOT WRITTEN: read-only\n"
	      "  UNUSABLE FILE MOVED TO: /x.bad\n"
	      "    BECAUSE: not a database\n"
	      "  ROWS WRITTEN: 3  FLUSHES: 4  ERRORS: 5  RECREATED: 2  MOVED ASIDE: 1\n"
	      "END OF THE REPORT\n");
	/* A stack with IPCONFIG DYNAMICXCF: the IPv4 table too. */
	check(stack_render_config,
	      "{\"system\":\"SYSA\",\"stack\":\"TCPCS\",\"config\":{\"member\":\"SYSATCPCS\",\"group\":\"EZBTCPCS\","
	      "\"dynamicxcf\":\"fd00:10::1\",\"dynamicxcf4\":\"10.10.0.1\",\"mobileipv6\":true,\"lan\":\"lan0\","
	      "\"lan_mtu\":1500,\"tun\":\"tcpip0\"},"
	      "\"persistence\":{\"status\":\"ACTIVE\",\"file\":\"/s.db\",\"disabled_reason\":null,"
	      "\"moved_to\":null,\"moved_reason\":null,\"moved_aside\":0,\"recreated\":0,"
	      "\"written\":3,\"flushes\":4,\"errors\":0}}", &ctx,
	      "EZD0101I NETSTAT CS V2R5 TCPCS 4\n"
	      "IPV6 CONFIGURATION TABLE:\n"
	      "  DYNAMICXCF: fd00:10::1  MOBILEIPV6: YES\n"
	      "  LAN INTERFACE: lan0  MTU: 1500  TUN INTERFACE: tcpip0\n"
	      "IPV4 CONFIGURATION TABLE:\n"
	      "  DYNAMICXCF: 10.10.0.1  (IPV4 DVIPAS: ALWAYS ROUTED, GRE TO THE TARGETS)\n"
	      "SYSPLEX CONFIGURATION:\n"
	      "  GROUP: EZBTCPCS  MEMBER: SYSATCPCS  MVSNAME: SYSA\n"
	      "PERSISTENCE (VCRT AND VDPT STORE):\n"
	      "  STATUS: ACTIVE\n"
	      "  FILE: /s.db\n"
	      "  ROWS WRITTEN: 3  FLUSHES: 4  ERRORS: 0  RECREATED: 0  MOVED ASIDE: 0\n"
	      "END OF THE REPORT\n");
}

/* ROUTE: IPv4 first, one line each, then IPv6 blocks whatever the order of
 * the rows; METRIC/PROTO only with DETAIL; an error is its reason. */
static void
test_route(void **state)
{
	unsigned seq = 0;
	struct stack_render plain = { &seq, 0 }, detail = { &seq, 1 };
	static const char obj[] =
		"{\"system\":\"SYSB\",\"stack\":\"TCPCS\",\"routes\":["
		"{\"family\":\"ipv6\",\"destination\":\"fd00:100::1/128\",\"gateway\":\"fe80::1\","
		"\"interface\":\"lan0\",\"flags\":\"UGHO\",\"mtu\":1500,\"metric\":20,\"protocol\":\"ospf\"},"
		"{\"family\":\"ipv4\",\"destination\":\"DEFAULT\",\"gateway\":\"10.2.0.254\","
		"\"interface\":\"lan0\",\"flags\":\"UGS\",\"mtu\":1500,\"metric\":0,\"protocol\":\"static\"}],"
		"\"records\":2}";

	(void)state;
	check(stack_render_route, obj, &plain,
	      "EZD0101I NETSTAT CS V2R5 TCPCS 1\n"
	      "IPV4 DESTINATIONS\n"
	      "DESTINATION        GATEWAY         FLAGS    REFCNT     INTERFACE\n"
	      "DEFAULT            10.2.0.254      UGS      0000000000 lan0\n"
	      "IPV6 DESTINATIONS\n"
	      "DESTIP:   fd00:100::1/128\n"
	      "  GW:     fe80::1\n"
	      "  INTF:   lan0              REFCNT:  0000000000\n"
	      "  FLGS:   UGHO              MTU:     1500\n"
	      "2 OF 2 RECORDS DISPLAYED\nEND OF THE REPORT\n");
	check(stack_render_route, obj, &detail,
	      "EZD0101I NETSTAT CS V2R5 TCPCS 2\n"
	      "IPV4 DESTINATIONS\n"
	      "DESTINATION        GATEWAY         FLAGS    REFCNT     INTERFACE\n"
	      "DEFAULT            10.2.0.254      UGS      0000000000 lan0\n"
	      "  METRIC: 0  PROTOCOL: static  MTU: 1500\n"
	      "IPV6 DESTINATIONS\n"
	      "DESTIP:   fd00:100::1/128\n"
	      "  GW:     fe80::1\n"
	      "  INTF:   lan0              REFCNT:  0000000000\n"
	      "  FLGS:   UGHO              MTU:     1500\n"
	      "  METRIC: 20                PROTO:   ospf\n"
	      "2 OF 2 RECORDS DISPLAYED\nEND OF THE REPORT\n");
	check(stack_render_route, "{\"error\":\"cannot read the routing table: No buffer space available\"}",
	      &plain, "cannot read the routing table: No buffer space available\n");
}

static void
test_sysplex_displays(void **state)
{
	unsigned seq = 9;
	struct stack_render ctx = { &seq, 0 };
	static const char group[] =
		"{\"system\":\"SYSB\",\"stack\":\"TCPCS\",\"group\":\"EZBTCPCS\",\"members\":["
		"{\"member\":\"SYSATCPCS\",\"mvsname\":\"SYSA\",\"tcpname\":\"TCPCS\",\"status\":\"ACTIVE\","
		"\"in_doubt\":true},{\"member\":\"SYSBTCPCS\",\"mvsname\":\"SYSB\",\"tcpname\":\"TCPCS\","
		"\"status\":\"LEFT\",\"in_doubt\":false}],\"records\":2}";

	(void)state;
	check(stack_render_sysplex_vipadyn,
	      "{\"system\":\"SYSC\",\"stack\":\"TCPCS\",\"member\":true,\"sysplex_vipadyn\":["
	      "{\"ipaddr\":\"fd00:100::1\",\"tcpname\":\"TCPCS\",\"mvsname\":\"SYSC\",\"status\":\"ACTIVE\",\"rank\":0,\"dist\":\"DEST\",\"origin\":\"VIPADEFINE\"},"
	      "{\"ipaddr\":\"fd00:100::1\",\"tcpname\":\"TCPCS\",\"mvsname\":\"SYSB\",\"status\":\"BACKUP\",\"rank\":5,\"dist\":\"DEST\",\"origin\":\"VIPADEFINE\"},"
	      "{\"ipaddr\":\"fd00:100::2\",\"tcpname\":\"TCPCS\",\"mvsname\":\"SYSA\",\"status\":\"ACTIVE\",\"rank\":0,\"dist\":\"BOTH\",\"origin\":\"VIPADEFINE\"},"
	      "{\"ipaddr\":\"fd00:200::5\",\"tcpname\":\"TCPCS\",\"mvsname\":\"SYSB\",\"status\":\"ACTIVE\",\"rank\":0,\"dist\":\"\",\"origin\":\"VIPARANGE BIND\"}],"
	      "\"records\":4}", &ctx,
	      "EZZ8260I SYSPLEX CS V2R5 10\n"
	      "VIPA DYNAMIC DISPLAY FROM TCPCS AT SYSC\n"
	      "IPADDR: fd00:100::1\n"
	      "  ORIGIN: VIPADEFINE\n"
	      "  TCPNAME  MVSNAME  STATUS      RANK DIST\n"
	      "  -------- -------- ----------- ---- ----\n"
	      "  TCPCS    SYSC     ACTIVE           DEST\n"
	      "  TCPCS    SYSB     BACKUP      005  DEST\n"
	      "IPADDR: fd00:100::2\n"
	      "  ORIGIN: VIPADEFINE\n"
	      "  TCPNAME  MVSNAME  STATUS      RANK DIST\n"
	      "  -------- -------- ----------- ---- ----\n"
	      "  TCPCS    SYSA     ACTIVE           BOTH\n"
	      "IPADDR: fd00:200::5\n"
	      "  ORIGIN: VIPARANGE BIND\n"
	      "  TCPNAME  MVSNAME  STATUS      RANK DIST\n"
	      "  -------- -------- ----------- ---- ----\n"
	      "  TCPCS    SYSB     ACTIVE           \n"
	      "4 OF 4 RECORDS DISPLAYED\n");
	check(stack_render_sysplex_vipadyn,
	      "{\"system\":\"SYSC\",\"stack\":\"TCPCS\",\"member\":false,\"sysplex_vipadyn\":[],\"records\":0}",
	      &ctx,
	      "EZZ8260I SYSPLEX CS V2R5 11\n"
	      "VIPA DYNAMIC DISPLAY FROM TCPCS AT SYSC\n"
	      "EZZ8269I TCPCS IS NOT A MEMBER OF A SYSPLEX GROUP\n"
	      "0 OF 0 RECORDS DISPLAYED\n");
	check(stack_render_group, group, &ctx,
	      "EZZ8270I SYSPLEX CS V2R5 12\n"
	      "SYSPLEX GROUP EZBTCPCS SEEN FROM TCPCS AT SYSB\n"
	      "  MEMBER           MVSNAME  TCPNAME  STATUS\n"
	      "  SYSATCPCS        SYSA     TCPCS    ACTIVE (IN DOUBT)\n"
	      "  SYSBTCPCS        SYSB     TCPCS    LEFT\n"
	      "2 OF 2 RECORDS DISPLAYED\n");
	ctx.detail = STACK_RENDER_XCF;
	check(stack_render_group, group, &ctx,
	      "IXC333I  DISPLAY XCF\n"
	      "INFORMATION FOR GROUP EZBTCPCS\n"
	      "    MEMBER NAME:     SYSTEM:   STATUS:\n"
	      "    SYSATCPCS        SYSA      ACTIVE (IN DOUBT)\n"
	      "    SYSBTCPCS        SYSB      LEFT\n");
	check(stack_render_xcf_groups, "{\"groups\":[{\"name\":\"EZBTCPCS\",\"members\":3}]}", &ctx,
	      "IXC331I  DISPLAY XCF\nGROUPS(SIZE):  EZBTCPCS(3)\n");
	check(stack_render_sysplex_ports,
	      "{\"system\":\"SYSA\",\"stack\":\"TCPCS\",\"ports\":["
	      "{\"dvipa\":\"fd00:100::1\",\"destxcf\":\"fd00:10::1\",\"destname\":\"SYSATCPCS\",\"blocks\":8,"
	      "\"ranges\":[{\"first\":32768,\"last\":33279}]},"
	      "{\"dvipa\":\"fd00:100::1\",\"destxcf\":\"fd00:10::2\",\"destname\":\"\",\"blocks\":3,"
	      "\"ranges\":[{\"first\":33280,\"last\":33407},{\"first\":40960,\"last\":41023}]}],"
	      "\"local\":{\"dvipa\":\"fd00:100::1\",\"first\":32768,\"last\":33279,\"from\":\"SYSATCPCS\"},"
	      "\"records\":2}", &ctx,
	      "EZZ8260I SYSPLEX CS V2R5 13\n"
	      "SYSPLEX PORTS DISPLAY FROM TCPCS AT SYSA\n"
	      "DVIPA: fd00:100::1\n"
	      "  DESTNAME         DESTXCF                  BLOCKS PORTS\n"
	      "  ---------------- ------------------------ ------ -----------\n"
	      "  SYSATCPCS        fd00:10::1                    8 32768-33279\n"
	      "  -                fd00:10::2                    3 33280-33407 40960-41023\n"
	      "LOCAL EPHEMERAL PORTS FOR fd00:100::1: 32768-33279 (FROM SYSATCPCS)\n"
	      "2 OF 2 RECORDS DISPLAYED\n");
	check(stack_render_sysplex_ports,
	      "{\"system\":\"SYSB\",\"stack\":\"TCPCS\",\"ports\":[],"
	      "\"local\":{\"dvipa\":\"fd00:100::1\",\"first\":0,\"last\":0,\"from\":\"\"},"
	      "\"records\":0}", &ctx,
	      "EZZ8260I SYSPLEX CS V2R5 14\n"
	      "SYSPLEX PORTS DISPLAY FROM TCPCS AT SYSB\n"
	      "LOCAL EPHEMERAL PORTS FOR fd00:100::1: REQUESTED\n"
	      "0 OF 0 RECORDS DISPLAYED\n");
	assert_int_equal(seq, 14);	/* the XCF displays have no report number */
}

static void
test_couple_and_role(void **state)
{
	(void)state;
	check(stack_render_couple,
	      "{\"system\":\"SYSB\",\"sysplex\":\"PLEX1\",\"cds\":\"/run/cds.db\",\"interval_ms\":50,"
	      "\"failure_ms\":250,\"lease_ms\":400,\"isolate_ms\":450,\"reachable\":false,\"fault\":true,"
	      "\"error\":\"injected\",\"read_age_ms\":9,\"self\":{\"status\":\"ACTIVE\",\"lease_left_ms\":388,"
	      "\"lease_lapses\":2,\"update_ms_max\":4},\"slots\":["
	      "{\"system\":\"SYSA\",\"member\":\"SYSATCPCS\",\"status\":\"PARTITIONED\",\"incarnation\":9223372036854775807,"
	      "\"beat\":61,\"unchanged_ms\":9,\"weight\":1,\"in_doubt\":false,\"partitioned_by\":\"SYSB\","
	      "\"reason\":\"status update missing\",\"pill_incarnation\":7},"
	      "{\"system\":\"SYSB\",\"member\":\"SYSBTCPCS\",\"status\":\"ACTIVE\",\"incarnation\":18,"
	      "\"beat\":62,\"unchanged_ms\":1234,\"weight\":10,\"in_doubt\":true,\"partitioned_by\":\"\","
	      "\"reason\":\"\",\"pill_incarnation\":0}],\"records\":2}", NULL,
	      "IXC357I  DISPLAY XCF\n"
	      "SYSPLEX PLEX1 COUPLE DATA SET AS SEEN FROM SYSB\n"
	      "  DSN: /run/cds.db\n"
	      "  INTERVAL: 50 MS  FAILURE: 250 MS  LEASE: 400 MS  ISOLATE: 450 MS\n"
	      "  SYSB: ACTIVE, LEASE 388 MS LEFT, LAST READ 9 MS AGO, NOT REACHABLE: injected\n"
	      "  LEASE LAPSES: 2  SLOWEST STATUS UPDATE: 4 MS\n"
	      "  SYSTEM   STATUS       INCARNATION           BEAT  UNCHANGED WEIGHT PARTITIONED BY\n"
	      "  SYSA     PARTITIONED  9223372036854775807     61       9 MS      1 SYSB (status update missing)\n"
	      "  SYSB     ACTIVE       18                      62    1234 MS     10  IN DOUBT\n"
	      "2 OF 2 RECORDS DISPLAYED\n");
	check(stack_render_couple, "{\"error\":\"no couple data set\"}", NULL,
	      "IXC357I  DISPLAY XCF\nNO COUPLE DATA SET\n");
	check(stack_render_role,
	      "{\"system\":\"SYSA\",\"stack\":\"TCPCS\",\"dvipas\":["
	      "{\"dvipa\":\"fd00:100::1\",\"status\":\"ACTIVE\",\"dist\":\"DIST/DEST\",\"since_ms\":5,\"now_ms\":9007199254740993},"
	      "{\"dvipa\":\"fd00:100::2\",\"status\":\"BACKUP\",\"dist\":\"-\"}],\"records\":2}", NULL,
	      "fd00:100::1 ACTIVE DIST/DEST SINCE=5 NOW=9007199254740993\n"
	      "fd00:100::2 BACKUP -\n");
	check(stack_render_error, "{\"error\":\"x \\\"y\\\"\"}", NULL, "x \"y\"\n");
}

static void
test_mip6(void **state)
{
	(void)state;
	check(stack_render_mip6,
	      "{\"system\":\"SYSA\",\"stack\":\"TCPCS\",\"homes\":[{\"client\":\"fd00:1::102\","
	      "\"dvipa\":\"fd00:100::1\",\"careof\":\"fd00:10::3\",\"state\":\"BOUND\",\"conns\":4,"
	      "\"seq\":12,\"lifetime\":240}],\"clients\":[{\"client\":\"fd00:1::101\",\"cn\":\"AGENT\"},"
	      "{\"client\":\"fd00:1::102\",\"cn\":\"STANDARD\"}],\"records\":2}", NULL,
	      "MIP6 CORRESPONDENT NODES KNOWN TO SYSA:\n"
	      "  CLIENT: fd00:1::101  CN: AGENT\n"
	      "  CLIENT: fd00:1::102  CN: STANDARD\n"
	      "PER-HOME-ADDRESS BINDINGS:\n"
	      "  CLIENT: fd00:1::102  HOME: fd00:100::1  CAREOF: fd00:10::3  STATE: BOUND  CONNS: 4  SEQ: 12\n");
}

static void
test_agent_show(void **state)
{
	(void)state;
	check(agent_ctl_render,
	      "{\"mode\":\"standard\",\"bindings\":[{\"kind\":\"connection\",\"home\":\"fd00:100::1\",\"home_port\":8080,"
	      "\"client\":\"fd00:1::101\",\"client_port\":35934,\"careof\":\"fd00:10::2\",\"seq\":1,"
	      "\"lifetime\":420,\"lifetime_left\":416,\"direct_pkts\":299,\"direct_bytes\":21672},"
	      "{\"kind\":\"home\",\"home\":\"fd00:100::2\",\"careof\":\"fd00:10::3\",\"seq\":7,"
	      "\"lifetime_left\":0,\"direct_pkts\":9007199254740993,\"direct_bytes\":1}],\"records\":2,"
	      "\"counters\":{\"tun_pkts\":317,\"direct_pkts\":299,\"direct_bytes\":28848,\"bu_accepted\":1,"
	      "\"bu_deleted\":0,\"bu_rejected\":3,\"bu_refreshed\":0,\"hao_in\":0,\"conn_ended\":0,"
	      "\"rx\":[0,1,1,0,0,1,0,0],\"tx\":[0,0,0,1,1,0,1,0],\"drops\":{}},\"lan\":\"lan0\"}", NULL,
	      "BINDING CACHE OF THE CORRESPONDENT NODE ON lan0 (STANDARD RFC 6275, VENDOR OPTIONS SKIPPED):\n"
	      "  fd00:100::1..8080  FROM fd00:1::101..35934  CAREOF fd00:10::2  SEQ 1  LEFT 416s  "
	      "DIRECT 299 PKTS\n"
	      "  fd00:100::2 (ALL TRAFFIC)  CAREOF fd00:10::3  SEQ 7  LEFT 0s  DIRECT 9007199254740993 PKTS\n"
	      "2 BINDING(S); 299 PACKETS SENT DIRECT; 3 BU REJECTED\n");
	/* The data path: the agent's, and each binding's. */
	check(agent_ctl_render,
	      "{\"bindings\":[{\"kind\":\"home\",\"home\":\"fd00:100::2\",\"careof\":\"fd00:10::3\",\"seq\":7,"
	      "\"lifetime_left\":5,\"path\":\"BPF\",\"direct_pkts\":4,\"direct_bytes\":1}],\"records\":1,"
	      "\"counters\":{\"direct_pkts\":4,\"bu_rejected\":0},\"lan\":\"lan0\",\"datapath\":\"BPF\","
	      "\"datapath_reason\":null}", NULL,
	      "BINDING CACHE OF THE CORRESPONDENT NODE ON lan0 (SYSPLEX AGENT):\n"
	      "DATAPATH: BPF\n"
	      "  fd00:100::2 (ALL TRAFFIC)  CAREOF fd00:10::3  SEQ 7  LEFT 5s  DIRECT 4 PKTS  PATH BPF\n"
	      "1 BINDING(S); 4 PACKETS SENT DIRECT; 0 BU REJECTED\n");
	check(agent_ctl_render,
	      "{\"bindings\":[],\"records\":0,\"counters\":{\"direct_pkts\":0,\"bu_rejected\":0},"
	      "\"lan\":\"lan0\",\"datapath\":\"TUN\",\"datapath_reason\":\"-D TUN\"}", NULL,
	      "BINDING CACHE OF THE CORRESPONDENT NODE ON lan0 (SYSPLEX AGENT):\n"
	      "DATAPATH: TUN (-D TUN)\n"
	      "0 BINDING(S); 0 PACKETS SENT DIRECT; 0 BU REJECTED\n");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_vdpt),
		cmocka_unit_test(test_vcrt),
		cmocka_unit_test(test_vipadyn_and_cfg),
		cmocka_unit_test(test_home_conn_config),
		cmocka_unit_test(test_route),
		cmocka_unit_test(test_sysplex_displays),
		cmocka_unit_test(test_couple_and_role),
		cmocka_unit_test(test_mip6),
		cmocka_unit_test(test_agent_show),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
