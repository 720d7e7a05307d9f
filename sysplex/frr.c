/*
 * frr.c - the routing daemons of a routed topology: FRR plays OMPROUTE.
 *
 * A topology with routers runs FRR (Debian's frr package) in every router
 * and every system: zebra, ospf6d, bfdd when BFD is on, and ospfd where a
 * host has IPv4 addresses.  `sysplex up` writes their configuration into
 * RUNDIR/HOST/frr/ (owned by the frr user, which the daemons run as) and
 * starts them inside the host's namespace, each with every path of its own
 * in that directory:
 *
 *   DAEMON.conf  -f      its configuration (zebra.conf, ospf6d.conf, ...)
 *   zserv.api    -z      zebra's API socket the other daemons connect to
 *   DAEMON.pid   -i      its pid file
 *   DAEMON.vty           its vty socket (--vty_socket DIR; vtysh uses the same)
 *   bfdd.sock            bfdd's control socket (--bfdctl)
 *   DAEMON.log           what it logs (--log stdout, the launcher's log file)
 *
 * FRR 8.4 also writes state files of its own to /run/frr (graceful-restart
 * and authentication sequence numbers) and crash-log buffers to
 * /var/tmp/frr, paths no option moves, which every FRR process on the
 * machine would share.  So each daemon is started through
 * `sysplex --frr-exec DIR PROGRAM ARGS...` (plex_frr_exec), which, already
 * inside the private mount namespace `ip netns exec` gives it, bind-mounts
 * DIR over /run/frr and DIR/tmp over /var/tmp and then execs the daemon:
 * the daemon (and only it) sees its own directory there, and `sysplex down`
 * removes everything with the run directory.  It also gives the daemon
 * SCHED_RR at the lowest real-time priority, as the stack has: BFD's 100 ms
 * timers must not depend on how busy the machine is.  No shell is involved
 * and the pid the launcher records is the daemon's.
 *
 * The configurations (docs/RUNTIME.md, docs/DESIGN.md "Routed networks"):
 * OSPFv3 area 0 on every interface (hello/dead from the topology, LSA
 * retransmission 1 s, no SPF or LSA arrival delay), systems with priority 0
 * so a router is always the designated router; a router interface on a
 * segment where no other host speaks OSPF is passive; BFD (profile sysplex,
 * the topology's interval and multiplier) on every OSPF interface.  Every
 * adjacency change and BFD state change is logged with its reason.  A system
 * redistributes the host routes on the stack's TUN tcpip0, kernel and
 * connected: its care-of (DYNAMICXCF) address, always, and the DVIPAs it
 * owns, whose host route the stack installs only while it owns them.  The
 * same for IPv4 (ospfd) where segments have IPv4 prefixes: the IPv4
 * DYNAMICXCF address and the IPv4 DVIPAs the stack owns (/32 routes).
 *
 * Level 1 (sysplex.h): calls only level 0 (env.c, proc.c) and the modules.
 */
#include "sysplex/sysplex.h"

#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#define FRR_BINDIR "/usr/lib/frr"
#define FRR_USER "frr"
#define FRR_TUN "tcpip0"		/* the stack's TUN (tcpip-stack/stack.h) */

const char *
plex_frr_bindir(void)
{
	const char *d = getenv("SYSPLEX_FRR_DIR");

	return d && *d ? d : FRR_BINDIR;
}

void
plex_frr_dir(const struct plex_inst *in, const char *host, char *buf, size_t len)
{
	snprintf(buf, len, "%s/%s/frr", in->rundir, host);
}

/* Does host h speak OSPFv2 (an IPv4 address on some interface)? */
static int
has_v4(const struct plex_host *h)
{
	int k;

	for (k = 0; k < h->nif; k++)
		if (h->ifs[k].addr4[0])
			return 1;
	return 0;
}

int
plex_frr_daemons(const struct plex_topo *t, const struct plex_host *h, const char *out[4])
{
	int n = 0;

	if (!t->routed || !(h->is_system || h->is_router))
		return 0;
	out[n++] = "zebra";
	if (t->ospf.bfd_ms)
		out[n++] = "bfdd";
	out[n++] = "ospf6d";
	if (has_v4(h))
		out[n++] = "ospfd";
	return n;
}

