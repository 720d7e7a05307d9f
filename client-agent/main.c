/*
 * main.c - client-agent: the Mobile IPv6 correspondent node of a client
 * host (agent.c says how it works).
 *
 *   client-agent -i TUNIF -l LANIF -r PREFIX[/LEN] [-r ...] -d STATEDIR [-v]
 *   client-agent --show [--json] -d STATEDIR
 *
 * Level 4 of client-agent/ (agent.h), the top: calls agent.c and actl.c.
 */
#include "client-agent/agent.h"

#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>

static void
usage(void)
{
	fprintf(stderr, "usage: client-agent -i TUNIF -l LANIF -r PREFIX[/LEN] [-r ...] -d STATEDIR [-v]\n"
			"       client-agent --show [--json] -d STATEDIR\n");
	exit(2);
}

static int
parse_prefix(const char *arg, uint8_t out[16], int *plen)
{
	char buf[64], *slash;

	lib_strlcpy(buf, arg, sizeof(buf));
	*plen = 128;
	slash = strchr(buf, '/');
	if (slash) {
		char *end;
		long l = strtol(slash + 1, &end, 10);
		if (*end || l < 0 || l > 128)
			return -EINVAL;
		*plen = (int)l;
		*slash = '\0';
	}
	return lib_ip6_parse(buf, out);
}

int
main(int argc, char **argv)
{
	static struct agent a;
	static const struct option longopts[] = {
		{ "show", no_argument, NULL, 'S' },
		{ "json", no_argument, NULL, 'J' },
		{ NULL, 0, NULL, 0 },
	};
	int ch, verbose = 0, show = 0, json = 0;

	while ((ch = getopt_long(argc, argv, "i:l:r:d:vh", longopts, NULL)) != -1) {
		switch (ch) {
		case 'i': lib_strlcpy(a.tunif, optarg, sizeof(a.tunif)); break;
		case 'l': lib_strlcpy(a.lanif, optarg, sizeof(a.lanif)); break;
		case 'd': lib_strlcpy(a.statedir, optarg, sizeof(a.statedir)); break;
		case 'v': verbose = 1; break;
		case 'S': show = 1; break;
		case 'J': json = 1; break;
		case 'r':
			if (a.nprefix == AGENT_MAX_PREFIX ||
			    parse_prefix(optarg, a.prefix[a.nprefix], &a.plen[a.nprefix]) < 0) {
				fprintf(stderr, "client-agent: bad prefix '%s' (expected ADDR[/LEN])\n",
					optarg);
				return 1;
			}
			a.nprefix++;
			break;
		default: usage();
		}
	}
	if (show) {
		if (!a.statedir[0] || optind != argc)
			usage();
		return agent_ctl_client(a.statedir, "SHOW", json);
	}
	if (!a.tunif[0] || !a.lanif[0] || !a.statedir[0] || !a.nprefix || optind != argc)
		usage();
	lib_log_init("client-agent", verbose ? LIB_LOG_DEBUG : LIB_LOG_INFO);
	signal(SIGPIPE, SIG_IGN);
	agent_start(&a, uv_default_loop());
	log_info("correspondent node on %s: %d prefix(es) routed through it", a.tunif, a.nprefix);
	uv_run(a.loop, UV_RUN_DEFAULT);
	agent_stop(&a);
	return 0;
}
