/*
 * fault.c - failure injection on a running instance (also what the Lua API
 * of `sysplex run` calls):
 *
 *   sysplex kill SYS                 SIGKILL the system's stack (a crash)
 *   sysplex kill SYS --routing       also its routing daemons (FRR, which
 *                                    play OMPROUTE): the system is gone from
 *                                    the routed network too
 *   sysplex kill ROUTER              SIGKILL a router's FRR daemons
 *   sysplex restart SYS [--timeout SEC]
 *                                    start its dead routing daemons again and
 *                                    wait for its routes; kill the stack if
 *                                    alive, start it again with the same
 *                                    arguments, record the new pid, wait
 *                                    until its ctl.sock answers SYSPLEX$ROLE
 *   sysplex restart ROUTER [--timeout SEC]
 *                                    start its dead FRR daemons again, wait
 *                                    until it routes to every host again
 *   sysplex hang SYS / resume SYS    SIGSTOP / SIGCONT the stack
 *   sysplex partition SYSA[,SYSB...] [SYSC[,...]]
 *                                    nftables in the namespace of every system
 *                                    named: drop every packet to or from the
 *                                    other side's LAN and XCF addresses (the
 *                                    second side defaults to every other
 *                                    system); clients are not affected
 *   sysplex heal                     remove those rules everywhere
 *   sysplex link HOST [loss=PCT] [delay=MS]
 *                                    SYSPLEX$LINK to the host's daemon (stack
 *                                    or client agent), which drops / delays
 *                                    packets in its own TUN data path: this
 *                                    kernel has no netem
 *   sysplex cds-loss SYS / cds-restore SYS
 *                                    SYSPLEX$CDS LOSS / RESTORE to the
 *                                    system's stack: its couple data set
 *                                    client fails every operation, as if the
 *                                    data set could not be reached from it
 *
 * Only the stack (and, with --routing, FRR) is touched by kill/hang/restart:
 * the host's sample server keeps running (its sockets live in the host's
 * kernel namespace).  The
 * state file keeps the dead entry after `kill`, so `status` shows it DEAD and
 * `restart` knows what to start.  Exit status 0 on success, 1 on failure, 2
 * on usage errors.
 */
#include "sysplex/sysplex.h"

#include <ctype.h>
#include <errno.h>
#include <jansson.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#define PART_TABLE "sysplex_partition"

static int
fault_usage(const char *verb)
{
	if (strcmp(verb, "partition") == 0)
		fprintf(stderr, "usage: sysplex [--instance NAME] partition SYS[,SYS...] "
				"[SYS[,SYS...]]\n");
	else if (strcmp(verb, "link") == 0)
		fprintf(stderr, "usage: sysplex [--instance NAME] link HOST [loss=PCT] [delay=MS]\n");
	else if (strcmp(verb, "heal") == 0)
		fprintf(stderr, "usage: sysplex [--instance NAME] heal\n");
	else if (strcmp(verb, "restart") == 0)
		fprintf(stderr, "usage: sysplex [--instance NAME] restart SYS|ROUTER [--timeout SEC]\n");
	else if (strcmp(verb, "kill") == 0)
		fprintf(stderr, "usage: sysplex [--instance NAME] kill SYS [--routing] | kill ROUTER\n");
	else
		fprintf(stderr, "usage: sysplex [--instance NAME] %s SYS\n", verb);
	return 2;
}

static void
systems_list(const struct plex_state *st, char *buf, size_t len)
{
	int i;

	buf[0] = '\0';
	for (i = 0; i < st->nhosts; i++)
		if (st->h[i].is_system) {
			strncat(buf, " ", len - strlen(buf) - 1);
			strncat(buf, st->h[i].name, len - strlen(buf) - 1);
		}
}

