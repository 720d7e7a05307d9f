/*
 * main.c - bin/sysplex, the launcher: command line and the commands `down`,
 * `status`, `exec` and `vtysh` (`up` lives in up.c, `cmd` and `console` in
 * console.c, the fault commands in fault.c, `load` in load.c, `run` in
 * lua.c).
 *
 *   sysplex [--instance NAME] up [--timeout SEC] [--datapath BPF|TUN] [TOPOLOGY.lua]
 *   sysplex [--instance NAME] down
 *   sysplex [--instance NAME] status [--json]
 *   sysplex [--instance NAME] exec HOST [--] CMD [ARG...]
 *   sysplex [--instance NAME] vtysh HOST [VTYSH-ARG...]
 *   sysplex [--instance NAME] cmd [--system SYS] [--json] [--timeout SEC] COMMAND...
 *   sysplex [--instance NAME] console [--system SYS] [--json]
 *   sysplex [--instance NAME] kill|hang|resume SYS
 *   sysplex [--instance NAME] kill SYS --routing | kill ROUTER
 *   sysplex [--instance NAME] restart SYS|ROUTER [--timeout SEC]
 *   sysplex [--instance NAME] partition SYS[,SYS...] [SYS[,SYS...]]
 *   sysplex [--instance NAME] heal
 *   sysplex [--instance NAME] link HOST [loss=PCT] [delay=MS]
 *   sysplex [--instance NAME] cds-loss|cds-restore SYS
 *   sysplex [--instance NAME] load CLIENT [options]
 *   sysplex [--instance NAME] run [--seed N] [--timeout SEC] SCRIPT.lua [ARG...]
 *
 *   sysplex help [COMMAND] | sysplex COMMAND --help | sysplex --version
 *
 * The instance is --instance NAME, else $SYSPLEX_INSTANCE, else "plex".
 * Exit status: 0 success, 1 failure, 2 usage; `cmd` exits 0 for RC=0 and 8
 * for anything else; `exec` exits with the command's status; `run` exits 1
 * when an expectation failed and 3 when the script stopped on an error.
 */
#include "sysplex/sysplex.h"

#include <ctype.h>
#include <errno.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

/* ---- the commands and their options -------------------------------------------
 * One table: --help, `sysplex help COMMAND` and the check of each command's
 * options (before the command's own parser runs) are made from it, and the
 * manual page sysplex(8) documents each entry (tests/man/check.sh). */

enum { O_TIMEOUT = LIB_OPT_LONG, O_JSON, O_SYSTEM, O_SEED, O_MAXSTEPS, O_SAVELOGS, O_CONNS,
       O_RATE, O_BYTES, O_COUNT, O_DURATION, O_PACE, O_DVIPA, O_PORT, O_CONNTO, O_IDLETO,
       O_REPORTMS, O_ROUTING, O_DATAPATH };

