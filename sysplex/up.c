/*
 * up.c - `sysplex up [--timeout SEC] [--datapath BPF|TUN] [TOPOLOGY.lua]`.
 *
 * Order: check the preconditions (root, /dev/net/tun, the binaries, the
 * topology, the instance not up) before anything is built; write the run
 * directory, couple data set and profiles (and, with routers, the FRR
 * configurations), and check each profile with `tcpip-stack -n`; build
 * namespaces and links; with routers, start FRR in every router and system
 * and wait until every one of them has a route to every segment (OSPF
 * converged: the coupling bus must find its peers); start the daemons; then
 * poll (50 ms steps, no fixed sleeps) until
 *   1. every stack's ctl.sock answers SYSPLEX$ROLE with RC=0,
 *   2. a routing stack reports a DVIPA ACTIVE with DIST or DIST/DEST (when any
 *      profile has a VIPADISTRIBUTE),
 *   3. its VDPT (JSON) shows Rdy > 0 for as many targets as systems run an
 *      httpd on the checked address and port, or on `::` and that port (a
 *      listener on `::` counts for Rdy too), and
 *   4. `curl` from the first client gets an answer from the first httpd's
 *      address and port (the DVIPA in the default topology); when that
 *      httpd listens on `::`, from the routing stack's DVIPA on that port
 *      (or, with no distribution, from that system's LAN address).
 * Any failure (a daemon exiting, the deadline, a signal) prints what failed
 * with the tail of the relevant log, tears everything down and exits 1.
 */
#include "sysplex/sysplex.h"

#include <ctype.h>
#include <errno.h>
#include <jansson.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

static volatile sig_atomic_t interrupted;

static void
on_signal(int sig)
{
	interrupted = sig;
}

struct up {
	const struct plex_inst *in;
	struct plex_topo topo;
	struct plex_state st;
	char bindir[PATH_MAX / 2];
	int have_agent;
	const char *datapath;		/* --datapath BPF|TUN, NULL when not given */
	int expect_dist;		/* some profile has a VIPADISTRIBUTE */
	const struct plex_host *check_client;
	const struct plex_host *check_host;	/* the first system with an httpd */
	char check_url[128];
	char check_addr[PLEX_ADDR_LEN];	/* its address: a DVIPA, or "::" */
	unsigned check_port;
	int expect_rdy;			/* targets with Rdy > 0 we wait for */
	int routing;			/* index into st.h, -1 unknown */
	char routing_dvipa[PLEX_ADDR_LEN];
	int vdpt_rdy;
	char waiting_for[512];		/* what the poll loop still waits for */
	char waiting_log[PATH_MAX];	/* the log most likely to explain it */
};

/* Does the PROFILE text contain a VIPADISTRIBUTE statement outside comments? */
static int
profile_distributes(const char *p)
{
	const char *l = p;

	while (l && *l) {
		const char *e = strchr(l, '\n');
		size_t len = e ? (size_t)(e - l) : strlen(l), i;

		for (i = 0; i + 14 <= len; i++) {
			if (l[i] == ';')
				break;
			if (strncasecmp(l + i, "VIPADISTRIBUTE", 14) == 0)
				return 1;
		}
		l = e ? e + 1 : NULL;
	}
	return 0;
}

static int
is_exec(const char *dir, const char *prog, char *path, size_t len)
{
	size_t dl = strlen(dir), pl = strlen(prog);

	if (dl + pl + 2 > len)
		return 0;
	memcpy(path, dir, dl);
	path[dl] = '/';
	memcpy(path + dl + 1, prog, pl + 1);
	return access(path, X_OK) == 0;
}

static void
fail_teardown(struct up *u)
{
	fprintf(stderr, "sysplex: tearing down instance %s\n", u->in->name);
	plex_teardown(u->in, 0);
}