/* Index of system `name`, or -1 after printing which systems there are. */
static int
find_system(const struct plex_inst *in, const struct plex_state *st, const char *name)
{
	int i = plex_state_index(st, name, 1);
	char list[256];

	if (i >= 0)
		return i;
	systems_list(st, list, sizeof(list));
	fprintf(stderr, "sysplex: instance %s has no system %s; systems:%s\n", in->name, name,
		list);
	return -1;
}

/* The state entry of sys's stack, or NULL (printed). */
static struct plex_proc *
stack_proc(struct plex_state *st, const char *sys)
{
	int i;

	for (i = 0; i < st->nprocs; i++)
		if (strcasecmp(st->p[i].host, sys) == 0 && strcmp(st->p[i].role, "stack") == 0)
			return &st->p[i];
	fprintf(stderr, "sysplex: no stack of %s in the state file\n", sys);
	return NULL;
}

/* Waits up to ms for pid to be gone. */
static int
wait_gone(const struct plex_proc *p, unsigned ms)
{
	uint64_t end = lib_now_ms() + ms;

	while (plex_pid_alive(p->pid, p->starttime)) {
		if (lib_now_ms() >= end)
			return -1;
		plex_msleep(10);
	}
	return 0;
}

static int
is_frr_proc(const struct plex_proc *p, const char *host)
{
	return strcasecmp(p->host, host) == 0 &&
	       (strcmp(p->role, "zebra") == 0 || strcmp(p->role, "bfdd") == 0 ||
		strcmp(p->role, "ospf6d") == 0 || strcmp(p->role, "ospfd") == 0);
}

/* SIGKILLs the FRR daemons of host (its OMPROUTE) and waits until they are
 * gone; returns how many were running, -1 (printed) on failure. */
static int
kill_frr(struct plex_state *st, const char *host)
{
	int i, n = 0;

	for (i = 0; i < st->nprocs; i++) {
		struct plex_proc *p = &st->p[i];

		if (!is_frr_proc(p, host) || !plex_pid_alive(p->pid, p->starttime))
			continue;
		if (kill(p->pid, SIGKILL) < 0 || wait_gone(p, 3000) < 0) {
			fprintf(stderr, "sysplex: %s: %s (pid %d) did not die\n", host, p->role,
				(int)p->pid);
			return -1;
		}
		n++;
	}
	return n;
}

/* Restarts the FRR daemons of host that are not running (after `kill
 * --routing`, or a crash) and waits until its namespace routes to every
 * other host again, so that a stack started next finds the coupling bus.
 * Called with the instance lock held; writes the state.  Returns how many
 * were restarted, -1 (printed) on failure. */
static int
restart_frr(const struct plex_inst *in, struct plex_state *st, int idx, uint64_t deadline)
{
	const char *addrs[PLEX_MAX_HOSTS], *missing = "";
	const char *host = st->h[idx].name;
	int i, n = 0, dead = 0;

	for (i = 0; i < st->nprocs; i++)
		if (is_frr_proc(&st->p[i], host) &&
		    !plex_pid_alive(st->p[i].pid, st->p[i].starttime))
			dead++;
	if (!dead)
		return 0;
	if (plex_frr_start(in, st, host, deadline) < 0)
		return -1;
	if (plex_state_write(in, st) < 0) {
		fprintf(stderr, "sysplex: cannot write %s\n", in->statefile);
		return -1;
	}
	for (i = 0; i < st->nhosts; i++)
		if (i != idx)
			addrs[n++] = st->h[i].lan;
	if (plex_frr_wait_routes(st->h[idx].ns, addrs, n, deadline, &missing) < 0) {
		fprintf(stderr, "sysplex: %s: OSPF did not converge after the restart of its "
				"routing daemons: no route to %s\n", host, missing);
		return -1;
	}
	return dead;
}

