/*
 * kdpctl.c - a test tool that holds one kernel data path instance (kdp/)
 * and fills its tables on request, standing in for the daemons that will
 * own them (tests/netns/test_kdp.sh, bench/kdp.sh).
 *
 *   kdpctl serve -r stack|client -i IFNAME -s SOCKET [-a auto|tcx|tc]
 *       loads and attaches, then answers requests on the control socket
 *       (lib/ctlsrv.c: one line per connection, "RC=0" or "RC=8" and a
 *       body) until "quit", SIGTERM or SIGINT.  Exits 3 when the kernel
 *       path cannot be loaded (the one-line reason on standard error).
 *   kdpctl ask SOCKET WORDS...
 *       sends one request, prints the body, exits 0 for RC=0, else 1.
 *   kdpctl attached IFNAME         what is attached to IFNAME (any process's)
 *   kdpctl cleanup IFNAME          removes cls_bpf leftovers of a killed process
 *
 * Requests (addresses in text form, ports decimal):
 *   self COA [LOCALIF]             loss PCT
 *   dvipa ADDR FLAGS               FLAGS: owned,moving,target or none
 *   dvipa-get ADDR                 dvipa-del ADDR
 *   conn DVIPA DPORT CLIENT CPORT DEST
 *   conn-get DVIPA DPORT CLIENT CPORT
 *   conn-del DVIPA DPORT CLIENT CPORT
 *   conns                          (number of entries)
 *   prefix ADDR/LEN
 *   bind-conn DVIPA DPORT CLIENT CPORT COA SECONDS
 *   bind-conn-get DVIPA DPORT CLIENT CPORT
 *   bind-home HOME COA SECONDS     bind-home-get HOME
 *   stats                          attached          quit
 * Answers are "name=value" words on one line.
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>
#include <uv.h>

#include "kdp/kdp.h"
#include "lib/lib.h"

#define MAX_WORDS 8

struct tool {
	uv_loop_t *loop;
	struct kdp *k;
	struct lib_ctl *ctl;
	uv_signal_t sigterm, sigint;
	char ifname[32];
};

static int
addr(const char *s, uint8_t out[16], struct lib_sbuf *o)
{
	if (lib_ip6_parse(s, out) < 0) {
		lib_sbuf_printf(o, "bad address '%s'\n", s);
		return -1;
	}
	return 0;
}

static int
number(const char *s, unsigned long max, unsigned long *v, struct lib_sbuf *o)
{
	char *end;

	errno = 0;
	*v = strtoul(s, &end, 10);
	if (errno || *end || !*s || *v > max) {
		lib_sbuf_printf(o, "bad number '%s'\n", s);
		return -1;
	}
	return 0;
}

/* w[0..3] = DVIPA DPORT CLIENT CPORT */
static int
conn_arg(char **w, struct kdp_conn *c, struct lib_sbuf *o)
{
	unsigned long dp, cp;

	memset(c, 0, sizeof(*c));
	if (addr(w[0], c->dvipa, o) < 0 || number(w[1], 65535, &dp, o) < 0 ||
	    addr(w[2], c->client, o) < 0 || number(w[3], 65535, &cp, o) < 0)
		return -1;
	c->dport = (uint16_t)dp;
	c->cport = (uint16_t)cp;
	return 0;
}

static int
result(int r, struct lib_sbuf *o)
{
	if (r < 0) {
		lib_sbuf_printf(o, "error: %s\n", strerror(-r));
		return -1;
	}
	lib_sbuf_printf(o, "ok\n");
	return 0;
}

static void
counters(const struct kdp_counters *ct, struct lib_sbuf *o)
{
	lib_sbuf_printf(o, "pkts=%llu bytes=%llu last_ms=%llu fin_ms=%llu hao_pkts=%llu\n",
			(unsigned long long)ct->pkts, (unsigned long long)ct->bytes,
			(unsigned long long)ct->last_ms, (unsigned long long)ct->fin_ms,
			(unsigned long long)ct->hao_pkts);
}

