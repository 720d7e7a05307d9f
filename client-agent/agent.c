/*
 * agent.c - start-up and shut-down of client-agent, the Mobile IPv6
 * correspondent node of a client host, on a TUN device that sees every
 * packet the host sends to the DVIPA prefixes it was given; and the loop's
 * callbacks: the per-packet loop on the TUN, the one-second timer, signals.
 *
 * Routing (rtnetlink; removed again on exit):
 *   rule 40: fwmark MIP6 lookup 102  (table 102: default dev TUNIF) for
 *            inbound packets carrying a Destination Options header, marked
 *            by nftables (the kernel would drop a Home Address option)
 *   rule 50: iif TUNIF lookup main   (what the agent writes back leaves by
 *            the LAN, or is delivered locally)
 *   rule 60: to PREFIX lookup 101    (table 101: PREFIX dev TUNIF; with the
 *            kernel fast path, fast.c, PREFIX dev LANIF mtu LAN MTU - 24:
 *            the programs on the LAN device do the per-packet work and
 *            unbound traffic never enters the agent)
 *   rule 100: local                  (moved from 0, below rule 40)
 * When the agent is gone its (non-persistent) TUN disappears with the routes
 * of tables 101 and 102, so the host falls back to the LAN route in main: a
 * client without the agent keeps working through the routing stack.
 *
 * Level 3 of client-agent/ (agent.h): calls actl.c, cn.c and link.c.
 */
#include "client-agent/agent.h"

#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static void
tun_cb(uv_poll_t *h, int status, int events)
{
	struct agent *a = h->data;
	int i;

	LIB_UNUSED(events);
	if (status < 0)
		return;
	for (i = 0; i < AGENT_RX_BUDGET; i++) {
		uint8_t *frame = a->rxbuf + AGENT_HEADROOM, *out;
		ssize_t n = read(a->tun_fd, frame, AGENT_PKT_MAX);
		size_t flen;

		if (n < 0) {
			if (errno != EAGAIN && errno != EINTR)
				lib_verdict(&a->verdicts, "TUN read failed");
			return;
		}
		if ((size_t)n <= WIRE_VNET_HDR_LEN + WIRE_IP6_HDR_LEN) {
			lib_verdict(&a->verdicts, "short TUN frame");
			continue;
		}
		a->cnt.pkts++;
		a->cnt.bytes += (uint64_t)n - WIRE_VNET_HDR_LEN;
		flen = (size_t)n;
		/* Inbound (steered from the LAN): addressed to us, not to a prefix. */
		if (a->nft_ok) {
			const uint8_t *dst = frame + WIRE_VNET_HDR_LEN + 24;
			int k, ours = 0;
			for (k = 0; k < a->nprefix && !ours; k++) {
				int bits = a->plen[k], b;
				ours = 1;
				for (b = 0; b < bits && ours; b++)
					if (((dst[b / 8] ^ a->prefix[k][b / 8]) >> (7 - b % 8)) & 1)
						ours = 0;
			}
			if (!ours) {
				agent_cn_inbound_hao(a, frame, flen);
				continue;
			}
		}
		out = agent_cn_outbound(a, frame, &flen);
		/* Back into the TUN; rule 50 sends it out of the LAN. */
		agent_tun_write(a, out, flen);
	}
}

static int
run_nft(const char *script)
{
	int fds[2], st;
	pid_t pid;

	if (pipe(fds) < 0)
		return -errno;
	pid = fork();
	if (pid < 0)
		return -errno;
	if (pid == 0) {
		dup2(fds[0], 0);
		close(fds[0]);
		close(fds[1]);
		execlp("nft", "nft", "-f", "-", (char *)NULL);
		_exit(127);
	}
	close(fds[0]);
	lib_write_all(fds[1], script, strlen(script));
	close(fds[1]);
	if (waitpid(pid, &st, 0) < 0)
		return -errno;
	return WIFEXITED(st) && WEXITSTATUS(st) == 0 ? 0 : -EIO;
}

