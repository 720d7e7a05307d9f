/*
 * kdp_bpf.h - helpers shared by the kernel data path's BPF programs
 * (stack.bpf.c, client.bpf.c).  BPF side only: compiled with clang -target
 * bpf against the running kernel's vmlinux.h.
 *
 * Packets are read with bpf_skb_load_bytes into stack copies and written
 * with bpf_skb_store_bytes, so headers outside the linear area of a GSO
 * super-packet are handled like any other and the verifier needs no packet
 * range proofs.  Every write that touches the IPv6 header asks the kernel
 * to keep a CHECKSUM_COMPLETE skb->csum right (BPF_F_RECOMPUTE_CSUM); the
 * upper-layer checksums never change, because with a Type 2 Routing Header
 * (or a Home Address option) they already cover the final addresses.
 *
 * Offsets are from the start of the Ethernet frame (tc programs see the
 * MAC header).
 */
#ifndef SYSPLEX_KDP_BPF_H
#define SYSPLEX_KDP_BPF_H

#include "vmlinux.h"

#include <bpf/bpf_endian.h>
#include <bpf/bpf_helpers.h>

#include "kdp/kdp_abi.h"

#define KDP_ETH_HLEN 14
#define KDP_ETH_P_IPV6 0x86dd
#define KDP_ETH_P_IP 0x0800
#define KDP_AF_INET 2
#define KDP_AF_INET6 10
#define KDP_IP6_HLEN 40
#define KDP_OFF_IP6 KDP_ETH_HLEN
#define KDP_OFF_PLEN (KDP_OFF_IP6 + 4)
#define KDP_OFF_NXT (KDP_OFF_IP6 + 6)
#define KDP_OFF_HLIM (KDP_OFF_IP6 + 7)
#define KDP_OFF_SRC (KDP_OFF_IP6 + 8)
#define KDP_OFF_DST (KDP_OFF_IP6 + 24)
#define KDP_OFF_L4 (KDP_OFF_IP6 + KDP_IP6_HLEN)
#define KDP_TCP_MIN 20
#define KDP_MAX_PLEN 65535

#define KDP_NH_HOPOPTS 0
#define KDP_NH_TCP 6
#define KDP_NH_UDP 17
#define KDP_NH_ROUTING 43
#define KDP_NH_FRAGMENT 44
#define KDP_NH_ICMPV6 58
#define KDP_NH_DSTOPTS 60
#define KDP_NH_MH 135

#define KDP_TCP_FIN 0x01
#define KDP_TCP_SYN 0x02
#define KDP_TCP_RST 0x04
#define KDP_TCP_ACK 0x10

/* bpf_skb_adjust_room flags for both directions: keep gso_size (the MSS
 * does not change with a header between IPv6 and TCP) and keep a verified
 * checksum verified (the upper-layer checksum stays valid). */
#define KDP_ADJ_FLAGS (BPF_F_ADJ_ROOM_FIXED_GSO | BPF_F_ADJ_ROOM_NO_CSUM_RESET)

char LICENSE[] SEC("license") = "GPL";

/* A hash map of up to n entries (the loader sizes the big ones). */
#define KDP_HASH_MAP(name, n, ktype, vtype)                                                    \
	struct {                                                                               \
		__uint(type, BPF_MAP_TYPE_HASH);                                               \
		__uint(max_entries, n);                                                        \
		__type(key, ktype);                                                            \
		__type(value, vtype);                                                          \
	} name SEC(".maps")

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct kdp_cfg);
} kdp_cfg SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, KDP_ST_MAX);
	__type(key, __u32);
	__type(value, __u64);
} kdp_stats SEC(".maps");

/* IPv4 (stack.bpf.c's GRE path): the header without options, GRE without
 * checksum, key or sequence number (what dp.c writes, RFC 2784). */
#define KDP_IP4_HLEN 20
#define KDP_GRE_HLEN 4
#define KDP_GRE4_LEN (KDP_IP4_HLEN + KDP_GRE_HLEN)
#define KDP_OFF_IP4 KDP_ETH_HLEN
#define KDP_IP4_DF 0x4000
#define KDP_IP4_MF_OFF 0x3fff	/* more fragments, fragment offset */
#define KDP_PROTO_ICMP 1
#define KDP_PROTO_GRE 47

struct kdp_ip4 {
	__u8 vihl;		/* version 4, header length 5 (words) */
	__u8 tos;
	__be16 tot_len;
	__be16 id;
	__be16 frag;
	__u8 ttl;
	__u8 proto;
	__u16 check;
	__be32 src;
	__be32 dst;
};

struct kdp_gre4 {
	struct kdp_ip4 ip;
	__be16 flags;
	__be16 proto;
};

