/*
 * ctl.c - the stack's control socket (STATEDIR/ctl.sock, mode 0600, served
 * by lib/ctl.c) and the commands it takes: the operator's D and V commands
 * in z/OS syntax and the launcher's private SYSPLEX$ queries.
 *
 * A display is a pair: its builder (display.c: the stack's state into one
 * result object) and its text renderer (render.c); the answer is that object
 * as JSON, or its text.  A bad command gets one line naming what was
 * expected (lib_ctl_error); it never affects the daemon.
 *
 * Level 9 of tcpip-stack/ (stack.h): calls display.c, render.c, vary.c,
 * dp.c and own.c.
 */
#include "tcpip-stack/stack.h"
#include "tcpip-stack/render.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

typedef struct json_t *(*show_fn)(struct stack *s);

/* The displays: D TCPIP,tcp,NETSTAT,name and D TCPIP,,SYSPLEX,name (VIPAD
 * is z/OS's short form of VIPADYN), each a builder and a text renderer. */
enum { NETSTAT, SYSPLEX };
/* An IPv6 address, or an IPv4 one (kept IPv4-mapped, as every DVIPA). */
static int
addr_parse(const char *t, uint8_t a[16])
{
	memset(a, 0, 16);
	if (inet_pton(AF_INET, t, a + 12) == 1) {
		a[10] = a[11] = 0xff;
		return 0;
	}
	return lib_ip6_parse(t, a);
}

static const struct display {
	int kind;
	const char *name;
	show_fn show;
	lib_ctl_render_cb render;
} displays[] = {
	{ NETSTAT, "VDPT", stack_show_vdpt, stack_render_vdpt },
	{ NETSTAT, "VCRT", stack_show_vcrt, stack_render_vcrt },
	{ NETSTAT, "VIPADYN", stack_show_vipadyn, stack_render_vipadyn },
	{ NETSTAT, "VIPADCFG", stack_show_vipadcfg, stack_render_vipadcfg },
	{ NETSTAT, "HOME", stack_show_home, stack_render_home },
	{ NETSTAT, "CONN", stack_show_conn, stack_render_conn },
	{ NETSTAT, "CONFIG", stack_show_config, stack_render_config },
	{ NETSTAT, "ROUTE", stack_show_route, stack_render_route },
	{ SYSPLEX, "VIPADYN", stack_show_sysplex_vipadyn, stack_render_sysplex_vipadyn },
	{ SYSPLEX, "GROUP", stack_show_group, stack_render_group },
	{ SYSPLEX, "PORTS", stack_show_sysplex_ports, stack_render_sysplex_ports },
	{ SYSPLEX, "VIPAD", stack_show_sysplex_vipadyn, stack_render_sysplex_vipadyn },
	{ -1, NULL, NULL, NULL },
};

static const char *const actions[] = { "LEAVEGROUP", "JOINGROUP", "DEACTIVATE", "REACTIVATE",
				       "QUIESCE", "RESUME" };
static const char *const verbs[] = { "D", "DISPLAY", "V", "VARY" };

/* Builds display d and answers it as JSON or text. */
static int
show(struct stack *s, lib_ctl_render_cb render, show_fn fn, int detail, int json,
     struct lib_sbuf *o)
{
	struct stack_render ctx = { &s->ctl_reports, detail };

	return lib_ctl_result(o, json, fn(s), render, &ctx);
}

static int
unknown_word(struct lib_sbuf *o, int json, const char *what, const char *w,
	     const char *const *words, size_t n)
{
	char list[256];
	const char *sug = lib_closest_word(w, words, n);

	lib_word_list(list, sizeof(list), words, n);
	if (sug)
		return lib_ctl_error(o, json, "unknown %s '%s': expected %s (did you mean %s?)", what, w,
				     list, sug);
	return lib_ctl_error(o, json, "unknown %s '%s': expected %s", what, w, list);
}

/* D TCPIP,...,kind,name[,DETAIL]: the display, or the refusal that names
 * the displays of that kind. */