#define O_HELP { 'h', "help", NULL, "show the command's help and exit" }
#define O_END { 0, NULL, NULL, NULL }
static const struct lib_opt up_opts[] = {
	{ O_TIMEOUT, "timeout", "SEC", "wait at most SEC (default 20) for the DVIPA to answer" },
	{ O_DATAPATH, "datapath", "BPF|TUN", "DATAPATH in every PROFILE, -D for every client agent "
	  "(default: BPF where it loads)" },
	O_HELP, O_END,
};
static const struct lib_opt status_opts[] = {
	{ O_JSON, "json", NULL, "the status as one JSON object" }, O_HELP, O_END,
};
static const struct lib_opt cmd_opts[] = {
	{ O_SYSTEM, "system", "SYS", "send it to the stack of system SYS" },
	{ O_JSON, "json", NULL, "the answer as one JSON object" },
	{ O_TIMEOUT, "timeout", "SEC", "wait at most SEC (default 5) for the answer" },
	O_HELP, O_END,
};
static const struct lib_opt console_opts[] = {
	{ O_SYSTEM, "system", "SYS", "start with SYS as the current system" },
	{ O_JSON, "json", NULL, "start with JSON answers (JSON ON)" },
	O_HELP, O_END,
};
static const struct lib_opt kill_opts[] = {
	{ O_ROUTING, "routing", NULL, "a system's routing daemons (FRR) too: the whole system is gone" },
	O_HELP, O_END,
};
static const struct lib_opt restart_opts[] = {
	{ O_TIMEOUT, "timeout", "SEC", "wait at most SEC (default 20) for the stack to answer" },
	O_HELP, O_END,
};
static const struct lib_opt load_opts[] = {
	{ O_CONNS, "connections", "N", "concurrent connections kept open (default 4)" },
	{ O_RATE, "rate", "R", "at most R new connections per second (default 0: no limit)" },
	{ O_BYTES, "bytes", "N", "each connection does GET /bytes/N (default 100000)" },
	{ O_COUNT, "count", "N", "stop after N connections have ended (default 0: no limit)" },
	{ O_DURATION, "duration", "S", "stop after S seconds (default 0: no limit)" },
	{ O_PACE, "pace", "BPS", "read at most BPS bytes/s per connection (default 0: no limit)" },
	{ O_DVIPA, "dvipa", "ADDR", "the server's address (default: the topology's first server)" },
	{ O_PORT, "port", "P", "the server's port (default: the topology's first server)" },
	{ O_CONNTO, "connect-timeout", "S", "a connect not done in S seconds fails (default 5)" },
	{ O_IDLETO, "idle-timeout", "S", "a connection idle S seconds fails (default 5)" },
	{ O_REPORTMS, "report-ms", "MS", "report interval (default 200)" },
	O_HELP, O_END,
};
static const struct lib_opt run_opts[] = {
	{ O_SEED, "seed", "N", "seed of math.random (default 1)" },
	{ O_TIMEOUT, "timeout", "SEC", "stop the script after SEC (default 900)" },
	{ O_MAXSTEPS, "max-steps", "N", "stop a script running N VM instructions without waiting" },
	{ O_SAVELOGS, "save-logs", "DIR", "copy the daemons' logs to DIR at the end" },
	O_HELP, O_END,
};
static const struct lib_opt no_opts[] = { O_HELP, O_END };

/* free: the operands are free text (a command, a command line), so only
 * the options before the first operand are checked. */
static const struct plex_cmd {
	const char *name, *args, *what;
	const struct lib_opt *opts;
	int free;
} cmds[] = {
	{ "up", "[--timeout SEC] [--datapath BPF|TUN] [TOPOLOGY.lua]",
	  "build the namespaces, LAN and daemons of an emulated sysplex and wait until\n"
	  "the DVIPA answers (default topology: topologies/default.lua)", up_opts, 0 },
	{ "down", "", "stop every daemon and remove every namespace and file of the instance\n"
	  "(safe to run twice, or after a crash)", no_opts, 0 },
	{ "status", "[--json]", "hosts, namespaces, daemons, pids and whether each is alive",
	  status_opts, 0 },
	{ "exec", "HOST [--] CMD [ARG...]", "run a command inside a host (e.g. CLIENT1, SYSA, LAN)",
	  no_opts, 1 },
	{ "vtysh", "HOST [VTYSH-ARG...]",
	  "FRR's shell for a router or a system of a routed topology, e.g.\n"
	  "vtysh ROUTER1 -c 'show ipv6 route'", no_opts, 1 },
	{ "cmd", "[--system SYS] [--json] [--timeout SEC] COMMAND",
	  "send an operator command, e.g. 'D TCPIP,TCPCS,NETSTAT,VDPT', to a stack (default:\n"
	  "the routing stack); exit 0 for RC=0, else 8", cmd_opts, 1 },
	{ "console", "[--system SYS] [--json]",
	  "interactive operator console (line editing, history, TAB completion); reads\n"
	  "commands from stdin when it is not a terminal", console_opts, 0 },
	{ "kill", "SYS [--routing] | ROUTER",
	  "SIGKILL the stack of system SYS (with --routing its FRR daemons too), or the\n"
	  "FRR daemons of a router of a routed topology", kill_opts, 0 },
	{ "hang", "SYS", "SIGSTOP the stack of system SYS", no_opts, 0 },
	{ "resume", "SYS", "SIGCONT the stack of system SYS", no_opts, 0 },
	{ "restart", "SYS|ROUTER [--timeout SEC]",
	  "start dead routing daemons again and wait for their routes; kill the stack\n"
	  "if alive, start it again, wait until it answers", restart_opts, 0 },
	{ "partition", "SYS[,SYS...] [SYS[,SYS...]]",
	  "cut the network (bus included) between two groups of systems (the second\n"
	  "group defaults to every other system)", no_opts, 0 },
	{ "heal", "", "remove the partition", no_opts, 0 },
	{ "link", "HOST [loss=PCT] [delay=MS]",
	  "packet loss / delay in the TUN data path of HOST's stack or agent", no_opts, 0 },
	{ "cds-loss", "SYS", "make the couple data set unreachable from SYS's stack", no_opts, 0 },
	{ "cds-restore", "SYS", "make the couple data set reachable from SYS's stack again",
	  no_opts, 0 },
	{ "load", "HOST [OPTIONS]",
	  "HTTP load from a client host; prints cumulative counts as one JSON object\n"
	  "per line", load_opts, 0 },
	{ "run", "[OPTIONS] SCRIPT.lua [ARG...]",
	  "run a Lua scenario (sysplex-lua(7)); starts the default sysplex when the\n"
	  "instance is not up and removes it at the end", run_opts, 1 },
	{ "help", "[COMMAND]", "this text, or a command's options", no_opts, 0 },
	{ NULL, NULL, NULL, NULL, 0 },
};