/* kill ROUTER, kill SYS --routing: the host's FRR daemons (and the stack). */
static int
kill_routing(const struct plex_inst *in, struct plex_state *st, int idx)
{
	int n = kill_frr(st, st->h[idx].name);

	if (n < 0)
		return 1;
	printf("sysplex: %s: %d routing daemon(s) (FRR, as OMPROUTE) killed\n", st->h[idx].name,
	       n);
	LIB_UNUSED(in);
	return 0;
}

/* ---- kill / hang / resume ---------------------------------------------------- */

static int
signal_stack(const struct plex_inst *in, struct plex_state *st, const char *sys, int sig)
{
	struct plex_proc *p;
	int i = find_system(in, st, sys);
	uint64_t end;

	if (i < 0 || !(p = stack_proc(st, st->h[i].name)))
		return 1;
	if (!plex_pid_alive(p->pid, p->starttime)) {
		if (sig == SIGKILL) {
			printf("sysplex: %s: the stack (pid %d) was not running\n", p->host,
			       (int)p->pid);
			return 0;
		}
		fprintf(stderr, "sysplex: %s: the stack (pid %d) is not running\n", p->host,
			(int)p->pid);
		return 1;
	}
	if (kill(p->pid, sig) < 0) {
		fprintf(stderr, "sysplex: %s: kill %d: %s\n", p->host, (int)p->pid, strerror(errno));
		return 1;
	}
	if (sig == SIGKILL) {
		if (wait_gone(p, 3000) < 0) {
			fprintf(stderr, "sysplex: %s: the stack (pid %d) did not die\n", p->host,
				(int)p->pid);
			return 1;
		}
		printf("sysplex: %s: stack %s (pid %d) killed\n", p->host, st->h[i].tcpname,
		       (int)p->pid);
		return 0;
	}
	/* SIGSTOP / SIGCONT: wait until the state shows it. */
	end = lib_now_ms() + 2000;
	for (;;) {
		char s = plex_pid_state(p->pid);

		if (sig == SIGSTOP ? s == 'T' || s == 't' : s != 'T' && s != 't')
			break;
		if (lib_now_ms() >= end) {
			fprintf(stderr, "sysplex: %s: the stack (pid %d) is in state %c\n", p->host,
				(int)p->pid, s ? s : '?');
			return 1;
		}
		plex_msleep(5);
	}
	printf("sysplex: %s: stack %s (pid %d) %s\n", p->host, st->h[i].tcpname, (int)p->pid,
	       sig == SIGSTOP ? "hung (SIGSTOP)" : "resumed (SIGCONT)");
	return 0;
}

/* ---- restart ---------------------------------------------------------------------- */

