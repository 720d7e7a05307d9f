/*
 * nl.c - rtnetlink requests through libmnl (links, addresses, routes, policy
 * rules, proxy neighbours), a dump of a routing table, sysctl writes and the
 * unsolicited Neighbour Advertisement sent when a DVIPA moves.
 *
 * Contract:
 *  - Everything acts on the network namespace of the calling thread.
 *  - Each request is synchronous: it is sent with NLM_F_ACK and a fresh
 *    sequence number, and the call returns when the kernel's ACK (or error)
 *    for that sequence number arrives; stale replies are skipped.
 *  - Adds use NLM_F_CREATE|NLM_F_EXCL, so an existing object reports EEXIST,
 *    which is success; deleting what is gone (ENOENT, ESRCH, EADDRNOTAVAIL,
 *    and ENODEV when the device itself is gone) is success too.
 *  - Returns 0 or -errno.  The kernel's extended-ACK text, when there is one,
 *    is logged at debug level.  Not for packet paths.
 */
#include "lib/lib.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <libmnl/libmnl.h>
#include <linux/fib_rules.h>
#include <linux/if_addr.h>
#include <linux/if_link.h>
#include <linux/if_packet.h>
#include <linux/neighbour.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <net/if_arp.h>
#include <netinet/icmp6.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#ifndef NETLINK_EXT_ACK
#define NETLINK_EXT_ACK 11
#endif

struct lib_nl {
	struct mnl_socket *sk;
	uint32_t portid;
	uint32_t seq;
};

struct lib_nl *
lib_nl_open(void)
{
	struct lib_nl *nl = calloc(1, sizeof(*nl));
	int one = 1;

	if (!nl)
		return NULL;
	nl->sk = mnl_socket_open2(NETLINK_ROUTE, SOCK_CLOEXEC);
	if (!nl->sk)
		goto fail;
	if (mnl_socket_bind(nl->sk, 0, MNL_SOCKET_AUTOPID) < 0)
		goto fail;
	/* Both options are best effort: older kernels lack them. */
	(void)mnl_socket_setsockopt(nl->sk, NETLINK_EXT_ACK, &one, sizeof(one));
	(void)mnl_socket_setsockopt(nl->sk, NETLINK_CAP_ACK, &one, sizeof(one));
	nl->portid = mnl_socket_get_portid(nl->sk);
	nl->seq = (uint32_t)time(NULL);
	return nl;
fail:
	{
		int e = errno;

		if (nl->sk)
			mnl_socket_close(nl->sk);
		free(nl);
		errno = e;
	}
	return NULL;
}

void
lib_nl_close(struct lib_nl **nl)
{
	if (!nl || !*nl)
		return;
	mnl_socket_close((*nl)->sk);
	free(*nl);
	*nl = NULL;
}

int
lib_nl_ifindex(const char *ifname)
{
	return (int)if_nametoindex(ifname);
}

/* Logs the extended-ACK message attached to an error, if any. */
static void
nl_log_extack(const struct nlmsghdr *nlh, int err)
{
	const struct nlmsgerr *e = mnl_nlmsg_get_payload(nlh);
	size_t off = sizeof(*e);
	const struct nlattr *a;

	if (!(nlh->nlmsg_flags & NLM_F_ACK_TLVS))
		return;
	/* Without NLM_F_CAPPED the whole request is echoed after nlmsgerr. */
	if (!(nlh->nlmsg_flags & NLM_F_CAPPED))
		off += e->msg.nlmsg_len - sizeof(e->msg);
	if (MNL_ALIGN(off) + MNL_NLMSG_HDRLEN > nlh->nlmsg_len)
		return;
	mnl_attr_for_each(a, nlh, MNL_ALIGN(off)) {
		if (mnl_attr_get_type(a) == NLMSGERR_ATTR_MSG &&
		    mnl_attr_validate(a, MNL_TYPE_NUL_STRING) == 0)
			log_debug("netlink: %s (%s)", mnl_attr_get_str(a), strerror(-err));
	}
}

