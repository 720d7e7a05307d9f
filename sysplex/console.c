/*
 * console.c - `sysplex cmd` (one operator command) and `sysplex console`
 * (an operator console: libedit line editing, history in ~/.sysplex_history,
 * TAB completion of command words and host names).
 *
 *   sysplex cmd [--system SYS] [--json] [--timeout SEC] COMMAND...
 *   sysplex console [--system SYS] [--json]
 *
 * Both run their commands through plex_opcmd (opcmd.c).  The console keeps a
 * current system (shown in the prompt; at start the routing stack, or the
 * first system when there is none) and adds its own verbs:
 *   SYSTEM [name]   show or switch the current system
 *   JSON ON|OFF     answers as JSON or z/OS text
 *   HELP            the commands
 *   EXIT (QUIT, END, or end of input)
 * Lines starting with '*' or '#' are comments.  When stdin is not a terminal
 * the console reads lines without prompting or editing, so tests can pipe
 * commands in.  Exit status: 0 when every command succeeded, 8 when any was
 * refused (RC=8) or got no answer, 1 when the instance is not up.
 */
#include "sysplex/sysplex.h"

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <editline/readline.h>

#define CMD_TIMEOUT_MS 10000

/* ---- sysplex cmd ------------------------------------------------------------- */

static void
usage_cmd(void)
{
	fprintf(stderr, "usage: sysplex [--instance NAME] cmd [--system SYS] [--json] [--timeout SEC] "
			"'COMMAND'\n"
			"  e.g. sysplex cmd 'D TCPIP,TCPCS,NETSTAT,VDPT'\n"
			"       sysplex cmd 'ROUTE SYSB,D TCPIP,TCPCS,NETSTAT,VCRT,DETAIL'\n"
			"       sysplex cmd --json 'D MIP6,BINDINGS,CLIENT1'\n");
}

int
plex_cmd_cmd(const struct plex_inst *in, int argc, char **argv)
{
	static struct plex_state st;
	struct lib_sbuf text = { 0 }, out = { 0 }, err = { 0 };
	const char *sys = NULL;
	int i, json = 0, r, opts = 1, timeout_ms = CMD_TIMEOUT_MS;

	/* Only the known options are options: anything else, even starting
	 * with "--", is command text (the stack judges it). */
	for (i = 0; i < argc; i++) {
		if (opts && strcmp(argv[i], "--json") == 0) {
			json = 1;
		} else if (opts && strcmp(argv[i], "--system") == 0 && i + 1 < argc) {
			sys = argv[++i];
		} else if (opts && strcmp(argv[i], "--timeout") == 0 && i + 1 < argc) {
			char *end;
			double s = strtod(argv[++i], &end);

			if (*end || s <= 0 || s > 600) {
				usage_cmd();
				lib_sbuf_free(&text);
				return 2;
			}
			timeout_ms = (int)(s * 1000);
		} else if (opts && strcmp(argv[i], "--") == 0) {
			opts = 0;
		} else {
			lib_sbuf_printf(&text, "%s%s", text.len ? " " : "", argv[i]);
		}
	}
	if (!text.s || !text.len) {
		usage_cmd();
		lib_sbuf_free(&text);
		return 2;
	}
	if (plex_state_read(in, &st) < 0) {
		plex_not_up(in);
		lib_sbuf_free(&text);
		return 8;
	}
	r = plex_opcmd(in, &st, sys, text.s, json, timeout_ms, &out, &err);
	lib_sbuf_free(&text);
	if (out.s)
		fwrite(out.s, 1, out.len, stdout);
	if (r < 0)
		fprintf(stderr, "sysplex: %s\n", err.s ? err.s : "no answer");
	lib_sbuf_free(&out);
	lib_sbuf_free(&err);
	return r == 0 ? 0 : 8;
}

/* ---- sysplex console ----------------------------------------------------------- */

static const char *const console_verbs[] = { "D", "DISPLAY", "V", "VARY", "ROUTE", "RO",
					     "SYSTEM", "JSON", "HELP", "EXIT", "QUIT", "END" };

/* Words TAB completes (besides host and stack names). */
static const char *const words[] = {
	"D", "V", "ROUTE", "TCPIP", "NETSTAT", "SYSPLEX", "XCF", "VDPT", "VCRT", "VIPADYN",
	"VIPADCFG", "HOME", "CONN", "CONFIG", "GROUP", "DETAIL", "LEAVEGROUP", "JOINGROUP", "DEACTIVATE",
	"REACTIVATE", "QUIESCE", "RESUME", "DVIPA=", "PORT=", "TARGET", "MIP6", "BINDINGS",
	"EZBTCPCS", "COUPLE", "SYSTEM", "JSON", "ON", "OFF", "HELP", "EXIT", "*ALL",
};

static struct plex_state cst;		/* the state the completer sees */