static void
routes(struct agent *a, int add)
{
	char script[512];
	static const uint8_t any[16];
	int i;

	if (add) {
		lib_nl_rule(a->nl, 1, AGENT_PRIO_IIF, a->tunif, NULL, 0, 0, 254);
		/* Table 101: the prefixes into the TUN, or to the LAN (BPF). */
		agent_fast_routes(a, 1);
		for (i = 0; i < a->nprefix; i++)
			lib_nl_rule(a->nl, 1, AGENT_PRIO_TO, NULL, a->prefix[i], a->plen[i], 0,
				    AGENT_TABLE);
		/* Inbound Home Address options: steer into the TUN. */
		snprintf(script, sizeof(script),
			 "table ip6 sysplex_agent {\n chain pre {\n  type filter hook prerouting priority -150\n"
			 "  iifname \"%s\" exthdr dst exists meta mark set 0x%x\n }\n}\n",
			 a->lanif, AGENT_MARK);
		if (run_nft(script) == 0 &&
		    lib_nl_route(a->nl, 1, AGENT_TABLE_HAO, any, 0, a->tun_ifindex, NULL) == 0 &&
		    lib_nl_rule(a->nl, 1, AGENT_PRIO_HAO, NULL, NULL, 0, AGENT_MARK, AGENT_TABLE_HAO) == 0 &&
		    lib_nl_rule(a->nl, 1, AGENT_PRIO_LOCAL, NULL, NULL, 0, 0, 255) == 0 &&
		    lib_nl_rule(a->nl, 0, 0, NULL, NULL, 0, 0, 255) == 0)
			a->nft_ok = 1;
		else
			log_warnx("Home Address option steering not installed: packets from standard "
				  "mobile nodes with a Home Address option will be dropped by the kernel");
		return;
	}
	if (a->nft_ok) {
		run_nft("delete table ip6 sysplex_agent\n");
		lib_nl_rule(a->nl, 0, AGENT_PRIO_HAO, NULL, NULL, 0, AGENT_MARK, AGENT_TABLE_HAO);
	}
	for (i = 0; i < a->nprefix; i++)
		lib_nl_rule(a->nl, 0, AGENT_PRIO_TO, NULL, a->prefix[i], a->plen[i], 0, AGENT_TABLE);
	agent_fast_routes(a, 0);
	lib_nl_rule(a->nl, 0, AGENT_PRIO_IIF, a->tunif, NULL, 0, 0, 254);
}

static void
timer_cb(uv_timer_t *t)
{
	agent_cn_tick(t->data);
}

static void
signal_cb(uv_signal_t *sig, int signum)
{
	struct agent *a = sig->data;

	log_info("signal %d: stopping", signum);
	uv_stop(a->loop);
}

void
agent_start(struct agent *a, uv_loop_t *loop)
{
	struct lib_tun_opts o = { .vnet_hdr = 1, .offload = 1, .txqlen = 10000 };
	char path[128];
	unsigned mtu = 1500;
	int r;
	FILE *f;

	a->verdicts.what = "agent";
	a->tun_fd = -1;
	a->nl = lib_nl_open();
	if (!a->nl)
		fatal("rtnetlink");
	if (lib_nl_ifindex(a->lanif) <= 0)
		fatalx("LAN interface %s does not exist", a->lanif);
	snprintf(path, sizeof(path), "/sys/class/net/%s/mtu", a->lanif);
	if ((f = fopen(path, "r"))) {
		if (fscanf(f, "%u", &mtu) != 1)
			mtu = 1500;
		fclose(f);
	}
	/* Bound traffic gains a 24-byte RH2: keep full-size packets fitting. */
	o.mtu = mtu - WIRE_RH2_LEN;
	a->tun_fd = lib_tun_open(a->tunif, &o);
	if (a->tun_fd < 0)
		fatalx("cannot open TUN %s: %s", a->tunif, strerror(-a->tun_fd));
	a->tun_ifindex = lib_nl_ifindex(a->tunif);
	lib_sysctl_set("net/ipv6/conf/all/forwarding", "1");
	a->rxbuf = malloc(AGENT_HEADROOM + AGENT_PKT_MAX);
	if (!a->rxbuf)
		fatalx("out of memory");
	a->loop = loop;
	if ((r = agent_cn_init(a, AGENT_CONNS_MAX)) < 0 || (r = agent_cn_start(a)) < 0)
		fatalx("correspondent node: %s", strerror(-r));
	if (agent_ctl_start(a) < 0)
		fatalx("control socket");
	agent_fast_start(a, mtu);
	routes(a, 1);

	uv_poll_init(a->loop, &a->poll, a->tun_fd);
	a->poll.data = a;
	uv_poll_start(&a->poll, UV_READABLE, tun_cb);
	uv_timer_init(a->loop, &a->timer);
	a->timer.data = a;
	uv_timer_start(&a->timer, timer_cb, 1000, 1000);
	uv_signal_init(a->loop, &a->sigterm);
	a->sigterm.data = a;
	uv_signal_start(&a->sigterm, signal_cb, SIGTERM);
	uv_signal_init(a->loop, &a->sigint);
	a->sigint.data = a;
	uv_signal_start(&a->sigint, signal_cb, SIGINT);
}

void
agent_stop(struct agent *a)
{
	routes(a, 0);
	log_info("stopped: %llu packets, %llu sent direct to a care-of address",
		 (unsigned long long)a->cnt.pkts, (unsigned long long)a->cnt.direct_pkts);
	uv_poll_stop(&a->poll);
	uv_timer_stop(&a->timer);
	agent_link_fini(a);
	agent_fast_stop(a);
	agent_ctl_stop(a);
	agent_cn_stop(a);
	agent_cn_fini(a);
	close(a->tun_fd);
	lib_nl_close(&a->nl);
	free(a->rxbuf);
}
