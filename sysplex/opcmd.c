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
 */
#include "sysplex/sysplex.h"

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
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

static int reject(struct lib_sbuf *out, int json, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* A refused command: one line in out, RC=8. */
static int
reject(struct lib_sbuf *out, int json, const char *fmt, ...)
{
	char msg[700];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (json) {
		lib_sbuf_printf(out, "{\"error\":");
		lib_sbuf_json_str(out, msg);
		lib_sbuf_printf(out, "}\n");
	} else {
		lib_sbuf_printf(out, "%s\n", msg);
	}
	return 8;
}

/* "A, B or C" into buf from the hosts of st (systems or clients). */
static void
host_list(const struct plex_state *st, int systems, char *buf, size_t len,
	  const char *names[PLEX_MAX_HOSTS], size_t *nn)
{
	int i, k = 0, n = 0;

	buf[0] = '\0';
	for (i = 0; i < st->nhosts; i++)
		if (st->h[i].is_system == systems)
			n++;
	for (i = 0; i < st->nhosts; i++) {
		if (st->h[i].is_system != systems)
			continue;
		if (names)
			names[k] = st->h[i].name;
		k++;
		strncat(buf, st->h[i].name, len - strlen(buf) - 1);
		if (k < n)
			strncat(buf, k + 1 == n ? " or " : ", ", len - strlen(buf) - 1);
	}
	if (nn)
		*nn = (size_t)k;
}

static int
unknown_host(const struct plex_state *st, int systems, const char *what, const char *name,
	     int json, struct lib_sbuf *out)
{
	const char *names[PLEX_MAX_HOSTS] = { 0 };
	char list[512];
	const char *sug;
	size_t n = 0;

	host_list(st, systems, list, sizeof(list), names, &n);
	sug = plex_closest(name, names, n);
	if (sug)
		return reject(out, json, "%s: no %s '%s' in this sysplex: expected %s (did you "
				  "mean %s?)", what, systems ? "system" : "client", name,
			      list[0] ? list : "none", sug);
	return reject(out, json, "%s: no %s '%s' in this sysplex: expected %s", what,
		      systems ? "system" : "client", name, list[0] ? list : "none");
}

static void
ctl_path(const struct plex_inst *in, const char *host, const char *sock, char *buf, size_t len)
{
	snprintf(buf, len, "%s/%s/%s", in->rundir, host, sock);
}

/* Sends line to system idx; 0/8 with the body in out, -1 with err. */
static int
to_stack(const struct plex_inst *in, const struct plex_state *st, int idx, const char *line,
	 int json, int timeout_ms, struct lib_sbuf *out, struct lib_sbuf *err)
{
	struct lib_sbuf body;
	char path[PATH_MAX];
	int rc = 8, r;

	ctl_path(in, st->h[idx].name, "ctl.sock", path, sizeof(path));
	r = plex_ctl(path, line, json, timeout_ms, &rc, &body);
	if (r < 0) {
		lib_sbuf_printf(err, "%s: no answer from %s: %s", st->h[idx].name, path,
				r == -EPROTO ? "reply without an RC= status line"
				: r == -ENOENT || r == -ECONNREFUSED ? "the stack is not running"
				: r == -ETIMEDOUT ? "timed out (is the stack hung?)"
				: strerror(-r));
		return -1;
	}
	if (body.s)
		lib_sbuf_printf(out, "%s", body.s);
	lib_sbuf_free(&body);
	return rc == 0 ? 0 : 8;
}

/* The first system whose stack answers SYSPLEX$ROLE; -1 when none. */
static int
first_live(const struct plex_inst *in, const struct plex_state *st, int timeout_ms)
{
	int i;

	for (i = 0; i < st->nhosts; i++) {
		struct lib_sbuf body;
		char path[PATH_MAX];
		int rc = 8;

		if (!st->h[i].is_system)
			continue;
		ctl_path(in, st->h[i].name, "ctl.sock", path, sizeof(path));
		if (plex_ctl(path, "SYSPLEX$ROLE", 0, timeout_ms, &rc, &body) == 0 && rc == 0) {
			lib_sbuf_free(&body);
			return i;
		}
		lib_sbuf_free(&body);
	}
	return -1;
}

/* Splits an upper-cased copy of line into the verb and comma-separated
 * operands (blanks also separate; empty operands kept).  Returns the
 * number of operands. */
static int
split_cmd(const char *line, char *buf, size_t len, char **verb, char **tok, int max)
{
	char *p;
	int n = 0;
	size_t k;

	lib_strlcpy(buf, line, len);
	for (k = 0; buf[k]; k++)
		buf[k] = (char)toupper((unsigned char)buf[k]);
	p = buf;
	while (*p == ' ' || *p == '\t')
		p++;
	*verb = p;
	p += strcspn(p, " \t");
	if (*p)
		*p++ = '\0';
	while (*p == ' ' || *p == '\t')
		p++;
	for (k = 0; p[k]; k++)
		if (p[k] == ' ' || p[k] == '\t')
			p[k] = ',';
	if (*p) {
		tok[n++] = p;
		for (; *p && n < max; p++)
			if (*p == ',') {
				*p = '\0';
				tok[n++] = p + 1;
			}
		while (n > 0 && tok[n - 1][0] == '\0')
			n--;
	}
	return n;
}

/* ---- D MIP6,BINDINGS ----------------------------------------------------------- */

static struct plex_json *
json_clone(const struct plex_json *v)
{
	struct lib_sbuf b = { 0 };
	struct plex_json *c;

	plex_json_write(v, &b);
	c = b.s ? plex_json_parse(b.s, b.len, NULL, 0) : NULL;
	lib_sbuf_free(&b);
	return c;
}

/* Adds the numbers of src into dst where both have them (numbers, arrays
 * of numbers, objects of those: every agent answers with the same shape). */
static void
sum_into(struct plex_json *dst, const struct plex_json *src)
{
	size_t i, j;

	if (!dst || !src || dst->type != src->type)
		return;
	if (dst->type == PLEX_JSON_NUMBER) {
		if (dst->is_int && src->is_int)
			dst->i += src->i;
		dst->num += src->num;
	} else if (dst->type == PLEX_JSON_ARRAY) {
		for (i = 0; i < dst->n && i < src->n; i++)
			sum_into(dst->items[i], src->items[i]);
	} else if (dst->type == PLEX_JSON_OBJECT) {
		for (j = 0; j < src->n; j++)
			for (i = 0; i < dst->n; i++)
				if (strcmp(dst->keys[i], src->keys[j]) == 0) {
					sum_into(dst->items[i], src->items[j]);
					break;
				}
	}
}

struct agent_reply {
	const char *host;
	struct plex_json *v;		/* parsed JSON SHOW, or NULL */
	char why[PATH_MAX + 256];	/* when v is NULL */
};

static void
bindings_text(const struct agent_reply *r, int n, struct lib_sbuf *out)
{
	int i, total = 0;
	size_t j;

	lib_sbuf_printf(out, "MIP6 BINDING CACHES OF THE CORRESPONDENT NODES (CLIENT AGENTS)\n");
	for (i = 0; i < n; i++) {
		const struct plex_json *b, *c;

		if (!r[i].v) {
			lib_sbuf_printf(out, "CLIENT: %s  NO ANSWER FROM THE AGENT (%s)\n", r[i].host,
					r[i].why);
			continue;
		}
		b = plex_json_get(r[i].v, "bindings");
		c = plex_json_get(r[i].v, "counters");
		lib_sbuf_printf(out, "CLIENT: %s\n", r[i].host);
		for (j = 0; b && b->type == PLEX_JSON_ARRAY && j < b->n; j++) {
			const struct plex_json *e = b->items[j];
			const char *kind = plex_json_str(e, "kind", "?");

			if (strcmp(kind, "connection") == 0) {
				lib_sbuf_printf(out, "  HOME:     %s..%lld\n", plex_json_str(e, "home", "?"),
						plex_json_int(e, "home_port", 0));
				lib_sbuf_printf(out, "    CLIENT: %s..%lld\n",
						plex_json_str(e, "client", "?"),
						plex_json_int(e, "client_port", 0));
			} else {
				lib_sbuf_printf(out, "  HOME:     %s (ALL TRAFFIC)\n",
						plex_json_str(e, "home", "?"));
			}
			lib_sbuf_printf(out, "    CAREOF: %s  SEQ: %lld  LIFETIME LEFT: %lldS OF %lldS\n",
					plex_json_str(e, "careof", "?"), plex_json_int(e, "seq", 0),
					plex_json_int(e, "lifetime_left", 0),
					plex_json_int(e, "lifetime", 0));
			lib_sbuf_printf(out, "    DIRECT: %lld PKTS  %lld BYTES\n",
					plex_json_int(e, "direct_pkts", 0),
					plex_json_int(e, "direct_bytes", 0));
			total++;
		}
		lib_sbuf_printf(out, "  %lld BINDING(S); %lld PACKETS SENT DIRECT; %lld BU ACCEPTED; "
				"%lld BU REJECTED\n", plex_json_int(r[i].v, "records", 0),
				plex_json_int(c, "direct_pkts", 0), plex_json_int(c, "bu_accepted", 0),
				plex_json_int(c, "bu_rejected", 0));
	}
	lib_sbuf_printf(out, "%d OF %d RECORDS DISPLAYED\nEND OF THE REPORT\n", total, total);
}

static void
bindings_json(const struct agent_reply *r, int n, struct lib_sbuf *out)
{
	struct plex_json *sum = NULL;
	int i, total = 0, first = 1;
	size_t j;

	lib_sbuf_printf(out, "{\"bindings\":[");
	for (i = 0; i < n; i++) {
		const struct plex_json *b = r[i].v ? plex_json_get(r[i].v, "bindings") : NULL;

		for (j = 0; b && b->type == PLEX_JSON_ARRAY && j < b->n; j++) {
			const struct plex_json *e = b->items[j];
			struct lib_sbuf one = { 0 };

			/* {"host":"CLIENT1", ...the agent's fields}. */
			plex_json_write(e, &one);
			lib_sbuf_printf(out, "%s{\"host\":", first ? "" : ",");
			lib_sbuf_json_str(out, r[i].host);
			if (one.s && one.len > 2)
				lib_sbuf_printf(out, ",%s", one.s + 1);
			else
				lib_sbuf_printf(out, "}");
			lib_sbuf_free(&one);
			first = 0;
			total++;
		}
	}
	lib_sbuf_printf(out, "],\"records\":%d,\"counters\":", total);
	for (i = 0; i < n; i++) {
		const struct plex_json *c = r[i].v ? plex_json_get(r[i].v, "counters") : NULL;

		if (!c)
			continue;
		if (!sum)
			sum = json_clone(c);
		else
			sum_into(sum, c);
	}
	if (sum)
		plex_json_write(sum, out);
	else
		lib_sbuf_printf(out, "{}");
	plex_json_free(&sum);
	lib_sbuf_printf(out, ",\"clients\":[");
	for (i = 0; i < n; i++) {
		lib_sbuf_printf(out, "%s{\"host\":", i ? "," : "");
		lib_sbuf_json_str(out, r[i].host);
		if (r[i].v) {
			lib_sbuf_printf(out, ",\"records\":%lld,\"counters\":",
					plex_json_int(r[i].v, "records", 0));
			plex_json_write(plex_json_get(r[i].v, "counters"), out);
		} else {
			lib_sbuf_printf(out, ",\"error\":");
			lib_sbuf_json_str(out, r[i].why);
		}
		lib_sbuf_printf(out, "}");
	}
	lib_sbuf_printf(out, "]}\n");
}

static int
show_bindings(const struct plex_inst *in, const struct plex_state *st, char **tok, int ntok,
	      int json, int timeout_ms, struct lib_sbuf *out, struct lib_sbuf *err)
{
	static const char *const mip6_reports[] = { "BINDINGS" };
	struct agent_reply r[PLEX_MAX_HOSTS];
	int i, n = 0, answered = 0, want = -1;

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
		if (want < 0 || st->h[want].is_system)
			return unknown_host(st, 0, "D MIP6,BINDINGS", tok[2], json, out);
	}
	for (i = 0; i < st->nhosts; i++) {
		struct lib_sbuf body;
		char path[PATH_MAX], perr[128];
		int rc = 8, x;

		if (st->h[i].is_system || (want >= 0 && i != want))
			continue;
		memset(&r[n], 0, sizeof(r[n]));
		r[n].host = st->h[i].name;
		ctl_path(in, st->h[i].name, "agent.ctl", path, sizeof(path));
		x = plex_ctl(path, "SHOW", 1, timeout_ms, &rc, &body);
		if (x < 0)
			snprintf(r[n].why, sizeof(r[n].why), "%s: %s", path,
				 x == -ENOENT ? "no client agent runs there" : strerror(-x));
		else if (rc != 0)
			snprintf(r[n].why, sizeof(r[n].why), "SHOW refused: %.200s",
				 body.s ? body.s : "");
		else if (!(r[n].v = plex_json_parse(body.s ? body.s : "", body.len, perr,
						    sizeof(perr))))
			snprintf(r[n].why, sizeof(r[n].why), "bad JSON from the agent: %s", perr);
		else
			answered++;
		r[n].why[strcspn(r[n].why, "\n")] = '\0';
		lib_sbuf_free(&body);
		n++;
	}
	if (n == 0)
		return reject(out, json, "D MIP6,BINDINGS: this sysplex has no clients");
	if (!answered && want >= 0) {
		lib_sbuf_printf(err, "%s: %s", r[0].host, r[0].why);
		plex_json_free(&r[0].v);
		return -1;
	}
	if (json)
		bindings_json(r, n, out);
	else
		bindings_text(r, n, out);
	for (i = 0; i < n; i++)
		plex_json_free(&r[i].v);
	return answered ? 0 : 8;
}