static int
restart(const struct plex_inst *in, int argc, char **argv)
{
	static struct plex_state st;
	static char bufs[4][PATH_MAX];
	char *sargv[PLEX_STACK_ARGV], path[PATH_MAX];
	const char *sys = NULL;
	struct plex_proc *p;
	unsigned timeout_ms = 10000;
	uint64_t t0 = lib_now_ms(), end;
	int i, fd, was;
	pid_t pid;

	for (i = 0; i < argc; i++) {
		if (strcmp(argv[i], "--timeout") == 0 && i + 1 < argc) {
			char *e;
			double s = strtod(argv[++i], &e);

			if (*e || s <= 0 || s > 600)
				return fault_usage("restart");
			timeout_ms = (unsigned)(s * 1000);
		} else if (!sys && argv[i][0] != '-') {
			sys = argv[i];
		} else {
			return fault_usage("restart");
		}
	}
	if (!sys)
		return fault_usage("restart");
	if ((fd = plex_lock(in)) < 0)
		return 1;
	if (plex_state_read(in, &st) < 0) {
		plex_unlock(in, fd, 0);
		plex_not_up(in);
		return 1;
	}
	i = plex_state_index(&st, sys, 0);
	if (i >= 0 && st.h[i].is_router) {
		/* A router: its FRR daemons. */
		int n = restart_frr(in, &st, i, lib_now_ms() + timeout_ms);

		plex_unlock(in, fd, 0);
		if (n < 0)
			return 1;
		printf("sysplex: %s: %d routing daemon(s) restarted, routes back after %.2f s\n",
		       st.h[i].name, n, (double)(lib_now_ms() - t0) / 1000.0);
		return 0;
	}
	i = find_system(in, &st, sys);
	if (i < 0 || !(p = stack_proc(&st, st.h[i].name))) {
		plex_unlock(in, fd, 0);
		return 1;
	}
	/* After `kill --routing` its FRR comes back first: the stack needs the
	 * routes to its peers. */
	if (restart_frr(in, &st, i, lib_now_ms() + timeout_ms) < 0) {
		plex_unlock(in, fd, 0);
		return 1;
	}
	was = plex_pid_alive(p->pid, p->starttime);
	if (was) {
		kill(p->pid, SIGKILL);
		if (wait_gone(p, 3000) < 0) {
			plex_unlock(in, fd, 0);
			fprintf(stderr, "sysplex: %s: the old stack (pid %d) did not die\n", p->host,
				(int)p->pid);
			return 1;
		}
	}
	plex_stack_argv(in, st.bindir[0] ? st.bindir : plex_bin_dir(), st.h[i].name,
			st.h[i].tcpname[0] ? st.h[i].tcpname : "TCPCS", sargv, bufs);
	pid = plex_spawn(p->ns, sargv, p->log);
	if (pid < 0) {
		plex_unlock(in, fd, 0);
		fprintf(stderr, "sysplex: %s: cannot start %s: %s\n", p->host, sargv[0],
			strerror((int)-pid));
		return 1;
	}
	p->pid = pid;
	p->starttime = plex_pid_starttime(pid);
	if (plex_state_write(in, &st) < 0) {
		plex_unlock(in, fd, 0);
		fprintf(stderr, "sysplex: cannot write %s (the new stack is pid %d)\n", in->statefile,
			(int)pid);
		return 1;
	}
	plex_unlock(in, fd, 0);

	lib_ctl_path(path, sizeof(path), in->rundir, st.h[i].name, 0);
	end = lib_now_ms() + timeout_ms;
	for (;;) {
		json_t *roles;

		if (plex_role(in, st.h[i].name, 500, &roles) == 0) {
			json_decref(roles);
			break;
		}
		if (!plex_pid_alive(p->pid, p->starttime)) {
			fprintf(stderr, "sysplex: %s: the restarted stack (pid %d) exited\n", p->host,
				(int)pid);
			plex_tail(p->log, 15);
			return 1;
		}
		if (lib_now_ms() >= end) {
			fprintf(stderr, "sysplex: %s: the restarted stack (pid %d) does not answer on "
					"%s after %.1f s\n", p->host, (int)pid, path,
				timeout_ms / 1000.0);
			plex_tail(p->log, 15);
			return 1;
		}
		plex_msleep(20);
	}
	printf("sysplex: %s: stack %s %s (pid %d), answering after %.2f s\n", p->host,
	       st.h[i].tcpname, was ? "killed and restarted" : "restarted", (int)pid,
	       (double)(lib_now_ms() - t0) / 1000.0);
	return 0;
}

/* ---- partition / heal ------------------------------------------------------------ */

/* Runs `nft -f file` inside namespace ns; -1 (printed) on failure. */
static int
nft_file(const char *ns, const char *file)
{
	char *argv[] = { "ip", "netns", "exec", (char *)ns, "nft", "-f", (char *)file, NULL };

	return plex_run_checked(argv);
}

static int
write_text(const char *path, const char *text)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600), rc;

	if (fd < 0)
		return -errno;
	rc = lib_write_all(fd, text, strlen(text));
	if (close(fd) < 0 && rc == 0)
		rc = -errno;
	return rc;
}