int
plex_frr_check(const struct plex_topo *t)
{
	const char *need[] = { "zebra", "ospf6d", "bfdd", "ospfd" };
	char path[PATH_MAX];
	size_t i;

	if (!t->routed)
		return 0;
	for (i = 0; i < LIB_ARRAY_LEN(need); i++) {
		snprintf(path, sizeof(path), "%s/%s", plex_frr_bindir(), need[i]);
		if (access(path, X_OK) < 0) {
			fprintf(stderr, "sysplex: %s: the topology has routers, which need FRR: %s "
					"is missing (install Debian's frr package: `make deps`, or set "
					"SYSPLEX_FRR_DIR)\n", t->path, path);
			return -1;
		}
	}
	if (!getpwnam(FRR_USER)) {
		fprintf(stderr, "sysplex: %s: the topology has routers, which need FRR, but there "
				"is no user %s (install Debian's frr package: `make deps`)\n", t->path,
			FRR_USER);
		return -1;
	}
	return 0;
}

/* Is host h the only OSPF speaker on the segment of its interface k? */
static int
alone_on(const struct plex_topo *t, const struct plex_host *h, int k)
{
	const struct plex_seg *g = &t->seg[h->ifs[k].seg];

	return h->is_router && g->nrouters == 1 && g->nsystems == 0;
}

static void
conf_head(struct lib_sbuf *b, const struct plex_inst *in, const struct plex_host *h,
	  const char *daemon)
{
	lib_sbuf_printf(b, "! %s of %s in instance %s, written by `sysplex up`\n"
			   "hostname %s\n", daemon, h->name, in->name, h->name);
}

static void
conf_zebra(struct lib_sbuf *b, const struct plex_inst *in, const struct plex_host *h)
{
	conf_head(b, in, h, "zebra");
}

static void
conf_bfdd(struct lib_sbuf *b, const struct plex_inst *in, const struct plex_topo *t,
	  const struct plex_host *h)
{
	conf_head(b, in, h, "bfdd");
	/* State changes logged with their reason (control-expired: the peer
	 * went silent), as OMPROUTE logs its neighbours going down. */
	lib_sbuf_printf(b, "debug bfd peer\n");
	lib_sbuf_printf(b, "bfd\n profile sysplex\n  detect-multiplier %u\n  receive-interval %u\n"
			   "  transmit-interval %u\n exit\nexit\n", t->ospf.bfd_mult,
			t->ospf.bfd_ms, t->ospf.bfd_ms);
}

/* ospf6d (v4 = 0) or ospfd (v4 = 1). */
static void
conf_ospf(struct lib_sbuf *b, const struct plex_inst *in, const struct plex_topo *t,
	  const struct plex_host *h, int v4)
{
	const char *ip = v4 ? "ip ospf" : "ipv6 ospf6";
	int k;

	conf_head(b, in, h, v4 ? "ospfd" : "ospf6d");
	for (k = 0; k < h->nif; k++) {
		const struct plex_if *f = &h->ifs[k];

		if (v4 && !f->addr4[0])
			continue;
		lib_sbuf_printf(b, "interface %s\n %s area 0.0.0.0\n %s hello-interval %u\n"
				   " %s dead-interval %u\n %s retransmit-interval 1\n %s priority %d\n",
				f->name, ip, ip, t->ospf.hello_s, ip, t->ospf.dead_s, ip, ip,
				h->is_router ? 1 : 0);
		if (t->ospf.bfd_ms)
			lib_sbuf_printf(b, " %s bfd\n %s bfd profile sysplex\n", ip, ip);
		if (alone_on(t, h, k))
			lib_sbuf_printf(b, " %s passive\n", ip);
		lib_sbuf_printf(b, "exit\n");
	}
	lib_sbuf_printf(b, "router %s\n %s router-id 0.0.0.%d\n timers throttle spf 0 50 500\n"
			   " timers lsa min-arrival 0\n log-adjacency-changes detail\n",
			v4 ? "ospf" : "ospf6", v4 ? "ospf" : "ospf6", h->index);
	if (h->is_system)
		lib_sbuf_printf(b, " redistribute kernel route-map SYSPLEX-TUN\n"
				   " redistribute connected route-map SYSPLEX-TUN\n");
	lib_sbuf_printf(b, "exit\n");
	if (!h->is_system)
		return;
	/* Host routes on the stack's TUN: its care-of address and the DVIPAs
	 * it owns (tcpip-stack/ndp.c). */
	if (v4)
		lib_sbuf_printf(b, "ip prefix-list SYSPLEX-HOST seq 5 permit 0.0.0.0/0 ge 32\n");
	else
		lib_sbuf_printf(b, "ipv6 prefix-list SYSPLEX-HOST seq 5 permit ::/0 ge 128\n");
	lib_sbuf_printf(b, "route-map SYSPLEX-TUN permit 10\n match interface %s\n"
			   " match %s address prefix-list SYSPLEX-HOST\nexit\n", FRR_TUN,
			v4 ? "ip" : "ipv6");
}