static char *
complete_gen(const char *text, int state)
{
	static size_t idx;
	static int hidx;
	size_t tl = strlen(text);

	if (state == 0) {
		idx = 0;
		hidx = 0;
	}
	while (idx < LIB_ARRAY_LEN(words)) {
		const char *w = words[idx++];

		if (strncasecmp(w, text, tl) == 0)
			return strdup(w);
	}
	/* Host names, then the stacks' TCP names (each once). */
	while (hidx < 2 * cst.nhosts) {
		int i = hidx % cst.nhosts, tcp = hidx >= cst.nhosts;
		const char *w = tcp ? cst.h[i].tcpname : cst.h[i].name;
		int j, dup = 0;

		hidx++;
		if (!w[0])
			continue;
		for (j = 0; tcp && j < i; j++)
			if (strcmp(cst.h[j].tcpname, w) == 0)
				dup = 1;
		if (!dup && strncasecmp(w, text, tl) == 0)
			return strdup(w);
	}
	return NULL;
}

static char **
complete(const char *text, int start, int end)
{
	LIB_UNUSED(end);
	/* The first word takes a space after it; inside the comma-separated
	 * operands nothing is appended (the operator types ',' or '='). */
	rl_completion_append_character = start == 0 ? ' ' : '\0';
	rl_attempted_completion_over = 1;
	return rl_completion_matches(text, complete_gen);
}

static void
help(struct lib_sbuf *out)
{
	lib_sbuf_printf(out,
		"Operator commands (z/OS syntax, sent to the current system's stack):\n"
		"  D TCPIP,tcpname,NETSTAT,VIPADCFG | VIPADYN | VDPT[,DETAIL] | VCRT[,DETAIL] | HOME | CONN |\n"
		"        CONFIG | ROUTE[,DETAIL]\n"
		"  D TCPIP,,SYSPLEX,VIPADYN | GROUP\n"
		"  D XCF,GROUP[,EZBTCPCS]\n"
		"  D MIP6,BINDINGS[,client]          the client agents' binding caches\n"
		"  V TCPIP,tcpname,SYSPLEX,LEAVEGROUP | JOINGROUP | DEACTIVATE,DVIPA=a |\n"
		"        REACTIVATE,DVIPA=a | QUIESCE,PORT=n | QUIESCE,TARGET | RESUME,PORT=n |\n"
		"        RESUME,TARGET\n"
		"  ROUTE sys,command | ROUTE *ALL,command\n"
		"Console commands:\n"
		"  SYSTEM [name]   show or switch the current system\n"
		"  JSON ON|OFF     answers as JSON or as z/OS text\n"
		"  HELP            this text\n"
		"  EXIT            leave (also QUIT, END, Ctrl-D)\n"
		"TAB completes command words and names; history is kept in ~/.sysplex_history.\n");
}