static int
record_proc(struct up *u, const char *host, const char *role, pid_t pid, const char *ns,
	    const char *log)
{
	struct plex_proc *p;

	if (u->st.nprocs >= PLEX_MAX_PROCS)
		return -1;
	p = &u->st.p[u->st.nprocs++];
	memset(p, 0, sizeof(*p));
	lib_strlcpy(p->host, host, sizeof(p->host));
	lib_strlcpy(p->role, role, sizeof(p->role));
	p->pid = pid;
	p->starttime = plex_pid_starttime(pid);
	lib_strlcpy(p->ns, ns, sizeof(p->ns));
	lib_strlcpy(p->log, log, sizeof(p->log));
	return plex_state_write(u->in, &u->st) < 0 ? -1 : 0;
}

static int
spawn(struct up *u, const struct plex_host *h, const char *role, char **argv, const char *log)
{
	char ns[64];
	pid_t pid;

	plex_ns_name(u->in, h->name, ns, sizeof(ns));
	pid = plex_spawn(ns, argv, log);
	if (pid < 0) {
		fprintf(stderr, "sysplex: cannot start %s on %s: %s\n", argv[0], h->name,
			strerror((int)-pid));
		return -1;
	}
	if (record_proc(u, h->name, role, pid, ns, log) < 0) {
		fprintf(stderr, "sysplex: cannot write %s\n", u->in->statefile);
		return -1;
	}
	return 0;
}

/* Starts the FRR daemons of every router and system of a routed topology
 * (plex_frr_start: every zebra first) and records them. */
static int
start_frr(struct up *u, uint64_t deadline)
{
	const struct plex_topo *t = &u->topo;
	char dir[PATH_MAX / 2], ns[64];
	const char *d[4];
	int i, j, n, first = u->st.nprocs;

	for (i = 0; i < t->nhosts; i++) {
		const struct plex_host *h = &t->h[i];

		n = plex_frr_daemons(t, h, d);
		plex_frr_dir(u->in, h->name, dir, sizeof(dir));
		plex_ns_name(u->in, h->name, ns, sizeof(ns));
		for (j = 0; j < n && u->st.nprocs < PLEX_MAX_PROCS; j++) {
			struct plex_proc *p = &u->st.p[u->st.nprocs++];

			memset(p, 0, sizeof(*p));
			lib_strlcpy(p->host, h->name, sizeof(p->host));
			lib_strlcpy(p->role, d[j], sizeof(p->role));
			lib_strlcpy(p->ns, ns, sizeof(p->ns));
			snprintf(p->log, sizeof(p->log), "%s/%s.log", dir, d[j]);
		}
	}
	if (u->st.nprocs == first)
		return 0;
	/* Entries not started yet (pid 0) never reach the state file. */
	if (plex_frr_start(u->in, &u->st, NULL, deadline) < 0) {
		u->st.nprocs = first;
		return -1;
	}
	if (plex_state_write(u->in, &u->st) < 0) {
		fprintf(stderr, "sysplex: cannot write %s\n", u->in->statefile);
		return -1;
	}
	return 0;
}

/* A representative address of every segment: its first host's. */
static const char *
seg_addr_of(const struct plex_topo *t, int seg)
{
	int i, k;

	for (i = 0; i < t->nhosts; i++)
		for (k = 0; k < t->h[i].nif; k++)
			if (t->h[i].ifs[k].seg == seg)
				return t->h[i].ifs[k].addr;
	return NULL;
}

/* Waits until every router and system has a route to every segment (OSPF
 * has converged), so the coupling bus finds its peers when the stacks
 * start.  0, or -1 after saying what is missing. */
static int
wait_ospf(struct up *u, uint64_t deadline)
{
	const struct plex_topo *t = &u->topo;
	const char *addrs[PLEX_MAX_SEGS], *missing = "";
	char ns[64], dir[PATH_MAX / 2], log[PATH_MAX / 2 + 32];
	int i, g, n = 0;

	if (!t->routed)
		return 0;
	for (g = 0; g < t->nsegs; g++)
		if (seg_addr_of(t, g))
			addrs[n++] = seg_addr_of(t, g);
	for (i = 0; i < t->nhosts; i++) {
		const struct plex_host *h = &t->h[i];

		if (!h->is_system && !h->is_router)
			continue;
		plex_ns_name(u->in, h->name, ns, sizeof(ns));
		if (plex_frr_wait_routes(ns, addrs, n, deadline, &missing) == 0)
			continue;
		fprintf(stderr, "sysplex: OSPF did not converge: %s has no route to %s\n", h->name,
			missing);
		plex_frr_dir(u->in, h->name, dir, sizeof(dir));
		snprintf(log, sizeof(log), "%s/ospf6d.log", dir);
		plex_tail(log, 15);
		return -1;
	}
	return 0;
}