/*
 * Sends nlh (flags NLM_F_REQUEST|NLM_F_ACK are added) and waits for the ACK
 * with the same sequence number.  Returns 0 or the kernel's -errno.
 */
static int
nl_talk(struct lib_nl *nl, struct nlmsghdr *nlh)
{
	char buf[8192];
	uint32_t seq = ++nl->seq;

	nlh->nlmsg_flags |= NLM_F_REQUEST | NLM_F_ACK;
	nlh->nlmsg_seq = seq;
	if (mnl_socket_sendto(nl->sk, nlh, nlh->nlmsg_len) < 0)
		return -errno;
	for (;;) {
		ssize_t n = mnl_socket_recvfrom(nl->sk, buf, sizeof(buf));
		const struct nlmsghdr *m = (const struct nlmsghdr *)buf;
		int left;

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		left = (int)n;
		for (; mnl_nlmsg_ok(m, left); m = mnl_nlmsg_next(m, &left)) {
			const struct nlmsgerr *e;

			if (m->nlmsg_seq != seq || m->nlmsg_pid != nl->portid)
				continue;	/* a stale reply to an earlier request */
			if (m->nlmsg_type != NLMSG_ERROR)
				continue;
			if (m->nlmsg_len < mnl_nlmsg_size(sizeof(*e)))
				return -EBADMSG;
			e = mnl_nlmsg_get_payload(m);
			if (e->error)
				nl_log_extack(m, e->error);
			return e->error;
		}
	}
}

/* Maps "already there" on add and "already gone" on delete to success. */
static int
nl_idem(int add, int err)
{
	if (add && err == -EEXIST)
		return 0;
	if (!add && (err == -ENOENT || err == -ESRCH || err == -EADDRNOTAVAIL || err == -ENODEV))
		return 0;
	return err;
}

static struct nlmsghdr *
nl_start(char *buf, uint16_t type, uint16_t flags)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);

	nlh->nlmsg_type = type;
	nlh->nlmsg_flags = flags;
	return nlh;
}

int
lib_nl_link_set(struct lib_nl *nl, int ifindex, int up, unsigned mtu, unsigned txqlen)
{
	char buf[512];
	struct nlmsghdr *nlh;
	struct ifinfomsg *ifi;

	if (!nl || ifindex <= 0)
		return -EINVAL;
	memset(buf, 0, sizeof(buf));
	nlh = nl_start(buf, RTM_NEWLINK, 0);
	ifi = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifi));
	ifi->ifi_family = AF_UNSPEC;
	ifi->ifi_index = ifindex;
	if (up >= 0) {
		ifi->ifi_change = IFF_UP;
		ifi->ifi_flags = up ? IFF_UP : 0;
	}
	if (mtu)
		mnl_attr_put_u32(nlh, IFLA_MTU, mtu);
	if (txqlen)
		mnl_attr_put_u32(nlh, IFLA_TXQLEN, txqlen);
	return nl_talk(nl, nlh);
}

int
lib_nl_addrgen_none(struct lib_nl *nl, int ifindex)
{
	char buf[512];
	struct nlmsghdr *nlh;
	struct ifinfomsg *ifi;
	struct nlattr *spec, *inet6;

	if (!nl || ifindex <= 0)
		return -EINVAL;
	memset(buf, 0, sizeof(buf));
	nlh = nl_start(buf, RTM_NEWLINK, 0);
	ifi = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifi));
	ifi->ifi_family = AF_UNSPEC;
	ifi->ifi_index = ifindex;
	/* IFLA_AF_SPEC { AF_INET6 { IFLA_INET6_ADDR_GEN_MODE = NONE } } */
	spec = mnl_attr_nest_start(nlh, IFLA_AF_SPEC);
	inet6 = mnl_attr_nest_start(nlh, AF_INET6);
	mnl_attr_put_u8(nlh, IFLA_INET6_ADDR_GEN_MODE, IN6_ADDR_GEN_MODE_NONE);
	mnl_attr_nest_end(nlh, inet6);
	mnl_attr_nest_end(nlh, spec);
	return nl_talk(nl, nlh);
}

