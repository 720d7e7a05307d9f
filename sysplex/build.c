/*
 * build.c - what `sysplex up` builds and `sysplex down` removes: the run
 * directory, the namespaces (INST-LAN with one bridge br<i> per segment, one
 * namespace per host), the veth pairs (lan0, lan1 ... in the host,
 * INST<index>, INST<index>_<k> in the LAN namespace, enslaved to the
 * segment's bridge), addresses, routes and sysctls, exactly as
 * docs/RUNTIME.md says.
 *
 * Namespaces and links are made with iproute2 (`ip`, fork/exec); sysctls are
 * written from a child that entered the namespace with setns(2).  Nothing is
 * created in the caller's namespace, so instances never collide on names.
 * Teardown works from the namespace names alone (every `INST-*`), so it is
 * safe after a crash and when run twice.
 */
#include "sysplex/sysplex.h"
#include "xcf/xcf.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <sched.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

void
plex_inst_init(struct plex_inst *in, const char *name)
{
	memset(in, 0, sizeof(*in));
	lib_strlcpy(in->name, name, sizeof(in->name));
	snprintf(in->rundir, sizeof(in->rundir), "%s/%s", PLEX_RUN_ROOT, name);
	snprintf(in->statefile, sizeof(in->statefile), "%s/state", in->rundir);
}

void
plex_ns_name(const struct plex_inst *in, const char *host, char *buf, size_t len)
{
	snprintf(buf, len, "%s-%s", in->name, host);
}

int
plex_ns_exists(const char *ns)
{
	char path[PATH_MAX];
	struct stat sb;

	snprintf(path, sizeof(path), "%s/%s", PLEX_NETNS_DIR, ns);
	return stat(path, &sb) == 0;
}

int
plex_ns_list(const struct plex_inst *in, char names[][64], int max)
{
	size_t pl = strlen(in->name);
	struct dirent *de;
	DIR *d;
	int n = 0;

	d = opendir(PLEX_NETNS_DIR);
	if (!d)
		return 0;
	while ((de = readdir(d)) != NULL && n < max) {
		if (strncmp(de->d_name, in->name, pl) != 0 || de->d_name[pl] != '-')
			continue;
		lib_strlcpy(names[n++], de->d_name, 64);
	}
	closedir(d);
	return n;
}

int
plex_ns_pids(const char *ns, pid_t *pids, int max)
{
	char path[PATH_MAX];
	struct stat nsb, sb;
	struct dirent *de;
	DIR *d;
	int n = 0;

	snprintf(path, sizeof(path), "%s/%s", PLEX_NETNS_DIR, ns);
	if (stat(path, &nsb) < 0)
		return 0;
	d = opendir("/proc");
	if (!d)
		return 0;
	while ((de = readdir(d)) != NULL && n < max) {
		char *end;
		long pid = strtol(de->d_name, &end, 10);

		if (*end || pid <= 0 || pid == (long)getpid())
			continue;
		snprintf(path, sizeof(path), "/proc/%ld/ns/net", pid);
		if (stat(path, &sb) == 0 && sb.st_ino == nsb.st_ino && sb.st_dev == nsb.st_dev)
			pids[n++] = (pid_t)pid;
	}
	closedir(d);
	return n;
}

int
plex_ns_sysctl(const char *ns, const char *key, const char *val)
{
	char path[PATH_MAX], nspath[PATH_MAX];
	int st = 0;
	pid_t pid;
	size_t i;

	snprintf(path, sizeof(path), "/proc/sys/%s", key);
	for (i = strlen("/proc/sys/"); path[i]; i++)
		if (path[i] == '.')
			path[i] = '/';
	snprintf(nspath, sizeof(nspath), "%s/%s", PLEX_NETNS_DIR, ns);
	pid = fork();
	if (pid < 0)
		return -1;
	if (pid == 0) {
		int nfd = open(nspath, O_RDONLY | O_CLOEXEC), fd;

		if (nfd < 0 || setns(nfd, CLONE_NEWNET) < 0)
			_exit(2);
		fd = open(path, O_WRONLY | O_CLOEXEC);
		if (fd < 0 || lib_write_all(fd, val, strlen(val)) < 0)
			_exit(3);
		_exit(close(fd) < 0 ? 3 : 0);
	}
	while (waitpid(pid, &st, 0) < 0)
		if (errno != EINTR)
			return -1;
	if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) {
		fprintf(stderr, "sysplex: %s: cannot set %s=%s (%s)\n", ns, key, val,
			WIFEXITED(st) && WEXITSTATUS(st) == 2 ? "cannot enter the namespace"
							     : "write failed");
		return -1;
	}
	return 0;
}

