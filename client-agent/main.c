/*
 * main.c - client-agent: the Mobile IPv6 correspondent node of a client
 * host (agent.c says how it works).
 *
 *   client-agent -i TUNIF -l LANIF -r PREFIX[/LEN] [-r ...] -d STATEDIR [--standard]
 *                [-D BPF|TUN] [-v]
 *   client-agent --show [--json] -d STATEDIR
 *   client-agent -h | -V
 *
 * Level 4 of client-agent/ (agent.h), the top: calls agent.c and actl.c.
 */
#include "client-agent/agent.h"

#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

enum { OPT_SHOW = LIB_OPT_LONG, OPT_JSON, OPT_STANDARD };

/* The options: getopt_long's and --help's (lib/opt.c); the manual page
 * client-agent(8) documents each (tests/man/check.sh). */
static const struct lib_opt opts[] = {
	{ 'i', "tun", "TUNIF", "the TUN device to create (packets to the routed prefixes)" },
	{ 'l', "lan", "LANIF", "the LAN interface the client reaches the sysplex on" },
	{ 'r', "route", "PREFIX[/LEN]", "a prefix (DVIPAs) routed through the agent; repeatable" },
	{ 'd', "statedir", "STATEDIR", "where the control socket agent.ctl is" },
	{ OPT_STANDARD, "standard", NULL, "a plain RFC 6275 node: vendor mobility options skipped" },
	{ 'D', "datapath", "BPF|TUN", "BPF (default; TUN where it cannot load): the kernel fast path; "
	  "TUN: every DVIPA packet through TUNIF" },
	{ 'v', "verbose", NULL, "debug messages" },
	{ OPT_SHOW, "show", NULL, "ask a running agent for its binding cache and exit" },
	{ OPT_JSON, "json", NULL, "with --show: the answer as JSON" },
	{ 'h', "help", NULL, "show this help and exit" },
	{ 'V', "version", NULL, "show the version and exit" },
	{ 0, NULL, NULL, NULL },
};

static const char synopsis[] =
	"usage: client-agent -i TUNIF -l LANIF -r PREFIX[/LEN] [-r ...] -d STATEDIR [--standard]\n"
	"                    [-D BPF|TUN] [-v]\n"
	"       client-agent --show [--json] -d STATEDIR\n"
	"       client-agent -h | -V\n";

static void
help(void)
{
	printf("%s\nThe Mobile IPv6 correspondent node of a client host: takes the packets to the\n"
	       "routed prefixes, accepts the sysplex's binding updates and sends the packets of a\n"
	       "bound connection straight to its target.  Ends on SIGTERM or SIGINT.\n\nOptions:\n",
	       synopsis);
	lib_opt_help(stdout, opts);
	printf("\nExit status:\n"
	       "  0  ended by a signal, or --show answered\n"
	       "  1  a bad prefix, the agent could not start, or --show got no answer\n"
	       "  2  usage error\n"
	       "\nSee client-agent(8).\n");
}

static void
usage(void)
{
	fprintf(stderr, "%sTry 'client-agent --help'.\n", synopsis);
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
	struct lib_getopt g;
	const char *arg;
	int ch, verbose = 0, show = 0, json = 0;

	if (lib_opt_init(&g, opts, 0) < 0)
		return 2;
	g.prog = "client-agent";
	while ((ch = lib_opt_next(&g, argc, argv, &arg)) != -1) {
		switch (ch) {
		case 'i': lib_strlcpy(a.tunif, arg, sizeof(a.tunif)); break;
		case 'l': lib_strlcpy(a.lanif, arg, sizeof(a.lanif)); break;
		case 'd': lib_strlcpy(a.statedir, arg, sizeof(a.statedir)); break;
		case 'v': verbose = 1; break;
		case OPT_SHOW: show = 1; break;
		case OPT_JSON: json = 1; break;
		case OPT_STANDARD: a.standard = 1; break;
		case 'D':
			if (strcasecmp(arg, "TUN") == 0)
				a.fast.want_tun = 1;
			else if (strcasecmp(arg, "BPF") != 0) {
				fprintf(stderr, "client-agent: -D %s: expected BPF or TUN\n", arg);
				return 2;
			}
			break;
		case 'h': help(); return 0;
		case 'V': lib_opt_version(stdout, "client-agent"); return 0;
		case 'r':
			if (a.nprefix == AGENT_MAX_PREFIX ||
			    parse_prefix(arg, a.prefix[a.nprefix], &a.plen[a.nprefix]) < 0) {
				fprintf(stderr, "client-agent: bad prefix '%s' (expected ADDR[/LEN])\n",
					arg);
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
		return lib_ctl_client("client-agent", a.statedir, 1, "SHOW", json, 5000);
	}
	if (!a.tunif[0] || !a.lanif[0] || !a.statedir[0] || !a.nprefix || optind != argc)
		usage();
	lib_log_init("client-agent", verbose ? LIB_LOG_DEBUG : LIB_LOG_INFO);
	signal(SIGPIPE, SIG_IGN);
	agent_start(&a, uv_default_loop());
	log_info("correspondent node on %s: %d prefix(es) routed through it%s", a.tunif, a.nprefix,
		 a.standard ? " (standard RFC 6275: vendor options skipped)" : "");
	uv_run(a.loop, UV_RUN_DEFAULT);
	agent_stop(&a);
	return 0;
}
