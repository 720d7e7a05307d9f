/*
 * opcmd.c - operator commands as the console and `sysplex cmd` take them.
 *
 * A command line goes to one stack's ctl.sock unchanged (the stack parses
 * z/OS syntax and answers errors itself), except for what the launcher
 * handles:
 *
 *   ROUTE sys,command   (also RO)   the command on system sys
 *   ROUTE *ALL,command              the command on every system, each answer
 *                                   under a "sys RESPONSES" header (text) or
 *                                   as {"SYSA": answer, ...} (JSON)
 *   D MIP6,BINDINGS[,client]        the client agents' binding caches, asked
 *                                   with SHOW / JSON SHOW on agent.ctl
 *   D XCF,GROUP[,EZBTCPCS]          to the named system, else the routing
 *                                   stack, else any stack that answers
 *
 * Which stack: the one named (--system, ROUTE, the console's SYSTEM), else the
 * routing stack (a stack reporting a DVIPA ACTIVE with DIST); a display with
 * no routing stack goes to the first stack that answers.
 *
 * Errors the launcher finds itself are one line in the stack's style, with
 * the closest word suggested, in out (RC=8) - "{"error": ...}" for JSON.
 * The launcher reads a line as the stacks do (lib_ctl_parse: the same limits
 * and messages), and builds its own displays as result objects (jansson)
 * from which the text is rendered.
 */
#include "sysplex/sysplex.h"

#include <ctype.h>
#include <errno.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* ---- helpers --------------------------------------------------------------- */

const char *
plex_closest(const char *w, const char *const *words, size_t n)
{
	char up[64];
	const char *best;
	size_t i, wl = strlen(w);

	if (!wl || wl >= sizeof(up))
		return NULL;
	/* Every word list is upper case; the operator may type either. */
	for (i = 0; i <= wl; i++)
		up[i] = (char)toupper((unsigned char)w[i]);
	best = lib_closest_word(up, words, n);
	if (best)
		return best;
	for (i = 0; i < n; i++)
		if (wl >= 2 && strncmp(words[i], up, wl) == 0)
			return words[i];
	return NULL;
}


/* A refused command: one line in out, RC=8. */
#define reject(out, json, ...) (lib_ctl_say((out), (json), 0, __VA_ARGS__), 8)

static int
unknown_host(const struct plex_state *st, int systems, const char *what, const char *name,
	     int json, struct lib_sbuf *out)
{
	const char *names[PLEX_MAX_HOSTS];
	char list[512];
	const char *sug;
	size_t n = 0;
	int i;

	for (i = 0; i < st->nhosts; i++)
		if (st->h[i].is_system == systems && !st->h[i].is_router)
			names[n++] = st->h[i].name;
	lib_word_list(list, sizeof(list), names, n);
	sug = plex_closest(name, names, n);
	if (sug)
		return reject(out, json, "%s: no %s '%s' in this sysplex: expected %s (did you "
				  "mean %s?)", what, systems ? "system" : "client", name,
			      list[0] ? list : "none", sug);
	return reject(out, json, "%s: no %s '%s' in this sysplex: expected %s", what,
		      systems ? "system" : "client", name, list[0] ? list : "none");
}

/* Sends line to system idx; 0/8 with the body in out, -1 with err. */
static int
to_stack(const struct plex_inst *in, const struct plex_state *st, int idx, const char *line,
	 int json, int timeout_ms, struct lib_sbuf *out, struct lib_sbuf *err)
{
	struct lib_sbuf body;
	char path[PATH_MAX];
	int rc = 8, r;

	r = lib_ctl_path(path, sizeof(path), in->rundir, st->h[idx].name, 0);
	if (r == 0)
		r = plex_ctl_call(in, path, line, json, timeout_ms, &rc, &body);
	if (r < 0) {
		lib_sbuf_printf(err, "%s: no answer from %s: %s", st->h[idx].name, path,
				r == -EPROTO ? "reply without an RC= status line"
				: r == -ENOENT || r == -ECONNREFUSED ? "the stack is not running"
				: r == -ETIMEDOUT ? "timed out (is the stack hung?)"
				: strerror(-r));
		return -1;
	}
	if (body.s)
		lib_sbuf_add(out, body.s, body.len);
	lib_sbuf_free(&body);
	return rc == 0 ? 0 : 8;
}