static int
write_owned(const char *path, const struct lib_sbuf *b, uid_t uid, gid_t gid)
{
	int fd, rc;

	if (b->oom)
		return -ENOMEM;
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0640);
	if (fd < 0)
		return -errno;
	rc = lib_write_all(fd, b->s ? b->s : "", b->s ? strlen(b->s) : 0);
	if (rc == 0 && fchown(fd, uid, gid) < 0)
		rc = -errno;
	if (close(fd) < 0 && rc == 0)
		rc = -errno;
	return rc;
}

static int
mkdir_owned(const char *path, uid_t uid, gid_t gid)
{
	if (mkdir(path, 0755) < 0 && errno != EEXIST)
		return -errno;
	if (chown(path, uid, gid) < 0)
		return -errno;
	return 0;
}

int
plex_frr_write(const struct plex_inst *in, const struct plex_topo *t)
{
	const struct passwd *pw;
	char dir[PATH_MAX], path[PATH_MAX + 32];
	int i, j, rc;

	if (!t->routed)
		return 0;
	pw = getpwnam(FRR_USER);
	if (!pw) {
		fprintf(stderr, "sysplex: no user %s (install Debian's frr package)\n", FRR_USER);
		return -1;
	}
	for (i = 0; i < t->nhosts; i++) {
		const struct plex_host *h = &t->h[i];
		const char *d[4];
		int n = plex_frr_daemons(t, h, d);

		if (!n)
			continue;
		plex_frr_dir(in, h->name, dir, sizeof(dir));
		snprintf(path, sizeof(path), "%s/tmp", dir);
		if ((rc = mkdir_owned(dir, pw->pw_uid, pw->pw_gid)) < 0 ||
		    (rc = mkdir_owned(path, pw->pw_uid, pw->pw_gid)) < 0) {
			fprintf(stderr, "sysplex: %s: %s\n", dir, strerror(-rc));
			return -1;
		}
		for (j = 0; j < n; j++) {
			struct lib_sbuf b = { 0 };

			if (strcmp(d[j], "zebra") == 0)
				conf_zebra(&b, in, h);
			else if (strcmp(d[j], "bfdd") == 0)
				conf_bfdd(&b, in, t, h);
			else
				conf_ospf(&b, in, t, h, strcmp(d[j], "ospfd") == 0);
			snprintf(path, sizeof(path), "%s/%s.conf", dir, d[j]);
			rc = write_owned(path, &b, pw->pw_uid, pw->pw_gid);
			lib_sbuf_free(&b);
			if (rc < 0) {
				fprintf(stderr, "sysplex: %s: %s\n", path, strerror(-rc));
				return -1;
			}
		}
	}
	return 0;
}

void
plex_frr_argv(const struct plex_inst *in, const char *host, const char *daemon,
	      char *argv[24], char bufs[7][PATH_MAX])
{
	char dir[PATH_MAX / 2];
	int n = 0;

	plex_frr_dir(in, host, dir, sizeof(dir));
	snprintf(bufs[0], PATH_MAX, "%s/sysplex", plex_self_dir());
	lib_strlcpy(bufs[1], dir, PATH_MAX);
	snprintf(bufs[2], PATH_MAX, "%s/%s", plex_frr_bindir(), daemon);
	snprintf(bufs[3], PATH_MAX, "%s/%s.conf", dir, daemon);
	snprintf(bufs[4], PATH_MAX, "%s/zserv.api", dir);
	snprintf(bufs[5], PATH_MAX, "%s/%s.pid", dir, daemon);
	snprintf(bufs[6], PATH_MAX, "%s/bfdd.sock", dir);
	argv[n++] = bufs[0];
	argv[n++] = "--frr-exec";
	argv[n++] = bufs[1];
	argv[n++] = bufs[2];
	argv[n++] = "-f";
	argv[n++] = bufs[3];
	argv[n++] = "-z";
	argv[n++] = bufs[4];
	argv[n++] = "-i";
	argv[n++] = bufs[5];
	argv[n++] = "--vty_socket";
	argv[n++] = bufs[1];
	argv[n++] = "-P";
	argv[n++] = "0";
	argv[n++] = "--log";
	argv[n++] = "stdout";
	if (strcmp(daemon, "bfdd") == 0) {
		argv[n++] = "--bfdctl";
		argv[n++] = bufs[6];
	}
	argv[n] = NULL;
}