enum { G_INSTANCE = 'I' };
static const struct lib_opt global_opts[] = {
	{ G_INSTANCE, "instance", "NAME", "the instance ([a-z0-9]{1,8}; default $SYSPLEX_INSTANCE, else plex)" },
	{ 'h', "help", NULL, "show this help and exit" },
	{ 'V', "version", NULL, "show the version and exit" },
	O_END,
};

static const struct plex_cmd *
find_cmd(const char *name)
{
	const struct plex_cmd *c;

	for (c = cmds; c->name; c++)
		if (strcmp(c->name, name) == 0)
			return c;
	return NULL;
}

static void
usage(FILE *f)
{
	const struct plex_cmd *c;

	fprintf(f, "usage: sysplex [--instance NAME] COMMAND [ARGS]\n"
		   "       sysplex COMMAND --help\n"
		   "       sysplex -h | -V\n\n"
		   "Builds, drives and breaks an emulated z/OS Parallel Sysplex of network\n"
		   "namespaces on this machine.  Most commands need root.\n\nCommands:\n");
	for (c = cmds; c->name; c++)
		fprintf(f, "  %s%s%s\n", c->name, c->args[0] ? " " : "", c->args);
	fprintf(f, "\nOptions:\n");
	lib_opt_help(f, global_opts);
	fprintf(f, "\nEnvironment:\n"
		   "  SYSPLEX_INSTANCE  the instance when --instance is not given\n"
		   "  SYSPLEX_BIN_DIR   where tcpip-stack, sysplex-httpd and client-agent are\n"
		   "                    (default: this program's directory)\n"
		   "  SYSPLEX_HOME      the source tree, to find the default topology\n"
		   "\nExit status:\n"
		   "  0  success\n"
		   "  1  failure\n"
		   "  2  usage error\n"
		   "  cmd: 8 when the command's RC is not 0; exec: the command's status;\n"
		   "  run: 1 when an expectation failed, 3 when the script stopped on an error\n"
		   "\nSee sysplex(8), sysplex-lua(7), tcpip-stack(8).\n");
}

static void
cmd_help(FILE *f, const struct plex_cmd *c)
{
	fprintf(f, "usage: sysplex [--instance NAME] %s%s%s\n\n%c%s.\n\nOptions:\n", c->name,
		c->args[0] ? " " : "", c->args, toupper((unsigned char)c->what[0]), c->what + 1);
	lib_opt_help(f, c->opts);
}

