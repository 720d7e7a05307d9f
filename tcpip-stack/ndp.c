/*
 * ndp.c - the routing stack answers neighbour solicitations for the DVIPAs
 * it owns (RFC 4861 7.2.4) itself, instead of a kernel proxy-NDP entry: a
 * stack that dies stops answering at once, as a failed z/OS stack's home
 * addresses disappear with it (a proxy entry would outlive the daemon and
 * keep drawing clients to a system that no longer routes).
 *
 * A raw ICMPv6 socket bound to the LAN interface, filtered to Neighbor
 * Solicitations, joined to the solicited-node group of each owned DVIPA.
 *
 * The same switch advertises the DVIPA beyond the LAN: while we answer for
 * it, a host route DVIPA/128 dev tcpip0 (protocol static) sits in the main
 * table.  It carries no traffic (the policy rule and the local table come
 * first), but on a routed network the system's zebra sees it as a kernel
 * route and ospf6d redistributes it (docs/DESIGN.md, "Routed networks"):
 * only the owner has it (targets hold the DVIPA as a local address whose
 * peer is their care-of address, so zebra sees no connected route for the
 * DVIPA on them), and a stack that dies takes it along with its TUN.
 * The answer: a Neighbor Advertisement with Solicited and Override set and
 * our link-layer address, to the solicitation's source (or all-nodes for a
 * DAD probe from ::).  The kernel fills in the checksum.
 *
 * A solicitation is validated as RFC 4861 7.1.1 says before it is answered
 * (stack_ndp_ns_check): hop limit 255 (it was not forwarded, so it comes
 * from the link), code 0, at least 24 octets, a target that is not
 * multicast, options of non-zero length, and from :: only to a
 * solicited-node group and without a source link-layer address option.
 *
 * Level 1 of tcpip-stack/ (stack.h): calls only dvipa.c.  Answering is an
 * owner action, so the lease is checked first: stack.c polls the socket and
 * checks it (own.c) before it calls stack_ndp_answer.
 */
#include "tcpip-stack/stack.h"

#include <errno.h>
#include <net/if.h>
#include <netinet/icmp6.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

void
stack_ndp_init(struct stack *s)
{
	memset(&s->ndp, 0, sizeof(s->ndp));
	s->ndp.fd = -1;
}

static void
solicited_node(const uint8_t a[16], struct in6_addr *g)
{
	static const uint8_t pfx[13] = { 0xff, 0x02, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0xff };

	memcpy(g->s6_addr, pfx, 13);
	memcpy(g->s6_addr + 13, a + 13, 3);
}

int
stack_ndp_join(struct stack *s, const uint8_t dvipa[16], int join)
{
	struct ipv6_mreq mr;
	int r = lib_nl_route(s->nl, join, 254, dvipa, 128, s->tun_ifindex, NULL);

	if (r < 0)
		return r;
	if (s->ndp.fd < 0)
		return -ENOTCONN;
	solicited_node(dvipa, &mr.ipv6mr_multiaddr);
	mr.ipv6mr_interface = (unsigned)s->lan_ifindex;
	if (setsockopt(s->ndp.fd, IPPROTO_IPV6, join ? IPV6_ADD_MEMBERSHIP : IPV6_DROP_MEMBERSHIP, &mr,
		       sizeof(mr)) < 0 && errno != EADDRINUSE && errno != EADDRNOTAVAIL &&
	    errno != EINVAL)
		return -errno;
	return 0;
}

static void
answer(struct stack *s, const struct sockaddr_in6 *from, const uint8_t target[16])
{
	uint8_t na[32];
	struct sockaddr_in6 to;
	static const uint8_t any[16];

	memset(na, 0, sizeof(na));
	na[0] = ND_NEIGHBOR_ADVERT;
	memset(&to, 0, sizeof(to));
	to.sin6_family = AF_INET6;
	to.sin6_scope_id = (uint32_t)s->lan_ifindex;
	if (memcmp(&from->sin6_addr, any, 16) == 0) {
		/* DAD probe: tell everybody, not solicited. */
		na[4] = 0x20;
		inet_pton(AF_INET6, "ff02::1", &to.sin6_addr);
	} else {
		na[4] = 0x40 | 0x20;	/* Solicited, Override */
		to.sin6_addr = from->sin6_addr;
	}
	memcpy(na + 8, target, 16);
	na[24] = ND_OPT_TARGET_LINKADDR;
	na[25] = 1;
	memcpy(na + 26, s->ndp.mac, 6);
	if (sendto(s->ndp.fd, na, sizeof(na), 0, (struct sockaddr *)&to, sizeof(to)) < 0)
		lib_verdict(&s->tun_verdicts, "cannot send a neighbour advertisement");
}

