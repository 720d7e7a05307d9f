/*
 * test_nl.c - proves lib/tun.c, lib/nl.c and lib/diag.c against the kernel.
 * Needs root: main() first moves the process into a network namespace of its
 * own (unshare(CLONE_NEWNET)), so nothing outside the test is touched and
 * every device, address, route and rule vanishes when the test exits.
 * What is checked, each time through tools we did not write (iproute2 output
 * read with popen) or through the kernel's own view:
 *  - a TUN opened with vnet header and offloads is non-blocking, has the
 *    10-byte vnet header, TSO on, the MTU, txqueuelen, addrgenmode none, no
 *    link-local address, and is up; without vnet headers the offloads of a
 *    persistent TUN are reset;
 *  - addresses, routes (table 200 and main, with and without gateway),
 *    policy rules (iif/dst, fwmark, moving the local rule) and proxy
 *    neighbours appear after one add, survive a second add, and disappear
 *    after a delete and a second delete, every call returning 0;
 *  - sysctl writes read back;
 *  - the route dump reads back what iproute2 added (gateways, next hops,
 *    metric, MTU, tables, both families); an address with a peer routes
 *    the peer and stays local, with IFA_F_NOPREFIXROUTE only the peer;
 *  - the sock_diag dump sees a listener and both ends of a connection on ::1;
 *  - an unsolicited Neighbour Advertisement arrives on the far end of a veth
 *    with hop limit 255, the Override flag only, the target and the sender's
 *    MAC in a Target Link-Layer Address option.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/ethtool.h>
#include <linux/sockios.h>
#include <net/if.h>
#include <netinet/icmp6.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <linux/if_addr.h>
#include <linux/if_tun.h>

#include "lib/lib.h"

/* ---- helpers -------------------------------------------------------------- */

/* Runs a shell command and returns its whole standard output (malloc'd). */
static char *
run(const char *fmt, ...)
{
	char cmd[512], *out = NULL;
	size_t len = 0, cap = 0;
	va_list ap;
	FILE *f;
	int c;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	f = popen(cmd, "r");
	assert_non_null(f);
	while ((c = fgetc(f)) != EOF) {
		if (len + 2 > cap) {
			cap = cap ? cap * 2 : 1024;
			out = realloc(out, cap);
			assert_non_null(out);
		}
		out[len++] = (char)c;
	}
	pclose(f);
	if (!out)
		out = calloc(1, 1);
	else
		out[len] = '\0';
	return out;
}

static void
sh(const char *cmd)
{
	assert_int_equal(system(cmd), 0);
}

/* Asserts that the output of a command contains (or lacks) a string. */
static void
expect_output(int present, const char *needle, const char *cmd)
{
	char *out = run("%s 2>&1", cmd);

	if ((strstr(out, needle) != NULL) != present)
		fail_msg("'%s' %s '%s'; output:\n%s", cmd, present ? "lacks" : "still shows",
			 needle, out);
	free(out);
}

static void
ip6(const char *s, uint8_t out[16])
{
	assert_int_equal(inet_pton(AF_INET6, s, out), 1);
}

/* Reads an ethtool boolean (ETHTOOL_GTSO, ETHTOOL_GTXCSUM) of a device. */
static int
ethtool_get(const char *ifname, uint32_t cmd)
{
	struct ethtool_value ev = {.cmd = cmd};
	struct ifreq ifr;
	int fd = socket(AF_INET6, SOCK_DGRAM, 0), rc;

	assert_true(fd >= 0);
	memset(&ifr, 0, sizeof(ifr));
	lib_strlcpy(ifr.ifr_name, ifname, sizeof(ifr.ifr_name));
	ifr.ifr_data = (char *)&ev;
	rc = ioctl(fd, SIOCETHTOOL, &ifr);
	close(fd);
	assert_int_equal(rc, 0);
	return (int)ev.data;
}

/* ---- TUN ------------------------------------------------------------------- */