/* The first system whose stack answers SYSPLEX$ROLE; -1 when none. */
static int
first_live(const struct plex_inst *in, const struct plex_state *st, int timeout_ms)
{
	int i;

	for (i = 0; i < st->nhosts; i++) {
		json_t *roles;

		if (st->h[i].is_system && plex_role(in, st->h[i].name, timeout_ms, &roles) == 0) {
			json_decref(roles);
			return i;
		}
	}
	return -1;
}

/* ---- D MIP6,BINDINGS ----------------------------------------------------------- */

/* Adds the numbers of src into dst where both have them (numbers, arrays
 * of numbers, objects of those: every agent answers with the same shape). */
static void
sum_into(json_t *dst, const json_t *src)
{
	const char *k;
	json_t *v;
	size_t i;

	if (json_is_integer(dst) && json_is_integer(src))
		json_integer_set(dst, json_integer_value(dst) + json_integer_value(src));
	else if (json_is_number(dst) && json_is_number(src))
		json_real_set(dst, json_number_value(dst) + json_number_value(src));
	else if (json_is_array(dst) && json_is_array(src))
		json_array_foreach(dst, i, v)
			sum_into(v, json_array_get(src, i));
	else if (json_is_object(dst) && json_is_object(src))
		json_object_foreach(dst, k, v)
			sum_into(v, json_object_get(src, k));
}

/* The answers of the agents as one result object: {"bindings": [each
 * binding with its "host" first], "records", "counters" (the sum),
 * "clients": [{"host", "mode" (agent or standard), "cn" (the kind the
 * routing stack learned: AGENT, STANDARD or UNKNOWN), "records", "counters"}
 * or {"host", "error"}], "routing_stack": the system asked}. */
/* What the routing stack learned of the client at lan (rs: its SYSPLEX$MIP6
 * answer): "AGENT", "STANDARD" or "UNKNOWN". */
static const char *
learned_cn(const json_t *rs, const char *lan)
{
	const json_t *e;
	size_t i;

	json_array_foreach(json_object_get(rs, "clients"), i, e)
		if (strcmp(lib_json_gets(e, "client", ""), lan) == 0)
			return lib_json_gets(e, "cn", "UNKNOWN");
	return "UNKNOWN";
}

static json_t *
bindings_result(const char *const *host, const char *const *lan, json_t *const *reply,
		json_t *const *why, int n, const json_t *rs, const char *rsname)
{
	json_t *all = json_array(), *clients = json_array(), *sum = NULL, *e;
	int i;
	size_t j;

	for (i = 0; i < n; i++) {
		const json_t *c;

		if (!reply[i]) {
			json_array_append_new(clients, json_pack("{s:o,s:O}", "host",
				lib_json_str(host[i]), "error", why[i]));
			continue;
		}
		json_array_foreach(json_object_get(reply[i], "bindings"), j, e) {
			json_t *b = json_pack("{s:o}", "host", lib_json_str(host[i]));

			json_object_update(b, e);
			json_array_append_new(all, b);
		}
		c = json_object_get(reply[i], "counters");
		json_array_append_new(clients, json_pack("{s:o,s:s,s:s?,s:I,s:O?}", "host",
			lib_json_str(host[i]), "mode", lib_json_gets(reply[i], "mode", "agent"),
			"cn", rs ? learned_cn(rs, lan[i]) : NULL,
			"records", (json_int_t)lib_json_geti(reply[i], "records", 0), "counters", c));
		if (c && !sum)
			sum = json_deep_copy(c);
		else if (c)
			sum_into(sum, c);
	}
	return json_pack("{s:o,s:I,s:o,s:o,s:s?}", "bindings", all,
			 "records", (json_int_t)json_array_size(all),
			 "counters", sum ? sum : json_object(), "clients", clients,
			 "routing_stack", rs ? rsname : NULL);
}

#define JS(o, k) lib_json_gets((o), (k), "?")
#define JI(o, k) lib_json_geti((o), (k), 0)

