/*
 * main.c - tcpip-stack: one emulated z/OS TCP/IP stack.
 *
 *   tcpip-stack -p PROFILE -c COUPLE -s SYSNAME [-t TCPNAME] -i LANIF -d STATEDIR
 *               [-k KEYFILE] [-MNPv]
 *   tcpip-stack -n PROFILE
 *   tcpip-stack -d STATEDIR --cmd COMMAND [--json]   (an operator command)
 *   tcpip-stack -c COUPLE --cds-format CDSPATH   (make a couple data set)
 *   tcpip-stack --cds-server ADDR:PORT -k KEYFILE CDSPATH
 *                                           (serve it to separate hosts, CURVE)
 *   tcpip-stack --keygen DIR                 (makes DIR/xcf.key, prints the public key)
 *   tcpip-stack --cds-agent FD CDSPATH      (internal: the couple data set agent
 *                                           the stack starts, xcf/cds.c)
 *   tcpip-stack -h | -V
 *
 * -n prints the normalized PROFILE on stdout and the statements it skips on
 * stderr.  A malformed PROFILE or couple config never starts the daemon: the error
 * names FILE:LINE and the statement, and the exit status is 1.  The couple
 * config must name a couple data set (CDS statement) and list every
 * member's public KEY (and a CDS server's KEY); the stack's secret key is
 * read from KEYFILE (default STATEDIR/xcf.key, mode 0600) and must belong to
 * its own KEY.  The CDS server's key pair is read from -k KEYFILE too.
 *
 * Level 10 of tcpip-stack/ (stack.h), the top: calls stack.c.
 */
#include "tcpip-stack/stack.h"

#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

enum {
	OPT_CDS_AGENT = LIB_OPT_LONG,
	OPT_CDS_SERVER,
	OPT_CDS_FORMAT,
	OPT_CMD,
	OPT_JSON,
	OPT_KEYGEN,
};

/* The options: getopt_long's and --help's (lib/opt.c); the manual page
 * tcpip-stack(8) documents each (tests/man/check.sh). */
static const struct lib_opt opts[] = {
	{ 'p', "profile", "PROFILE", "the TCP/IP PROFILE (sysplex-profile(5))" },
	{ 'c', "couple", "COUPLE", "the couple config: members, bus endpoints, couple data set" },
	{ 's', "sysname", "SYSNAME", "this system's name (1-8 of A-Z 0-9 $ # @)" },
	{ 't', "tcpname", "TCPNAME", "the stack's job name (default TCPCS)" },
	{ 'i', "lan", "LANIF", "the LAN interface (the DYNAMICXCF network)" },
	{ 'd', "statedir", "STATEDIR", "control socket, log of the store, stack.db" },
	{ 'k', "keyfile", "KEYFILE", "the XCF secret key (default STATEDIR/" XCF_KEY_FILE ", mode 0600)" },
	{ 'M', "no-mip6", NULL, "no Mobile IPv6 bypass from this stack (connections stay routed)" },
	{ 'N', "normal-sched", NULL, "normal scheduling (default: SCHED_RR, lowest real-time priority)" },
	{ 'P', "poll-conns", NULL, "poll the socket table every 100 ms, not the kernel's connection events" },
	{ 'C', "max-conns", "N", "connections the routing stack routes and a target tracks (default 262144 and 65536)" },
	{ 'v', "verbose", NULL, "debug messages" },
	{ 'n', "check", "PROFILE", "check PROFILE, print it normalized (skipped statements on stderr) and exit" },
	{ OPT_CMD, "cmd", "COMMAND", "send an operator command to the stack of -d STATEDIR and exit" },
	{ OPT_JSON, "json", NULL, "with --cmd: the answer as JSON" },
	{ OPT_CDS_FORMAT, "cds-format", "CDSPATH",
	  "make a new couple data set at CDSPATH for the systems of -c COUPLE, and exit" },
	{ OPT_CDS_SERVER, "cds-server", "ADDR:PORT",
	  "serve the couple data set CDSPATH to the stacks of other hosts on TCP ADDR:PORT "
	  "(CURVE, the key pair of -k KEYFILE)" },
	{ OPT_KEYGEN, "keygen", "DIR", "make a new XCF key pair in DIR/" XCF_KEY_FILE
	  " (mode 0600), print its public key and exit" },
	{ OPT_CDS_AGENT, "cds-agent", "FD", "internal: the couple data set agent the stack starts" },
	{ 'h', "help", NULL, "show this help and exit" },
	{ 'V', "version", NULL, "show the version and exit" },
	{ 0, NULL, NULL, NULL },
};