/* An IPv4-mapped address (::ffff:a.b.c.d) stands for IPv4: the message gets
 * AF_INET, the 4 address bytes and the prefix length less 96. */
static int
is_v4(const uint8_t a[16])
{
	static const uint8_t pfx[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };

	return memcmp(a, pfx, 12) == 0;
}

int
lib_nl_addr(struct lib_nl *nl, int add, int ifindex, const uint8_t a[16], int plen, int nodad)
{
	return lib_nl_addr_peer(nl, add, ifindex, a, a, plen, nodad ? IFA_F_NODAD : 0);
}

/* IFA_LOCAL is the address; IFA_ADDRESS the peer (the address itself when
 * there is none), whose prefix the kernel routes on the device. */
int
lib_nl_addr_peer(struct lib_nl *nl, int add, int ifindex, const uint8_t a[16],
		 const uint8_t peer[16], int plen, uint32_t flags)
{
	char buf[512];
	struct nlmsghdr *nlh;
	struct ifaddrmsg *ifa;

	if (!nl || ifindex <= 0 || plen < 0 || plen > 128 || !peer)
		return -EINVAL;
	memset(buf, 0, sizeof(buf));
	nlh = nl_start(buf, add ? RTM_NEWADDR : RTM_DELADDR,
		       add ? NLM_F_CREATE | NLM_F_EXCL : 0);
	ifa = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifa));
	ifa->ifa_scope = RT_SCOPE_UNIVERSE;
	ifa->ifa_index = (uint32_t)ifindex;
	if (is_v4(a)) {
		if (plen < 96 || !is_v4(peer))
			return -EINVAL;
		ifa->ifa_family = AF_INET;
		ifa->ifa_prefixlen = (uint8_t)(plen - 96);
		if (add && flags) {
			ifa->ifa_flags = (uint8_t)flags;
			mnl_attr_put_u32(nlh, IFA_FLAGS, flags);
		}
		mnl_attr_put(nlh, IFA_LOCAL, 4, a + 12);
		mnl_attr_put(nlh, IFA_ADDRESS, 4, peer + 12);
		return nl_idem(add, nl_talk(nl, nlh));
	}
	ifa->ifa_family = AF_INET6;
	ifa->ifa_prefixlen = (uint8_t)plen;
	if (add && flags) {
		ifa->ifa_flags = (uint8_t)flags;
		mnl_attr_put_u32(nlh, IFA_FLAGS, flags);
	}
	mnl_attr_put(nlh, IFA_LOCAL, 16, a);
	mnl_attr_put(nlh, IFA_ADDRESS, 16, peer);
	return nl_idem(add, nl_talk(nl, nlh));
}

int
lib_nl_route(struct lib_nl *nl, int add, uint32_t table, const uint8_t dst[16], int plen,
	     int oif, const uint8_t *gw)
{
	return lib_nl_route_mtu(nl, add, table, dst, plen, oif, gw, 0);
}

/* RTM_NEWROUTE / RTM_DELROUTE of a unicast route (oif, gw, mtu) or of a
 * blackhole (type RTN_BLACKHOLE: no device); prio 0: the kernel's default
 * metric. */