static int
display(struct stack *s, int kind, const char *name, int detail, int json, struct lib_sbuf *o)
{
	const char *words[LIB_ARRAY_LEN(displays)];
	const struct display *d;
	size_t n = 0;

	for (d = displays; d->name; d++) {
		if (d->kind == kind && strcmp(d->name, name) == 0)
			return show(s, d->render, d->show, detail, json, o);
		if (d->kind == kind && strcmp(d->name, "VIPAD") != 0)
			words[n++] = d->name;
	}
	return unknown_word(o, json, kind == NETSTAT ? "NETSTAT report" : "SYSPLEX report", name,
			    words, n);
}

/* SYSPLEX$LINK LOSS=pct DELAY=ms: fault injection in our TUN data path. */
static int
set_link(void *arg, int loss_pct, unsigned delay_ms)
{
	return stack_dp_link(arg, loss_pct, delay_ms);
}

/* SYSPLEX$CDS LOSS|RESTORE: fault injection in our couple data set client. */
static int
do_cds(struct stack *s, char **tok, int ntok, int json, struct lib_sbuf *o)
{
	int lost;

	if (ntok != 1 || (strcmp(tok[0], "LOSS") != 0 && strcmp(tok[0], "RESTORE") != 0))
		return lib_ctl_error(o, json, "expected SYSPLEX$CDS LOSS or SYSPLEX$CDS RESTORE");
	lost = tok[0][0] == 'L';
	if (xcf_cds_fault(s->xcf, lost) < 0)
		return lib_ctl_error(o, json, "%s has no couple data set", s->sysname);
	return lib_ctl_ok(o, json, "COUPLE DATA SET %s FROM %s (fault injected in the stack's CDS "
			  "client)", lost ? "NOT REACHABLE" : "REACHABLE AGAIN", s->sysname);
}

/* V TCPIP,tcp,WLM,CAPACITY=n,LOAD=pct (ours: the emulated WLM). */
static int
do_wlm(struct stack *s, char **tok, int ntok, int json, struct lib_sbuf *o)
{
	long cap = -1, load = -1;
	const struct lib_ctl_opt opts[] = {
		{ "CAPACITY", "a whole number ", 0, 1000000, &cap },
		{ "LOAD", "a whole number of percent ", 0, 100, &load },
	};
	char err[LIB_CTL_LINE_MAX + 128], msg[256];

	if (ntok < 4)
		return lib_ctl_error(o, json, "expected V TCPIP,%s,WLM,CAPACITY=n,LOAD=pct (one or both)",
				     s->tcpname);
	if (lib_ctl_options(&tok[3], ntok - 3, opts, 2, "CAPACITY=n or LOAD=pct", err,
			    sizeof(err)) < 0)
		return lib_ctl_error(o, json, "%s", err);
	stack_wlm_set(s, cap, load, msg, sizeof(msg));
	log_info("%s", msg);
	return lib_ctl_ok(o, json, "%s", msg);
}

/* V TCPIP,tcp,OBEYFILE,path: the file name as written (the command line is
 * upper-cased for parsing; a Unix path keeps its case). */
static int
do_obey(struct stack *s, const struct lib_ctl_cmd *c, const char *line, int json,
	struct lib_sbuf *o)
{
	char path[LIB_CTL_LINE_MAX], msg[LIB_CTL_LINE_MAX + 512];
	size_t off;
	int r;

	if (c->ntok != 4 || !c->tok[3][0])
		return lib_ctl_error(o, json, "expected V TCPIP,%s,OBEYFILE,file (one file name, "
				     "without commas or blanks)", s->tcpname);
	if (c->tok[1][0] && strcmp(c->tok[1], s->tcpname) != 0)
		return lib_ctl_error(o, json, "EZZ0334I TCP/IP STACK %s NOT FOUND (this stack is %s)",
				     c->tok[1], s->tcpname);
	off = (size_t)(c->tok[3] - c->buf);
	lib_strlcpy(path, line + off, sizeof(path));
	path[strlen(c->tok[3])] = '\0';
	r = stack_obey(s, path, msg, sizeof(msg));
	if (r < 0) {
		log_warnx("%s", msg);
		return lib_ctl_error(o, json, "%s", msg);
	}
	log_info("%s", msg);
	return lib_ctl_ok(o, json, "%s", msg);
}