static int
exec_cb(const char *line, int json, struct lib_sbuf *o, void *arg)
{
	struct tool *t = arg;
	char buf[512], *w[MAX_WORDS], *save = NULL, *p;
	int n = 0, r;
	struct kdp_conn c;
	struct kdp_counters ct;
	uint8_t a1[16], a2[16];
	unsigned long v;

	(void)json;
	lib_strlcpy(buf, line, sizeof(buf));
	for (p = strtok_r(buf, " \t", &save); p && n < MAX_WORDS; p = strtok_r(NULL, " \t", &save))
		w[n++] = p;
	if (n == 0)
		goto usage;
#define IS(s, nargs) (strcmp(w[0], s) == 0 && n == (nargs) + 1)
	if (IS("quit", 0)) {
		uv_stop(t->loop);
		return result(0, o);
	}
	if (IS("self", 1) || IS("self", 2)) {
		if (addr(w[1], a1, o) < 0)
			return -1;
		return result(kdp_set_self(t->k, a1, n == 3 ? w[2] : NULL), o);
	}
	if (IS("loss", 1)) {
		if (number(w[1], 100, &v, o) < 0)
			return -1;
		return result(kdp_set_loss(t->k, (unsigned)v), o);
	}
	if (IS("dvipa", 2)) {
		unsigned fl = 0;

		if (addr(w[1], a1, o) < 0)
			return -1;
		if (strstr(w[2], "owned"))
			fl |= KDP_DVIPA_OWNED;
		if (strstr(w[2], "moving"))
			fl |= KDP_DVIPA_MOVING;
		if (strstr(w[2], "target"))
			fl |= KDP_DVIPA_TARGET;
		return result(kdp_dvipa_set(t->k, a1, fl), o);
	}
	if (IS("dvipa-del", 1)) {
		if (addr(w[1], a1, o) < 0)
			return -1;
		return result(kdp_dvipa_del(t->k, a1), o);
	}
	if (IS("dvipa-get", 1)) {
		struct kdp_dvipa_stats st;

		if (addr(w[1], a1, o) < 0)
			return -1;
		if ((r = kdp_dvipa_get(t->k, a1, &st)) < 0)
			return result(r, o);
		lib_sbuf_printf(o, "flags=%u strip_pkts=%llu strip_bytes=%llu fwd_pkts=%llu fwd_bytes=%llu\n",
				st.flags, (unsigned long long)st.strip_pkts,
				(unsigned long long)st.strip_bytes, (unsigned long long)st.fwd_pkts,
				(unsigned long long)st.fwd_bytes);
		return 0;
	}
	if (IS("conn", 5)) {
		if (conn_arg(w + 1, &c, o) < 0 || addr(w[5], a1, o) < 0)
			return -1;
		return result(kdp_conn_set(t->k, &c, a1), o);
	}
	if (IS("conn-del", 4)) {
		if (conn_arg(w + 1, &c, o) < 0)
			return -1;
		return result(kdp_conn_del(t->k, &c), o);
	}
	if (IS("conn-get", 4)) {
		char s[64];

		if (conn_arg(w + 1, &c, o) < 0)
			return -1;
		if ((r = kdp_conn_get(t->k, &c, a1, &ct)) < 0)
			return result(r, o);
		lib_sbuf_printf(o, "dest=%s ", lib_ip6_str(a1, s, sizeof(s)));
		counters(&ct, o);
		return 0;
	}
	if (IS("conns", 0)) {
		r = kdp_conn_foreach(t->k, NULL, NULL);
		if (r < 0)
			return result(r, o);
		lib_sbuf_printf(o, "conns=%d\n", r);
		return 0;
	}
	if (IS("prefix", 1)) {
		char *slash = strchr(w[1], '/');

		if (!slash || number(slash + 1, 128, &v, o) < 0)
			return result(-EINVAL, o);
		*slash = '\0';
		if (addr(w[1], a1, o) < 0)
			return -1;
		return result(kdp_prefix_add(t->k, a1, (int)v), o);
	}
	if (IS("bind-conn", 6)) {
		if (conn_arg(w + 1, &c, o) < 0 || addr(w[5], a1, o) < 0 ||
		    number(w[6], 86400, &v, o) < 0)
			return -1;
		return result(kdp_bind_conn_set(t->k, &c, a1, lib_now_ms() + v * 1000), o);
	}
	if (IS("bind-conn-get", 4)) {
		if (conn_arg(w + 1, &c, o) < 0)
			return -1;
		if ((r = kdp_bind_conn_get(t->k, &c, &ct)) < 0)
			return result(r, o);
		counters(&ct, o);
		return 0;
	}
	if (IS("bind-home", 3)) {
		if (addr(w[1], a1, o) < 0 || addr(w[2], a2, o) < 0 || number(w[3], 86400, &v, o) < 0)
			return -1;
		return result(kdp_bind_home_set(t->k, a1, a2, lib_now_ms() + v * 1000), o);
	}
	if (IS("bind-home-get", 1)) {
		if (addr(w[1], a1, o) < 0)
			return -1;
		if ((r = kdp_bind_home_get(t->k, a1, &ct)) < 0)
			return result(r, o);
		counters(&ct, o);
		return 0;
	}
	if (IS("stats", 0)) {
		uint64_t s[KDP_STAT_COUNT];
		int i;

		if ((r = kdp_stats(t->k, s)) < 0)
			return result(r, o);
		for (i = 0; i < KDP_STAT_COUNT; i++)
			lib_sbuf_printf(o, "%s%s=%llu", i ? " " : "", kdp_stat_name(i),
					(unsigned long long)s[i]);
		lib_sbuf_printf(o, "\n");
		return 0;
	}
	if (IS("attached", 0)) {
		char in[256], out[256];
		int ni = kdp_attached(t->ifname, 1, in, sizeof(in));
		int ne = kdp_attached(t->ifname, 0, out, sizeof(out));

		lib_sbuf_printf(o, "mode=%s ingress=%d egress=%d names=%s,%s\n", kdp_attach_name(t->k),
				ni, ne, in, out);
		return 0;
	}
#undef IS
usage:
	lib_sbuf_printf(o, "unknown request or wrong number of words: %s\n", line);
	return -1;
}