static int
start_daemons(struct up *u)
{
	const struct plex_topo *t = &u->topo;
	char prog[PATH_MAX], dir[128], log[160];
	char port[16];
	int i, j;

	for (i = 0; i < t->nhosts; i++) {
		const struct plex_host *h = &t->h[i];

		if (!h->is_system)
			continue;
		static char bufs[4][PATH_MAX];
		char *argv[PLEX_STACK_ARGV];

		plex_stack_argv(u->in, u->bindir, h->name, h->tcpname, argv, bufs);
		snprintf(log, sizeof(log), "%s/%s/stack.log", u->in->rundir, h->name);
		if (spawn(u, h, "stack", argv, log) < 0)
			return -1;
	}
	for (i = 0; i < t->nhosts; i++) {
		const struct plex_host *h = &t->h[i];

		if (!h->is_system || !h->has_httpd)
			continue;
		snprintf(log, sizeof(log), "%s/%s/httpd.log", u->in->rundir, h->name);
		snprintf(prog, sizeof(prog), "%s/sysplex-httpd", u->bindir);
		snprintf(port, sizeof(port), "%u", h->httpd_port);
		char *argv[] = { prog, "-a", (char *)h->httpd_addr, "-p", port, "-n",
				 (char *)h->name, NULL };
		if (spawn(u, h, "httpd", argv, log) < 0)
			return -1;
	}
	for (i = 0; i < t->nhosts && u->have_agent; i++) {
		const struct plex_host *h = &t->h[i];
		char *argv[11 + 2 * PLEX_MAX_ROUTES];
		int n = 0;

		if (h->is_system || !h->agent)
			continue;
		snprintf(dir, sizeof(dir), "%s/%s", u->in->rundir, h->name);
		snprintf(log, sizeof(log), "%s/agent.log", dir);
		snprintf(prog, sizeof(prog), "%s/client-agent", u->bindir);
		argv[n++] = prog;
		argv[n++] = "-i";
		argv[n++] = "mip0";
		argv[n++] = "-l";
		argv[n++] = "lan0";
		for (j = 0; j < t->nroutes; j++) {
			if (!strchr(t->routes[j], ':'))
				continue;	/* IPv4: no Mobile IPv6 agent for it */
			argv[n++] = "-r";
			argv[n++] = (char *)t->routes[j];
		}
		argv[n++] = "-d";
		argv[n++] = dir;
		if (h->agent == 2)
			argv[n++] = "--standard";
		if (u->datapath) {
			argv[n++] = "-D";
			argv[n++] = (char *)u->datapath;
		}
		argv[n] = NULL;
		if (spawn(u, h, "agent", argv, log) < 0)
			return -1;
	}
	return 0;
}

/* The VDPT entries with Rdy > 0 in a JSON VDPT answer; -1 when it is not
 * one. */
static int
count_rdy(const json_t *vdpt)
{
	const json_t *rows = json_object_get(vdpt, "vdpt"), *e;
	int n = 0;
	size_t i;

	if (!json_is_array(rows))
		return -1;
	json_array_foreach(rows, i, e)
		if (lib_json_geti(e, "rdy", 0) > 0)
			n++;
	return n;
}

static int
is_any(const char *addr)
{
	return strcmp(addr, "::") == 0;
}

/* The DVIPA the readiness checks use: the first httpd's address, or the
 * routing stack's DVIPA when that httpd listens on `::`. */
static const char *
check_dvipa(const struct up *u)
{
	return is_any(u->check_addr) ? u->routing_dvipa : u->check_addr;
}

/* Systems whose httpd gives the checked DVIPA and port a ready listener:
 * on that address or on `::` (the stacks count both for Rdy). */