/* V TCPIP,tcp,SYSPLEX,ACTION[,OPERAND] | V TCPIP,tcp,WLM,... */
/* SYSPLEX$EVDROP n: fault injection in our target side: the next n
 * incremental connection reports are not sent, as if lost on the way (the
 * owner's digest check must repair its view).  SYSPLEX$REPORT: full
 * connection reports of every DVIPA we are a target of, now. */
static int
do_evdrop(struct stack *s, char **tok, int ntok, int json, struct lib_sbuf *o)
{
	char *end;
	unsigned long n;

	if (ntok != 1 || !tok[0][0] || (n = strtoul(tok[0], &end, 10), *end) || n > 1000000)
		return lib_ctl_error(o, json, "expected SYSPLEX$EVDROP n (0-1000000)");
	s->tgt.drop_reports = n;
	return lib_ctl_ok(o, json, "THE NEXT %lu CONNECTION REPORTS OF %s ARE DROPPED (fault injected "
			  "in the stack's target side)", n, s->sysname);
}

/* V TCPIP,tcp,SYSPLEX,ACTION[,OPERAND] */
static int
do_vary(struct stack *s, char **tok, int ntok, int json, struct lib_sbuf *o)
{
	char msg[256];
	int r = -1;

	if (ntok >= 3 && strcmp(tok[0], "TCPIP") == 0 && strcmp(tok[2], "WLM") == 0) {
		if (tok[1][0] && strcmp(tok[1], s->tcpname) != 0)
			return lib_ctl_error(o, json, "EZZ0334I TCP/IP STACK %s NOT FOUND (this stack is %s)",
					     tok[1], s->tcpname);
		return do_wlm(s, tok, ntok, json, o);
	}

	if (ntok < 4 || strcmp(tok[0], "TCPIP") != 0 || strcmp(tok[2], "SYSPLEX") != 0)
		return lib_ctl_error(o, json, "expected V TCPIP,tcpname,SYSPLEX,action (LEAVEGROUP, "
				     "JOINGROUP, DEACTIVATE,DVIPA=a, REACTIVATE,DVIPA=a, "
				     "QUIESCE,PORT=n|TARGET, RESUME,PORT=n|TARGET) or "
				     "V TCPIP,tcpname,WLM,CAPACITY=n,LOAD=pct");
	if (tok[1][0] && strcmp(tok[1], s->tcpname) != 0)
		return lib_ctl_error(o, json, "EZZ0334I TCP/IP STACK %s NOT FOUND (this stack is %s)",
				     tok[1], s->tcpname);
	if (strcmp(tok[3], "LEAVEGROUP") == 0 && ntok == 4)
		r = stack_leavegroup(s, msg, sizeof(msg));
	else if (strcmp(tok[3], "JOINGROUP") == 0 && ntok == 4)
		r = stack_joingroup(s, msg, sizeof(msg));
	else if (strcmp(tok[3], "DEACTIVATE") == 0 || strcmp(tok[3], "REACTIVATE") == 0) {
		uint8_t a[16];

		if (ntok != 5 || strncmp(tok[4], "DVIPA=", 6) != 0 || addr_parse(tok[4] + 6, a) < 0)
			return lib_ctl_error(o, json, "expected V TCPIP,%s,SYSPLEX,%s,DVIPA=address",
					     s->tcpname, tok[3]);
		r = stack_deactivate(s, a, tok[3][0] == 'D', msg, sizeof(msg));
	} else if (strcmp(tok[3], "QUIESCE") == 0 || strcmp(tok[3], "RESUME") == 0) {
		long port = -1;

		if (ntok == 5 && strncmp(tok[4], "PORT=", 5) == 0) {
			const struct lib_ctl_opt opt = { "PORT", "", 1, 65535, &port };
			char err[LIB_CTL_LINE_MAX + 128];

			if (lib_ctl_options(&tok[4], 1, &opt, 1, "PORT=n", err, sizeof(err)) < 0)
				return lib_ctl_error(o, json, "%s", err);
		} else if (!(ntok == 5 && strcmp(tok[4], "TARGET") == 0))
			return lib_ctl_error(o, json, "expected V TCPIP,%s,SYSPLEX,%s,PORT=n or ...,TARGET",
					     s->tcpname, tok[3]);
		r = stack_quiesce(s, (int)port, tok[3][0] == 'Q', msg, sizeof(msg));
	} else
		return unknown_word(o, json, "SYSPLEX action", tok[3], actions, LIB_ARRAY_LEN(actions));
	if (r < 0)
		return lib_ctl_error(o, json, "%s", msg);
	log_info("%s", msg);
	return lib_ctl_ok(o, json, "%s", msg);
}