/* Runs `ip [-n NS] ARGS...` (NULL-terminated); prints the error, -1. */
static int
ip(const char *ns, ...)
{
	char *argv[32];
	va_list ap;
	int n = 0;
	char *a;

	argv[n++] = "ip";
	if (ns) {
		argv[n++] = "-n";
		argv[n++] = (char *)ns;
	}
	va_start(ap, ns);
	while ((a = va_arg(ap, char *)) != NULL && n < (int)LIB_ARRAY_LEN(argv) - 1)
		argv[n++] = a;
	va_end(ap);
	argv[n] = NULL;
	return plex_run_checked(argv);
}

static int
mkdir_p1(const char *path, mode_t mode)
{
	if (mkdir(path, mode) < 0 && errno != EEXIST) {
		fprintf(stderr, "sysplex: mkdir %s: %s\n", path, strerror(errno));
		return -1;
	}
	return 0;
}

static int
write_file(const char *path, const char *text, mode_t mode)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode), rc;

	if (fd < 0) {
		fprintf(stderr, "sysplex: %s: %s\n", path, strerror(errno));
		return -1;
	}
	rc = lib_write_all(fd, text, strlen(text));
	if (close(fd) < 0 && rc == 0)
		rc = -errno;
	if (rc < 0) {
		fprintf(stderr, "sysplex: %s: %s\n", path, strerror(-rc));
		return -1;
	}
	return 0;
}

int
plex_write_config(const struct plex_inst *in, const struct plex_topo *t)
{
	struct lib_sbuf b = { 0 };
	char path[PATH_MAX], key[XCF_KEY_LEN + 1], err[600];
	int i, rc = 0;

	if (mkdir_p1(PLEX_RUN_ROOT, 0755) < 0 || mkdir_p1(in->rundir, 0755) < 0)
		return -1;
	snprintf(path, sizeof(path), "%s/xcf", in->rundir);
	if (mkdir_p1(path, 0700) < 0)
		return -1;
	lib_sbuf_printf(&b,
			"; couple config of instance %s, written by `sysplex up` from\n"
			"; %s\n"
			"SYSPLEX %s\n"
			"INTERVAL %u FAILURE %u\n"
			"CDS %s/cds.db LEASE %u\n",
			in->name, t->path, t->sysplex, t->hb_ms, t->fail_ms, in->rundir, t->lease_ms);
	for (i = 0; i < t->nhosts; i++) {
		const struct plex_host *h = &t->h[i];

		snprintf(path, sizeof(path), "%s/%s", in->rundir, h->name);
		if (mkdir_p1(path, 0755) < 0) {
			rc = -1;
			break;
		}
		if (!h->is_system)
			continue;
		/* The system's XCF key pair: a new one for every instance, the
		 * secret key in its own state directory (mode 0600), the public
		 * key in the couple config (and so in the couple data set). */
		snprintf(path, sizeof(path), "%s/%s/%s", in->rundir, h->name, XCF_KEY_FILE);
		unlink(path);
		if (xcf_key_generate(path, key, err, sizeof(err)) < 0) {
			fprintf(stderr, "sysplex: %s\n", err);
			rc = -1;
			break;
		}
		if (t->transport_ipc)
			lib_sbuf_printf(&b, "MEMBER %s %s ipc://%s/xcf/%s WEIGHT %u", h->name,
					h->tcpname, in->rundir, h->name, h->weight ? h->weight : 1);
		else
			lib_sbuf_printf(&b, "MEMBER %s %s tcp://[%s]:%u WEIGHT %u", h->name,
					h->tcpname, h->lan, t->xcf_port, h->weight ? h->weight : 1);
		lib_sbuf_printf(&b, " CAPACITY %u LOAD %u KEY %s\n", h->wlm_capacity, h->wlm_load,
				key);
		snprintf(path, sizeof(path), "%s/%s/profile", in->rundir, h->name);
		if (write_file(path, h->profile ? h->profile : "; no PROFILE in the topology\n",
			       0644) < 0) {
			rc = -1;
			break;
		}
	}
	if (rc == 0) {
		snprintf(path, sizeof(path), "%s/couple.cfg", in->rundir);
		rc = b.oom ? -1 : write_file(path, b.s, 0644);
	}
	lib_sbuf_free(&b);
	if (rc == 0) {
		/* The couple data set every stack opens (through its agent). */
		static struct xcf_couple cp;

		if (xcf_couple_parse(&cp, path, err, sizeof(err)) < 0 ||
		    xcf_cds_format(cp.cds, &cp, err, sizeof(err)) < 0) {
			fprintf(stderr, "sysplex: %s\n", err);
			rc = -1;
		}
	}
	return rc;
}