/* Removes our table from every system namespace (idempotent). */
static int
heal_all(const struct plex_inst *in, const struct plex_state *st)
{
	char path[PATH_MAX];
	int i, rc = 0;

	snprintf(path, sizeof(path), "%s/heal.nft", in->rundir);
	if (write_text(path, "table ip6 " PART_TABLE "\ndelete table ip6 " PART_TABLE "\n") < 0) {
		fprintf(stderr, "sysplex: cannot write %s\n", path);
		return -1;
	}
	for (i = 0; i < st->nhosts; i++)
		if (st->h[i].is_system && plex_ns_exists(st->h[i].ns) &&
		    nft_file(st->h[i].ns, path) < 0)
			rc = -1;
	unlink(path);
	snprintf(path, sizeof(path), "%s/partition", in->rundir);
	unlink(path);
	return rc;
}

/* Parses "SYSA,SYSB" into side[] (1 or 2); -1 (printed) on error. */
static int
parse_side(const struct plex_inst *in, const struct plex_state *st, const char *arg, int *side,
	   int mark)
{
	char buf[256], *save = NULL, *t;
	int n = 0;

	lib_strlcpy(buf, arg, sizeof(buf));
	for (t = strtok_r(buf, ", ", &save); t; t = strtok_r(NULL, ", ", &save)) {
		int i = find_system(in, st, t);

		if (i < 0)
			return -1;
		if (side[i]) {
			fprintf(stderr, "sysplex: partition: %s is named twice\n", st->h[i].name);
			return -1;
		}
		side[i] = mark;
		n++;
	}
	if (!n) {
		fprintf(stderr, "sysplex: partition: an empty side\n");
		return -1;
	}
	return 0;
}

static int
partition(const struct plex_inst *in, int argc, char **argv)
{
	static struct plex_state st;
	int side[PLEX_MAX_HOSTS] = { 0 }, i, j, n1 = 0, n2 = 0;
	struct lib_sbuf desc = { 0 };
	char path[PATH_MAX];

	if (argc < 1 || argc > 2)
		return fault_usage("partition");
	if (plex_state_read(in, &st) < 0) {
		plex_not_up(in);
		return 1;
	}
	if (parse_side(in, &st, argv[0], side, 1) < 0 ||
	    (argc == 2 && parse_side(in, &st, argv[1], side, 2) < 0))
		return 1;
	for (i = 0; i < st.nhosts; i++) {
		if (!st.h[i].is_system)
			continue;
		if (argc == 1 && !side[i])
			side[i] = 2;
		n1 += side[i] == 1;
		n2 += side[i] == 2;
	}
	if (!n1 || !n2) {
		fprintf(stderr, "sysplex: partition: both sides need at least one system\n");
		return 1;
	}
	/* A new partition replaces the old one. */
	if (heal_all(in, &st) < 0)
		return 1;
	for (i = 0; i < st.nhosts; i++) {
		struct lib_sbuf r = { 0 };
		int first = 1, rc;

		if (!side[i])
			continue;
		lib_sbuf_printf(&r, "table ip6 %s\ndelete table ip6 %s\n"
				    "table ip6 %s {\n\tset peers {\n\t\ttype ipv6_addr\n"
				    "\t\telements = { ", PART_TABLE, PART_TABLE, PART_TABLE);
		for (j = 0; j < st.nhosts; j++) {
			if (!side[j] || side[j] == side[i])
				continue;
			lib_sbuf_printf(&r, "%s%s", first ? "" : ", ", st.h[j].lan);
			if (st.h[j].xcf[0])
				lib_sbuf_printf(&r, ", %s", st.h[j].xcf);
			first = 0;
		}
		lib_sbuf_printf(&r, " }\n\t}\n"
				    "\tchain input {\n\t\ttype filter hook input priority -10; policy accept;\n"
				    "\t\tip6 saddr @peers drop\n\t}\n"
				    "\tchain forward {\n\t\ttype filter hook forward priority -10; policy accept;\n"
				    "\t\tip6 saddr @peers drop\n\t\tip6 daddr @peers drop\n\t}\n"
				    "\tchain output {\n\t\ttype filter hook output priority -10; policy accept;\n"
				    "\t\tip6 daddr @peers drop\n\t}\n}\n");
		snprintf(path, sizeof(path), "%s/%s/partition.nft", in->rundir, st.h[i].name);
		rc = r.oom ? -ENOMEM : write_text(path, r.s);
		lib_sbuf_free(&r);
		if (rc < 0) {
			fprintf(stderr, "sysplex: %s: %s\n", path, strerror(-rc));
			heal_all(in, &st);
			return 1;
		}
		if (nft_file(st.h[i].ns, path) < 0) {
			heal_all(in, &st);
			return 1;
		}
	}
	for (int s = 1; s <= 2; s++) {
		int first = 1;

		if (s == 2)
			lib_sbuf_printf(&desc, " | ");
		for (i = 0; i < st.nhosts; i++)
			if (side[i] == s) {
				lib_sbuf_printf(&desc, "%s%s", first ? "" : ",", st.h[i].name);
				first = 0;
			}
	}
	snprintf(path, sizeof(path), "%s/partition", in->rundir);
	lib_sbuf_printf(&desc, "\n");
	write_text(path, desc.s ? desc.s : "");
	printf("sysplex: partition %s", desc.s ? desc.s : "\n");
	lib_sbuf_free(&desc);
	return 0;
}