static void
bindings_text(const json_t *r, struct lib_sbuf *out, void *arg)
{
	const json_t *bindings = json_object_get(r, "bindings"), *c, *e;
	size_t i, j;

	LIB_UNUSED(arg);
	lib_sbuf_printf(out, "MIP6 BINDING CACHES OF THE CORRESPONDENT NODES (CLIENT AGENTS)\n");
	json_array_foreach(json_object_get(r, "clients"), i, c) {
		const json_t *cnt = json_object_get(c, "counters");

		if (json_object_get(c, "error")) {
			lib_sbuf_printf(out, "CLIENT: %s  NO ANSWER FROM THE AGENT (%s)\n", JS(c, "host"),
					JS(c, "error"));
			continue;
		}
		lib_sbuf_printf(out, "CLIENT: %s  MODE: %s\n", JS(c, "host"),
				strcmp(JS(c, "mode"), "standard") == 0 ?
				"STANDARD (RFC 6275, PER HOME ADDRESS)" : "AGENT (PER CONNECTION)");
		if (json_object_get(c, "cn"))
			lib_sbuf_printf(out, "  CN AS LEARNED BY THE ROUTING STACK %s: %s\n",
					JS(r, "routing_stack"), JS(c, "cn"));
		json_array_foreach(bindings, j, e) {
			if (strcmp(JS(e, "host"), JS(c, "host")) != 0)
				continue;
			if (strcmp(JS(e, "kind"), "connection") == 0) {
				lib_sbuf_printf(out, "  HOME:     %s..%lld\n", JS(e, "home"),
						JI(e, "home_port"));
				lib_sbuf_printf(out, "    CLIENT: %s..%lld\n", JS(e, "client"),
						JI(e, "client_port"));
			} else {
				lib_sbuf_printf(out, "  HOME:     %s (ALL TRAFFIC)\n", JS(e, "home"));
			}
			lib_sbuf_printf(out, "    CAREOF: %s  SEQ: %lld  LIFETIME LEFT: %lldS OF %lldS\n",
					JS(e, "careof"), JI(e, "seq"), JI(e, "lifetime_left"),
					JI(e, "lifetime"));
			lib_sbuf_printf(out, "    DIRECT: %lld PKTS  %lld BYTES\n", JI(e, "direct_pkts"),
					JI(e, "direct_bytes"));
		}
		lib_sbuf_printf(out, "  %lld BINDING(S); %lld PACKETS SENT DIRECT; %lld BU ACCEPTED; "
				"%lld BU REJECTED\n", JI(c, "records"), JI(cnt, "direct_pkts"),
				JI(cnt, "bu_accepted"), JI(cnt, "bu_rejected"));
	}
	lib_sbuf_printf(out, "%zu OF %zu RECORDS DISPLAYED\nEND OF THE REPORT\n",
			json_array_size(bindings), json_array_size(bindings));
}

