/*
 * fuzz_plex_cmd.c - libFuzzer harness for the operator's command parser of
 * the launcher (sysplex/opcmd.c, plex_opcmd: what the console and `sysplex
 * cmd` take: ROUTE sys,cmd / ROUTE *ALL,cmd, D MIP6,BINDINGS[,client], the
 * choice of the stack, the refusals with the closest word), linked from
 * build-fuzz/libplex.a.  The instance has systems SYSA, SYSB, SYSC, clients
 * CLIENT1, CLIENT2 and a router.
 *
 * The launcher's requests to the stacks and the agents go through
 * in->call (plex_ctl_call); the harness answers there, without a socket,
 * as the sysplex the input describes: each stack not running (what an
 * empty run directory answers: -ENOENT), the routing stack, a running
 * backup, or one that fails (-EPROTO, -ETIMEDOUT, -ECONNREFUSED); the
 * agents not running, answering, or refusing.  The request line is checked
 * as lib_ctl_call checks it (one line, at most 4 * LIB_CTL_LINE_MAX with
 * its JSON prefix), and a reply taken from the input is split into its
 * status line and body by lib_ctl_reply_parse, as lib_ctl_call does.
 *
 * Input: one octet (bit 0: JSON; bit 1: no system named, so the routing
 * stack is looked for), one octet for the sysplex (bits 0-1 SYSA, 2-3
 * SYSB, 4-5 SYSC: 0 not running, 1 routing stack (SYSPLEX$ROLE shows a
 * DVIPA ACTIVE with DIST), 2 running backup, 3 failing; bits 6-7 the
 * agents: 0 not running, 1 both answer, 2 CLIENT1 answers and CLIENT2
 * refuses SHOW, 3 both answer with the input's reply), then the command line
 * (at most LIB_CTL_LINE_MAX octets), then optionally a NUL and a reply
 * ("RC=n" line and body) that every running stack gives to every request
 * but SYSPLEX$ROLE, and agents in state 3 to SHOW; without it the answers
 * are canned (text, or JSON of the stack's and agent's shapes).  Proves,
 * for any input: no crash, no read out of bounds, no undefined behaviour;
 * the result is 0, 8 or -1 (with the reason); with the canned answers, an
 * RC=8 comes with an answer, and a JSON answer is JSON.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "sysplex/sysplex.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define RUNDIR "/run/sysplex/FUZZ"

static struct plex_inst in;
static struct plex_state st;

/* The sysplex of the current input. */
static unsigned world;
static const char *reply;	/* the input's reply, or NULL */
static size_t reply_len;

static const struct {
	uint8_t flags, world;
	const char *line;
} seeds[] = {
	{ 0, 0, "D TCPIP,TCPCS,NETSTAT,VDPT" }, { 1, 0, "ROUTE SYSB,D TCPIP,TCPCS,NETSTAT,VCRT" },
	{ 0, 0, "RO *ALL,D TCPIP,TCPCS,SYSPLEX,VIPADYN" }, { 1, 0, "ROUTE SYSX,D XCF,GROUP" },
	{ 0, 0, "ROUTE SYSA,RO SYSB,D" }, { 1, 0, "D MIP6,BINDINGS" },
	{ 0, 0, "D MIP6,BINDINGS,CLIENT1" }, { 1, 0, "D MIP6,BINDINGS,CLIENTX" },
	{ 0, 0, "D XCF,GROUP,EZBTCPCS" }, { 1, 0, "V TCPIP,TCPCS,SYSPLEX,LEAVEGROUP" },
	{ 0, 0, "DISPLAY\tMIP6,BINDINGS" }, { 1, 0, "ROUTE ,D" }, { 0, 0, "ROUTE SYSA," },
	/* A sysplex that runs: SYSB routing, SYSA and SYSC backups, agents. */
	{ 2, 0x64, "D TCPIP,TCPCS,NETSTAT,VDPT" }, { 3, 0x64, "D TCPIP,TCPCS,NETSTAT,VDPT" },
	{ 3, 0x64, "RO *ALL,D TCPIP,TCPCS,NETSTAT,CONN" }, { 0, 0x64, "RO *ALL,D XCF,GROUP" },
	{ 2, 0x64, "D MIP6,BINDINGS" }, { 3, 0x64, "D MIP6,BINDINGS" },
	{ 3, 0xa4, "D MIP6,BINDINGS" }, { 2, 0xa4, "D MIP6,BINDINGS,CLIENT2" },
	/* No routing stack: the first that answers, or none; failing ones. */
	{ 2, 0x28, "D XCF,GROUP" }, { 2, 0x2f, "D XCF,GROUP" }, { 3, 0x3f, "RO *ALL,D XCF" },
	{ 2, 0x3c, "V TCPIP,TCPCS,SYSPLEX,QUIESCE,TARGET" },
};