static void
count_expected(struct up *u)
{
	const char *dv = check_dvipa(u);
	int i;

	u->expect_rdy = 0;
	for (i = 0; i < u->topo.nhosts; i++) {
		const struct plex_host *h = &u->topo.h[i];

		if (h->has_httpd && h->httpd_port == u->check_port &&
		    (is_any(h->httpd_addr) || (dv[0] && strcmp(h->httpd_addr, dv) == 0)))
			u->expect_rdy++;
	}
}

/* The URL of the front-door check (empty while it cannot be known yet). */
static void
set_check_url(struct up *u)
{
	const char *addr = u->check_addr;

	u->check_url[0] = '\0';
	if (!addr[0])
		return;
	if (is_any(addr))
		addr = u->expect_dist ? u->routing_dvipa : u->check_host->lan;
	if (addr[0] && strchr(addr, ':'))
		snprintf(u->check_url, sizeof(u->check_url), "http://[%s]:%u/", addr, u->check_port);
	else if (addr[0])
		snprintf(u->check_url, sizeof(u->check_url), "http://%s:%u/", addr, u->check_port);
}

/* One poll step: returns 1 when everything is ready, 0 to keep waiting. */
static int
poll_ready(struct up *u)
{
	const struct plex_topo *t = &u->topo;
	char path[160], cmd[96], err[160];
	int i, rc, n, nsys;

	/* 1. Every stack answers SYSPLEX$ROLE, is in the group and sees every
	 * system of the topology ACTIVE in it (a command sent to any of them
	 * right after `up` finds the whole sysplex). */
	for (i = 0, nsys = 0; i < t->nhosts; i++)
		nsys += t->h[i].is_system != 0;
	for (i = 0; i < t->nhosts; i++) {
		const struct plex_host *h = &t->h[i];
		json_t *roles;
		int member = 0;
		json_int_t live = 0;

		if (!h->is_system)
			continue;
		lib_ctl_path(path, sizeof(path), u->in->rundir, h->name, 0);
		n = plex_role(u->in, h->name, 1000, &roles);
		if (n == 0) {
			member = json_is_true(json_object_get(roles, "member"));
			live = json_integer_value(json_object_get(roles, "active_members"));
		}
		json_decref(roles);
		snprintf(u->waiting_log, sizeof(u->waiting_log), "%s/%s/stack.log",
			 u->in->rundir, h->name);
		if (n < 0) {
			snprintf(u->waiting_for, sizeof(u->waiting_for),
				 "%s: %s answering SYSPLEX$ROLE with RC=0", h->name, path);
			return 0;
		}
		if (!member || live < nsys) {
			snprintf(u->waiting_for, sizeof(u->waiting_for),
				 "%s: in group EZBTCPCS with all %d systems ACTIVE (%s, %lld ACTIVE)",
				 h->name, nsys, member ? "joined" : "not joined", (long long)live);
			return 0;
		}
	}
	if (u->expect_dist) {
		/* 2. A routing stack. */
		u->routing = plex_find_routing(u->in, &u->st, 1000, u->routing_dvipa,
					       sizeof(u->routing_dvipa));
		if (u->routing < 0) {
			snprintf(u->waiting_for, sizeof(u->waiting_for),
				 "a routing stack (a DVIPA ACTIVE with DIST in SYSPLEX$ROLE)");
			snprintf(u->waiting_log, sizeof(u->waiting_log), "%s/%s/stack.log",
				 u->in->rundir, t->h[0].name);
			return 0;
		}
		/* 3. Its VDPT: every target with a listener. */
		count_expected(u);
		if (u->expect_rdy > 0) {
			const struct plex_state_host *r = &u->st.h[u->routing];
			json_t *vdpt;

			snprintf(cmd, sizeof(cmd), "D TCPIP,%s,NETSTAT,VDPT", r->tcpname);
			n = -1;
			if (lib_ctl_path(path, sizeof(path), u->in->rundir, r->name, 0) == 0 &&
			    plex_ctl_call_json(u->in, path, cmd, 1000, &rc, &vdpt, err,
					       sizeof(err)) == 0) {
				if (rc == 0)
					n = count_rdy(vdpt);
				json_decref(vdpt);
			}
			u->vdpt_rdy = n;
			if (n < u->expect_rdy) {
				snprintf(u->waiting_for, sizeof(u->waiting_for),
					 "%s: `%s` to show %d targets with Rdy > 0 (now %d)",
					 r->name, cmd, u->expect_rdy, n < 0 ? 0 : n);
				snprintf(u->waiting_log, sizeof(u->waiting_log), "%s/%s/stack.log",
					 u->in->rundir, r->name);
				return 0;
			}
		}
	}
	/* 4. A request through the front door. */
	set_check_url(u);
	if (u->check_client && u->check_url[0]) {
		char ns[64];
		char *argv[] = { "ip", "netns", "exec", ns, "curl", "-6", "-g", "-s", "-f", "-m", "2",
				 "-o", "/dev/null", u->check_url, NULL };

		plex_ns_name(u->in, u->check_client->name, ns, sizeof(ns));
		rc = plex_run(argv, NULL, 0, 5000);
		if (rc != 0) {
			snprintf(u->waiting_for, sizeof(u->waiting_for),
				 "%s: curl -6 %s (last exit status %d)", u->check_client->name,
				 u->check_url, rc);
			u->waiting_log[0] = '\0';
			for (i = 0; i < t->nhosts; i++)
				if (t->h[i].has_httpd) {
					snprintf(u->waiting_log, sizeof(u->waiting_log),
						 "%s/%s/httpd.log", u->in->rundir, t->h[i].name);
					break;
				}
			return 0;
		}
	}
	return 1;
}