static int
show_bindings(const struct plex_inst *in, const struct plex_state *st, char **tok, int ntok,
	      int json, int timeout_ms, struct lib_sbuf *out, struct lib_sbuf *err)
{
	static const char *const mip6_reports[] = { "BINDINGS" };
	const char *host[PLEX_MAX_HOSTS], *lan[PLEX_MAX_HOSTS];
	json_t *reply[PLEX_MAX_HOSTS], *why[PLEX_MAX_HOSTS], *rs = NULL;
	int ri;
	int i, n = 0, answered = 0, want = -1, rc;

	if (ntok < 2)
		return reject(out, json, "expected D MIP6,BINDINGS[,clientname]");
	if (strcmp(tok[1], "BINDINGS") != 0 && strcmp(tok[1], "BINDING") != 0 &&
	    strcmp(tok[1], "B") != 0) {
		const char *sug = plex_closest(tok[1], mip6_reports, 1);

		return reject(out, json, "unknown MIP6 display '%s': expected BINDINGS%s%s%s",
			      tok[1], sug ? " (did you mean " : "", sug ? sug : "", sug ? "?)" : "");
	}
	if (ntok > 3)
		return reject(out, json, "unexpected operand '%s': expected D MIP6,BINDINGS"
				  "[,clientname]", tok[3]);
	if (ntok == 3 && tok[2][0]) {
		want = plex_state_index(st, tok[2], 0);
		if (want < 0 || st->h[want].is_system || st->h[want].is_router)
			return unknown_host(st, 0, "D MIP6,BINDINGS", tok[2], json, out);
	}
	for (i = 0; i < st->nhosts; i++) {
		char path[PATH_MAX], perr[160], w[PATH_MAX + 256] = "";
		int x;

		if (st->h[i].is_system || st->h[i].is_router || (want >= 0 && i != want))
			continue;
		host[n] = st->h[i].name;
		lan[n] = st->h[i].lan;
		rc = 8;
		x = lib_ctl_path(path, sizeof(path), in->rundir, host[n], 1);
		if (x == 0)
			x = plex_ctl_call_json(in, path, "SHOW", timeout_ms, &rc, &reply[n], perr,
					       sizeof(perr));
		if (x == -EBADMSG)
			snprintf(w, sizeof(w), "bad JSON from the agent: %s", perr);
		else if (x < 0)
			snprintf(w, sizeof(w), "%s: %s", path,
				 x == -ENOENT ? "no client agent runs there" : strerror(-x));
		else if (rc != 0)
			snprintf(w, sizeof(w), "SHOW refused: %.200s", lib_json_gets(reply[n], "error", ""));
		else
			answered++;
		why[n] = NULL;
		if (w[0]) {
			json_decref(reply[n]);
			reply[n] = NULL;
			w[strcspn(w, "\n")] = '\0';
			why[n] = lib_json_str(w);
		}
		n++;
	}
	if (n == 0)
		return reject(out, json, "D MIP6,BINDINGS: this sysplex has no clients");
	if (!answered && want >= 0) {
		lib_sbuf_printf(err, "%s: %s", host[0], json_string_value(why[0]));
		rc = -1;
	} else {
		/* What the routing stack learned of each client (none: not shown). */
		char path[PATH_MAX], perr[160];
		int src = 8;

		ri = plex_find_routing(in, st, timeout_ms, NULL, 0);
		if (ri >= 0 && (lib_ctl_path(path, sizeof(path), in->rundir, st->h[ri].name, 0) < 0 ||
				plex_ctl_call_json(in, path, "SYSPLEX$MIP6", timeout_ms, &src, &rs,
						   perr, sizeof(perr)) < 0 || src != 0)) {
			json_decref(rs);
			rs = NULL;
		}
		rc = lib_ctl_result(out, json, bindings_result(host, lan, reply, why, n, rs,
							       ri >= 0 ? st->h[ri].name : ""),
				    bindings_text, NULL) < 0 ? 8 : answered ? 0 : 8;
		json_decref(rs);
	}
	for (i = 0; i < n; i++) {
		json_decref(reply[i]);
		json_decref(why[i]);
	}
	return rc;
}

/* ---- ROUTE --------------------------------------------------------------------- */

static int route(const struct plex_inst *in, const struct plex_state *st, const char *rest,
		 int json, int timeout_ms, struct lib_sbuf *out, struct lib_sbuf *err);

/* One stack's JSON answer as a member of ROUTE *ALL's object: the answer's
 * value, null for an empty answer, {"error": why} when it could not be
 * asked, the text itself when it is not JSON. */
static json_t *
routed_answer(int r, const struct lib_sbuf *o, const struct lib_sbuf *e)
{
	json_t *v;

	if (r < 0)
		return json_pack("{s:o}", "error", lib_json_str(e->s ? e->s : "no answer"));
	if (!o->s || strspn(o->s, " \t\r\n") == o->len)
		return json_null();
	v = lib_json_parse(o->s, o->len, NULL, 0);
	return v ? v : lib_json_str(o->s);
}

static int
route_all(const struct plex_inst *in, const struct plex_state *st, const char *cmd, int json,
	  int timeout_ms, struct lib_sbuf *out, struct lib_sbuf *err)
{
	json_t *all = json ? json_object() : NULL;
	int i, rc = 0;

	for (i = 0; i < st->nhosts; i++) {
		struct lib_sbuf o = { 0 }, e = { 0 };
		int r;

		if (!st->h[i].is_system)
			continue;
		r = plex_opcmd(in, st, st->h[i].name, cmd, json, timeout_ms, &o, &e);
		if (r != 0)
			rc = 8;
		if (json) {
			json_object_set_new(all, st->h[i].name, routed_answer(r, &o, &e));
		} else {
			lib_sbuf_printf(out, "%-8s RESPONSES ---------------------------------------\n",
					st->h[i].name);
			if (r < 0)
				lib_sbuf_printf(out, "%s\n", e.s ? e.s : "no answer");
			else if (o.s)
				lib_sbuf_add(out, o.s, o.len);
		}
		lib_sbuf_free(&o);
		lib_sbuf_free(&e);
	}
	if (json && lib_ctl_result(out, 1, all, NULL, NULL) < 0)
		rc = 8;
	LIB_UNUSED(err);
	return rc;
}