/* The LAN-side end of interface k of host h: INST<index>, INST<index>_<k>. */
static void
veth_peer(const struct plex_inst *in, const struct plex_host *h, int k, char *buf, size_t len)
{
	if (k == 0)
		snprintf(buf, len, "%s%d", in->name, h->index);
	else
		snprintf(buf, len, "%s%d_%d", in->name, h->index, k);
}

/* The address (IPv6, or IPv4 with v4) of the first router of segment seg on
 * that segment; NULL when it has none. */
static const char *
seg_router(const struct plex_topo *t, int seg, int v4)
{
	const struct plex_host *r;
	int k;

	if (t->seg[seg].router < 0)
		return NULL;
	r = &t->h[t->seg[seg].router];
	for (k = 0; k < r->nif; k++)
		if (r->ifs[k].seg == seg)
			return v4 ? (r->ifs[k].addr4[0] ? r->ifs[k].addr4 : NULL) : r->ifs[k].addr;
	return NULL;
}

/* One host's namespace, interfaces and addresses. */
static int
build_host(const struct plex_inst *in, const struct plex_topo *t, const struct plex_host *h,
	   const char *lan)
{
	char ns[64], peer[32], mtu[16], br[16], addr[PLEX_ADDR_LEN + 8];
	int k;

	snprintf(mtu, sizeof(mtu), "%u", t->mtu);
	plex_ns_name(in, h->name, ns, sizeof(ns));
	if (ip(NULL, "netns", "add", ns, NULL) < 0 ||
	    ip(ns, "link", "set", "lo", "up", NULL) < 0 ||
	    plex_ns_sysctl(ns, "net.ipv6.conf.all.accept_dad", "0") < 0 ||
	    plex_ns_sysctl(ns, "net.ipv6.conf.default.accept_dad", "0") < 0 ||
	    plex_ns_sysctl(ns, "net.ipv6.conf.all.forwarding", "1") < 0)
		return -1;
	if (h->is_router && t->has_v4 && plex_ns_sysctl(ns, "net.ipv4.ip_forward", "1") < 0)
		return -1;
	for (k = 0; k < h->nif; k++) {
		const struct plex_if *f = &h->ifs[k];
		const struct plex_seg *g = &t->seg[f->seg];

		veth_peer(in, h, k, peer, sizeof(peer));
		snprintf(br, sizeof(br), "br%d", f->seg);
		snprintf(addr, sizeof(addr), "%s/%d", f->addr, g->plen);
		if (ip(lan, "link", "add", peer, "type", "veth", "peer", "name", f->name, "netns",
		       ns, NULL) < 0 ||
		    ip(lan, "link", "set", peer, "mtu", mtu, "master", br, "up", NULL) < 0 ||
		    ip(ns, "link", "set", f->name, "mtu", mtu, "up", NULL) < 0 ||
		    ip(ns, "-6", "addr", "add", addr, "dev", f->name, "nodad", NULL) < 0)
			return -1;
		if (f->addr4[0]) {
			snprintf(addr, sizeof(addr), "%s/%d", f->addr4, g->plen4);
			if (ip(ns, "-4", "addr", "add", addr, "dev", f->name, NULL) < 0)
				return -1;
		}
	}
	return 0;
}