/* The IPv4-mapped form (::ffff:a.b.c.d) the daemons key IPv4 by. */
static __always_inline void
kdp_v4mapped(__u8 out[16], __be32 a)
{
	__builtin_memset(out, 0, 10);
	out[10] = 0xff;
	out[11] = 0xff;
	__builtin_memcpy(out + 12, &a, 4);
}

/* The IPv4 header checksum of h (its check field 0). */
static __always_inline __u16
kdp_ip4_csum(const struct kdp_ip4 *h)
{
	const __u16 *p = (const __u16 *)h;
	__u32 s = 0;
	int i;

#pragma unroll
	for (i = 0; i < KDP_IP4_HLEN / 2; i++)
		s += p[i];
	s = (s & 0xffff) + (s >> 16);
	s = (s & 0xffff) + (s >> 16);
	return (__u16)~s;
}

/* The fixed IPv6 header as the programs read it. */
struct kdp_ip6 {
	__u8 vtc;		/* version (4 bits), traffic class high bits */
	__u8 tc_fl[3];
	__be16 plen;
	__u8 nxt;
	__u8 hlim;
	__u8 src[16];
	__u8 dst[16];
};

static __always_inline void
kdp_stat(__u32 i)
{
	__u64 *v = bpf_map_lookup_elem(&kdp_stats, &i);

	if (v)
		*v += 1;
}

/* Leaves the packet as it is to the slow path, counting why. */
static __always_inline int
kdp_pass(__u32 why)
{
	kdp_stat(why);
	return KDP_TC_NEXT;
}

static __always_inline int
kdp_addr_eq(const __u8 *a, const __u8 *b)
{
	const __u32 *x = (const __u32 *)a, *y = (const __u32 *)b;

	return x[0] == y[0] && x[1] == y[1] && x[2] == y[2] && x[3] == y[3];
}

static __always_inline const struct kdp_cfg *
kdp_config(void)
{
	__u32 k = 0;

	return bpf_map_lookup_elem(&kdp_cfg, &k);
}

/* Fault injection: 1 when this packet is to be dropped. */
static __always_inline int
kdp_lost(const struct kdp_cfg *cfg)
{
	if (!cfg->loss_pct)
		return 0;
	if (bpf_get_prandom_u32() % 100 >= cfg->loss_pct)
		return 0;
	kdp_stat(KDP_ST_LOSS);
	return 1;
}

/*
 * Reads the fixed IPv6 header of an Ethernet frame.  Returns the IPv6
 * packet length (skb length less the MAC header) or -1 when this is not an
 * IPv6 packet we can read; a payload length of 0 (jumbogram) or one larger
 * than the packet is refused as the daemons' parser refuses it.
 */
static __always_inline int
kdp_read_ip6(struct __sk_buff *skb, struct kdp_ip6 *ip)
{
	__u32 len;

	if (skb->protocol != bpf_htons(KDP_ETH_P_IPV6) || skb->len < KDP_OFF_L4)
		return -1;
	if (bpf_skb_load_bytes(skb, KDP_OFF_IP6, ip, sizeof(*ip)) < 0)
		return -1;
	if ((ip->vtc >> 4) != 6)
		return -1;
	len = skb->len - KDP_ETH_HLEN;
	kdp_stat(KDP_ST_SEEN);
	return (int)len;
}

/* 1 when 40 + payload length fits in len (bytes beyond it are padding). */
static __always_inline int
kdp_plen_ok(const struct kdp_ip6 *ip, __u32 len)
{
	__u32 plen = bpf_ntohs(ip->plen);

	return plen != 0 && KDP_IP6_HLEN + plen <= len;
}

/*
 * Reads the TCP header at `off` (frame offset) of a segment whose TCP part
 * has `l4len` bytes: fills the ports and flags; returns the header length
 * or -1 when the header is truncated or its data offset is wrong (exactly
 * what wire_ip6_parse refuses).
 */
static __always_inline int
kdp_read_tcp(struct __sk_buff *skb, __u32 off, __u32 l4len, __be16 *sport, __be16 *dport,
	     __u8 *flags)
{
	__u8 th[14];
	__u32 hlen;

	if (l4len < KDP_TCP_MIN)
		return -1;
	if (bpf_skb_load_bytes(skb, off, th, sizeof(th)) < 0)
		return -1;
	hlen = (__u32)(th[12] >> 4) * 4;
	if (hlen < KDP_TCP_MIN || hlen > l4len)
		return -1;
	__builtin_memcpy(sport, th, 2);
	__builtin_memcpy(dport, th + 2, 2);
	*flags = th[13];
	return (int)hlen;
}

/*
 * The largest packet this skb puts on the wire once the RH2 is in: one
 * segment of a GSO super-packet (headers + gso_size), or the packet.
 * Mirrors dp.c: l4_off + TCP header + gso_size, else the length.
 */