/* rest: "sys,command" (after ROUTE). */
static int
route(const struct plex_inst *in, const struct plex_state *st, const char *rest, int json,
      int timeout_ms, struct lib_sbuf *out, struct lib_sbuf *err)
{
	const char *comma, *cmd;
	char sys[64];
	size_t l;
	int idx;

	while (*rest == ' ' || *rest == '\t')
		rest++;
	comma = strchr(rest, ',');
	if (!comma || comma == rest)
		return reject(out, json, "expected ROUTE sysname,command or ROUTE *ALL,command (e.g. "
				  "ROUTE SYSB,D TCPIP,TCPCS,NETSTAT,VDPT)");
	l = (size_t)(comma - rest);
	while (l && rest[l - 1] == ' ')
		l--;
	if (l >= sizeof(sys))
		l = sizeof(sys) - 1;
	memcpy(sys, rest, l);
	sys[l] = '\0';
	cmd = comma + 1;
	while (*cmd == ' ' || *cmd == '\t')
		cmd++;
	if (!*cmd)
		return reject(out, json, "expected ROUTE %s,command: the command is missing", sys);
	/* Its verb as plex_opcmd will read it (blank = space or tab): a nested
	 * ROUTE *ALL would fan out again at every level (3^n answers). */
	l = strcspn(cmd, " \t");
	if ((l == 5 && strncasecmp(cmd, "ROUTE", 5) == 0) || (l == 2 && strncasecmp(cmd, "RO", 2) == 0))
		return reject(out, json, "ROUTE: a routed command cannot be another ROUTE");
	if (strcasecmp(sys, "*ALL") == 0 || strcasecmp(sys, "ALL") == 0)
		return route_all(in, st, cmd, json, timeout_ms, out, err);
	idx = plex_state_index(st, sys, 1);
	if (idx < 0)
		return unknown_host(st, 1, "ROUTE", sys, json, out);
	return plex_opcmd(in, st, st->h[idx].name, cmd, json, timeout_ms, out, err);
}

/* ---- entry ---------------------------------------------------------------------- */

int
plex_opcmd(const struct plex_inst *in, const struct plex_state *st, const char *sys,
	   const char *line, int json, int timeout_ms, struct lib_sbuf *out, struct lib_sbuf *err)
{
	struct lib_ctl_cmd c;
	char tabless[LIB_CTL_LINE_MAX], why[LIB_CTL_LINE_MAX + 128];
	const char *p = line;
	int r, idx = -1, display;
	size_t k;

	while (*p == ' ' || *p == '\t')
		p++;
	if (strpbrk(p, "\r\n"))
		return reject(out, json, "a command is one line (no line breaks)");
	/* The launcher's own reading of the line: the stack's (lib_ctl_parse),
	 * except that tabs separate words too. */
	lib_strlcpy(tabless, p, sizeof(tabless));
	for (k = 0; tabless[k]; k++)
		if (tabless[k] == '\t')
			tabless[k] = ' ';
	r = lib_ctl_parse(strlen(p) < sizeof(tabless) ? tabless : p, &c, why, sizeof(why));
	if (r == -EMSGSIZE)
		return reject(out, json, "%s", why);
	if (strcmp(c.verb, "ROUTE") == 0 || strcmp(c.verb, "RO") == 0)
		return route(in, st, p + strcspn(p, " \t"), json, timeout_ms, out, err);
	if (r < 0)
		return reject(out, json, "%s", why);
	display = strcmp(c.verb, "D") == 0 || strcmp(c.verb, "DISPLAY") == 0;
	if (display && c.ntok >= 1 && strcmp(c.tok[0], "MIP6") == 0)
		return show_bindings(in, st, c.tok, c.ntok, json, timeout_ms, out, err);
	if (sys && sys[0]) {
		idx = plex_state_index(st, sys, 1);
		if (idx < 0)
			return unknown_host(st, 1, "--system", sys, json, out);
	} else {
		idx = plex_find_routing(in, st, timeout_ms < 2000 ? timeout_ms : 2000, NULL, 0);
		if (idx < 0 && display)
			idx = first_live(in, st, timeout_ms < 1000 ? timeout_ms : 1000);
		if (idx < 0) {
			lib_sbuf_printf(err, "no routing stack found in instance %s (no stack reports "
					     "a DVIPA ACTIVE with DIST)%s; name one with --system SYS "
					     "or ROUTE SYS,...", in->name,
					display ? " and no stack answers" : "");
			return -1;
		}
	}
	return to_stack(in, st, idx, p, json, timeout_ms, out, err);
}