static int
route_msg(struct lib_nl *nl, int add, uint32_t table, const uint8_t dst[16], int plen, int oif,
	  const uint8_t *gw, unsigned mtu, uint8_t type, uint32_t prio)
{
	char buf[512];
	struct nlmsghdr *nlh;
	struct rtmsg *rtm;

	if (!nl || !dst || plen < 0 || plen > 128 || table == 0)
		return -EINVAL;
	memset(buf, 0, sizeof(buf));
	nlh = nl_start(buf, add ? RTM_NEWROUTE : RTM_DELROUTE,
		       add ? NLM_F_CREATE | NLM_F_EXCL : 0);
	rtm = mnl_nlmsg_put_extra_header(nlh, sizeof(*rtm));
	if (is_v4(dst) && (plen < 96 || (gw && !is_v4(gw))))
		return -EINVAL;
	rtm->rtm_family = is_v4(dst) ? AF_INET : AF_INET6;
	rtm->rtm_dst_len = (uint8_t)(is_v4(dst) ? plen - 96 : plen);
	rtm->rtm_table = table < 256 ? (uint8_t)table : RT_TABLE_UNSPEC;
	/* Deletes name the protocol too: they remove only a route made here,
	 * never the kernel's own route for the same prefix (an address's). */
	rtm->rtm_protocol = RTPROT_STATIC;
	rtm->rtm_scope = add ? RT_SCOPE_UNIVERSE : RT_SCOPE_NOWHERE;
	rtm->rtm_type = type;
	mnl_attr_put_u32(nlh, RTA_TABLE, table);
	if (is_v4(dst))
		mnl_attr_put(nlh, RTA_DST, 4, dst + 12);
	else
		mnl_attr_put(nlh, RTA_DST, 16, dst);
	if (prio)
		mnl_attr_put_u32(nlh, RTA_PRIORITY, prio);
	if (oif > 0)
		mnl_attr_put_u32(nlh, RTA_OIF, (uint32_t)oif);
	if (gw && is_v4(dst))
		mnl_attr_put(nlh, RTA_GATEWAY, 4, gw + 12);
	else if (gw)
		mnl_attr_put(nlh, RTA_GATEWAY, 16, gw);
	if (mtu && add) {
		struct nlattr *m = mnl_attr_nest_start(nlh, RTA_METRICS);

		mnl_attr_put_u32(nlh, RTAX_MTU, mtu);
		mnl_attr_nest_end(nlh, m);
	}
	return nl_idem(add, nl_talk(nl, nlh));
}

int
lib_nl_route_mtu(struct lib_nl *nl, int add, uint32_t table, const uint8_t dst[16], int plen,
		 int oif, const uint8_t *gw, unsigned mtu)
{
	return route_msg(nl, add, table, dst, plen, oif, gw, mtu, RTN_UNICAST, 0);
}

int
lib_nl_route_blackhole(struct lib_nl *nl, int add, uint32_t table, const uint8_t dst[16], int plen,
		       uint32_t prio)
{
	return route_msg(nl, add, table, dst, plen, 0, NULL, 0, RTN_BLACKHOLE, prio);
}

int
lib_nl_rule(struct lib_nl *nl, int add, uint32_t prio, const char *iif, const uint8_t *dst,
	    int dst_plen, uint32_t fwmark, uint32_t table)
{
	return lib_nl_rule_af(nl, dst && is_v4(dst) ? AF_INET : AF_INET6, add, prio, iif, dst,
			      dst_plen, fwmark, table);
}

