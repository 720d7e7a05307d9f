/*
 * load.c - `sysplex load CLIENT [options]`: runs the HTTP load generator
 * (testsrv/, testsrv_load_run) inside a host's network namespace (setns),
 * against the DVIPA.  The Lua API's load{} runs this command as a child
 * process and reads its reports.
 *
 *   --connections N   concurrent connections kept open (default 4)
 *   --rate R          at most R new connections per second (default 0: as
 *                     fast as slots free up)
 *   --bytes N         each connection does GET /bytes/N (default 100000;
 *                     0 means GET /, the server's name)
 *   --count N         stop after N connections have ended (default 0: no limit)
 *   --duration S      stop after S seconds (default 0: no limit)
 *   --pace BPS        read at most BPS bytes/s per connection (default 0: no
 *                     limit), so that connections stay open for a while
 *   --dvipa A --port P  the server, IPv6 or IPv4 (default: the topology's
 *                     first sample server address and port, i.e. the DVIPA)
 *   --connect-timeout S (default 5) --idle-timeout S (default 5)
 *   --report-ms MS    report interval (default 200)
 *
 * How every connection is classified and the report lines it prints on
 * stdout are described in testsrv/testsrv.h.  The generator dies with its
 * parent (PR_SET_PDEATHSIG).
 */
#include "sysplex/sysplex.h"

#include "testsrv/testsrv.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sched.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <unistd.h>

static void
load_usage(FILE *f)
{
	fprintf(f, "usage: sysplex [--instance NAME] load HOST [--connections N] [--rate R] "
		   "[--bytes N]\n"
		   "         [--count N] [--duration S] [--pace BPS] [--dvipa ADDR] [--port P]\n"
		   "         [--connect-timeout S] [--idle-timeout S] [--report-ms MS]\n"
		   "Keeps N concurrent HTTP downloads going from HOST against the DVIPA and prints\n"
		   "cumulative counts (ok, failed, reset, active, per target) as one JSON object\n"
		   "per line; see the header of sysplex/load.c or docs/LUA.md.\n");
}

/* The first sample server of the topology: address and port (the routing
 * stack's first distributed DVIPA when that server listens on `::`). */
static void
default_server(const struct plex_inst *in, const struct plex_state *st, char *addr, size_t alen,
	       unsigned *port)
{
	struct plex_topo t;
	char err[256];
	int i;

	if (st->topology[0] && plex_topo_load(&t, st->topology, err, sizeof(err)) == 0) {
		for (i = 0; i < t.nhosts; i++)
			if (t.h[i].has_httpd) {
				lib_strlcpy(addr, t.h[i].httpd_addr, alen);
				*port = t.h[i].httpd_port;
				break;
			}
		plex_topo_free(&t);
		if (addr[0] && strcmp(addr, "::") != 0)
			return;
	}
	/* No server, or one listening on `::`: the routing stack's first
	 * distributed DVIPA. */
	addr[0] = '\0';
	plex_find_routing(in, st, 1000, addr, alen);
	if (!*port)
		*port = 8080;
}

int
plex_cmd_load(const struct plex_inst *in, int argc, char **argv)
{
	static struct plex_state st;
	struct testsrv_load_opts o;
	struct in6_addr a6;
	const char *host = NULL, *dvipa = NULL;
	char nspath[PATH_MAX], addr[PLEX_ADDR_LEN] = "";
	int i, nsfd, idx, r;

	testsrv_load_defaults(&o);
	for (i = 0; i < argc; i++) {
		const char *opt = argv[i], *a = i + 1 < argc ? argv[i + 1] : NULL;

		if (strcmp(opt, "--help") == 0 || strcmp(opt, "-h") == 0) {
			load_usage(stdout);
			return 0;
		}
		if (opt[0] != '-') {
			if (host) {
				load_usage(stderr);
				return 2;
			}
			host = opt;
			continue;
		}
		if (!a) {
			load_usage(stderr);
			return 2;
		}
		i++;
		if (strcmp(opt, "--dvipa") == 0) {
			dvipa = a;
			continue;
		}
		if (testsrv_load_option(&o, opt, a) < 0) {
			fprintf(stderr, "sysplex load: bad option or value: %s %s\n", opt, a);
			load_usage(stderr);
			return 2;
		}
	}
	if (!host) {
		load_usage(stderr);
		return 2;
	}
	if (plex_check_root() < 0)
		return 1;
	if (plex_state_read(in, &st) < 0) {
		plex_not_up(in);
		return 1;
	}
	idx = plex_state_index(&st, host, 0);
	if (idx < 0) {
		fprintf(stderr, "sysplex load: instance %s has no host %s\n", in->name, host);
		return 1;
	}
	if (dvipa)
		lib_strlcpy(addr, dvipa, sizeof(addr));
	if (!dvipa || !o.port) {
		char daddr[PLEX_ADDR_LEN] = "";
		unsigned dport = 8080;

		default_server(in, &st, daddr, sizeof(daddr), &dport);
		if (!dvipa)
			lib_strlcpy(addr, daddr, sizeof(addr));
		if (!o.port)
			o.port = dport;
	}
	if (addr[0] && inet_pton(AF_INET, addr, (uint8_t *)&a6 + 12) == 1) {
		/* IPv4: through the generator's IPv6 socket, IPv4-mapped. */
		char v4[INET_ADDRSTRLEN];

		lib_strlcpy(v4, addr, sizeof(v4));
		snprintf(addr, sizeof(addr), "::ffff:%s", v4);
	}
	if (!addr[0] || inet_pton(AF_INET6, addr, &a6) != 1) {
		fprintf(stderr, "sysplex load: bad or unknown server address '%s' (use --dvipa)\n",
			addr);
		return 2;
	}

	/* Die with the parent (the Lua runner); then enter the host. */
	prctl(PR_SET_PDEATHSIG, SIGTERM);
	snprintf(nspath, sizeof(nspath), "%s/%s", PLEX_NETNS_DIR, st.h[idx].ns);
	nsfd = open(nspath, O_RDONLY | O_CLOEXEC);
	if (nsfd < 0 || setns(nsfd, CLONE_NEWNET) < 0) {
		fprintf(stderr, "sysplex load: cannot enter namespace %s: %s\n", st.h[idx].ns,
			strerror(errno));
		return 1;
	}
	close(nsfd);
	r = testsrv_load_run(&o, &a6);
	if (r < 0) {
		fprintf(stderr, "sysplex load: %s\n", strerror(-r));
		return 1;
	}
	return 0;
}