static int
heal(const struct plex_inst *in, int argc)
{
	static struct plex_state st;

	if (argc != 0)
		return fault_usage("heal");
	if (plex_state_read(in, &st) < 0) {
		plex_not_up(in);
		return 1;
	}
	if (heal_all(in, &st) < 0)
		return 1;
	printf("sysplex: partition healed\n");
	return 0;
}

/* ---- link ----------------------------------------------------------------------------- */

/* Sends cmd to the daemon of host idx (a system's stack, a client's agent)
 * and prints its answer; 0, or 1 after printing why not. */
static int
daemon_cmd(const struct plex_inst *in, const struct plex_state *st, int idx, const char *cmd)
{
	const char *host = st->h[idx].name;
	struct lib_sbuf body;
	char path[PATH_MAX];
	int rc = 8, r;

	r = lib_ctl_path(path, sizeof(path), in->rundir, host, !st->h[idx].is_system);
	if (r == 0)
		r = plex_ctl_call(in, path, cmd, 0, 5000, &rc, &body);
	if (r < 0) {
		/* Worded as D MIP6,BINDINGS words it. */
		if (!st->h[idx].is_system && (r == -ENOENT || r == -ECONNREFUSED))
			fprintf(stderr, "sysplex: %s: no client agent runs there (agent = true in the "
					"topology starts one): loss and delay act only in an agent's "
					"TUN data path\n", host);
		else if (r == -ENOENT || r == -ECONNREFUSED)
			fprintf(stderr, "sysplex: %s: the stack is not running (`sysplex restart %s`)\n",
				host, host);
		else if (r == -ETIMEDOUT)
			fprintf(stderr, "sysplex: %s: the %s does not answer on %s (hung?)\n", host,
				st->h[idx].is_system ? "stack" : "client agent", path);
		else
			fprintf(stderr, "sysplex: %s: no answer from %s: %s\n", host, path,
				strerror(-r));
		return 1;
	}
	if (rc != 0) {
		fprintf(stderr, "sysplex: %s: %s refused: %s", host, cmd, body.s ? body.s : "\n");
		lib_sbuf_free(&body);
		return 1;
	}
	printf("sysplex: %s: %s", host, body.s ? body.s : "\n");
	lib_sbuf_free(&body);
	return 0;
}