/* Seeds with a reply of the input's. */
static const struct {
	uint8_t flags, world;
	const char *line, *reply;
} seeds_reply[] = {
	{ 3, 0xd9, "D MIP6,BINDINGS", "RC=0\n{\"mode\":\"standard\",\"records\":1,\"bindings\":"
	  "[{\"kind\":\"home\",\"home\":\"10.1.1.1\",\"careof\":\"fd00:1::9\",\"seq\":3}],"
	  "\"counters\":{\"direct_pkts\":[1,2.5,{\"x\":1}],\"bu_accepted\":1}}" },
	{ 3, 0xd9, "RO *ALL,D TCPIP,TCPCS,NETSTAT,VDPT", "RC=8\n{\"error\":\"EZZ0313I\"}" },
	{ 2, 0x15, "D XCF,GROUP", "RC=0\r\nEZZ8150I" },
	{ 3, 0x15, "RO *ALL,D XCF,GROUP", "RC=\n" },
	{ 2, 0x15, "D MIP6,BINDINGS", "RC=0\n[1,2" },
};

static void
host(int i, const char *name, int sys, int router)
{
	lib_strlcpy(st.h[i].name, name, sizeof(st.h[i].name));
	st.h[i].is_system = sys;
	st.h[i].is_router = router;
	snprintf(st.h[i].ns, sizeof(st.h[i].ns), "FUZZ-%s", name);
	snprintf(st.h[i].lan, sizeof(st.h[i].lan), "fd00:1::%d", i + 1);
	lib_strlcpy(st.h[i].tcpname, "TCPCS", sizeof(st.h[i].tcpname));
}

static void
write_seed(const char *dir, const char *name, uint8_t flags, uint8_t w, const char *line,
	   const char *rep)
{
	char path[512];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	if (!(f = fopen(path, "wb")))
		return;
	fputc(flags, f);
	fputc(w, f);
	fputs(line, f);
	if (rep) {
		fputc(0, f);
		fputs(rep, f);
	}
	fclose(f);
}

/* The answer of a stack or agent that runs, to cmd. */
static int
canned(const char *name, int agent, const char *cmd, int json, int *rc, struct lib_sbuf *body)
{
	*rc = 0;
	if (agent && strcmp(cmd, "SHOW") == 0) {
		if (strcmp(name, "CLIENT2") == 0 && (world >> 6) == 2) {
			*rc = 8;
			lib_sbuf_printf(body, "{\"error\": \"SHOW: the agent is busy\"}\n");
			return 0;
		}
		lib_sbuf_printf(body, "{\"mode\": \"agent\", \"records\": 1, \"bindings\": "
			"[{\"kind\": \"connection\", \"home\": \"10.1.1.1\", \"home_port\": 80, "
			"\"client\": \"fd00:1::4\", \"client_port\": 40000, \"careof\": \"fd00:1::2\", "
			"\"seq\": 7, \"lifetime\": 60, \"lifetime_left\": 59, \"path\": \"tun\", "
			"\"direct_pkts\": 3, \"direct_bytes\": 300}], \"counters\": {\"tun_pkts\": 9, "
			"\"direct_pkts\": 3, \"bu_accepted\": 1, \"bu_rejected\": 0, "
			"\"rx\": [1, 2, 3, 4, 5, 6, 7, 8], \"drops\": {\"bad_hao\": 1}}}\n");
		return 0;
	}
	if (strcmp(cmd, "SYSPLEX$MIP6") == 0) {
		lib_sbuf_printf(body, "{\"clients\": [{\"client\": \"fd00:1::4\", \"cn\": \"AGENT\"}, "
			"{\"client\": \"fd00:1::5\"}]}\n");
		return 0;
	}
	if (json)
		lib_sbuf_printf(body, "{\"system\": \"%s\", \"records\": 0}\n", name);
	else
		lib_sbuf_printf(body, "EZZ2500I NETSTAT CS %s TCPCS\n0 OF 0 RECORDS DISPLAYED\n", name);
	return 0;
}

/* in.call: what the sysplex of the input answers (lib_ctl_call's contract). */
static int
answer(const char *path, const char *cmd, int json, int timeout_ms, int *rc,
       struct lib_sbuf *body)
{
	char name[PLEX_HOST_MAX + 1];
	const char *h, *b;
	size_t l;
	int agent, i, s;