int
lib_nl_rule_af(struct lib_nl *nl, int af, int add, uint32_t prio, const char *iif,
	       const uint8_t *dst, int dst_plen, uint32_t fwmark, uint32_t table)
{
	char buf[512];
	struct nlmsghdr *nlh;
	struct fib_rule_hdr *frh;

	if (!nl || table == 0 || (dst && (dst_plen < 0 || dst_plen > 128)))
		return -EINVAL;
	if ((af != AF_INET && af != AF_INET6) || (dst && (af == AF_INET) != is_v4(dst)) ||
	    (dst && af == AF_INET && dst_plen < 96))
		return -EINVAL;
	if (iif && (strlen(iif) == 0 || strlen(iif) >= IFNAMSIZ))
		return -EINVAL;
	memset(buf, 0, sizeof(buf));
	nlh = nl_start(buf, add ? RTM_NEWRULE : RTM_DELRULE, add ? NLM_F_CREATE | NLM_F_EXCL : 0);
	frh = mnl_nlmsg_put_extra_header(nlh, sizeof(*frh));
	frh->family = (uint8_t)af;
	frh->dst_len = dst ? (uint8_t)(af == AF_INET ? dst_plen - 96 : dst_plen) : 0;
	frh->table = table < 256 ? (uint8_t)table : RT_TABLE_UNSPEC;
	frh->action = FR_ACT_TO_TBL;
	/* The priority is always sent, so deleting priority 0 means 0. */
	mnl_attr_put_u32(nlh, FRA_PRIORITY, prio);
	mnl_attr_put_u32(nlh, FRA_TABLE, table);
	if (iif)
		mnl_attr_put_strz(nlh, FRA_IIFNAME, iif);
	if (dst && af == AF_INET)
		mnl_attr_put(nlh, FRA_DST, 4, dst + 12);
	else if (dst)
		mnl_attr_put(nlh, FRA_DST, 16, dst);
	if (fwmark)
		mnl_attr_put_u32(nlh, FRA_FWMARK, fwmark);
	return nl_idem(add, nl_talk(nl, nlh));
}

int
lib_nl_proxy_neigh(struct lib_nl *nl, int add, int ifindex, const uint8_t a[16])
{
	char buf[512];
	struct nlmsghdr *nlh;
	struct ndmsg *ndm;

	if (!nl || ifindex <= 0)
		return -EINVAL;
	memset(buf, 0, sizeof(buf));
	nlh = nl_start(buf, add ? RTM_NEWNEIGH : RTM_DELNEIGH, add ? NLM_F_CREATE | NLM_F_EXCL : 0);
	ndm = mnl_nlmsg_put_extra_header(nlh, sizeof(*ndm));
	ndm->ndm_family = is_v4(a) ? AF_INET : AF_INET6;
	ndm->ndm_ifindex = ifindex;
	ndm->ndm_flags = NTF_PROXY;
	ndm->ndm_state = NUD_PERMANENT;
	if (is_v4(a))
		mnl_attr_put(nlh, NDA_DST, 4, a + 12);
	else
		mnl_attr_put(nlh, NDA_DST, 16, a);
	return nl_idem(add, nl_talk(nl, nlh));
}

/* ---- route dump ------------------------------------------------------------ */

struct dump_ctx {
	struct lib_route *out;
	int max, n, truncated;
	int family;
	uint32_t table;
};

/* One entry per next hop: the fields every next hop shares are in base. */
static void
dump_add(struct dump_ctx *c, const struct lib_route *base, int oif, const void *gw, size_t gwlen,
	 uint32_t nh_flags)
{
	struct lib_route *r;

	if (c->n >= c->max) {
		c->truncated = 1;
		return;
	}
	r = &c->out[c->n++];
	*r = *base;
	r->oif = oif;
	r->nh_flags = nh_flags;
	if (gw && gwlen <= sizeof(r->gw)) {
		memcpy(r->gw, gw, gwlen);
		r->has_gw = 1;
	}
}