static void
test_tun_open_vnet_offload(void **state)
{
	struct lib_tun_opts o = {.vnet_hdr = 1, .offload = 1, .mtu = 1476, .txqlen = 4000};
	struct ifreq ifr;
	uint8_t buf[2048];
	int fd, sz = 0;

	(void)state;
	fd = lib_tun_open("tsttun0", &o);
	assert_true(fd >= 0);
	assert_true(fcntl(fd, F_GETFL) & O_NONBLOCK);
	assert_true(fcntl(fd, F_GETFD) & FD_CLOEXEC);
	assert_int_equal(read(fd, buf, sizeof(buf)), -1);
	assert_int_equal(errno, EAGAIN);
	memset(&ifr, 0, sizeof(ifr));
	assert_int_equal(ioctl(fd, TUNGETIFF, &ifr), 0);
	assert_true(ifr.ifr_flags & IFF_VNET_HDR);
	assert_true(ifr.ifr_flags & IFF_NO_PI);
	assert_int_equal(ioctl(fd, TUNGETVNETHDRSZ, &sz), 0);
	assert_int_equal(sz, 10);
	assert_int_equal(ethtool_get("tsttun0", ETHTOOL_GTXCSUM), 1);
	assert_int_equal(ethtool_get("tsttun0", ETHTOOL_GTSO), 1);
	expect_output(1, "mtu 1476", "ip -d link show tsttun0");
	expect_output(1, "qlen 4000", "ip -d link show tsttun0");
	expect_output(1, "addrgenmode none", "ip -d link show tsttun0");
	expect_output(1, ",UP", "ip link show tsttun0");
	expect_output(0, "fe80", "ip -6 addr show dev tsttun0");
	/* IPv6 stays enabled: an address can be added. */
	expect_output(0, "1", "cat /proc/sys/net/ipv6/conf/tsttun0/disable_ipv6");

	/*
	 * A persistent TUN keeps its offloads; reopening it without vnet
	 * headers must clear them.
	 */
	assert_int_equal(ioctl(fd, TUNSETPERSIST, 1), 0);
	close(fd);
	o.vnet_hdr = 0;
	fd = lib_tun_open("tsttun0", &o);
	assert_true(fd >= 0);
	assert_int_equal(ethtool_get("tsttun0", ETHTOOL_GTSO), 0);
	assert_int_equal(ioctl(fd, TUNSETPERSIST, 0), 0);
	close(fd);
	expect_output(1, "does not exist", "ip link show tsttun0");
}

static void
test_tun_multiqueue_and_errors(void **state)
{
	struct lib_tun_opts o = {.vnet_hdr = 1, .offload = 1, .multiqueue = 1, .mtu = 1400};
	int a, b;

	(void)state;
	a = lib_tun_open("tstmq0", &o);
	assert_true(a >= 0);
	b = lib_tun_open("tstmq0", &o);
	assert_true(b >= 0);
	expect_output(1, "mtu 1400", "ip link show tstmq0");
	close(a);
	close(b);
	/* Opening a name that belongs to a device of another kind fails cleanly. */
	sh("ip link add tstveth0 type veth peer name tstveth1");
	assert_true(lib_tun_open("tstveth0", &o) < 0);
	sh("ip link del tstveth0");
	assert_int_equal(lib_tun_open("a-name-much-too-long-for-ifnamsiz", &o), -EINVAL);
	assert_int_equal(lib_tun_open("", &o), -EINVAL);
}

/* ---- rtnetlink ----------------------------------------------------------- */