static void
console_err(struct plex_console *c, struct lib_sbuf *out, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void
console_err(struct plex_console *c, struct lib_sbuf *out, const char *fmt, ...)
{
	char msg[600];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	c->failed = 1;
	lib_ctl_say(out, c->json, 0, "%s", msg);
}

/* Picks the routing stack as the current system, else the first system. */
static void
initial_system(struct plex_console *c)
{
	int i = plex_find_routing(c->in, &cst, 1000, NULL, 0);

	if (i < 0)
		for (i = 0; i < cst.nhosts && !cst.h[i].is_system; i++)
			;
	if (i >= 0 && i < cst.nhosts)
		lib_strlcpy(c->sys, cst.h[i].name, sizeof(c->sys));
}

int
plex_console_line(struct plex_console *c, char *line, struct lib_sbuf *out)
{
	char verb[32], arg[64], extra[8];
	struct lib_sbuf err = { 0 };
	struct plex_state *st = c->st;
	int n, r, i;

	line[strcspn(line, "\r\n")] = '\0';
	while (*line == ' ' || *line == '\t')
		line++;
	if (!*line || *line == '*' || *line == '#')
		return 0;
	verb[0] = arg[0] = '\0';
	n = sscanf(line, "%31s %63s %7s", verb, arg, extra);
	for (i = 0; verb[i]; i++)
		verb[i] = (char)toupper((unsigned char)verb[i]);
	if (strcmp(verb, "EXIT") == 0 || strcmp(verb, "QUIT") == 0 || strcmp(verb, "END") == 0)
		return 1;
	if (strcmp(verb, "HELP") == 0 || strcmp(verb, "?") == 0) {
		help(out);
		return 0;
	}
	if ((c->state_read ? c->state_read(c->in, st) : plex_state_read(c->in, st)) < 0) {
		console_err(c, out, "instance %s is no longer up (no %s)", c->in->name,
			    c->in->statefile);
		return 0;
	}
	if (strcmp(verb, "SYSTEM") == 0 || strcmp(verb, "SYS") == 0) {
		if (n == 1) {
			lib_sbuf_printf(out, "CURRENT SYSTEM %s\n", c->sys);
		} else if (n > 2) {
			console_err(c, out, "expected SYSTEM name");
		} else if ((i = plex_state_index(st, arg, 1)) < 0) {
			const char *names[PLEX_MAX_HOSTS], *sug;
			size_t k = 0;
			char list[256] = "";

			for (i = 0; i < st->nhosts; i++)
				if (st->h[i].is_system) {
					names[k++] = st->h[i].name;
					strncat(list, st->h[i].name, sizeof(list) - strlen(list) - 2);
					strcat(list, " ");
				}
			sug = plex_closest(arg, names, k);
			console_err(c, out, "no system '%s': expected one of %s%s%s%s", arg, list,
				    sug ? "(did you mean " : "", sug ? sug : "", sug ? "?)" : "");
		} else {
			lib_strlcpy(c->sys, st->h[i].name, sizeof(c->sys));
			if (c->tty)
				lib_sbuf_printf(out, "CURRENT SYSTEM %s\n", c->sys);
		}
		return 0;
	}
	if (strcmp(verb, "JSON") == 0) {
		for (i = 0; arg[i]; i++)
			arg[i] = (char)toupper((unsigned char)arg[i]);
		if (n == 2 && strcmp(arg, "ON") == 0)
			c->json = 1;
		else if (n == 2 && strcmp(arg, "OFF") == 0)
			c->json = 0;
		else
			console_err(c, out, "expected JSON ON or JSON OFF");
		return 0;
	}
	{
		int known = 0;

		for (i = 0; i < (int)LIB_ARRAY_LEN(console_verbs); i++)
			if (strcmp(verb, console_verbs[i]) == 0)
				known = 1;
		if (strncmp(verb, "SYSPLEX$", 8) == 0)
			known = 1;
		if (!known) {
			const char *sug = plex_closest(verb, console_verbs,
						       LIB_ARRAY_LEN(console_verbs));

			console_err(c, out, "unknown command '%s': expected D, V, ROUTE, SYSTEM, JSON, "
				       "HELP or EXIT%s%s%s", verb, sug ? " (did you mean " : "",
				    sug ? sug : "", sug ? "?)" : "");
			return 0;
		}
	}
	r = plex_opcmd(c->in, st, c->sys, line, c->json, CMD_TIMEOUT_MS, out, &err);
	if (r < 0)
		console_err(c, out, "%s", err.s ? err.s : "no answer");
	else if (r != 0)
		c->failed = 1;
	lib_sbuf_free(&err);
	return 0;
}

/* One line of the console, its answer on stdout; returns 1 to leave. */
static int
console_line(struct plex_console *c, char *line)
{
	struct lib_sbuf out = { 0 };
	int r = plex_console_line(c, line, &out);

	if (out.s)
		fwrite(out.s, 1, out.len, stdout);
	lib_sbuf_free(&out);
	fflush(stdout);
	return r;
}

int
plex_cmd_console(const struct plex_inst *in, int argc, char **argv)
{
	struct plex_console c = { .in = in, .st = &cst };
	char hist[PATH_MAX] = "", prompt[64];
	const char *home = getenv("HOME");
	int i;

	for (i = 0; i < argc; i++) {
		if (strcmp(argv[i], "--json") == 0) {
			c.json = 1;
		} else if (strcmp(argv[i], "--system") == 0 && i + 1 < argc) {
			lib_strlcpy(c.sys, argv[++i], sizeof(c.sys));
		} else {
			fprintf(stderr, "usage: sysplex [--instance NAME] console [--system SYS] "
					"[--json]\n");
			return 2;
		}
	}
	if (plex_state_read(in, &cst) < 0) {
		plex_not_up(in);
		return 1;
	}
	if (c.sys[0]) {
		i = plex_state_index(&cst, c.sys, 1);
		if (i < 0) {
			fprintf(stderr, "sysplex: instance %s has no system %s\n", in->name, c.sys);
			return 1;
		}
		lib_strlcpy(c.sys, cst.h[i].name, sizeof(c.sys));
	} else {
		initial_system(&c);
	}
	c.tty = isatty(0) && isatty(1);
	if (!c.tty) {
		char *line = NULL;
		size_t cap = 0;

		while (getline(&line, &cap, stdin) >= 0)
			if (console_line(&c, line))
				break;
		free(line);
		return c.failed ? 8 : 0;
	}

	rl_readline_name = "sysplex";
	rl_attempted_completion_function = complete;
	/* Words end at blanks and commas (libedit reads the basic set). */
	rl_basic_word_break_characters = " ,\t";
	rl_completer_word_break_characters = (char *)" ,\t";
	using_history();
	stifle_history(1000);
	if (home && *home) {
		snprintf(hist, sizeof(hist), "%s/.sysplex_history", home);
		read_history(hist);
	}
	printf("sysplex console, instance %s (sysplex %s).  HELP lists the commands; TAB "
	       "completes.\n", in->name, cst.sysplex);
	for (;;) {
		char *line;

		snprintf(prompt, sizeof(prompt), "%s%s> ", c.sys, c.json ? "(JSON)" : "");
		line = readline(prompt);
		if (!line) {
			printf("\n");
			break;
		}
		if (line[strspn(line, " \t")]) {
			HIST_ENTRY *last = history_length > 0 ? history_get(history_base +
									    history_length - 1)
							      : NULL;

			if (!last || strcmp(last->line, line) != 0)
				add_history(line);
		}
		i = console_line(&c, line);
		free(line);
		if (i)
			break;
	}
	if (hist[0]) {
		write_history(hist);
		history_truncate_file(hist, 1000);
	}
	return c.failed ? 8 : 0;
}