static int
dump_route_cb(const struct nlmsghdr *nlh, void *data)
{
	struct dump_ctx *c = data;
	const struct rtmsg *rtm = mnl_nlmsg_get_payload(nlh);
	const struct nlattr *a, *gw = NULL, *mp = NULL;
	struct lib_route base;
	size_t alen;
	uint32_t table;
	int oif = 0;

	if (nlh->nlmsg_type != RTM_NEWROUTE || nlh->nlmsg_len < mnl_nlmsg_size(sizeof(*rtm)))
		return MNL_CB_OK;
	if (rtm->rtm_family != AF_INET6 && rtm->rtm_family != AF_INET)
		return MNL_CB_OK;
	if (c->family != AF_UNSPEC && rtm->rtm_family != c->family)
		return MNL_CB_OK;
	alen = rtm->rtm_family == AF_INET6 ? 16 : 4;
	memset(&base, 0, sizeof(base));
	base.family = rtm->rtm_family;
	base.plen = rtm->rtm_dst_len;
	base.protocol = rtm->rtm_protocol;
	base.type = rtm->rtm_type;
	table = rtm->rtm_table;
	mnl_attr_for_each(a, nlh, sizeof(*rtm)) {
		uint16_t len = mnl_attr_get_payload_len(a);

		switch (mnl_attr_get_type(a)) {
		case RTA_TABLE:
			if (len == 4)
				table = mnl_attr_get_u32(a);
			break;
		case RTA_DST:
			if (len == alen)
				memcpy(base.dst, mnl_attr_get_payload(a), alen);
			break;
		case RTA_OIF:
			if (len == 4)
				oif = (int)mnl_attr_get_u32(a);
			break;
		case RTA_GATEWAY:
			if (len == alen)
				gw = a;
			break;
		case RTA_PRIORITY:
			if (len == 4)
				base.metric = mnl_attr_get_u32(a);
			break;
		case RTA_MULTIPATH:
			mp = a;
			break;
		case RTA_METRICS: {
			const struct nlattr *m;

			mnl_attr_for_each_nested(m, a)
				if (mnl_attr_get_type(m) == RTAX_MTU &&
				    mnl_attr_get_payload_len(m) == 4)
					base.mtu = mnl_attr_get_u32(m);
			break;
		}
		default:
			break;
		}
	}
	if (table != c->table || rtm->rtm_type != RTN_UNICAST)
		return MNL_CB_OK;
	base.table = table;
	if (mp) {
		/* struct rtnexthop records, each followed by its attributes. */
		const char *p = mnl_attr_get_payload(mp);
		size_t left = mnl_attr_get_payload_len(mp);

		while (left >= sizeof(struct rtnexthop)) {
			const struct rtnexthop *nh = (const struct rtnexthop *)p;
			const void *nhgw = NULL;
			size_t off = RTNH_ALIGN(sizeof(*nh));

			if (nh->rtnh_len < sizeof(*nh) || nh->rtnh_len > left)
				break;
			while (off + sizeof(struct nlattr) <= nh->rtnh_len) {
				const struct nlattr *na = (const struct nlattr *)(p + off);

				if (na->nla_len < sizeof(*na) || off + na->nla_len > nh->rtnh_len)
					break;
				if ((na->nla_type & NLA_TYPE_MASK) == RTA_GATEWAY &&
				    na->nla_len == sizeof(*na) + alen)
					nhgw = (const char *)na + sizeof(*na);
				off += NLA_ALIGN(na->nla_len);
			}
			dump_add(c, &base, nh->rtnh_ifindex, nhgw, alen, nh->rtnh_flags);
			if ((size_t)RTNH_ALIGN(nh->rtnh_len) >= left)
				break;
			left -= (size_t)RTNH_ALIGN(nh->rtnh_len);
			p += RTNH_ALIGN(nh->rtnh_len);
		}
		return MNL_CB_OK;
	}
	dump_add(c, &base, oif, gw ? mnl_attr_get_payload(gw) : NULL, alen, rtm->rtm_flags);
	return MNL_CB_OK;
}