static __always_inline __u32
kdp_wire_len(struct __sk_buff *skb, __u32 len, __u32 l4hdr_end)
{
	if (skb->gso_size)
		return l4hdr_end + skb->gso_size + KDP_RH2_LEN;
	return len + KDP_RH2_LEN;
}

/*
 * Route lookup for the rewritten packet (destination `dst`, the care-of
 * address).  `egress` selects the output perspective (a client's own
 * packets) instead of forwarding (a stack).  tot_len makes the kernel
 * refuse a packet that does not fit the route's MTU (FRAG_NEEDED).
 * Returns the lookup's verdict; fib is filled for kdp_send.
 */
static __always_inline long
kdp_fib(struct __sk_buff *skb, struct bpf_fib_lookup *fib, const struct kdp_ip6 *ip,
	const __u8 dst[16], __u32 tot_len, int egress)
{
	__builtin_memset(fib, 0, sizeof(*fib));
	fib->family = KDP_AF_INET6;
	fib->l4_protocol = 0;
	fib->tot_len = tot_len > 0xffff ? 0xffff : (__u16)tot_len;
	fib->ifindex = skb->ifindex;
	__builtin_memcpy(fib->ipv6_src, ip->src, 16);
	__builtin_memcpy(fib->ipv6_dst, dst, 16);
	return bpf_fib_lookup(skb, fib, sizeof(*fib), egress ? BPF_FIB_LOOKUP_OUTPUT : 0);
}

/* 1 when the lookup found a way out we can use. */
static __always_inline int
kdp_fib_usable(long rc)
{
	return rc == BPF_FIB_LKUP_RET_SUCCESS || rc == BPF_FIB_LKUP_RET_NO_NEIGH;
}

/*
 * Inserts a Type 2 Routing Header after the fixed header (home address =
 * `home`, the old destination), sets destination = coa, Next Header = 43
 * and the payload length.  `nxt` and `plen` are the values read before.
 * Returns 0, -1 when nothing was changed (the kernel refused the room), or
 * -2 when the packet is half-written and must be dropped.
 */
static __always_inline int
kdp_rh2_insert(struct __sk_buff *skb, const __u8 coa[16], const __u8 home[16], __u8 nxt,
	       __u16 plen)
{
	__u8 rh[KDP_RH2_LEN] = {};
	__be16 np = bpf_htons((__u16)(plen + KDP_RH2_LEN));
	__u8 rt = KDP_NH_ROUTING;

	if (bpf_skb_adjust_room(skb, KDP_RH2_LEN, BPF_ADJ_ROOM_NET, KDP_ADJ_FLAGS))
		return -1;
	rh[0] = nxt;
	rh[1] = 2;	/* Hdr Ext Len: (24 / 8) - 1 */
	rh[2] = 2;	/* Routing Type 2 */
	rh[3] = 1;	/* Segments Left */
	__builtin_memcpy(rh + 8, home, 16);
	if (bpf_skb_store_bytes(skb, KDP_OFF_L4, rh, sizeof(rh), BPF_F_RECOMPUTE_CSUM) ||
	    bpf_skb_store_bytes(skb, KDP_OFF_PLEN, &np, 2, BPF_F_RECOMPUTE_CSUM) ||
	    bpf_skb_store_bytes(skb, KDP_OFF_NXT, &rt, 1, BPF_F_RECOMPUTE_CSUM) ||
	    bpf_skb_store_bytes(skb, KDP_OFF_DST, coa, 16, BPF_F_RECOMPUTE_CSUM))
		return -2;
	return 0;
}

/*
 * Sends the rewritten frame where the lookup said: with the neighbour
 * known, new MAC addresses and a redirect (or, on egress through the same
 * device, just on its way); otherwise bpf_redirect_neigh resolves the next
 * hop (the neighbour chosen for the old destination is wrong now).
 */
static __always_inline int
kdp_send(struct __sk_buff *skb, struct bpf_fib_lookup *fib, long rc, int egress)
{
	if (rc == BPF_FIB_LKUP_RET_SUCCESS) {
		if (bpf_skb_store_bytes(skb, 0, fib->dmac, 6, 0) ||
		    bpf_skb_store_bytes(skb, 6, fib->smac, 6, 0))
			return KDP_TC_SHOT;
		if (egress && fib->ifindex == skb->ifindex)
			return KDP_TC_OK;
		return (int)bpf_redirect(fib->ifindex, 0);
	}
	{
		struct bpf_redir_neigh nh = {};

		nh.nh_family = fib->family;
		if (fib->family == KDP_AF_INET)
			nh.ipv4_nh = fib->ipv4_dst;
		else
			__builtin_memcpy(nh.ipv6_nh, fib->ipv6_dst, 16);
		return (int)bpf_redirect_neigh(fib->ifindex, &nh, sizeof(nh), 0);
	}
}

#endif