static void
signal_cb(uv_signal_t *sig, int signum)
{
	struct tool *t = sig->data;

	(void)signum;
	uv_stop(t->loop);
}

static int
serve(int argc, char **argv)
{
	static struct tool t;
	struct kdp_opts ko = { .attach = KDP_ATTACH_AUTO };
	const char *sock = NULL;
	char err[KDP_ERR_LEN];
	int ch, r;

	while ((ch = getopt(argc, argv, "r:i:s:a:")) != -1) {
		switch (ch) {
		case 'r':
			ko.role = strcmp(optarg, "stack") == 0	  ? KDP_ROLE_STACK
				  : strcmp(optarg, "client") == 0 ? KDP_ROLE_CLIENT
								  : 0;
			break;
		case 'i': lib_strlcpy(t.ifname, optarg, sizeof(t.ifname)); break;
		case 's': sock = optarg; break;
		case 'a':
			ko.attach = strcmp(optarg, "tcx") == 0 ? KDP_ATTACH_TCX
				    : strcmp(optarg, "tc") == 0 ? KDP_ATTACH_TC
								: KDP_ATTACH_AUTO;
			break;
		default: return 2;
		}
	}
	if (!ko.role || !t.ifname[0] || !sock) {
		fprintf(stderr, "usage: kdpctl serve -r stack|client -i IFNAME -s SOCKET [-a auto|tcx|tc]\n");
		return 2;
	}
	ko.ifname = t.ifname;
	r = kdp_open(&t.k, &ko, err, sizeof(err));
	if (r < 0) {
		fprintf(stderr, "kdpctl: %s\n", err);
		return 3;
	}
	t.loop = uv_default_loop();
	t.ctl = lib_ctl_start(t.loop, sock, exec_cb, &t, err, sizeof(err));
	if (!t.ctl) {
		fprintf(stderr, "kdpctl: %s\n", err);
		kdp_close(&t.k);
		return 1;
	}
	uv_signal_init(t.loop, &t.sigterm);
	t.sigterm.data = &t;
	uv_signal_start(&t.sigterm, signal_cb, SIGTERM);
	uv_signal_init(t.loop, &t.sigint);
	t.sigint.data = &t;
	uv_signal_start(&t.sigint, signal_cb, SIGINT);
	uv_run(t.loop, UV_RUN_DEFAULT);
	lib_ctl_stop(&t.ctl);
	uv_close((uv_handle_t *)&t.sigterm, NULL);
	uv_close((uv_handle_t *)&t.sigint, NULL);
	uv_run(t.loop, UV_RUN_DEFAULT);
	uv_loop_close(t.loop);
	kdp_close(&t.k);
	return 0;
}