static void
test_link_addr_route_rule_neigh(void **state)
{
	struct lib_nl *nl = lib_nl_open();
	uint8_t a1[16], a2[16], dv[16], xcf[16], net[16];
	int idx, i;

	(void)state;
	assert_non_null(nl);
	sh("ip link add vt0 type veth peer name vt1");
	idx = lib_nl_ifindex("vt0");
	assert_true(idx > 0);
	assert_int_equal(lib_nl_ifindex("nosuchif"), 0);
	assert_int_equal(lib_nl_link_set(nl, idx, 1, 1400, 1234), 0);
	expect_output(1, "mtu 1400", "ip -d link show vt0");
	expect_output(1, "qlen 1234", "ip -d link show vt0");
	expect_output(1, "UP", "ip link show vt0");
	assert_int_equal(lib_nl_link_set(nl, lib_nl_ifindex("vt1"), 1, 0, 0), 0);
	/* up = -1 leaves the state alone. */
	assert_int_equal(lib_nl_link_set(nl, idx, -1, 1450, 0), 0);
	expect_output(1, "mtu 1450", "ip link show vt0");
	expect_output(1, "UP", "ip link show vt0");

	ip6("fd00:1::1", a1);
	ip6("fd00:1::2", a2);
	ip6("fd00:100::1", dv);
	ip6("fd00:10::2", xcf);
	ip6("fd00:1::", net);

	/* Addresses. */
	for (i = 0; i < 2; i++)
		assert_int_equal(lib_nl_addr(nl, 1, idx, a1, 64, 1), 0);
	expect_output(1, "inet6 fd00:1::1/64", "ip -6 addr show dev vt0");
	expect_output(0, "tentative", "ip -6 addr show dev vt0 to fd00:1::1");
	assert_int_equal(lib_nl_addr(nl, 1, lib_nl_ifindex("lo"), dv, 128, 1), 0);
	expect_output(1, "inet6 fd00:100::1/128", "ip -6 addr show dev lo");

	/* Routes: table 200 on-link, main via a gateway. */
	for (i = 0; i < 2; i++) {
		assert_int_equal(lib_nl_route(nl, 1, 200, dv, 128, idx, NULL), 0);
		assert_int_equal(lib_nl_route(nl, 1, 254, xcf, 128, idx, a2), 0);
		assert_int_equal(lib_nl_route(nl, 1, 1000, net, 64, idx, NULL), 0);
	}
	expect_output(1, "fd00:100::1 dev vt0", "ip -6 route show table 200");
	expect_output(1, "fd00:10::2 via fd00:1::2 dev vt0", "ip -6 route show table main");
	expect_output(1, "fd00:1::/64 dev vt0", "ip -6 route show table 1000");
	/* A route out of a missing device is an error, not success. */
	assert_true(lib_nl_route(nl, 1, 200, xcf, 128, 9999, NULL) < 0);

	/* Rules: iif + dst, fwmark, and moving the local rule from 0 to 100. */
	for (i = 0; i < 2; i++) {
		assert_int_equal(lib_nl_rule(nl, 1, 50, "vt0", dv, 128, 0, 200), 0);
		assert_int_equal(lib_nl_rule(nl, 1, 60, NULL, NULL, 0, 0x10, 200), 0);
		assert_int_equal(lib_nl_rule(nl, 1, 100, NULL, NULL, 0, 0, 255), 0);
		assert_int_equal(lib_nl_rule(nl, 0, 0, NULL, NULL, 0, 0, 255), 0);
	}
	expect_output(1, "50:\tfrom all to fd00:100::1 iif vt0 lookup 200", "ip -6 rule show");
	expect_output(1, "60:\tfrom all fwmark 0x10 lookup 200", "ip -6 rule show");
	expect_output(1, "100:\tfrom all lookup local", "ip -6 rule show");
	expect_output(0, "0:\tfrom all lookup local", "ip -6 rule show pref 0");

	/* Proxy neighbour. */
	for (i = 0; i < 2; i++)
		assert_int_equal(lib_nl_proxy_neigh(nl, 1, idx, dv), 0);
	expect_output(1, "fd00:100::1 dev vt0 proxy", "ip -6 neigh show proxy");

	/* Now every delete, twice. */
	for (i = 0; i < 2; i++) {
		assert_int_equal(lib_nl_proxy_neigh(nl, 0, idx, dv), 0);
		assert_int_equal(lib_nl_rule(nl, 0, 50, "vt0", dv, 128, 0, 200), 0);
		assert_int_equal(lib_nl_rule(nl, 0, 60, NULL, NULL, 0, 0x10, 200), 0);
		assert_int_equal(lib_nl_rule(nl, 1, 0, NULL, NULL, 0, 0, 255), 0);
		assert_int_equal(lib_nl_rule(nl, 0, 100, NULL, NULL, 0, 0, 255), 0);
		assert_int_equal(lib_nl_route(nl, 0, 200, dv, 128, idx, NULL), 0);
		assert_int_equal(lib_nl_route(nl, 0, 254, xcf, 128, idx, a2), 0);
		assert_int_equal(lib_nl_route(nl, 0, 1000, net, 64, idx, NULL), 0);
		assert_int_equal(lib_nl_addr(nl, 0, idx, a1, 64, 0), 0);
		assert_int_equal(lib_nl_addr(nl, 0, lib_nl_ifindex("lo"), dv, 128, 0), 0);
	}
	expect_output(0, "fd00:100::1", "ip -6 neigh show proxy");
	expect_output(0, "lookup 200", "ip -6 rule show");
	expect_output(0, "100:", "ip -6 rule show");
	expect_output(1, "0:\tfrom all lookup local", "ip -6 rule show pref 0");
	expect_output(0, "fd00:100::1", "ip -6 route show table 200");
	expect_output(0, "fd00:10::2", "ip -6 route show table main");
	expect_output(0, "fd00:1::", "ip -6 route show table 1000");
	expect_output(0, "fd00:1::1", "ip -6 addr show dev vt0");
	expect_output(0, "fd00:100::1", "ip -6 addr show dev lo");

	/* Deleting things of a device that is gone is success too. */
	sh("ip link del vt0");
	assert_int_equal(lib_nl_addr(nl, 0, idx, a1, 64, 0), 0);
	assert_int_equal(lib_nl_route(nl, 0, 200, dv, 128, idx, NULL), 0);
	lib_nl_close(&nl);
	assert_null(nl);
}