/* Returns the index of a recorded daemon that is no longer alive, or -1;
 * how it ended goes into how. */
static int
find_dead(struct up *u, char *how, size_t len)
{
	int i, st;

	for (i = 0; i < u->st.nprocs; i++) {
		pid_t pid = u->st.p[i].pid;

		if (waitpid(pid, &st, WNOHANG) == pid) {
			if (WIFEXITED(st))
				snprintf(how, len, "exited with status %d", WEXITSTATUS(st));
			else if (WIFSIGNALED(st))
				snprintf(how, len, "was killed by signal %d", WTERMSIG(st));
			else
				snprintf(how, len, "ended");
			return i;
		}
		if (!plex_pid_alive(pid, 0)) {
			snprintf(how, len, "ended");
			return i;
		}
	}
	return -1;
}

static void
summary(struct up *u, uint64_t t0)
{
	const struct plex_topo *t = &u->topo;
	int i, j;

	printf("sysplex %s is up as instance %s (%.1f s; topology %s)\n", t->sysplex, u->in->name,
	       (double)(lib_now_ms() - t0) / 1000.0, t->path);
	printf("  %-8s %-7s %-16s %-20s %-16s %s\n", "HOST", "ROLE", "NAMESPACE", "LAN",
	       "XCF", "DAEMONS");
	for (i = 0; i < t->nhosts; i++) {
		const struct plex_host *h = &t->h[i];
		char ns[64], daemons[256] = "";
		size_t dl = 0;

		plex_ns_name(u->in, h->name, ns, sizeof(ns));
		for (j = 0; j < u->st.nprocs; j++) {
			int n;

			if (strcmp(u->st.p[j].host, h->name) != 0)
				continue;
			n = snprintf(daemons + dl, sizeof(daemons) - dl, "%s%s %d", dl ? ", " : "",
				     plex_prog_name(u->st.p[j].role), (int)u->st.p[j].pid);
			if (n > 0 && (size_t)n < sizeof(daemons) - dl)
				dl += (size_t)n;
		}
		printf("  %-8s %-7s %-16s %-20s %-16s %s\n", h->name,
		       h->is_system ? "system" : h->is_router ? "router" : "client", ns, h->lan,
		       h->xcf[0] ? h->xcf : "-", daemons[0] ? daemons : "-");
	}
	if (u->routing >= 0)
		printf("  routing stack: %s (%s) owns DVIPA %s\n", u->st.h[u->routing].name,
		       u->st.h[u->routing].tcpname, u->routing_dvipa);
	if (u->check_client && u->check_url[0])
		printf("  try: sysplex%s%s exec %s -- curl -6 -g %s\n",
		       strcmp(u->in->name, "plex") ? " --instance " : "",
		       strcmp(u->in->name, "plex") ? u->in->name : "", u->check_client->name,
		       u->check_url);
	if (u->routing >= 0)
		printf("       sysplex%s%s cmd 'D TCPIP,%s,NETSTAT,VDPT'\n",
		       strcmp(u->in->name, "plex") ? " --instance " : "",
		       strcmp(u->in->name, "plex") ? u->in->name : "",
		       u->st.h[u->routing].tcpname);
	if (!u->have_agent)
		printf("  note: no client-agent in %s; clients run without it\n", u->bindir);
}