/* Checks the options of a command against its table before its own parser
 * sees them: 0 to go on, else the exit status (--help: 0 after the help). */
static int
cmd_check_opts(const struct plex_cmd *c, int argc, char **argv, int *done)
{
	struct lib_getopt g;
	char **v = calloc((size_t)argc + 2, sizeof(*v)), prog[64];
	const char *arg;
	int ch, rc = 0;

	*done = 0;
	if (!v || lib_opt_init(&g, c->opts, c->free) < 0) {
		free(v);
		return 1;
	}
	snprintf(prog, sizeof(prog), "sysplex %s", c->name);
	g.prog = prog;
	v[0] = prog;
	memcpy(v + 1, argv, (size_t)argc * sizeof(*v));
	optind = 0;
	while ((ch = lib_opt_next(&g, argc + 1, v, &arg)) != -1) {
		if (ch == 'h') {
			cmd_help(stdout, c);
			*done = 1;
			break;
		}
		if (ch == '?') {
			fprintf(stderr, "Try 'sysplex %s --help'.\n", c->name);
			*done = 1;
			rc = 2;
			break;
		}
	}
	optind = 0;
	free(v);
	return rc;
}

/* ---- down ---------------------------------------------------------------- */

static int
cmd_down(const struct plex_inst *in, int argc, char **argv)
{
	int fd, rc;

	LIB_UNUSED(argv);
	if (argc > 0) {
		fprintf(stderr, "usage: sysplex [--instance NAME] down\n");
		return 2;
	}
	if (plex_check_root() < 0 || (fd = plex_lock(in)) < 0)
		return 1;
	rc = plex_teardown(in, 1);
	plex_unlock(in, fd, 1);
	return rc < 0 ? 1 : 0;
}

/* ---- status -------------------------------------------------------------- */

/* What a daemon is doing: "running", "hung" (stopped: `sysplex hang`),
 * "not answering" (a stack whose control socket does not answer) or
 * "dead". */
static const char *
daemon_state(const struct plex_proc *p, int alive, int stack_answered)
{
	char st;

	if (!alive)
		return "dead";
	st = plex_pid_state(p->pid);
	if (st == 'T' || st == 't')
		return "hung";
	if (strcmp(p->role, "stack") == 0 && !stack_answered)
		return "not answering";
	return "running";
}

/* One host of the status: its namespace, daemons and (systems) DVIPAs;
 * *healthy is cleared when something is wrong with it. */
static json_t *
status_host(const struct plex_inst *in, const struct plex_state *st,
	    const struct plex_state_host *h, int *healthy)
{
	int j, ns_ok = plex_ns_exists(h->ns), answered = 0;
	json_t *daemons = json_array(), *roles = NULL, *dvipas = json_array(), *e;
	size_t k;

	if (!ns_ok)
		*healthy = 0;
	if (h->is_system && plex_role(in, h->name, 500, &roles) == 0) {
		answered = 1;
		json_array_foreach(json_object_get(roles, "dvipas"), k, e)
			json_array_append_new(dvipas, json_pack("{s:O,s:O,s:O}", "dvipa",
				json_object_get(e, "dvipa"), "status", json_object_get(e, "status"),
				"dist", json_object_get(e, "dist")));
		json_decref(roles);
	}
	for (j = 0; j < st->nprocs; j++) {
		const struct plex_proc *p = &st->p[j];
		const char *state;
		int alive;
		json_t *d;

		if (strcmp(p->host, h->name) != 0)
			continue;
		alive = plex_pid_alive(p->pid, p->starttime);
		state = daemon_state(p, alive, answered);
		if (strcmp(state, "running") != 0)
			*healthy = 0;
		d = json_pack("{s:o,s:s,s:i,s:b,s:s}", "role", lib_json_str(p->role),
			      "program", plex_prog_name(p->role), "pid", (int)p->pid, "alive", alive,
			      "state", state);
		if (d && strcmp(p->role, "stack") == 0)
			json_object_set_new(d, "answering", json_boolean(alive && answered));
		if (d)
			json_object_set_new(d, "log", lib_json_str(p->log));
		json_array_append_new(daemons, d);
	}
	return json_pack("{s:o,s:s,s:o,s:b,s:o,s:o,s:o,s:o,s:o}", "name", lib_json_str(h->name),
			 "role", plex_host_role(h), "namespace", lib_json_str(h->ns),
			 "namespace_exists", ns_ok, "lan", lib_json_str(h->lan),
			 "xcf", lib_json_str_or_null(h->xcf), "tcpname", lib_json_str_or_null(h->tcpname),
			 "daemons", daemons, "dvipas", dvipas);
}