static const char synopsis[] =
	"usage: tcpip-stack -p PROFILE -c COUPLE -s SYSNAME [-t TCPNAME] -i LANIF -d STATEDIR\n"
	"                   [-k KEYFILE] [-C N] [-MNPv]\n"
	"       tcpip-stack -n PROFILE\n"
	"       tcpip-stack -d STATEDIR --cmd COMMAND [--json]\n"
	"       tcpip-stack -c COUPLE --cds-format CDSPATH\n"
	"       tcpip-stack --cds-server ADDR:PORT -k KEYFILE CDSPATH\n"
	"       tcpip-stack --keygen DIR\n"
	"       tcpip-stack --cds-agent FD CDSPATH\n"
	"       tcpip-stack -h | -V\n";

static void
help(void)
{
	printf("%s\nOne emulated z/OS TCP/IP stack: joins the sysplex named by the couple config,\n"
	       "owns, backs up and distributes the DVIPAs of its PROFILE, answers operator\n"
	       "commands on STATEDIR/ctl.sock.  Ends on SIGTERM or SIGINT.\n\nOptions:\n",
	       synopsis);
	lib_opt_help(stdout, opts);
	printf("\nExit status:\n"
	       "  0  ended by a signal after a clean shutdown, or -n: the profile is valid,\n"
	       "     or --cmd: the command succeeded, or --cds-format: the data set was made\n"
	       "  1  the profile, couple config or names are wrong, or the stack (or the CDS\n"
	       "     server) could not start, or --cmd: the command failed or nobody answered\n"
	       "  2  usage error\n"
	       "\nSee tcpip-stack(8), sysplex-profile(5).\n");
}

static void
usage(void)
{
	fprintf(stderr, "%sTry 'tcpip-stack --help'.\n", synopsis);
	exit(2);
}

static int
check_only(const char *path)
{
	static struct vipa_profile p;
	char err[512];

	if (vipa_profile_parse_file(&p, path, err, sizeof(err)) < 0) {
		fprintf(stderr, "%s\n", err);
		return 1;
	}
	vipa_profile_print(&p, stdout);
	/* Statements accepted but skipped: the operator must see them. */
	vipa_profile_print_warnings(&p, stderr);
	return 0;
}

/* --cds-format: a new couple data set, never over an existing file (a
 * sysplex may be using it). */
static int
format_cds(const char *couple, const char *path, int args_ok)
{
	static struct xcf_couple cp;
	char err[600];

	if (!couple || !args_ok || path[0] != '/')
		usage();
	if (xcf_couple_parse(&cp, couple, err, sizeof(err)) < 0) {
		fprintf(stderr, "%s\n", err);
		return 1;
	}
	if (access(path, F_OK) == 0) {
		fprintf(stderr, "tcpip-stack: %s exists: a couple data set is never formatted over "
			"(remove it first, with every system of sysplex %s stopped)\n", path,
			cp.sysplex);
		return 1;
	}
	if (xcf_cds_format(path, &cp, err, sizeof(err)) < 0) {
		fprintf(stderr, "tcpip-stack: %s\n", err);
		return 1;
	}
	printf("IXC286I COUPLE DATA SET %s FORMATTED FOR SYSPLEX %s, %d SYSTEMS\n", path,
	       cp.sysplex, cp.n);
	return 0;
}

/* --keygen DIR: a stack that runs on another host gets its key pair there;
 * only the public key leaves it (into the couple config). */
static int
keygen(const char *dir)
{
	char path[XCF_PATH_LEN], pub[XCF_KEY_LEN + 1], err[512];
	int n = snprintf(path, sizeof(path), "%s/%s", dir, XCF_KEY_FILE);

	if (n < 0 || (size_t)n >= sizeof(path)) {
		fprintf(stderr, "tcpip-stack: %s: path too long\n", dir);
		return 1;
	}
	if (xcf_key_generate(path, pub, err, sizeof(err)) < 0) {
		fprintf(stderr, "tcpip-stack: %s\n", err);
		return 1;
	}
	printf("%s\n", pub);
	fprintf(stderr, "tcpip-stack: secret key in %s (mode 0600); put the public key above "
		"in the couple config: MEMBER ... KEY %s\n", path, pub);
	return 0;
}