/* Refuses when the instance exists; cleans a stale run directory.  Called
 * with the instance lock held.  0 = go ahead, -1 = refused (printed). */
static int
check_not_up(const struct plex_inst *in)
{
	char names[PLEX_MAX_HOSTS + 8][64];
	struct stat sb;
	int nn = plex_ns_list(in, names, (int)LIB_ARRAY_LEN(names));
	int have_state = stat(in->statefile, &sb) == 0;

	if (have_state && nn > 0) {
		fprintf(stderr,
			"sysplex: instance %s is already up (%s); run `sysplex%s%s down` first\n",
			in->name, in->statefile, strcmp(in->name, "plex") ? " --instance " : "",
			strcmp(in->name, "plex") ? in->name : "");
		return -1;
	}
	if (nn > 0) {
		fprintf(stderr,
			"sysplex: namespaces of instance %s exist (%s...) without a state file; run "
			"`sysplex%s%s down` to clean up\n",
			in->name, names[0], strcmp(in->name, "plex") ? " --instance " : "",
			strcmp(in->name, "plex") ? in->name : "");
		return -1;
	}
	/* No namespaces: whatever is in the run directory is stale. */
	if (stat(in->rundir, &sb) == 0 && plex_rmtree(in->rundir) < 0) {
		fprintf(stderr, "sysplex: cannot remove the stale %s\n", in->rundir);
		return -1;
	}
	return 0;
}

/* Runs `tcpip-stack -n PROFILE` for every system; -1 (printed) on error. */
static int
check_profiles(struct up *u)
{
	char prog[PATH_MAX], profile[160], out[4096];
	int i, rc;

	snprintf(prog, sizeof(prog), "%s/tcpip-stack", u->bindir);
	for (i = 0; i < u->topo.nhosts; i++) {
		const struct plex_host *h = &u->topo.h[i];
		char *argv[] = { prog, "-n", profile, NULL };

		if (!h->is_system)
			continue;
		snprintf(profile, sizeof(profile), "%s/%s/profile", u->in->rundir, h->name);
		rc = plex_run(argv, out, sizeof(out), 10000);
		if (rc != 0) {
			out[strcspn(out, "\n")] = '\0';
			fprintf(stderr, "sysplex: %s: PROFILE of %s in %s rejected: %s\n",
				u->in->name, h->name, u->topo.path,
				out[0] ? out : rc < 0 ? strerror(-rc) : "tcpip-stack -n failed");
			return -1;
		}
	}
	return 0;
}

/* --datapath: DATAPATH at the end of every system's PROFILE (one that has
 * its own DATAPATH statement is an error: say which). */
static int
set_datapath(struct up *u)
{
	int i;

	for (i = 0; i < u->topo.nhosts; i++) {
		struct plex_host *h = &u->topo.h[i];
		char *p;

		if (!h->is_system || !h->profile)
			continue;
		if (strcasestr(h->profile, "DATAPATH")) {
			fprintf(stderr, "sysplex: --datapath: the PROFILE of %s has a DATAPATH "
					"statement of its own\n", h->name);
			return -1;
		}
		if (asprintf(&p, "%s\nDATAPATH %s\n", h->profile, u->datapath) < 0)
			return -1;
		free(h->profile);
		h->profile = p;
	}
	return 0;
}

static void
usage_up(void)
{
	fprintf(stderr, "usage: sysplex [--instance NAME] up [--timeout SECONDS] [--datapath BPF|TUN] "
			"[TOPOLOGY.lua]\n"
			"  --datapath BPF|TUN  every stack's PROFILE gets DATAPATH BPF|TUN and every\n"
			"                      client agent -D BPF|TUN (default: BPF where it loads)\n");
}