/*
 * Static routes.  One LAN: every host reaches every other system's
 * DYNAMICXCF (care-of) address, and its IPv4 DYNAMICXCF address, through
 * that system's LAN address (of the same family); clients
 * reach the DVIPA prefixes on-link (the routing stack answers neighbour
 * solicitations for a DVIPA itself, tcpip-stack/ndp.c).  Routed: systems
 * and routers learn every route by OSPF; a client keeps the direct routes
 * to the care-of addresses of the systems on its own segment, and reaches
 * everything else, the DVIPA prefixes included, through its segment's
 * (first) router, by default route.
 */
static int
build_routes(const struct plex_inst *in, const struct plex_topo *t, const struct plex_host *h)
{
	char ns[64], dst[PLEX_ADDR_LEN + 8];
	const char *gw = NULL, *gw4 = NULL;
	int j, seg = h->ifs[0].seg;

	if (h->is_router || (t->routed && h->is_system))
		return 0;
	plex_ns_name(in, h->name, ns, sizeof(ns));
	for (j = 0; j < t->nhosts; j++) {
		const struct plex_host *s = &t->h[j];

		if (s == h || !s->is_system || !s->xcf[0] || s->ifs[0].seg != seg)
			continue;
		snprintf(dst, sizeof(dst), "%s/128", s->xcf);
		if (ip(ns, "-6", "route", "add", dst, "via", s->lan, "dev", "lan0", NULL) < 0)
			return -1;
		/* Its IPv4 DYNAMICXCF address, the same way. */
		snprintf(dst, sizeof(dst), "%s/32", s->xcf4);
		if (s->xcf4[0] && s->ifs[0].addr4[0] && h->ifs[0].addr4[0] &&
		    ip(ns, "-4", "route", "add", dst, "via", s->ifs[0].addr4, "dev", "lan0",
		       NULL) < 0)
			return -1;
	}
	if (h->is_system)
		return 0;
	if (t->routed) {
		gw = seg_router(t, seg, 0);
		gw4 = h->ifs[0].addr4[0] ? seg_router(t, seg, 1) : NULL;
		if (gw && ip(ns, "-6", "route", "add", "default", "via", gw, "dev", "lan0", NULL) < 0)
			return -1;
		if (gw4 && ip(ns, "-4", "route", "add", "default", "via", gw4, "dev", "lan0",
			      NULL) < 0)
			return -1;
	}
	for (j = 0; j < t->nroutes; j++) {
		int v4 = !strchr(t->routes[j], ':');
		const char *via = v4 ? gw4 : gw;

		if (via ? ip(ns, v4 ? "-4" : "-6", "route", "add", t->routes[j], "via", via, "dev",
			     "lan0", NULL)
			: ip(ns, v4 ? "-4" : "-6", "route", "add", t->routes[j], "dev", "lan0", NULL))
			return -1;
	}
	return 0;
}

int
plex_build(const struct plex_inst *in, const struct plex_topo *t)
{
	char lan[64], br[16];
	int i;

	plex_ns_name(in, "LAN", lan, sizeof(lan));
	/* The segments: pure layer-2 bridges, no IPv6 of their own. */
	if (ip(NULL, "netns", "add", lan, NULL) < 0 ||
	    plex_ns_sysctl(lan, "net.ipv6.conf.all.disable_ipv6", "1") < 0 ||
	    plex_ns_sysctl(lan, "net.ipv6.conf.default.disable_ipv6", "1") < 0 ||
	    ip(lan, "link", "set", "lo", "up", NULL) < 0)
		return -1;
	for (i = 0; i < t->nsegs; i++) {
		snprintf(br, sizeof(br), "br%d", i);
		if (ip(lan, "link", "add", br, "type", "bridge", "mcast_snooping", "0", NULL) < 0 ||
		    ip(lan, "link", "set", br, "up", NULL) < 0)
			return -1;
	}
	for (i = 0; i < t->nhosts; i++)
		if (build_host(in, t, &t->h[i], lan) < 0)
			return -1;
	for (i = 0; i < t->nhosts; i++)
		if (build_routes(in, t, &t->h[i]) < 0)
			return -1;
	return 0;
}

static int
rm_cb(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
	LIB_UNUSED(sb);
	LIB_UNUSED(flag);
	LIB_UNUSED(ftw);
	if (remove(path) < 0 && errno != ENOENT)
		fprintf(stderr, "sysplex: cannot remove %s: %s\n", path, strerror(errno));
	return 0;
}