	(void)timeout_ms;
	memset(body, 0, sizeof(*body));
	if (strpbrk(cmd, "\r\n"))
		return -EINVAL;
	if (strlen(cmd) + (json ? 5 : 0) + 1 >= 4 * LIB_CTL_LINE_MAX)
		return -E2BIG;
	if (strncmp(path, RUNDIR "/", sizeof(RUNDIR)) != 0)
		abort();		/* a path the launcher cannot have made */
	h = path + sizeof(RUNDIR);
	l = strcspn(h, "/");
	if (l >= sizeof(name))
		abort();
	memcpy(name, h, l);
	name[l] = '\0';
	agent = strcmp(h + l, "/" LIB_CTL_AGENT_SOCK) == 0;
	if (!agent && strcmp(h + l, "/" LIB_CTL_STACK_SOCK) != 0)
		abort();
	i = plex_state_index(&st, name, 0);
	if (i < 0 || st.h[i].is_router || (st.h[i].is_system == agent))
		abort();		/* asked a host that is not there */
	if (agent) {
		s = (int)(world >> 6);
		if (s == 0)
			return -ENOENT;
		if (s == 3 && reply)
			goto from_input;
		return canned(name, 1, cmd, json, rc, body);
	}
	s = (int)(world >> (2 * i)) & 3;
	switch (s) {
	case 0:
		return -ENOENT;
	case 3:
		return i == 0 ? -EPROTO : i == 1 ? -ETIMEDOUT : -ECONNREFUSED;
	}
	if (strcmp(cmd, "SYSPLEX$ROLE") == 0) {
		*rc = 0;
		lib_sbuf_printf(body, "{\"dvipas\": [{\"dvipa\": \"10.1.1.1\", \"status\": \"%s\", "
				"\"dist\": \"%s\"}]}\n", s == 1 ? "ACTIVE" : "BACKUP",
				s == 1 ? "DIST" : "DEST");
		return 0;
	}
	if (!reply)
		return canned(name, 0, cmd, json, rc, body);
from_input:
	if (lib_ctl_reply_parse(reply, reply_len, rc, &b) < 0)
		return -EPROTO;
	lib_sbuf_add(body, b, reply_len - (size_t)(b - reply));
	return 0;
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	const char *dir = getenv("FUZZ_WRITE_SEEDS");
	size_t i;

	(void)argc;
	(void)argv;
	lib_log_init("fuzz", (enum lib_log_level)(LIB_LOG_ERR + 1));
	if (dir) {
		for (i = 0; i < sizeof(seeds) / sizeof(seeds[0]); i++) {
			char name[32];

			snprintf(name, sizeof(name), "cmd%02zu", i);
			write_seed(dir, name, seeds[i].flags, seeds[i].world, seeds[i].line, NULL);
		}
		for (i = 0; i < sizeof(seeds_reply) / sizeof(seeds_reply[0]); i++) {
			char name[32];

			snprintf(name, sizeof(name), "reply%02zu", i);
			write_seed(dir, name, seeds_reply[i].flags, seeds_reply[i].world,
				   seeds_reply[i].line, seeds_reply[i].reply);
		}
		exit(0);
	}
	plex_inst_init(&in, "FUZZ");
	if (strcmp(in.rundir, RUNDIR) != 0)
		abort();
	in.call = answer;
	lib_strlcpy(st.instance, "FUZZ", sizeof(st.instance));
	lib_strlcpy(st.sysplex, "PLEX1", sizeof(st.sysplex));
	host(0, "SYSA", 1, 0);
	host(1, "SYSB", 1, 0);
	host(2, "SYSC", 1, 0);
	host(3, "CLIENT1", 0, 0);
	host(4, "CLIENT2", 0, 0);
	host(5, "ROUTER1", 0, 1);
	st.nhosts = 6;
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char line[LIB_CTL_LINE_MAX + 1];
	struct lib_sbuf out = { 0 }, err = { 0 };
	const uint8_t *nul;
	size_t len;
	int json, r;

	if (size < 2)
		return 0;
	json = data[0] & 1;
	world = data[1];
	data += 2;
	size -= 2;
	nul = memchr(data, 0, size);
	len = nul ? (size_t)(nul - data) : size;
	if (len > LIB_CTL_LINE_MAX)
		return 0;
	memcpy(line, data, len);
	line[len] = '\0';
	reply = nul ? (const char *)nul + 1 : NULL;
	reply_len = nul ? size - len - 1 : 0;
	r = plex_opcmd(&in, &st, (data[-2] & 2) ? NULL : "SYSA", line, json, 200, &out, &err);
	if (r == -1) {
		if (!err.len)
			abort();
	} else if (r != 0 && r != 8) {
		abort();
	} else if (reply) {
		/* The stacks' own answers pass through as they are (an empty
		 * refusal of a stack is an empty RC=8). */
	} else if (r == 8 && !out.len) {
		abort();
	} else if (json && out.len) {
		/* Every answer is JSON when the stacks' are (the canned ones). */
		json_t *v = lib_json_parse(out.s, out.len, NULL, 0);

		if (!v)
			abort();
		json_decref(v);
	}
	lib_sbuf_free(&out);
	lib_sbuf_free(&err);
	return 0;
}