const char *
stack_ndp_ns_check(const uint8_t *icmp, size_t len, int hoplimit, const uint8_t src[16],
		   const uint8_t dst[16])
{
	static const uint8_t any[16];
	static const uint8_t sn[13] = { 0xff, 0x02, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0xff };
	int from_any = memcmp(src, any, 16) == 0;
	size_t off;

	if (len < 24 || icmp[0] != ND_NEIGHBOR_SOLICIT)
		return "NS shorter than 24 octets or not an NS";
	if (hoplimit != 255)
		return "NS with a hop limit other than 255 (not from the link)";
	if (icmp[1] != 0)
		return "NS with a code other than 0";
	if (icmp[8] == 0xff)
		return "NS for a multicast target";
	if (from_any && (!dst || memcmp(dst, sn, 13) != 0))
		return "NS from :: not to a solicited-node group";
	for (off = 24; off < len; off += (size_t)icmp[off + 1] * 8) {
		if (off + 2 > len || icmp[off + 1] == 0)
			return "NS with an option of length 0 or truncated";
		if (off + (size_t)icmp[off + 1] * 8 > len)
			return "NS with an option longer than the message";
		if (from_any && icmp[off] == ND_OPT_SOURCE_LINKADDR)
			return "NS from :: with a source link-layer address";
	}
	return NULL;
}

void
stack_ndp_answer(struct stack *s)
{
	int i;

	for (i = 0; i < 64; i++) {
		uint8_t buf[1500];
		union {
			struct cmsghdr hdr;
			uint8_t b[CMSG_SPACE(sizeof(int)) + CMSG_SPACE(sizeof(struct in6_pktinfo))];
		} cbuf;
		struct sockaddr_in6 from;
		struct iovec iov = { buf, sizeof(buf) };
		struct msghdr msg = { &from, sizeof(from), &iov, 1, &cbuf, sizeof(cbuf), 0 };
		const uint8_t *dst = NULL;
		struct cmsghdr *c;
		struct stack_dvipa *d;
		const char *why;
		int hops = -1;
		ssize_t n = recvmsg(s->ndp.fd, &msg, MSG_DONTWAIT);

		if (n < 0)
			return;
		for (c = CMSG_FIRSTHDR(&msg); c; c = CMSG_NXTHDR(&msg, c)) {
			if (c->cmsg_level != IPPROTO_IPV6)
				continue;
			if (c->cmsg_type == IPV6_HOPLIMIT)
				memcpy(&hops, CMSG_DATA(c), sizeof(hops));
			else if (c->cmsg_type == IPV6_PKTINFO)
				dst = ((struct in6_pktinfo *)CMSG_DATA(c))->ipi6_addr.s6_addr;
		}
		why = stack_ndp_ns_check(buf, (size_t)n, hops, from.sin6_addr.s6_addr, dst);
		if (why) {
			lib_verdict(&s->tun_verdicts, why);
			continue;
		}
		d = stack_dvipa_find(s, buf + 8);
		if (d && d->owned)
			answer(s, &from, buf + 8);
	}
}

int
stack_ndp_start(struct stack *s, uv_poll_cb readable)
{
	struct icmp6_filter f;
	struct ifreq ifr;
	int fd, hops = 255, on = 1;

	fd = socket(AF_INET6, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, IPPROTO_ICMPV6);
	if (fd < 0)
		return -errno;
	ICMP6_FILTER_SETBLOCKALL(&f);
	ICMP6_FILTER_SETPASS(ND_NEIGHBOR_SOLICIT, &f);
	memset(&ifr, 0, sizeof(ifr));
	lib_strlcpy(ifr.ifr_name, s->lanif, sizeof(ifr.ifr_name));
	if (setsockopt(fd, IPPROTO_ICMPV6, ICMP6_FILTER, &f, sizeof(f)) < 0 ||
	    setsockopt(fd, SOL_SOCKET, SO_BINDTODEVICE, s->lanif, (socklen_t)strlen(s->lanif)) < 0 ||
	    setsockopt(fd, IPPROTO_IPV6, IPV6_UNICAST_HOPS, &hops, sizeof(hops)) < 0 ||
	    setsockopt(fd, IPPROTO_IPV6, IPV6_MULTICAST_HOPS, &hops, sizeof(hops)) < 0 ||
	    setsockopt(fd, IPPROTO_IPV6, IPV6_RECVHOPLIMIT, &on, sizeof(on)) < 0 ||
	    setsockopt(fd, IPPROTO_IPV6, IPV6_RECVPKTINFO, &on, sizeof(on)) < 0 ||
	    ioctl(fd, SIOCGIFHWADDR, &ifr) < 0) {
		int e = errno;
		close(fd);
		return -e;
	}
	s->ndp.fd = fd;
	memcpy(s->ndp.mac, ifr.ifr_hwaddr.sa_data, 6);
	uv_poll_init(s->loop, &s->ndp.poll, fd);
	s->ndp.poll.data = s;
	uv_poll_start(&s->ndp.poll, UV_READABLE, readable);
	return 0;
}

void
stack_ndp_stop(struct stack *s)
{
	if (s->ndp.fd < 0)
		return;
	uv_poll_stop(&s->ndp.poll);
	uv_close((uv_handle_t *)&s->ndp.poll, NULL);
	close(s->ndp.fd);
	s->ndp.fd = -1;
}