/* `sysplex status` as one object (docs/CONSOLE.md). */
static json_t *
status_result(const struct plex_inst *in, const struct plex_state *st)
{
	char lan[64], dvipa[PLEX_ADDR_LEN] = "", path[PATH_MAX], part[256] = "";
	int i, routing, lan_ok, healthy = 1;
	json_t *r, *hosts = json_array();
	FILE *pf;

	plex_ns_name(in, "LAN", lan, sizeof(lan));
	lan_ok = plex_ns_exists(lan);
	routing = plex_find_routing(in, st, 500, dvipa, sizeof(dvipa));
	for (i = 0; i < st->nhosts; i++)
		json_array_append_new(hosts, status_host(in, st, &st->h[i], &healthy));
	snprintf(path, sizeof(path), "%s/partition", in->rundir);
	if ((pf = fopen(path, "re")) != NULL) {
		if (!fgets(part, sizeof(part), pf))
			part[0] = '\0';
		fclose(pf);
		part[strcspn(part, "\n")] = '\0';
	}
	r = json_pack("{s:o,s:b,s:o,s:o,s:o,s:o}", "instance", lib_json_str(in->name), "up", lan_ok,
		      "sysplex", lib_json_str(st->sysplex), "topology", lib_json_str(st->topology),
		      "rundir", lib_json_str(in->rundir),
		      "routing_stack", routing >= 0 ? lib_json_str(st->h[routing].name) : json_null());
	if (!r)
		return NULL;
	if (routing >= 0)
		json_object_set_new(r, "routing_dvipa", lib_json_str(dvipa));
	json_object_set_new(r, "hosts", hosts);
	json_object_set_new(r, "partition", lib_json_str_or_null(part));
	json_object_set_new(r, "healthy", json_boolean(healthy && lan_ok));
	return r;
}

#define JS(o, k) lib_json_gets((o), (k), "")

/* The host of r named name (NULL when none). */
static const json_t *
status_find(const json_t *r, const char *name)
{
	const json_t *h;
	size_t i;

	json_array_foreach(json_object_get(r, "hosts"), i, h)
		if (strcmp(JS(h, "name"), name) == 0)
			return h;
	return NULL;
}