int
plex_cmd_up(const struct plex_inst *in, int argc, char **argv)
{
	static struct up u;
	char topo_path[PATH_MAX] = "", err[1024], path[PATH_MAX], how[64];
	unsigned timeout_ms = 20000;
	struct sigaction sa;
	struct stat sb;
	uint64_t t0 = lib_now_ms(), deadline;
	int i, dead, lockfd = -1;

	memset(&u, 0, sizeof(u));
	u.in = in;
	u.routing = -1;
	for (i = 0; i < argc; i++) {
		if (strcmp(argv[i], "--timeout") == 0 && i + 1 < argc) {
			char *end;
			double s = strtod(argv[++i], &end);

			if (*end || s <= 0 || s > 3600) {
				usage_up();
				return 2;
			}
			timeout_ms = (unsigned)(s * 1000);
		} else if (strcmp(argv[i], "--datapath") == 0 && i + 1 < argc) {
			i++;
			if (strcasecmp(argv[i], "BPF") == 0)
				u.datapath = "BPF";
			else if (strcasecmp(argv[i], "TUN") == 0)
				u.datapath = "TUN";
			else {
				fprintf(stderr, "sysplex: --datapath %s: expected BPF or TUN\n", argv[i]);
				return 2;
			}
		} else if (argv[i][0] == '-' || topo_path[0]) {
			usage_up();
			return 2;
		} else {
			lib_strlcpy(topo_path, argv[i], sizeof(topo_path));
		}
	}
	/* Preconditions, before anything is built. */
	if (plex_check_root() < 0)
		return 1;
	if (stat("/dev/net/tun", &sb) < 0 || !S_ISCHR(sb.st_mode)) {
		fprintf(stderr, "sysplex: /dev/net/tun is missing: the stacks need TUN devices "
				"(modprobe tun, or run the container with --device /dev/net/tun)\n");
		return 1;
	}
	/* A bare name that is not a file here is a shipped topology. */
	if (topo_path[0] && !strchr(topo_path, '/') && access(topo_path, R_OK) < 0 &&
	    plex_shipped_topology(topo_path, path, sizeof(path)) == 0)
		lib_strlcpy(topo_path, path, sizeof(topo_path));
	if (!topo_path[0] && plex_default_topology(topo_path, sizeof(topo_path)) < 0) {
		fprintf(stderr, "sysplex: cannot find the default topology %s (set SYSPLEX_HOME to "
				"the source tree or name a topology file)\n", topo_path);
		return 1;
	}
	if (plex_topo_load(&u.topo, topo_path, err, sizeof(err)) < 0) {
		fprintf(stderr, "sysplex: %s\n", err);
		return 1;
	}
	if (plex_frr_check(&u.topo) < 0)
		goto out_free;
	lib_strlcpy(u.bindir, plex_bin_dir(), sizeof(u.bindir));
	if (!is_exec(u.bindir, "tcpip-stack", path, sizeof(path))) {
		fprintf(stderr, "sysplex: %s is missing (build with `make`, or set SYSPLEX_BIN_DIR)\n",
			path);
		goto out_free;
	}
	u.have_agent = is_exec(u.bindir, "client-agent", path, sizeof(path));
	if (u.datapath && set_datapath(&u) < 0)
		goto out_free;
	for (i = 0; i < u.topo.nhosts; i++) {
		const struct plex_host *h = &u.topo.h[i];

		if (h->is_system && h->profile && profile_distributes(h->profile))
			u.expect_dist = 1;
		if (h->has_httpd && !u.check_addr[0]) {
			lib_strlcpy(u.check_addr, h->httpd_addr, sizeof(u.check_addr));
			u.check_port = h->httpd_port;
			u.check_host = h;
		}
		if (!h->is_system && !u.check_client)
			u.check_client = h;
	}
	if (u.check_addr[0] && !is_exec(u.bindir, "sysplex-httpd", path, sizeof(path))) {
		fprintf(stderr, "sysplex: %s is missing (build with `make`, or set SYSPLEX_BIN_DIR)\n",
			path);
		goto out_free;
	}
	set_check_url(&u);

	lockfd = plex_lock(in);
	if (lockfd < 0)
		goto out_free;
	if (check_not_up(in) < 0) {
		plex_unlock(in, lockfd, 0);
		goto out_free;
	}

	/* From here on, any failure tears down what was built. */
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);

	if (plex_write_config(in, &u.topo) < 0 || plex_frr_write(in, &u.topo) < 0 ||
	    check_profiles(&u) < 0)
		goto fail;
	lib_strlcpy(u.st.instance, in->name, sizeof(u.st.instance));
	lib_strlcpy(u.st.topology, u.topo.path, sizeof(u.st.topology));
	lib_strlcpy(u.st.sysplex, u.topo.sysplex, sizeof(u.st.sysplex));
	lib_strlcpy(u.st.bindir, u.bindir, sizeof(u.st.bindir));
	plex_ns_name(in, "LAN", u.st.ns[u.st.nns++], sizeof(u.st.ns[0]));
	for (i = 0; i < u.topo.nhosts; i++) {
		const struct plex_host *h = &u.topo.h[i];
		struct plex_state_host *sh = &u.st.h[u.st.nhosts++];

		plex_ns_name(in, h->name, u.st.ns[u.st.nns++], sizeof(u.st.ns[0]));
		lib_strlcpy(sh->name, h->name, sizeof(sh->name));
		sh->is_system = h->is_system;
		sh->is_router = h->is_router;
		plex_ns_name(in, h->name, sh->ns, sizeof(sh->ns));
		lib_strlcpy(sh->lan, h->lan, sizeof(sh->lan));
		lib_strlcpy(sh->xcf, h->xcf, sizeof(sh->xcf));
		lib_strlcpy(sh->tcpname, h->tcpname, sizeof(sh->tcpname));
	}
	if (plex_state_write(in, &u.st) < 0) {
		fprintf(stderr, "sysplex: cannot write %s\n", in->statefile);
		goto fail;
	}
	deadline = lib_now_ms() + timeout_ms;
	if (plex_build(in, &u.topo) < 0 || interrupted)
		goto fail;
	if (start_frr(&u, deadline) < 0 || wait_ospf(&u, deadline) < 0)
		goto fail;
	if (start_daemons(&u) < 0)
		goto fail;

	/* Wait until the sysplex answers. */
	snprintf(u.waiting_for, sizeof(u.waiting_for), "the first poll");
	for (;;) {
		if (interrupted) {
			fprintf(stderr, "sysplex: interrupted (signal %d) while waiting for %s\n",
				(int)interrupted, u.waiting_for);
			goto fail;
		}
		dead = find_dead(&u, how, sizeof(how));
		if (dead >= 0) {
			const struct plex_proc *p = &u.st.p[dead];

			fprintf(stderr, "sysplex: %s on %s (pid %d) %s during start-up\n",
				plex_prog_name(p->role), p->host, (int)p->pid, how);
			plex_tail(p->log, 15);
			goto fail;
		}
		{
			char prev[sizeof(u.waiting_for)];
			int ready;

			lib_strlcpy(prev, u.waiting_for, sizeof(prev));
			ready = poll_ready(&u);
			if (getenv("SYSPLEX_VERBOSE") && (ready || strcmp(prev, u.waiting_for)))
				fprintf(stderr, "sysplex: +%.2f s: %s\n",
					(double)(lib_now_ms() - t0) / 1000.0,
					ready ? "ready" : u.waiting_for);
			if (ready)
				break;
		}
		if (lib_now_ms() >= deadline) {
			fprintf(stderr, "sysplex: not ready after %.1f s: still waiting for %s\n",
				timeout_ms / 1000.0, u.waiting_for);
			if (u.waiting_log[0])
				plex_tail(u.waiting_log, 15);
			goto fail;
		}
		plex_msleep(50);
	}
	summary(&u, t0);
	plex_unlock(in, lockfd, 0);
	plex_topo_free(&u.topo);
	return 0;

fail:
	fail_teardown(&u);
	plex_unlock(in, lockfd, 1);
out_free:
	plex_topo_free(&u.topo);
	return 1;
}
