/*
 * main.c - bin/sysplex, the launcher: command line and the commands `down`,
 * `status` and `exec` (`up` lives in up.c, `cmd` and `console` in
 * console.c, the fault commands in fault.c, `load` in load.c, `run` in
 * lua.c).
 *
 *   sysplex [--instance NAME] up [--timeout SEC] [TOPOLOGY.lua]
 *   sysplex [--instance NAME] down
 *   sysplex [--instance NAME] status [--json]
 *   sysplex [--instance NAME] exec HOST [--] CMD [ARG...]
 *   sysplex [--instance NAME] cmd [--system SYS] [--json] [--timeout SEC] COMMAND...
 *   sysplex [--instance NAME] console [--system SYS] [--json]
 *   sysplex [--instance NAME] kill|hang|resume SYS
 *   sysplex [--instance NAME] restart SYS [--timeout SEC]
 *   sysplex [--instance NAME] partition SYS[,SYS...] [SYS[,SYS...]]
 *   sysplex [--instance NAME] heal
 *   sysplex [--instance NAME] link HOST [loss=PCT] [delay=MS]
 *   sysplex [--instance NAME] cds-loss|cds-restore SYS
 *   sysplex [--instance NAME] load CLIENT [options]
 *   sysplex [--instance NAME] run [--seed N] [--timeout SEC] SCRIPT.lua [ARG...]
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

static void
usage(FILE *f)
{
	fprintf(f,
		"usage: sysplex [--instance NAME] COMMAND [ARGS]\n"
		"\n"
		"  up [--timeout SEC] [TOPOLOGY.lua]\n"
		"        build the namespaces, LAN and daemons of an emulated sysplex and wait\n"
		"        (default 20 s) until the DVIPA answers; default topology:\n"
		"        sysplex/topologies/default.lua\n"
		"  down  stop every daemon and remove every namespace and file of the\n"
		"        instance (safe to run twice, or after a crash)\n"
		"  status [--json]\n"
		"        hosts, namespaces, daemons, pids and whether each is alive\n"
		"  exec HOST [--] CMD [ARG...]\n"
		"        run a command inside a host (e.g. CLIENT1, SYSA, LAN)\n"
		"  cmd [--system SYS] [--json] [--timeout SEC] COMMAND\n"
		"        send an operator command, e.g. 'D TCPIP,TCPCS,NETSTAT,VDPT', to a\n"
		"        stack (default: the routing stack; 'ROUTE SYSB,...' also names one;\n"
		"        'D MIP6,BINDINGS[,CLIENTn]' shows the client agents' binding caches);\n"
		"        exit 0 for RC=0, else 8 (docs/CONSOLE.md)\n"
		"  console [--system SYS] [--json]\n"
		"        interactive operator console (line editing, history, TAB completion);\n"
		"        reads commands from stdin when it is not a terminal\n"
		"  kill SYS | hang SYS | resume SYS\n"
		"        SIGKILL / SIGSTOP / SIGCONT the stack of system SYS\n"
		"  restart SYS [--timeout SEC]\n"
		"        kill the stack if alive, start it again, wait until it answers\n"
		"  partition SYS[,SYS...] [SYS[,SYS...]]\n"
		"        cut the network (bus included) between two groups of systems\n"
		"        (nftables; the second group defaults to every other system)\n"
		"  heal  remove the partition\n"
		"  link HOST [loss=PCT] [delay=MS]\n"
		"        packet loss / delay in the TUN data path of HOST's stack or agent\n"
		"  cds-loss SYS | cds-restore SYS\n"
		"        make the couple data set unreachable from SYS's stack / reachable again\n"
		"  load CLIENT [--connections N] [--rate R] [--bytes N] [--count N] ...\n"
		"        HTTP load from a client; prints JSON counts (see sysplex load --help)\n"
		"  run [--seed N] [--timeout SEC] SCRIPT.lua [ARG...]\n"
		"        run a Lua scenario (docs/LUA.md); starts the default sysplex when\n"
		"        the instance is not up and removes it at the end\n"
		"\n"
		"The instance is NAME ([a-z0-9]{1,8}), else $SYSPLEX_INSTANCE, else \"plex\".\n"
		"Environment: SYSPLEX_BIN_DIR (where tcpip-stack, sysplex-httpd and\n"
		"client-agent are; default: this program's directory), SYSPLEX_HOME (the\n"
		"source tree, to find the default topology).  Most commands need root.\n");
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
			 "role", h->is_system ? "system" : "client", "namespace", lib_json_str(h->ns),
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

static int
cmd_exec(const struct plex_inst *in, int argc, char **argv)
{
	static struct plex_state st;
	char host[PLEX_HOST_MAX + 1], ns[64];
	char *args[4 + 256];
	int i, n = 0, first;

	if (argc < 2 || (strcmp(argv[1], "--") == 0 && argc < 3)) {
		fprintf(stderr, "usage: sysplex [--instance NAME] exec HOST [--] CMD [ARG...]\n");
		return 2;
	}
	if (strlen(argv[0]) > PLEX_HOST_MAX) {
		fprintf(stderr, "sysplex: no host %s\n", argv[0]);
		return 1;
	}
	for (i = 0; argv[0][i]; i++)
		host[i] = (char)toupper((unsigned char)argv[0][i]);
	host[i] = '\0';
	if (plex_check_root() < 0)
		return 1;
	plex_ns_name(in, host, ns, sizeof(ns));
	if (!plex_ns_exists(ns)) {
		if (plex_state_read(in, &st) < 0) {
			plex_not_up(in);
		} else {
			fprintf(stderr, "sysplex: instance %s has no host %s; hosts:", in->name,
				argv[0]);
			for (i = 0; i < st.nhosts; i++)
				fprintf(stderr, " %s", st.h[i].name);
			fprintf(stderr, " LAN\n");
		}
		return 1;
	}
	first = strcmp(argv[1], "--") == 0 ? 2 : 1;
	if (argc - first > 250) {
		fprintf(stderr, "sysplex: too many arguments\n");
		return 2;
	}
	args[n++] = "ip";
	args[n++] = "netns";
	args[n++] = "exec";
	args[n++] = ns;
	for (i = first; i < argc; i++)
		args[n++] = argv[i];
	args[n] = NULL;
	fflush(NULL);
	execvp(args[0], args);
	fprintf(stderr, "sysplex: cannot run ip: %s\n", strerror(errno));
	return 127;
}

/* ---- main ---------------------------------------------------------------- */

int
main(int argc, char **argv)
{
	struct plex_inst in;
	const char *inst = getenv("SYSPLEX_INSTANCE");
	char **args;
	int i, n = 0, stop = 0, rc;

	lib_log_init("sysplex", LIB_LOG_INFO);
	setvbuf(stdout, NULL, _IOLBF, 0);
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
	if (n == 0 || strcmp(args[0], "help") == 0 || strcmp(args[0], "--help") == 0 ||
	    strcmp(args[0], "-h") == 0) {
		usage(n == 0 ? stderr : stdout);
		free(args);
		return n == 0 ? 2 : 0;
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
		fprintf(stderr, "sysplex: unknown command \"%s\"\n", args[0]);
		usage(stderr);
		rc = 2;
	}
	free(args);
	return rc;
}