/* D XCF,GROUP[,name] | D XCF,COUPLE */
static int
do_display_xcf(struct stack *s, char **tok, int ntok, int json, struct lib_sbuf *o)
{
	if (ntok == 2 && (strcmp(tok[1], "COUPLE") == 0 || strcmp(tok[1], "CPL") == 0))
		return show(s, stack_render_couple, stack_show_couple, 0, json, o) < 0 ? -1 : 0;
	if (ntok < 2 || (strcmp(tok[1], "GROUP") != 0 && strcmp(tok[1], "G") != 0))
		return lib_ctl_error(o, json, "expected D XCF,GROUP[,EZBTCPCS] or D XCF,COUPLE");
	if (ntok == 2)
		return show(s, stack_render_xcf_groups, stack_show_xcf_groups, 0, json, o);
	if (ntok == 3 && strcmp(tok[2], "EZBTCPCS") == 0)
		return show(s, stack_render_group, stack_show_group, STACK_RENDER_XCF, json, o);
	return lib_ctl_error(o, json, "unknown XCF group '%s': expected EZBTCPCS", ntok > 2 ? tok[2] : "");
}

/* D TCPIP,tcp,NETSTAT,report[,DETAIL] | D TCPIP,tcp,SYSPLEX,report | D XCF,... */
static int
do_display(struct stack *s, char **tok, int ntok, int json, struct lib_sbuf *o)
{
	int i, detail = 0;

	if (ntok >= 1 && strcmp(tok[0], "XCF") == 0)
		return do_display_xcf(s, tok, ntok, json, o);
	if (ntok < 1 || strcmp(tok[0], "TCPIP") != 0)
		return lib_ctl_error(o, json, "expected D TCPIP,tcpname,NETSTAT,report or D TCPIP,,SYSPLEX,"
				     "report or D XCF,GROUP or D XCF,COUPLE");
	if (ntok < 4)
		return lib_ctl_error(o, json, "expected D TCPIP,tcpname,NETSTAT,report (VDPT, VCRT, "
				     "VIPADYN, VIPADCFG, HOME, CONN, CONFIG, ROUTE)");
	if (tok[1][0] && strcmp(tok[1], s->tcpname) != 0)
		return lib_ctl_error(o, json, "EZZ0334I TCP/IP STACK %s NOT FOUND (this stack is %s)",
				     tok[1], s->tcpname);
	if (strcmp(tok[2], "SYSPLEX") == 0) {
		if (ntok != 4)
			return lib_ctl_error(o, json, "unexpected operand '%s' after %s", tok[4], tok[3]);
		return display(s, SYSPLEX, tok[3], 0, json, o);
	}
	if (strcmp(tok[2], "NETSTAT") != 0 && strcmp(tok[2], "N") != 0) {
		static const char *const kinds[] = { "NETSTAT", "SYSPLEX" };

		return unknown_word(o, json, "TCPIP display", tok[2], kinds, LIB_ARRAY_LEN(kinds));
	}
	for (i = 4; i < ntok; i++) {
		if (strcmp(tok[i], "DETAIL") == 0)
			detail = 1;
		else
			return lib_ctl_error(o, json, "unexpected operand '%s': expected DETAIL", tok[i]);
	}
	return display(s, NETSTAT, tok[3], detail, json, o);
}