static void
status_text(const json_t *r, struct lib_sbuf *o, void *arg)
{
	const char *routing = lib_json_gets(r, "routing_stack", NULL), *part;
	const json_t *h, *d;
	size_t i, j;

	LIB_UNUSED(arg);
	lib_sbuf_printf(o, "instance %s: sysplex %s%s (topology %s)\n", JS(r, "instance"),
			JS(r, "sysplex"), lib_json_getb(r, "up") ? "" : " - LAN namespace missing",
			JS(r, "topology"));
	if (routing)
		lib_sbuf_printf(o, "routing stack: %s (%s) for DVIPA %s\n", routing,
				JS(status_find(r, routing), "tcpname"), JS(r, "routing_dvipa"));
	lib_sbuf_printf(o, "%-8s %-7s %-16s %-20s %s\n", "HOST", "ROLE", "NAMESPACE", "LAN", "XCF");
	json_array_foreach(json_object_get(r, "hosts"), i, h) {
		const char *xcf = lib_json_gets(h, "xcf", "-");

		lib_sbuf_printf(o, "%-8s %-7s %-16s %-20s %s%s\n", JS(h, "name"), JS(h, "role"),
				JS(h, "namespace"), JS(h, "lan"), xcf,
				lib_json_getb(h, "namespace_exists") ? "" : "  (namespace missing)");
		json_array_foreach(json_object_get(h, "daemons"), j, d) {
			const char *state = JS(d, "state");
			int stack = strcmp(JS(d, "role"), "stack") == 0;
			char up[32];

			lib_strlcpy(up, state, sizeof(up));
			for (char *u = up; *u && strcmp(state, "running"); u++)
				*u = (char)toupper((unsigned char)*u);
			lib_sbuf_printf(o, "    %-14s pid %-8lld %-13s %s\n", JS(d, "program"),
					lib_json_geti(d, "pid", 0), up, JS(d, "log"));
			if (stack && !strcmp(state, "hung"))
				lib_sbuf_printf(o, "      stopped by `sysplex hang`: it answers no "
						"command and sends no heartbeat (`sysplex resume %s`)\n",
						JS(h, "name"));
			else if (stack && !strcmp(state, "not answering"))
				lib_sbuf_printf(o, "      its control socket does not answer "
						"SYSPLEX$ROLE within 0.5 s\n");
		}
		json_array_foreach(json_object_get(h, "dvipas"), j, d)
			lib_sbuf_printf(o, "    dvipa %s %s %s\n", JS(d, "dvipa"), JS(d, "status"),
					JS(d, "dist"));
	}
	if ((part = lib_json_gets(r, "partition", NULL)) != NULL)
		lib_sbuf_printf(o, "partition: %s (`sysplex heal` removes it)\n", part);
	if (!lib_json_getb(r, "healthy"))
		lib_sbuf_printf(o, "WARNING: some daemons are dead, hung or not answering, or "
				    "namespaces are gone (`sysplex resume`, `sysplex restart`, or `sysplex "
				    "down` then `sysplex up`)\n");
}

static int
cmd_status(const struct plex_inst *in, int argc, char **argv)
{
	static struct plex_state st;
	struct lib_sbuf o = { 0 };
	char names[PLEX_MAX_HOSTS + 8][64];
	int i, json = 0, up;
	json_t *r;

	for (i = 0; i < argc; i++) {
		if (strcmp(argv[i], "--json") == 0) {
			json = 1;
		} else {
			fprintf(stderr, "usage: sysplex [--instance NAME] status [--json]\n");
			return 2;
		}
	}
	if (plex_state_read(in, &st) < 0) {
		int nn = plex_ns_list(in, names, (int)LIB_ARRAY_LEN(names));

		if (json) {
			lib_ctl_result(&o, 1, json_pack("{s:o,s:b,s:i,s:[]}", "instance",
							 lib_json_str(in->name), "up", 0,
							 "leftover_namespaces", nn, "hosts"), NULL, NULL);
			fputs(o.s ? o.s : "", stdout);
			lib_sbuf_free(&o);
		} else {
			plex_not_up(in);
			if (nn > 0)
				fprintf(stderr, "sysplex: but %d namespace(s) %s-* exist; `sysplex "
						"down` removes them\n", nn, in->name);
		}
		return 1;
	}
	r = status_result(in, &st);
	up = lib_json_getb(r, "up");
	lib_ctl_result(&o, json, r, status_text, NULL);
	if (o.s)
		fputs(o.s, stdout);
	lib_sbuf_free(&o);
	return up ? 0 : 1;
}

/* ---- exec ---------------------------------------------------------------- */

/* The host name arg in upper case into host and its namespace into ns;
 * 0, or 1 after saying that there is no such host. */
static int
host_ns(const struct plex_inst *in, const char *arg, char *host, char *ns, size_t nslen)
{
	static struct plex_state st;
	int i;

	if (strlen(arg) > PLEX_HOST_MAX) {
		fprintf(stderr, "sysplex: no host %s\n", arg);
		return 1;
	}
	for (i = 0; arg[i]; i++)
		host[i] = (char)toupper((unsigned char)arg[i]);
	host[i] = '\0';
	plex_ns_name(in, host, ns, nslen);
	if (plex_ns_exists(ns))
		return 0;
	if (plex_state_read(in, &st) < 0) {
		plex_not_up(in);
	} else {
		fprintf(stderr, "sysplex: instance %s has no host %s; hosts:", in->name, arg);
		for (i = 0; i < st.nhosts; i++)
			fprintf(stderr, " %s", st.h[i].name);
		fprintf(stderr, " LAN\n");
	}
	return 1;
}