static void
test_sysctl(void **state)
{
	(void)state;
	sh("ip link add vs0 type veth peer name vs1");
	assert_int_equal(lib_sysctl_set("net/ipv6/conf/vs0/proxy_ndp", "1"), 0);
	expect_output(1, "1", "cat /proc/sys/net/ipv6/conf/vs0/proxy_ndp");
	assert_int_equal(lib_sysctl_set("net/ipv6/conf/vs0/proxy_ndp", "0"), 0);
	expect_output(1, "0", "cat /proc/sys/net/ipv6/conf/vs0/proxy_ndp");
	assert_int_equal(lib_sysctl_set("net/ipv6/conf/all/forwarding", "1\n"), 0);
	expect_output(1, "1", "sysctl -n net.ipv6.conf.all.forwarding");
	assert_int_equal(lib_sysctl_set("net/ipv6/conf/nosuchif/proxy_ndp", "1"), -ENOENT);
	assert_int_equal(lib_sysctl_set("net/../../etc/passwd", "1"), -EINVAL);
	assert_int_equal(lib_sysctl_set("/net/ipv6/conf/all/forwarding", "1"), -EINVAL);
	assert_true(lib_sysctl_set("net/ipv6/conf/vs0/proxy_ndp", "banana") < 0);
	sh("ip link del vs0");
}

/* ---- sock_diag ---------------------------------------------------------------- */

struct found {
	uint16_t port, cport;
	int listen, est_server, est_client, seen;
};

static int
diag_cb(const struct lib_sock *s, void *arg)
{
	struct found *f = arg;

	f->seen++;
	if (!IN6_IS_ADDR_LOOPBACK((const struct in6_addr *)s->laddr))
		return 0;
	if (s->state == TCP_LISTEN && s->lport == f->port)
		f->listen++;
	if (s->state == TCP_ESTABLISHED && s->lport == f->port && s->rport == f->cport &&
	    IN6_IS_ADDR_LOOPBACK((const struct in6_addr *)s->raddr))
		f->est_server++;
	if (s->state == TCP_ESTABLISHED && s->lport == f->cport && s->rport == f->port)
		f->est_client++;
	return 0;
}