/* ---- ROUTE --------------------------------------------------------------------- */

static int route(const struct plex_inst *in, const struct plex_state *st, const char *rest,
		 int json, int timeout_ms, struct lib_sbuf *out, struct lib_sbuf *err);

static int
route_all(const struct plex_inst *in, const struct plex_state *st, const char *cmd, int json,
	  int timeout_ms, struct lib_sbuf *out, struct lib_sbuf *err)
{
	int i, rc = 0, first = 1;

	if (json)
		lib_sbuf_printf(out, "{");
	for (i = 0; i < st->nhosts; i++) {
		struct lib_sbuf o = { 0 }, e = { 0 };
		int r;

		if (!st->h[i].is_system)
			continue;
		r = plex_opcmd(in, st, st->h[i].name, cmd, json, timeout_ms, &o, &e);
		if (r != 0)
			rc = 8;
		if (json) {
			lib_sbuf_printf(out, "%s", first ? "" : ",");
			lib_sbuf_json_str(out, st->h[i].name);
			lib_sbuf_printf(out, ":");
			if (r < 0) {
				lib_sbuf_printf(out, "{\"error\":");
				lib_sbuf_json_str(out, e.s ? e.s : "no answer");
				lib_sbuf_printf(out, "}");
			} else {
				/* The stack's JSON without its trailing newline. */
				while (o.len && (o.s[o.len - 1] == '\n' || o.s[o.len - 1] == '\r'))
					o.s[--o.len] = '\0';
				lib_sbuf_printf(out, "%s", o.len ? o.s : "null");
			}
		} else {
			lib_sbuf_printf(out, "%-8s RESPONSES ---------------------------------------\n",
					st->h[i].name);
			if (r < 0)
				lib_sbuf_printf(out, "%s\n", e.s ? e.s : "no answer");
			else if (o.s)
				lib_sbuf_printf(out, "%s", o.s);
		}
		first = 0;
		lib_sbuf_free(&o);
		lib_sbuf_free(&e);
	}
	if (json)
		lib_sbuf_printf(out, "}\n");
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
	while (*cmd == ' ')
		cmd++;
	if (!*cmd)
		return reject(out, json, "expected ROUTE %s,command: the command is missing", sys);
	if (strncasecmp(cmd, "ROUTE ", 6) == 0 || strncasecmp(cmd, "RO ", 3) == 0)
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
	char buf[1100], *verb, *tok[16];
	const char *p = line;
	int ntok, idx = -1, display;

	while (*p == ' ' || *p == '\t')
		p++;
	if (strlen(p) > 1000)
		return reject(out, json, "command too long (at most 1000 characters)");
	if (strpbrk(p, "\r\n"))
		return reject(out, json, "a command is one line (no line breaks)");
	ntok = split_cmd(p, buf, sizeof(buf), &verb, tok, (int)LIB_ARRAY_LEN(tok));
	if (strcmp(verb, "ROUTE") == 0 || strcmp(verb, "RO") == 0)
		return route(in, st, p + strcspn(p, " \t"), json, timeout_ms, out, err);
	display = strcmp(verb, "D") == 0 || strcmp(verb, "DISPLAY") == 0;
	if (display && ntok >= 1 && strcmp(tok[0], "MIP6") == 0)
		return show_bindings(in, st, tok, ntok, json, timeout_ms, out, err);
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