/* Execs `ip netns exec NS PRE... REST...` (npre + nrest <= 256); returns
 * only on failure (exit status 127). */
static int
exec_in(const char *ns, char **pre, int npre, char **rest, int nrest)
{
	char *args[4 + 256 + 1];
	int i, n = 0;

	args[n++] = "ip";
	args[n++] = "netns";
	args[n++] = "exec";
	args[n++] = (char *)ns;
	for (i = 0; i < npre; i++)
		args[n++] = pre[i];
	for (i = 0; i < nrest; i++)
		args[n++] = rest[i];
	args[n] = NULL;
	fflush(NULL);
	execvp(args[0], args);
	fprintf(stderr, "sysplex: cannot run ip: %s\n", strerror(errno));
	return 127;
}

static int
cmd_exec(const struct plex_inst *in, int argc, char **argv)
{
	char host[PLEX_HOST_MAX + 1], ns[64];
	int first;

	if (argc < 2 || (strcmp(argv[1], "--") == 0 && argc < 3)) {
		fprintf(stderr, "usage: sysplex [--instance NAME] exec HOST [--] CMD [ARG...]\n");
		return 2;
	}
	if (plex_check_root() < 0 || host_ns(in, argv[0], host, ns, sizeof(ns)))
		return 1;
	first = strcmp(argv[1], "--") == 0 ? 2 : 1;
	if (argc - first > 250) {
		fprintf(stderr, "sysplex: too many arguments\n");
		return 2;
	}
	return exec_in(ns, NULL, 0, argv + first, argc - first);
}

/* ---- vtysh --------------------------------------------------------------- */

/* vtysh of a router's or a system's FRR: `ip netns exec NS vtysh
 * --vty_socket RUNDIR/HOST/frr ARG...`. */
static int
cmd_vtysh(const struct plex_inst *in, int argc, char **argv)
{
	char host[PLEX_HOST_MAX + 1], ns[64], dir[PATH_MAX], sock[PATH_MAX + 16];
	struct stat sb;

	if (argc < 1 || argc > 250) {
		fprintf(stderr, "usage: sysplex [--instance NAME] vtysh HOST [VTYSH-ARG...], e.g. "
				"vtysh ROUTER1 -c 'show ipv6 route'\n");
		return 2;
	}
	if (plex_check_root() < 0 || host_ns(in, argv[0], host, ns, sizeof(ns)))
		return 1;
	plex_frr_dir(in, host, dir, sizeof(dir));
	snprintf(sock, sizeof(sock), "%s/zebra.vty", dir);
	if (stat(sock, &sb) < 0) {
		fprintf(stderr, "sysplex: %s runs no FRR (%s: %s): routers and the systems of a "
				"topology with routers do\n", host, sock, strerror(errno));
		return 1;
	}
	{
		char *pre[] = { "vtysh", "--vty_socket", dir };

		return exec_in(ns, pre, 3, argv + 1, argc - 1);
	}
}

/* ---- main ---------------------------------------------------------------- */