int
lib_nl_routes(struct lib_nl *nl, int family, uint32_t table, struct lib_route *out, int max)
{
	static const int fams[] = { AF_INET6, AF_INET };
	char buf[16384];
	struct dump_ctx c = { .out = out, .max = max, .family = family, .table = table };
	size_t f;

	if (!nl || !out || max < 0 ||
	    (family != AF_UNSPEC && family != AF_INET && family != AF_INET6))
		return -EINVAL;
	for (f = 0; f < LIB_ARRAY_LEN(fams); f++) {
		struct nlmsghdr *nlh;
		struct rtmsg *rtm;
		uint32_t seq;
		int r;

		if (family != AF_UNSPEC && family != fams[f])
			continue;
		memset(buf, 0, sizeof(struct nlmsghdr) + sizeof(struct rtmsg) + 64);
		nlh = nl_start(buf, RTM_GETROUTE, NLM_F_REQUEST | NLM_F_DUMP);
		seq = nlh->nlmsg_seq = ++nl->seq;
		rtm = mnl_nlmsg_put_extra_header(nlh, sizeof(*rtm));
		rtm->rtm_family = (unsigned char)fams[f];
		if (mnl_socket_sendto(nl->sk, nlh, nlh->nlmsg_len) < 0)
			return -errno;
		for (;;) {
			ssize_t n = mnl_socket_recvfrom(nl->sk, buf, sizeof(buf));

			if (n < 0) {
				if (errno == EINTR)
					continue;
				return -errno;
			}
			r = mnl_cb_run(buf, (size_t)n, seq, nl->portid, dump_route_cb, &c);
			if (r == MNL_CB_STOP)
				break;
			if (r < 0) {
				if (errno == ESRCH || errno == EPROTO)
					continue;	/* a stale reply to an earlier request */
				return -errno;
			}
		}
	}
	return c.truncated ? -ENOSPC : c.n;
}

/* ---- sysctl ---------------------------------------------------------------- */

