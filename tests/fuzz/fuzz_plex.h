/*
 * fuzz_plex.h - the sysplex the launcher's harnesses (fuzz_plex_cmd,
 * fuzz_console) run against: instance FUZZ with systems SYSA, SYSB, SYSC,
 * clients CLIENT1, CLIENT2 and a router (st), whose stacks and agents the
 * harness answers itself (in.call = answer, see plex_ctl_call) as the world
 * octet of the input describes:
 *   bits 0-1 SYSA, 2-3 SYSB, 4-5 SYSC: 0 not running (-ENOENT, what an empty
 *     run directory answers), 1 the routing stack (SYSPLEX$ROLE shows a DVIPA
 *     ACTIVE with DIST), 2 a running backup, 3 failing (SYSA -EPROTO, SYSB
 *     -ETIMEDOUT, SYSC -ECONNREFUSED);
 *   bits 6-7 the agents: 0 not running, 1 both answer, 2 CLIENT1 answers and
 *     CLIENT2 refuses SHOW, 3 both answer with the input's reply.
 * A running stack answers every request but SYSPLEX$ROLE with the input's
 * reply when there is one ("RC=n" line and body, split by
 * lib_ctl_reply_parse as lib_ctl_call does), else with a canned answer
 * (text, or JSON of the stack's and the agent's shapes).  The request line
 * is checked as lib_ctl_call checks it (one line, at most 4 *
 * LIB_CTL_LINE_MAX with its JSON prefix); a request to a host that is not
 * there, or on a path the launcher cannot have made, aborts.
 */
#ifndef FUZZ_PLEX_H
#define FUZZ_PLEX_H

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sysplex/sysplex.h"
#include "tests/fuzz/fuzz_seed.h"

#define RUNDIR "/run/sysplex/FUZZ"

static struct plex_inst in;
static struct plex_state st;

/* The sysplex of the current input. */
static unsigned world;
static const char *reply;	/* the input's reply, or NULL */
static size_t reply_len;

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
	FILE *f = fuzz_seed_open(dir, name);

	if (!f)
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

/* in and st as above. */
static void
fuzz_plex_init(void)
{
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
}

#endif