static int
stop_cb(const struct lib_sock *s, void *arg)
{
	(void)s;
	(*(int *)arg)++;
	return 1;
}

static void
test_diag_tcp6(void **state)
{
	struct lib_nl *nl = lib_nl_open();
	struct sockaddr_in6 sa = {.sin6_family = AF_INET6, .sin6_addr = IN6ADDR_LOOPBACK_INIT};
	socklen_t sl = sizeof(sa);
	struct found f = {0};
	int ls, cs, as, n, calls = 0;

	(void)state;
	assert_non_null(nl);
	assert_int_equal(lib_nl_link_set(nl, lib_nl_ifindex("lo"), 1, 0, 0), 0);
	lib_nl_close(&nl);

	ls = socket(AF_INET6, SOCK_STREAM, 0);
	assert_true(ls >= 0);
	assert_int_equal(bind(ls, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(listen(ls, 4), 0);
	assert_int_equal(getsockname(ls, (struct sockaddr *)&sa, &sl), 0);
	f.port = ntohs(sa.sin6_port);

	n = lib_diag_tcp6(1u << TCP_LISTEN, diag_cb, &f);
	assert_true(n >= 1);
	assert_int_equal(f.listen, 1);
	assert_int_equal(f.est_server, 0);

	cs = socket(AF_INET6, SOCK_STREAM, 0);
	assert_true(cs >= 0);
	assert_int_equal(connect(cs, (struct sockaddr *)&sa, sizeof(sa)), 0);
	as = accept(ls, NULL, NULL);
	assert_true(as >= 0);
	sl = sizeof(sa);
	assert_int_equal(getsockname(cs, (struct sockaddr *)&sa, &sl), 0);
	f.cport = ntohs(sa.sin6_port);

	memset(&f.listen, 0, sizeof(f) - offsetof(struct found, listen));
	n = lib_diag_tcp6(1u << TCP_ESTABLISHED, diag_cb, &f);
	assert_int_equal(n, 2);
	assert_int_equal(f.seen, 2);
	assert_int_equal(f.listen, 0);
	assert_int_equal(f.est_server, 1);
	assert_int_equal(f.est_client, 1);

	memset(&f.listen, 0, sizeof(f) - offsetof(struct found, listen));
	n = lib_diag_tcp6((1u << TCP_ESTABLISHED) | (1u << TCP_LISTEN), diag_cb, &f);
	assert_int_equal(n, 3);
	assert_int_equal(f.listen, 1);
	assert_int_equal(f.est_server, 1);
	assert_int_equal(f.est_client, 1);

	/* A callback returning non-zero stops the walk. */
	n = lib_diag_tcp6((1u << TCP_ESTABLISHED) | (1u << TCP_LISTEN), stop_cb, &calls);
	assert_int_equal(n, 1);
	assert_int_equal(calls, 1);
	/* A NULL callback just counts. */
	assert_int_equal(lib_diag_tcp6(1u << TCP_ESTABLISHED, NULL, NULL), 2);

	close(as);
	close(cs);
	close(ls);
}

/* ---- unsolicited Neighbour Advertisement -------------------------------------- */

static void
test_ndisc_una(void **state)
{
	struct lib_nl *nl = lib_nl_open();
	uint8_t target[16], buf[256], mac[6];
	struct icmp6_filter flt;
	int rx, on = 1, got = 0, tries, tfd;
	char *out;
	unsigned m[6];

	(void)state;
	assert_non_null(nl);
	/* No DAD, so the link-local source address is usable at once. */
	assert_int_equal(lib_sysctl_set("net/ipv6/conf/default/accept_dad", "0"), 0);
	sh("ip link add vu0 type veth peer name vu1");
	assert_int_equal(lib_nl_link_set(nl, lib_nl_ifindex("vu0"), 1, 0, 0), 0);
	assert_int_equal(lib_nl_link_set(nl, lib_nl_ifindex("vu1"), 1, 0, 0), 0);
	out = run("ip -o link show vu0 | sed 's/.*link\\/ether \\([0-9a-f:]*\\).*/\\1/'");
	assert_int_equal(sscanf(out, "%x:%x:%x:%x:%x:%x", &m[0], &m[1], &m[2], &m[3], &m[4], &m[5]),
			 6);
	for (int i = 0; i < 6; i++)
		mac[i] = (uint8_t)m[i];
	free(out);

	/* A raw ICMPv6 socket on the far end sees what arrives. */
	rx = socket(AF_INET6, SOCK_RAW, IPPROTO_ICMPV6);
	assert_true(rx >= 0);
	assert_int_equal(setsockopt(rx, SOL_SOCKET, SO_BINDTODEVICE, "vu1", 3), 0);
	ICMP6_FILTER_SETBLOCKALL(&flt);
	ICMP6_FILTER_SETPASS(ND_NEIGHBOR_ADVERT, &flt);
	assert_int_equal(setsockopt(rx, IPPROTO_ICMPV6, ICMP6_FILTER, &flt, sizeof(flt)), 0);
	assert_int_equal(setsockopt(rx, IPPROTO_IPV6, IPV6_RECVHOPLIMIT, &on, sizeof(on)), 0);

	ip6("fd00:100::1", target);
	/* The link-local address may take a moment to appear after carrier. */
	for (tries = 0; tries < 50 && !got; tries++) {
		struct pollfd pfd = {.fd = rx, .events = POLLIN};
		int rc = lib_ndisc_send_una("vu0", target);

		if (rc != 0) {
			assert_int_equal(rc, -EADDRNOTAVAIL);
			usleep(100000);
			continue;
		}
		while (poll(&pfd, 1, 500) == 1) {
			char cbuf[128];
			struct iovec iov = {.iov_base = buf, .iov_len = sizeof(buf)};
			struct msghdr mh = {.msg_iov = &iov, .msg_iovlen = 1,
					    .msg_control = cbuf, .msg_controllen = sizeof(cbuf)};
			struct cmsghdr *c;
			ssize_t n = recvmsg(rx, &mh, 0);
			int hl = -1;

			assert_true(n > 0);
			for (c = CMSG_FIRSTHDR(&mh); c; c = CMSG_NXTHDR(&mh, c))
				if (c->cmsg_level == IPPROTO_IPV6 && c->cmsg_type == IPV6_HOPLIMIT)
					memcpy(&hl, CMSG_DATA(c), sizeof(hl));
			if (n < 32 || buf[0] != ND_NEIGHBOR_ADVERT)
				continue;
			assert_int_equal(n, 32);
			assert_int_equal(hl, 255);
			assert_int_equal(buf[1], 0);
			assert_int_equal(buf[4], 0x20);	/* Override only */
			assert_memory_equal(buf + 8, target, 16);
			assert_int_equal(buf[24], ND_OPT_TARGET_LINKADDR);
			assert_int_equal(buf[25], 1);
			assert_memory_equal(buf + 26, mac, 6);
			got = 1;
			break;
		}
	}
	assert_true(got);
	close(rx);

	/* A device without a MAC address (TUN) cannot announce one. */
	tfd = lib_tun_open("tstuna0", &(struct lib_tun_opts){0});
	assert_true(tfd >= 0);
	assert_int_equal(lib_ndisc_send_una("tstuna0", target), -EOPNOTSUPP);
	close(tfd);
	assert_int_equal(lib_ndisc_send_una("nosuchif", target), -ENODEV);
	sh("ip link del vu0");
	lib_nl_close(&nl);
}


/* Finds the dump entry for dst/plen (IPv6 text, or IPv4 with v4 = 1) whose
 * gateway is gw (NULL: none); NULL when absent. */
static const struct lib_route *
find_route(const struct lib_route *r, int n, int v4, const char *dst, int plen, const char *gw)
{
	uint8_t d[16] = { 0 }, g[16] = { 0 };
	int i, fam = v4 ? AF_INET : AF_INET6;
	size_t alen = v4 ? 4 : 16;

	assert_int_equal(inet_pton(fam, dst, d), 1);
	if (gw)
		assert_int_equal(inet_pton(fam, gw, g), 1);
	for (i = 0; i < n; i++)
		if (r[i].family == fam && r[i].plen == plen && memcmp(r[i].dst, d, alen) == 0 &&
		    r[i].has_gw == (gw != NULL) && (!gw || memcmp(r[i].gw, g, alen) == 0))
			return &r[i];
	return NULL;
}

/* Dumps the main table into r (max entries) until it has dst/128 (no
 * gateway; the kernel routes an address's peer from its address work queue)
 * or 20 s have passed (a bound for a loaded machine, not an expectation);
 * returns the number of entries. */
static int
poll_route(struct lib_nl *nl, struct lib_route *r, int max, const char *dst)
{
	int i, n = 0;

	for (i = 0; i < 2000; i++) {
		n = lib_nl_routes(nl, AF_INET6, 254, r, max);
		if (find_route(r, n, 0, dst, 128, NULL))
			break;
		usleep(10000);
	}
	return n;
}

/* The dump against routes iproute2 made: connected, static with and without
 * a gateway, two next hops of one route, a metric and an MTU, IPv4 beside
 * IPv6, another table left out; an address with a peer routes the peer's
 * prefix, not its own. */
static void
test_route_dump(void **state)
{
	struct lib_nl *nl = lib_nl_open();
	struct lib_route r[64];
	const struct lib_route *e;
	uint8_t a[16], peer[16];
	int n, vr0, i, v4 = 0;

	(void)state;
	assert_non_null(nl);
	sh("ip link add vr0 type veth peer name vr1 && ip link set vr0 up && ip link set vr1 up");
	sh("ip -6 addr add fd00:71::1/64 dev vr0 nodad && ip addr add 10.71.0.1/24 dev vr0");
	sh("ip -6 route add fd00:72::/64 via fd00:71::2 dev vr0 metric 20 mtu 1400");
	sh("ip -6 route add fd00:73::/64 nexthop via fd00:71::3 dev vr0 nexthop via fd00:71::4 dev vr0");
	sh("ip -6 route add fd00:74::1/128 dev vr0 proto static");
	sh("ip -6 route add fd00:75::/64 dev vr0 table 200");
	sh("ip route add 10.72.0.0/16 via 10.71.0.2");
	vr0 = lib_nl_ifindex("vr0");
	n = lib_nl_routes(nl, AF_INET6, 254, r, 64);
	assert_true(n > 0);
	e = find_route(r, n, 0, "fd00:71::", 64, NULL);
	assert_non_null(e);
	assert_int_equal(e->oif, vr0);
	assert_int_equal(e->protocol, 2 /* RTPROT_KERNEL */);
	e = find_route(r, n, 0, "fd00:72::", 64, "fd00:71::2");
	assert_non_null(e);
	assert_int_equal(e->metric, 20);
	assert_int_equal(e->mtu, 1400);
	assert_int_equal(e->oif, vr0);
	assert_non_null(find_route(r, n, 0, "fd00:73::", 64, "fd00:71::3"));
	assert_non_null(find_route(r, n, 0, "fd00:73::", 64, "fd00:71::4"));
	e = find_route(r, n, 0, "fd00:74::1", 128, NULL);
	assert_non_null(e);
	assert_int_equal(e->protocol, 4 /* RTPROT_STATIC */);
	assert_null(find_route(r, n, 0, "fd00:75::", 64, NULL));
	for (i = 0; i < n; i++) {
		assert_int_equal(r[i].family, AF_INET6);
		assert_int_equal(r[i].table, 254);
	}
	n = lib_nl_routes(nl, AF_INET6, 200, r, 64);
	assert_int_equal(n, 1);
	assert_non_null(find_route(r, n, 0, "fd00:75::", 64, NULL));
	n = lib_nl_routes(nl, AF_UNSPEC, 254, r, 64);
	assert_non_null(find_route(r, n, 1, "10.72.0.0", 16, "10.71.0.2"));
	assert_non_null(find_route(r, n, 1, "10.71.0.0", 24, NULL));
	for (i = 0; i < n; i++)
		v4 += r[i].family == AF_INET;
	assert_int_equal(v4, 2);
	assert_int_equal(lib_nl_routes(nl, AF_INET6, 254, r, 2), -ENOSPC);
	assert_int_equal(lib_nl_routes(nl, 7, 254, r, 64), -EINVAL);

	/* A local address with a peer: the peer's prefix is routed on the
	 * device, and the address stays local. */
	ip6("fd00:76::1", a);
	ip6("fd00:77::1", peer);
	assert_int_equal(lib_nl_addr_peer(nl, 1, vr0, a, peer, 128, IFA_F_NODAD), 0);
	assert_int_equal(lib_nl_addr_peer(nl, 1, vr0, a, peer, 128, IFA_F_NODAD), 0);
	n = poll_route(nl, r, 64, "fd00:77::1");
	assert_non_null(find_route(r, n, 0, "fd00:77::1", 128, NULL));
	expect_output(1, "local fd00:76::1 dev vr0", "ip -6 route show table local");
	expect_output(1, "inet6 fd00:76::1 peer fd00:77::1/128", "ip -6 addr show dev vr0");
	assert_int_equal(lib_nl_addr_peer(nl, 0, vr0, a, peer, 128, 0), 0);
	assert_int_equal(lib_nl_addr_peer(nl, 0, vr0, a, peer, 128, 0), 0);
	expect_output(0, "fd00:76::1", "ip -6 addr show dev vr0");
	assert_int_equal(lib_nl_addr_peer(nl, 1, vr0, a, NULL, 128, 0), -EINVAL);
	/* IFA_F_NOPREFIXROUTE: local, no route for it; its peer's stays. */
	assert_int_equal(lib_nl_addr_peer(nl, 1, vr0, a, peer, 128,
					  IFA_F_NODAD | IFA_F_NOPREFIXROUTE), 0);
	/* The kernel inserts the local route, then the peer's, from its
	 * address work queue: once the peer's is there, both are. */
	n = poll_route(nl, r, 64, "fd00:77::1");
	assert_non_null(find_route(r, n, 0, "fd00:77::1", 128, NULL));
	assert_null(find_route(r, n, 0, "fd00:76::1", 128, NULL));
	expect_output(1, "local fd00:76::1 dev vr0", "ip -6 route show table local");
	expect_output(1, "noprefixroute", "ip -6 addr show dev vr0");
	sh("ip link del vr0");
	lib_nl_close(&nl);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_tun_open_vnet_offload),
		cmocka_unit_test(test_tun_multiqueue_and_errors),
		cmocka_unit_test(test_link_addr_route_rule_neigh),
		cmocka_unit_test(test_sysctl),
		cmocka_unit_test(test_diag_tcp6),
		cmocka_unit_test(test_ndisc_una),
		cmocka_unit_test(test_route_dump),
	};

	if (geteuid() != 0) {
		fprintf(stderr, "test_nl: needs root (creates a network namespace); skipped\n");
		return 0;
	}
	/* Everything below happens in a namespace nobody else can see. */
	if (unshare(CLONE_NEWNET) != 0) {
		perror("test_nl: unshare(CLONE_NEWNET)");
		return 1;
	}
	return cmocka_run_group_tests(tests, NULL, NULL);
}