int
plex_rmtree(const char *path)
{
	struct stat sb;

	if (lstat(path, &sb) < 0)
		return errno == ENOENT ? 0 : -1;
	nftw(path, rm_cb, 16, FTW_DEPTH | FTW_PHYS);
	return lstat(path, &sb) < 0 && errno == ENOENT ? 0 : -1;
}

int
plex_teardown(const struct plex_inst *in, int verbose)
{
	static struct plex_state st;
	static char names[256][64];
	static pid_t pids[4096];
	pid_t rec[PLEX_MAX_PROCS];
	unsigned long long starts[PLEX_MAX_PROCS];
	int i, n, nn, left, rc = 0, killed = 0;

	/* 1. The daemons we recorded (their start time guards against reuse). */
	if (plex_state_read(in, &st) == 0) {
		for (i = n = 0; i < st.nprocs; i++) {
			if (!plex_pid_alive(st.p[i].pid, st.p[i].starttime))
				continue;
			rec[n] = st.p[i].pid;
			starts[n++] = st.p[i].starttime;
		}
		killed += n;
		left = plex_kill_all(rec, starts, n, 3000);
		if (left)
			fprintf(stderr, "sysplex: %d recorded process(es) did not exit\n", left);
	}
	/* 2. Anything else still inside the namespaces (sysplex exec, curl...). */
	nn = plex_ns_list(in, names, (int)LIB_ARRAY_LEN(names));
	for (i = n = 0; i < nn; i++)
		n += plex_ns_pids(names[i], pids + n, (int)LIB_ARRAY_LEN(pids) - n);
	if (n > 0) {
		killed += n;
		left = plex_kill_all(pids, NULL, n, 2000);
		if (left) {
			fprintf(stderr, "sysplex: %d process(es) in the namespaces did not exit\n",
				left);
			rc = -1;
		}
	}
	/* 3. The namespaces: hosts first, then the LAN (veths go with them). */
	for (int pass = 0; pass < 2; pass++) {
		for (i = 0; i < nn; i++) {
			int is_lan = strcmp(names[i] + strlen(in->name), "-LAN") == 0;

			if (is_lan != pass)
				continue;
			if (ip(NULL, "netns", "del", names[i], NULL) < 0)
				rc = -1;
		}
	}
	/* 4. The run directory. */
	if (plex_rmtree(in->rundir) < 0) {
		fprintf(stderr, "sysplex: cannot remove %s\n", in->rundir);
		rc = -1;
	}
	if (verbose)
		printf("sysplex: instance %s is down (%d process%s stopped, %d namespace%s "
		       "removed)\n",
		       in->name, killed, killed == 1 ? "" : "es", nn, nn == 1 ? "" : "s");
	return rc;
}

static void
lock_path(const struct plex_inst *in, char *path, size_t len)
{
	snprintf(path, len, "%s/%s.lock", PLEX_RUN_ROOT, in->name);
}

int
plex_lock(const struct plex_inst *in)
{
	char path[PATH_MAX];
	struct stat a, b;
	int fd;

	if (mkdir_p1(PLEX_RUN_ROOT, 0755) < 0)
		return -1;
	lock_path(in, path, sizeof(path));
	for (;;) {
		fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
		if (fd < 0) {
			fprintf(stderr, "sysplex: %s: %s\n", path, strerror(errno));
			return -1;
		}
		while (flock(fd, LOCK_EX) < 0) {
			if (errno != EINTR) {
				fprintf(stderr, "sysplex: lock %s: %s\n", path, strerror(errno));
				close(fd);
				return -1;
			}
		}
		/* The holder before us may have removed the file (plex_unlock):
		 * then our lock is on a dead inode and we start again. */
		if (fstat(fd, &a) == 0 && stat(path, &b) == 0 && a.st_ino == b.st_ino &&
		    a.st_dev == b.st_dev)
			return fd;
		close(fd);
	}
}

void
plex_unlock(const struct plex_inst *in, int fd, int remove_file)
{
	char path[PATH_MAX];

	if (fd < 0)
		return;
	if (remove_file) {
		lock_path(in, path, sizeof(path));
		unlink(path);
	}
	close(fd);
}