int
stack_ctl_exec(struct stack *s, const char *line, int json, struct lib_sbuf *o)
{
	struct lib_ctl_cmd c;
	char err[LIB_CTL_LINE_MAX + 128];
	const char *verb;

	if (lib_ctl_parse(line, &c, err, sizeof(err)) < 0)
		return lib_ctl_error(o, json, "%s", err);
	verb = c.verb;
	if (!verb[0])
		return lib_ctl_error(o, json, "empty command: expected D TCPIP,... or V TCPIP,...");
	if (strcmp(verb, "SYSPLEX$ROLE") == 0)
		return show(s, stack_render_role, stack_show_role, 0, json, o);
	if (strcmp(verb, "SYSPLEX$STATS") == 0)
		return show(s, NULL, stack_show_stats, 0, json, o);
	if (strcmp(verb, "SYSPLEX$MIP6") == 0)
		return show(s, stack_render_mip6, stack_show_mip6, 0, json, o);
	if (strcmp(verb, "SYSPLEX$CDS") == 0)
		return do_cds(s, c.tok, c.ntok, json, o);
	if (strcmp(verb, "SYSPLEX$EVDROP") == 0)
		return do_evdrop(s, c.tok, c.ntok, json, o);
	if (strcmp(verb, "SYSPLEX$REPORT") == 0 && c.ntok == 0) {
		stack_tgt_report_all(s);
		return lib_ctl_ok(o, json, "FULL CONNECTION REPORTS SENT BY %s", s->sysname);
	}
	if (strcmp(verb, "SYSPLEX$LINK") == 0)
		return lib_ctl_link(o, json, c.tok, c.ntok, s->dp.link_loss_pct, s->dp.link_delay_ms,
				    set_link, s, s->sysname, "STACK'S");
	if (strcmp(verb, "D") == 0 || strcmp(verb, "DISPLAY") == 0)
		return do_display(s, c.tok, c.ntok, json, o);
	if ((strcmp(verb, "V") == 0 || strcmp(verb, "VARY") == 0) && c.ntok >= 3 &&
	    strcmp(c.tok[0], "TCPIP") == 0 &&
	    (strcmp(c.tok[2], "OBEYFILE") == 0 || strcmp(c.tok[2], "O") == 0))
		return do_obey(s, &c, line, json, o);
	if (strcmp(verb, "V") == 0 || strcmp(verb, "VARY") == 0)
		return do_vary(s, c.tok, c.ntok, json, o);
	return unknown_word(o, json, "command", verb, verbs, LIB_ARRAY_LEN(verbs));
}

/* ---- socket ---------------------------------------------------------------- */

static int
exec_cb(const char *line, int json, struct lib_sbuf *out, void *arg)
{
	struct stack *s = arg;
	int rc;

	/* Reporting a DVIPA ACTIVE is an owner action: the lease first (after
	 * SIGCONT this runs before any timer). */
	stack_own_guard(s);
	rc = stack_ctl_exec(s, line, json, out);
	if (rc < 0)
		lib_verdict(&s->ctl_verdicts, "bad operator command");
	return rc;
}

int
stack_ctl_start(struct stack *s)
{
	s->ctl = lib_ctl_open(s->loop, s->statedir, 0, exec_cb, s);
	return s->ctl ? 0 : -1;
}

void
stack_ctl_stop(struct stack *s)
{
	lib_ctl_stop(&s->ctl);
}