int
lib_sysctl_set(const char *path, const char *value)
{
	char full[256];
	int fd, n, err;
	size_t vlen;

	if (!path || !value || path[0] == '/' || strstr(path, ".."))
		return -EINVAL;
	n = snprintf(full, sizeof(full), "/proc/sys/%s", path);
	if (n < 0 || (size_t)n >= sizeof(full))
		return -ENAMETOOLONG;
	fd = open(full, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	vlen = strlen(value);
	/* A sysctl takes the value in one write; a short write is an error. */
	n = (int)write(fd, value, vlen);
	err = n < 0 ? -errno : ((size_t)n != vlen ? -EIO : 0);
	close(fd);
	return err;
}

/* The Ethernet address of ifname (shorter than IFNAMSIZ) into mac, asked on
 * the socket fd: 0, -errno, or -EOPNOTSUPP when the device has none (no
 * link-layer address to announce). */
static int
if_mac(int fd, const char *ifname, uint8_t mac[6])
{
	struct ifreq ifr;

	memset(&ifr, 0, sizeof(ifr));
	lib_strlcpy(ifr.ifr_name, ifname, sizeof(ifr.ifr_name));
	if (ioctl(fd, SIOCGIFHWADDR, &ifr) < 0)
		return -errno;
	if (ifr.ifr_hwaddr.sa_family != ARPHRD_ETHER)
		return -EOPNOTSUPP;
	memcpy(mac, ifr.ifr_hwaddr.sa_data, 6);
	return 0;
}

/* ---- unsolicited Neighbour Advertisement ------------------------------------- */

/*
 * Neighbour Advertisement (RFC 4861 4.4) with a Target Link-Layer Address
 * option, 32 bytes; the kernel fills the checksum of a raw ICMPv6 socket:
 * +---------------+---------------+-------------------------------+
 * |  Type = 136   |   Code = 0    |           Checksum            |
 * +-+-+-+---------+---------------+-------------------------------+
 * |R|S|O|                     Reserved                            |
 * +-+-+-+---------------------------------------------------------+
 * |                      Target Address (16)                      |
 * +---------------+---------------+-------------------------------+
 * |   Type = 2    |  Length = 1   |   Link-Layer Address (6) ...  |
 * +---------------+---------------+-------------------------------+
 */
#define NA_LEN 32
#define NA_FLAG_OVERRIDE 0x20

int
lib_ndisc_send_una(const char *ifname, const uint8_t target[16])
{
	uint8_t na[NA_LEN], mac[6];
	struct sockaddr_in6 to;
	int fd, hops = 255, err = 0;
	unsigned ifindex;

	if (!ifname || strlen(ifname) >= IFNAMSIZ)
		return -EINVAL;
	ifindex = if_nametoindex(ifname);
	if (!ifindex)
		return -ENODEV;
	fd = socket(AF_INET6, SOCK_RAW | SOCK_CLOEXEC, IPPROTO_ICMPV6);
	if (fd < 0)
		return -errno;
	if ((err = if_mac(fd, ifname, mac)) < 0)
		goto out;
	if (setsockopt(fd, SOL_SOCKET, SO_BINDTODEVICE, ifname, (socklen_t)strlen(ifname)) < 0 ||
	    setsockopt(fd, IPPROTO_IPV6, IPV6_MULTICAST_HOPS, &hops, sizeof(hops)) < 0 ||
	    setsockopt(fd, IPPROTO_IPV6, IPV6_UNICAST_HOPS, &hops, sizeof(hops)) < 0 ||
	    setsockopt(fd, IPPROTO_IPV6, IPV6_MULTICAST_IF, &ifindex, sizeof(ifindex)) < 0) {
		err = -errno;
		goto out;
	}

	memset(na, 0, sizeof(na));
	na[0] = ND_NEIGHBOR_ADVERT;	/* 136 */
	na[4] = NA_FLAG_OVERRIDE;	/* not Router, not Solicited */
	memcpy(na + 8, target, 16);
	na[24] = ND_OPT_TARGET_LINKADDR;	/* 2 */
	na[25] = 1;			/* length in units of 8 bytes */
	memcpy(na + 26, mac, 6);

	memset(&to, 0, sizeof(to));
	to.sin6_family = AF_INET6;
	to.sin6_scope_id = ifindex;
	inet_pton(AF_INET6, "ff02::1", &to.sin6_addr);
	if (sendto(fd, na, sizeof(na), 0, (const struct sockaddr *)&to, sizeof(to)) < 0)
		err = -errno;
	else
		err = 0;
out:
	close(fd);
	return err;
}

/* ---- gratuitous ARP ------------------------------------------------------------ */

/*
 * A gratuitous ARP request (RFC 5227 3, "ARP Announcement"): sender and
 * target protocol address both the announced address, broadcast, so every
 * neighbour updates its cache entry for it at once.  28 bytes after the
 * Ethernet header:
 * +---------------+---------------+---------------+---------------+
 * |  htype = 1    |  ptype = 0x0800               | hlen 6| plen 4|
 * +---------------+---------------+---------------+---------------+
 * |  oper = 1     | sender MAC (6) | sender IP (4) | target MAC (6, 0) | target IP (4)
 * +---------------------------------------------------------------+
 */
int
lib_arp_send_garp(const char *ifname, const uint8_t addr[4])
{
	uint8_t fr[14 + 28], mac[6];
	struct sockaddr_ll to;
	int fd, err = 0;
	unsigned ifindex;

	if (!ifname || strlen(ifname) >= IFNAMSIZ)
		return -EINVAL;
	ifindex = if_nametoindex(ifname);
	if (!ifindex)
		return -ENODEV;
	fd = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if ((err = if_mac(fd, ifname, mac)) < 0)
		goto out;
	memset(fr, 0, sizeof(fr));
	memset(fr, 0xff, 6);				/* to the broadcast address */
	memcpy(fr + 6, mac, 6);
	fr[12] = 0x08;					/* ETH_P_ARP */
	fr[13] = 0x06;
	fr[15] = 1;					/* Ethernet */
	fr[16] = 0x08;					/* IPv4 */
	fr[18] = 6;
	fr[19] = 4;
	fr[21] = 1;					/* request */
	memcpy(fr + 22, mac, 6);
	memcpy(fr + 28, addr, 4);
	memcpy(fr + 38, addr, 4);
	memset(&to, 0, sizeof(to));
	to.sll_family = AF_PACKET;
	to.sll_ifindex = (int)ifindex;
	to.sll_protocol = htons(0x0806);
	to.sll_halen = 6;
	memset(to.sll_addr, 0xff, 6);
	if (sendto(fd, fr, sizeof(fr), 0, (struct sockaddr *)&to, sizeof(to)) < 0)
		err = -errno;
out:
	close(fd);
	return err;
}