int
main(int argc, char **argv)
{
	struct plex_inst in;
	const char *inst = getenv("SYSPLEX_INSTANCE");
	const struct plex_cmd *c;
	char **args;
	int i, n = 0, stop = 0, rc, done;

	lib_log_init("sysplex", LIB_LOG_INFO);
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc >= 2 && strcmp(argv[1], "--frr-exec") == 0)
		return plex_frr_exec(argc - 2, argv + 2);
	/* Take --instance out wherever it is before a "--" (exec's command
	 * follows "--" and keeps its own options). */
	args = calloc((size_t)argc + 1, sizeof(*args));
	if (!args)
		return 1;
	for (i = 1; i < argc; i++) {
		if (!stop && strcmp(argv[i], "--") == 0)
			stop = 1;
		if (!stop && (strcmp(argv[i], "--instance") == 0 || strcmp(argv[i], "-I") == 0)) {
			if (i + 1 >= argc) {
				usage(stderr);
				free(args);
				return 2;
			}
			inst = argv[++i];
		} else if (!stop && strncmp(argv[i], "--instance=", 11) == 0) {
			inst = argv[i] + 11;
		} else {
			args[n++] = argv[i];
		}
	}
	if (!inst || !*inst)
		inst = "plex";
	if (n == 0) {
		usage(stderr);
		free(args);
		return 2;
	}
	if (strcmp(args[0], "--help") == 0 || strcmp(args[0], "-h") == 0 ||
	    (strcmp(args[0], "help") == 0 && n == 1)) {
		usage(stdout);
		free(args);
		return 0;
	}
	if (strcmp(args[0], "--version") == 0 || strcmp(args[0], "-V") == 0) {
		lib_opt_version(stdout, "sysplex");
		free(args);
		return 0;
	}
	if (!(c = find_cmd(args[0]))) {
		fprintf(stderr, "sysplex: unknown %s \"%s\"\n",
			args[0][0] == '-' ? "option" : "command", args[0]);
		fprintf(stderr, "Try 'sysplex --help'.\n");
		free(args);
		return 2;
	}
	if (strcmp(c->name, "help") == 0) {
		const struct plex_cmd *h = n == 2 ? find_cmd(args[1]) : NULL;

		if (n == 2 && (strcmp(args[1], "--help") == 0 || strcmp(args[1], "-h") == 0))
			h = c;
		if (h)
			cmd_help(stdout, h);
		else if (n == 2)
			fprintf(stderr, "sysplex: unknown command \"%s\"\nTry 'sysplex --help'.\n",
				args[1]);
		else
			fprintf(stderr, "usage: sysplex help [COMMAND]\n");
		free(args);
		return h ? 0 : 2;
	}
	rc = cmd_check_opts(c, n - 1, args + 1, &done);
	if (done) {
		free(args);
		return rc;
	}
	if (!plex_name_ok(inst, PLEX_INST_MAX, 0)) {
		fprintf(stderr, "sysplex: bad instance name \"%s\": expected 1..8 of a-z 0-9\n", inst);
		free(args);
		return 2;
	}
	plex_inst_init(&in, inst);
	if (strcmp(args[0], "up") == 0) {
		rc = plex_cmd_up(&in, n - 1, args + 1);
	} else if (strcmp(args[0], "down") == 0) {
		rc = cmd_down(&in, n - 1, args + 1);
	} else if (strcmp(args[0], "status") == 0) {
		rc = cmd_status(&in, n - 1, args + 1);
	} else if (strcmp(args[0], "exec") == 0) {
		rc = cmd_exec(&in, n - 1, args + 1);
	} else if (strcmp(args[0], "vtysh") == 0) {
		rc = cmd_vtysh(&in, n - 1, args + 1);
	} else if (strcmp(args[0], "cmd") == 0) {
		rc = plex_cmd_cmd(&in, n - 1, args + 1);
	} else if (strcmp(args[0], "console") == 0) {
		rc = plex_cmd_console(&in, n - 1, args + 1);
	} else if (strcmp(args[0], "kill") == 0 || strcmp(args[0], "restart") == 0 ||
		   strcmp(args[0], "hang") == 0 || strcmp(args[0], "resume") == 0 ||
		   strcmp(args[0], "partition") == 0 || strcmp(args[0], "heal") == 0 ||
		   strcmp(args[0], "link") == 0 || strcmp(args[0], "cds-loss") == 0 ||
		   strcmp(args[0], "cds-restore") == 0) {
		rc = plex_cmd_fault(&in, args[0], n - 1, args + 1);
	} else if (strcmp(args[0], "load") == 0) {
		rc = plex_cmd_load(&in, n - 1, args + 1);
	} else if (strcmp(args[0], "run") == 0) {
		rc = plex_cmd_run(&in, n - 1, args + 1);
	} else {
		rc = 2;		/* not reached: every command of cmds[] is dispatched */
	}
	free(args);
	return rc;
}