static int
is_frr_role(const char *role)
{
	return strcmp(role, "zebra") == 0 || strcmp(role, "bfdd") == 0 ||
	       strcmp(role, "ospf6d") == 0 || strcmp(role, "ospfd") == 0;
}

int
plex_frr_start(const struct plex_inst *in, struct plex_state *st, const char *host,
	       uint64_t deadline)
{
	static char bufs[7][PATH_MAX];
	char *argv[24], dir[PATH_MAX / 2], sock[PATH_MAX / 2 + 16];
	int pass, i;

	for (pass = 0; pass < 2; pass++) {
		for (i = 0; i < st->nprocs; i++) {
			struct plex_proc *p = &st->p[i];
			int zebra = strcmp(p->role, "zebra") == 0;
			pid_t pid;

			if (!is_frr_role(p->role) || (host && strcmp(p->host, host) != 0) ||
			    zebra != (pass == 0))
				continue;
			plex_frr_dir(in, p->host, dir, sizeof(dir));
			snprintf(sock, sizeof(sock), "%s/zserv.api", dir);
			if (pass == 1) {
				/* The others retry a missing zebra only after 10 s. */
				while (access(sock, F_OK) < 0) {
					if (lib_now_ms() >= deadline) {
						fprintf(stderr, "sysplex: %s: zebra did not open %s\n",
							p->host, sock);
						return -1;
					}
					plex_msleep(20);
				}
			}
			if (p->pid > 0 && plex_pid_alive(p->pid, p->starttime))
				continue;
			if (zebra)
				unlink(sock);	/* a dead zebra's: wait for the new one's */
			plex_frr_argv(in, p->host, p->role, argv, bufs);
			pid = plex_spawn(p->ns, argv, p->log);
			if (pid < 0) {
				fprintf(stderr, "sysplex: cannot start %s on %s: %s\n", p->role,
					p->host, strerror((int)-pid));
				return -1;
			}
			p->pid = pid;
			p->starttime = plex_pid_starttime(pid);
		}
	}
	return 0;
}

int
plex_frr_wait_routes(const char *ns, const char *const *addrs, int n, uint64_t deadline,
		     const char **missing)
{
	int i;

	for (i = 0; i < n; i++) {
		char *argv[] = { "ip", "-n", (char *)ns, "-6", "route", "get", (char *)addrs[i],
				 NULL };

		while (plex_run(argv, NULL, 0, 2000) != 0) {
			if (lib_now_ms() >= deadline) {
				if (missing)
					*missing = addrs[i];
				return -1;
			}
			plex_msleep(50);
		}
	}
	return 0;
}

int
plex_frr_exec(int argc, char **argv)
{
	char tmp[PATH_MAX + 8];
	struct stat sb;
	int rc;

	if (argc < 2 || argv[0][0] != '/' || argv[1][0] != '/') {
		fprintf(stderr, "usage: sysplex --frr-exec DIR PROGRAM [ARG...] (internal: run "
				"an FRR daemon with DIR as its /run/frr and DIR/tmp as /var/tmp, in "
				"the mount namespace of `ip netns exec`)\n");
		return 2;
	}
	snprintf(tmp, sizeof(tmp), "%s/tmp", argv[0]);
	if (stat("/run/frr", &sb) < 0 && mkdir("/run/frr", 0755) < 0 && errno != EEXIST) {
		fprintf(stderr, "sysplex --frr-exec: mkdir /run/frr: %s\n", strerror(errno));
		return 1;
	}
	/* The mounts stay in this process's mount namespace: `ip netns exec`
	 * made it a slave of the machine's, so nothing propagates back. */
	if (mount(argv[0], "/run/frr", NULL, MS_BIND, NULL) < 0 ||
	    mount(tmp, "/var/tmp", NULL, MS_BIND, NULL) < 0) {
		fprintf(stderr, "sysplex --frr-exec: bind mount of %s: %s\n", argv[0],
			strerror(errno));
		return 1;
	}
	/* BFD's and OSPF's timers decide who is alive, as the stack's do: the
	 * same real-time class (inherited across exec). */
	rc = lib_sched_realtime();
	if (rc < 0)
		fprintf(stderr, "sysplex --frr-exec: real-time scheduling unavailable (%s): BFD "
				"may declare neighbours down on a busy machine\n", strerror(-rc));
	execv(argv[1], argv + 1);
	fprintf(stderr, "sysplex --frr-exec: %s: %s\n", argv[1], strerror(errno));
	return 127;
}