static int
ask(const char *path, int nw, char **w)
{
	struct sockaddr_un sa;
	char req[512] = "", buf[4096];
	size_t have = 0;
	struct pollfd p;
	ssize_t n;
	int fd, i;

	for (i = 0; i < nw; i++)
		snprintf(req + strlen(req), sizeof(req) - strlen(req), "%s%s", i ? " " : "", w[i]);
	snprintf(req + strlen(req), sizeof(req) - strlen(req), "\n");
	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	lib_strlcpy(sa.sun_path, path, sizeof(sa.sun_path));
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		fprintf(stderr, "kdpctl: nothing answers at %s: %s\n", path, strerror(errno));
		if (fd >= 0)
			close(fd);
		return 1;
	}
	lib_write_all(fd, req, strlen(req));
	p.fd = fd;
	p.events = POLLIN;
	while (have < sizeof(buf) - 1 && poll(&p, 1, 10000) > 0 &&
	       (n = read(fd, buf + have, sizeof(buf) - 1 - have)) > 0)
		have += (size_t)n;
	close(fd);
	buf[have] = '\0';
	if (strncmp(buf, "RC=", 3) != 0 || !strchr(buf, '\n')) {
		fprintf(stderr, "kdpctl: no answer from %s\n", path);
		return 1;
	}
	fputs(strchr(buf, '\n') + 1, stdout);
	return atoi(buf + 3) == 0 ? 0 : 1;
}

int
main(int argc, char **argv)
{
	signal(SIGPIPE, SIG_IGN);
	if (argc >= 2 && strcmp(argv[1], "serve") == 0)
		return serve(argc - 1, argv + 1);
	if (argc >= 4 && strcmp(argv[1], "ask") == 0)
		return ask(argv[2], argc - 3, argv + 3);
	if (argc == 3 && strcmp(argv[1], "attached") == 0) {
		char in[256], out[256];
		int ni = kdp_attached(argv[2], 1, in, sizeof(in));
		int ne = kdp_attached(argv[2], 0, out, sizeof(out));

		if (ni < 0 || ne < 0) {
			fprintf(stderr, "kdpctl: %s: %s\n", argv[2], strerror(ni < 0 ? -ni : -ne));
			return 1;
		}
		printf("ingress=%d egress=%d names=%s,%s\n", ni, ne, in, out);
		return 0;
	}
	if (argc == 3 && strcmp(argv[1], "cleanup") == 0) {
		int r = kdp_cleanup(argv[2]);

		if (r < 0) {
			fprintf(stderr, "kdpctl: %s: %s\n", argv[2], strerror(-r));
			return 1;
		}
		printf("removed=%d\n", r);
		return 0;
	}
	fprintf(stderr, "usage: kdpctl serve -r stack|client -i IFNAME -s SOCKET [-a auto|tcx|tc]\n"
			"       kdpctl ask SOCKET REQUEST...\n"
			"       kdpctl attached|cleanup IFNAME\n");
	return 2;
}