static int
valid_name(const char *n)
{
	size_t i, l = strlen(n);

	if (l < 1 || l > 8)
		return 0;
	for (i = 0; i < l; i++)
		if (!((n[i] >= 'A' && n[i] <= 'Z') || (n[i] >= '0' && n[i] <= '9') ||
		      n[i] == '$' || n[i] == '#' || n[i] == '@'))
			return 0;
	return 1;
}

int
main(int argc, char **argv)
{
	static struct stack s;
	const char *profile = NULL, *couple = NULL, *sysname = NULL, *tcpname = "TCPCS";
	const char *lanif = NULL, *statedir = NULL, *keyfile = NULL;
	char err[512], keypath[300], pub[XCF_KEY_LEN + 1];
	int ch, verbose = 0, realtime = 1, rc;

	struct lib_getopt g;
	const char *arg, *cds_fd = NULL, *cds_server = NULL, *cds_format = NULL, *cmd = NULL;
	int json = 0;

	if (lib_opt_init(&g, opts, 0) < 0)
		return 2;
	g.prog = "tcpip-stack";
	while ((ch = lib_opt_next(&g, argc, argv, &arg)) != -1) {
		switch (ch) {
		case 'n':
			return check_only(arg);
		case 'p': profile = arg; break;
		case 'c': couple = arg; break;
		case 's': sysname = arg; break;
		case 't': tcpname = arg; break;
		case 'i': lanif = arg; break;
		case 'd': statedir = arg; break;
		case 'k': keyfile = arg; break;
		case 'v': verbose = 1; break;
		case 'M': s.no_mip6 = 1; break;
		case 'N': realtime = 0; break;
		case 'P': s.poll_conns = 1; break;
		case 'C': {
			char *end;
			unsigned long long n = strtoull(arg, &end, 10);

			if (*end || *arg == '-' || n < STACK_MAX_CONNS_MIN || n > STACK_MAX_CONNS_MAX) {
				fprintf(stderr, "tcpip-stack: -C %s: the number of connections must be "
					"%d to %d\n", arg, STACK_MAX_CONNS_MIN, STACK_MAX_CONNS_MAX);
				return 2;
			}
			s.max_conns = (size_t)n;
			break;
		}
		case OPT_CDS_AGENT: cds_fd = arg; break;
		case OPT_CDS_SERVER: cds_server = arg; break;
		case OPT_CDS_FORMAT: cds_format = arg; break;
		case OPT_CMD: cmd = arg; break;
		case OPT_JSON: json = 1; break;
		case OPT_KEYGEN:
			if (optind != argc)
				usage();
			return keygen(arg);
		case 'h': help(); return 0;
		case 'V': lib_opt_version(stdout, "tcpip-stack"); return 0;
		default: usage();
		}
	}
	if (cds_fd) {
		char *end;
		long fd = strtol(cds_fd, &end, 10);

		if (*end || fd < 3 || fd > 1024 || optind != argc - 1)
			usage();
		lib_log_init("CDS-AGENT", LIB_LOG_INFO);
		/* Our stack's signals are not ours: we end when it does. */
		signal(SIGINT, SIG_IGN);
		signal(SIGTERM, SIG_IGN);
		signal(SIGPIPE, SIG_IGN);
		return xcf_cds_serve((int)fd, argv[optind]);
	}
	if (cds_server) {
		if (optind != argc - 1 || argv[optind][0] != '/')
			usage();
		if (!keyfile) {
			fprintf(stderr, "tcpip-stack: --cds-server needs -k KEYFILE, the server's key "
				"pair (`tcpip-stack --keygen DIR` makes DIR/%s; its public key goes "
				"into the couple config: CDS tcp://ADDR:PORT KEY k)\n", XCF_KEY_FILE);
			return 2;
		}
		lib_log_init("CDS", LIB_LOG_INFO);
		/* The members' leases run on its answers: the same scheduling
		 * as theirs (its connections' processes inherit it). */
		if (realtime && (rc = lib_sched_realtime()) < 0)
			log_warnx("real-time scheduling unavailable (%s): the systems' leases may "
				  "lapse on a busy machine", strerror(-rc));
		return xcf_cds_server(cds_server, argv[optind], keyfile);
	}
	if (cds_format)
		return format_cds(couple, cds_format, optind == argc);
	if (cmd) {
		if (!statedir || optind != argc)
			usage();
		return lib_ctl_client("tcpip-stack", statedir, 0, cmd, json, 10000);
	}
	if (!profile || !couple || !sysname || !lanif || !statedir || optind != argc)
		usage();
	if (!valid_name(sysname) || !valid_name(tcpname)) {
		fprintf(stderr, "tcpip-stack: system and stack names are 1-8 characters A-Z 0-9 $#@\n");
		return 1;
	}
	lib_log_init(sysname, verbose ? LIB_LOG_DEBUG : LIB_LOG_INFO);
	/* Membership timing (heartbeats, the couple data set lease, which the
	 * CDS agent we fork inherits) must not depend on how busy the machine is. */
	if (realtime && (rc = lib_sched_realtime()) < 0)
		log_warnx("real-time scheduling unavailable (%s): heartbeats and the couple data "
			 "set lease may miss their deadlines on a busy machine", strerror(-rc));

	if (vipa_profile_parse_file(&s.prof, profile, err, sizeof(err)) < 0) {
		fprintf(stderr, "%s\n", err);
		return 1;
	}
	if (!s.prof.has_dynxcf && !s.prof.has_dynxcf4) {
		fprintf(stderr, "%s: IPCONFIG6 DYNAMICXCF or IPCONFIG DYNAMICXCF is required to join "
			"the sysplex\n", profile);
		return 1;
	}
	if (xcf_couple_parse(&s.couple, couple, err, sizeof(err)) < 0) {
		fprintf(stderr, "%s\n", err);
		return 1;
	}
	if (!s.couple.cds[0]) {
		fprintf(stderr, "%s: no CDS statement: the stack needs a couple data set "
			"(CDS /path/cds.db, made by `sysplex up` or --cds-format, or CDS "
			"tcp://ADDR:PORT, a --cds-server)\n", couple);
		return 1;
	}
	if (xcf_cds_is_remote(s.couple.cds) && !s.couple.cds_key[0]) {
		fprintf(stderr, "%s: CDS %s: no KEY: a CDS server is reached only with its CURVE "
			"public key (CDS tcp://ADDR:PORT KEY k; `tcpip-stack --keygen DIR` on its "
			"host prints it)\n", couple, s.couple.cds);
		return 1;
	}
	for (ch = 0; ch < s.couple.n; ch++)
		if (strcmp(s.couple.m[ch].sysname, sysname) == 0) {
			/* Our emulated WLM system, as the couple config starts it. */
			s.wlm_set = 1;
			s.wlm_capacity = s.couple.m[ch].capacity;
			s.wlm_load = (uint8_t)s.couple.m[ch].load;
		}
	if (!keyfile) {
		snprintf(keypath, sizeof(keypath), "%s/%s", statedir, XCF_KEY_FILE);
		keyfile = keypath;
	}
	if (xcf_key_load(keyfile, pub, s.xcf_secret, err, sizeof(err)) < 0) {
		fprintf(stderr, "%s (`sysplex up` makes the key files; `tcpip-stack --keygen DIR` "
			"makes one)\n", err);
		return 1;
	}
	if (xcf_key_check(&s.couple, sysname, tcpname, s.xcf_secret, err, sizeof(err)) < 0) {
		fprintf(stderr, "%s: %s\n", couple, err);
		return 1;
	}
	lib_strlcpy(s.sysname, sysname, sizeof(s.sysname));
	lib_strlcpy(s.tcpname, tcpname, sizeof(s.tcpname));
	lib_strlcpy(s.lanif, lanif, sizeof(s.lanif));
	lib_strlcpy(s.statedir, statedir, sizeof(s.statedir));
	/* The member's XCF address is the IPv6 one; an IPv4-only stack is
	 * known by its IPv4 address (IPv4-mapped). */
	memcpy(s.xcfaddr, s.prof.has_dynxcf ? s.prof.dynxcf : s.prof.dynxcf4, 16);
	if (s.prof.has_dynxcf4)
		memcpy(s.xcfaddr4, s.prof.dynxcf4, 16);
	if (s.prof.nomip6)
		s.no_mip6 = 1;
	if (mkdir(statedir, 0700) < 0 && errno != EEXIST)
		fatal("mkdir %s", statedir);
	signal(SIGPIPE, SIG_IGN);

	if (stack_init(&s, uv_default_loop()) < 0)
		return 1;
	log_info("EZZ4202I Z/OS UNIX - TCP/IP CONNECTION ESTABLISHED FOR %s", s.tcpname);
	uv_run(s.loop, UV_RUN_DEFAULT);
	stack_shutdown(&s);
	log_info("EZZ4201I TCP/IP TERMINATION COMPLETE FOR %s", s.tcpname);
	return 0;
}