static int
link_cmd(const struct plex_inst *in, int argc, char **argv)
{
	static struct plex_state st;
	char cmd[128], err[LIB_CTL_LINE_MAX + 128];
	long loss = -1, delay = -1;
	int idx, r;

	if (argc < 2)
		return fault_usage("link");
	/* The stacks' and agents' own reading of SYSPLEX$LINK (keys in either
	 * case); only what is given is sent. */
	r = lib_ctl_link_parse(argv + 1, argc - 1, &loss, &delay, err, sizeof(err));
	if (r == -ENOENT)
		return fault_usage("link");
	if (r < 0) {
		fprintf(stderr, "sysplex: link: %s\n", err);
		return 2;
	}
	snprintf(cmd, sizeof(cmd), "SYSPLEX$LINK");
	if (loss >= 0)
		snprintf(cmd + strlen(cmd), sizeof(cmd) - strlen(cmd), " LOSS=%ld", loss);
	if (delay >= 0)
		snprintf(cmd + strlen(cmd), sizeof(cmd) - strlen(cmd), " DELAY=%ld", delay);
	if (plex_state_read(in, &st) < 0) {
		plex_not_up(in);
		return 1;
	}
	idx = plex_state_index(&st, argv[0], 0);
	if (idx < 0) {
		fprintf(stderr, "sysplex: instance %s has no host %s\n", in->name, argv[0]);
		return 1;
	}
	if (st.h[idx].is_router) {
		fprintf(stderr, "sysplex: %s is a router: loss and delay act only in a stack's or a "
				"client agent's TUN data path\n", st.h[idx].name);
		return 1;
	}
	return daemon_cmd(in, &st, idx, cmd);
}

/* ---- couple data set loss ------------------------------------------------------------ */

static int
cds_cmd(const struct plex_inst *in, const char *verb, int argc, char **argv)
{
	static struct plex_state st;
	int i;

	if (argc != 1)
		return fault_usage(verb);
	if (plex_state_read(in, &st) < 0) {
		plex_not_up(in);
		return 1;
	}
	if ((i = find_system(in, &st, argv[0])) < 0)
		return 1;
	return daemon_cmd(in, &st, i, strcmp(verb, "cds-loss") == 0 ? "SYSPLEX$CDS LOSS" :
			  "SYSPLEX$CDS RESTORE");
}

/* ---- entry ------------------------------------------------------------------------------- */

int
plex_cmd_fault(const struct plex_inst *in, const char *verb, int argc, char **argv)
{
	static struct plex_state st;
	int sig, routing = 0;

	if (plex_check_root() < 0)
		return 1;
	if (strcmp(verb, "restart") == 0)
		return restart(in, argc, argv);
	if (strcmp(verb, "partition") == 0)
		return partition(in, argc, argv);
	if (strcmp(verb, "heal") == 0)
		return heal(in, argc);
	if (strcmp(verb, "link") == 0)
		return link_cmd(in, argc, argv);
	if (strcmp(verb, "cds-loss") == 0 || strcmp(verb, "cds-restore") == 0)
		return cds_cmd(in, verb, argc, argv);
	sig = strcmp(verb, "kill") == 0 ? SIGKILL : strcmp(verb, "hang") == 0 ? SIGSTOP : SIGCONT;
	if (sig == SIGKILL && argc == 2 && strcmp(argv[1], "--routing") == 0)
		routing = 1;
	else if (argc != 1)
		return fault_usage(verb);
	if (plex_state_read(in, &st) < 0) {
		plex_not_up(in);
		return 1;
	}
	if (sig == SIGKILL) {
		int i = plex_state_index(&st, argv[0], 0);

		if (i >= 0 && st.h[i].is_router)
			return kill_routing(in, &st, i);
		if (routing) {
			int rc = signal_stack(in, &st, argv[0], sig);

			i = plex_state_index(&st, argv[0], 1);
			return rc ? rc : kill_routing(in, &st, i);
		}
	}
	return signal_stack(in, &st, argv[0], sig);
}
