/*
 * stack.bpf.c - the kernel data path of a stack (routing stack and target),
 * one tc program on the ingress of the stack's LAN device.  It does in the
 * kernel what tcpip-stack/dp.c does with the TUN, for the packets it fully
 * understands, and leaves every other packet unchanged to the slow path
 * (the policy routes that lead into the stack's TUN and its daemon):
 *
 *  1. Target (dp.c case 2): destination = our DYNAMICXCF (care-of) address,
 *     a Type 2 Routing Header right after the fixed header with Segments
 *     Left 1, its home address a DVIPA we serve (TARGET or OWNED), TCP, UDP
 *     or ICMPv6 after it: the RH2 is removed, destination = the DVIPA, and
 *     the packet is delivered here (into the local device's ingress when
 *     one is configured, as dp.c writes it into the TUN; else up the stack).
 *     Mobility Headers, other extension headers, segments left 0, DVIPAs we
 *     do not serve: slow path.
 *  2. Routing stack (dp.c case 1): destination = a DVIPA we own (OWNED or
 *     MOVING), TCP directly after the fixed header, not a SYN, and a
 *     connection entry (DVIPA, client, DVIPA port, client port) = a VCRT
 *     entry: counted, and
 *       - target = this stack: delivered locally (as dp.c writes it back);
 *       - else an RH2 is inserted (home address = DVIPA), destination = the
 *         target's address, hop limit - 1, and the packet leaves by the
 *         route the kernel's FIB gives for the target.
 *     SYNs (the daemon picks the target and installs the entry), packets
 *     without an entry, packets that would no longer fit the MTU after the
 *     24-byte RH2 (the daemon answers Packet Too Big quoting the original),
 *     an expiring hop limit, no usable route: slow path.
 *     A client FIN or RST is forwarded and its first time recorded in the
 *     entry (dp.c's fin_ms, which ages out connections the target never saw).
 *     Only while the owner's lease (kdp_cfg.owner_until_ns, renewed by the
 *     daemon) runs: a stopped daemon's entries stop forwarding by themselves.
 *
 * Why tc and not XDP: the packets that matter most are GSO/GRO super-packets
 * of up to 64 KB (a veth passes a sender's TSO packet through whole);
 * bpf_skb_adjust_room inserts and removes a header inside such a packet and
 * keeps its segmentation metadata, XDP would see them only as fragments (or
 * force the sender's segmentation off).  tc also has bpf_redirect_neigh and
 * an egress hook (the client's program); one kind of hook for all three.
 *
 * Counting: packets = wire segments (gso_segs, 1 for a plain packet), bytes
 * = IPv6 bytes as received.  A packet dropped by fault injection is counted
 * first (dp.c counts it as received too).
 */
#include "kdp/kdp_bpf.h"

KDP_HASH_MAP(kdp_dvipa, 256, struct kdp_addr, struct kdp_dvipa_val);

KDP_HASH_MAP(kdp_conn, 65536, struct kdp_conn_key, struct kdp_conn_val);

static __always_inline __u32
segs_of(struct __sk_buff *skb)
{
	return skb->gso_segs ? skb->gso_segs : 1;
}

/* Local delivery through the configured L3 device (the stack's TUN): the
 * packet then arrives as if written back into the TUN, so the LAN-side
 * policy rule for the DVIPA no longer matches. */
static __always_inline int
deliver_local(struct __sk_buff *skb, const struct kdp_cfg *cfg)
{
	if (cfg->local_ifindex && cfg->local_ifindex != skb->ifindex)
		return (int)bpf_redirect(cfg->local_ifindex, BPF_F_INGRESS);
	return KDP_TC_OK;
}

/* Counts a packet of a connection the kernel path handled (forwarded,
 * delivered, or dropped by fault injection as dp.c counts it too). */
static __always_inline void
count(struct kdp_conn_val *c, struct kdp_dvipa_val *d, __u8 flags, __u32 segs, __u32 len)
{
	__u64 now = bpf_ktime_get_ns();

	__sync_fetch_and_add(&c->pkts, segs);
	__sync_fetch_and_add(&c->bytes, len);
	c->last_ns = now;
	if ((flags & (KDP_TCP_FIN | KDP_TCP_RST)) && !c->fin_ns)
		c->fin_ns = now;
	__sync_fetch_and_add(&d->fwd_pkts, segs);
	__sync_fetch_and_add(&d->fwd_bytes, len);
}

/* Case 1 above: strip the RH2 of a packet to our care-of address. */
static __always_inline int
strip(struct __sk_buff *skb, const struct kdp_cfg *cfg, const struct kdp_ip6 *ip, __u32 len)
{
	__u8 rh[KDP_RH2_LEN];
	struct kdp_addr home;
	struct kdp_dvipa_val *d;
	__u32 plen = bpf_ntohs(ip->plen), segs = segs_of(skb);
	__be16 np;
	__u8 nxt;

	if (ip->nxt != KDP_NH_ROUTING)
		return kdp_pass(KDP_ST_PASS_PROTO);
	if (!kdp_plen_ok(ip, len) || plen < KDP_RH2_LEN ||
	    bpf_skb_load_bytes(skb, KDP_OFF_L4, rh, sizeof(rh)) < 0)
		return kdp_pass(KDP_ST_PASS_MALFORMED);
	/* Exactly the header wire_rh2_strip accepts, not yet processed. */
	if (rh[1] != 2 || rh[2] != 2 || rh[3] != 1)
		return kdp_pass(KDP_ST_PASS_PROTO);
	nxt = rh[0];
	if (nxt == KDP_NH_TCP) {
		__be16 sp, dp;
		__u8 fl;

		if (kdp_read_tcp(skb, KDP_OFF_L4 + KDP_RH2_LEN, plen - KDP_RH2_LEN, &sp, &dp,
				 &fl) < 0)
			return kdp_pass(KDP_ST_PASS_MALFORMED);
	} else if (nxt != KDP_NH_UDP && nxt != KDP_NH_ICMPV6) {
		/* Mobility Header (the daemon's), more extension headers. */
		return kdp_pass(KDP_ST_PASS_PROTO);
	}
	__builtin_memcpy(home.a, rh + 8, 16);
	d = bpf_map_lookup_elem(&kdp_dvipa, &home);
	if (!d || !(d->flags & (KDP_DV_TARGET | KDP_DV_OWNED)))
		return kdp_pass(KDP_ST_PASS_NOENTRY);
	if (kdp_lost(cfg)) {
		__sync_fetch_and_add(&d->strip_pkts, segs);
		__sync_fetch_and_add(&d->strip_bytes, len);
		return KDP_TC_SHOT;
	}
	/* Remove the 24 bytes after the fixed header, then fix the header. */
	if (bpf_skb_adjust_room(skb, -KDP_RH2_LEN, BPF_ADJ_ROOM_NET, KDP_ADJ_FLAGS))
		return kdp_pass(KDP_ST_PASS_ERROR);
	__sync_fetch_and_add(&d->strip_pkts, segs);
	__sync_fetch_and_add(&d->strip_bytes, len);
	np = bpf_htons((__u16)(plen - KDP_RH2_LEN));
	if (bpf_skb_store_bytes(skb, KDP_OFF_DST, home.a, 16, BPF_F_RECOMPUTE_CSUM) ||
	    bpf_skb_store_bytes(skb, KDP_OFF_NXT, &nxt, 1, BPF_F_RECOMPUTE_CSUM) ||
	    bpf_skb_store_bytes(skb, KDP_OFF_PLEN, &np, 2, BPF_F_RECOMPUTE_CSUM)) {
		kdp_stat(KDP_ST_PASS_ERROR);
		return KDP_TC_SHOT;
	}
	kdp_stat(KDP_ST_STRIP);
	return deliver_local(skb, cfg);
}

/* Case 2 above: forward a packet of a known connection to its target. */
static __always_inline int
route(struct __sk_buff *skb, const struct kdp_cfg *cfg, const struct kdp_ip6 *ip, __u32 len)
{
	struct kdp_conn_key k;
	struct kdp_conn_val *c;
	struct kdp_dvipa_val *d;
	struct bpf_fib_lookup fib;
	__u8 dest[16], home[16], hlim;
	__u32 plen = bpf_ntohs(ip->plen), segs;
	__u8 flags;
	int thlen, r;
	long rc;

	__builtin_memcpy(home, ip->dst, 16);
	d = bpf_map_lookup_elem(&kdp_dvipa, home);
	if (!d || !(d->flags & (KDP_DV_OWNED | KDP_DV_MOVING)))
		return KDP_TC_NEXT;	/* not a DVIPA we route: not ours at all */
	if (cfg->owner_until_ns && bpf_ktime_get_ns() >= cfg->owner_until_ns)
		return kdp_pass(KDP_ST_PASS_LEASE);
	if (ip->nxt != KDP_NH_TCP)
		return kdp_pass(KDP_ST_PASS_PROTO);
	if (!kdp_plen_ok(ip, len))
		return kdp_pass(KDP_ST_PASS_MALFORMED);
	thlen = kdp_read_tcp(skb, KDP_OFF_L4, plen, &k.cport, &k.dport, &flags);
	if (thlen < 0)
		return kdp_pass(KDP_ST_PASS_MALFORMED);
	if (flags & KDP_TCP_SYN)
		return kdp_pass(KDP_ST_PASS_SYN);
	__builtin_memcpy(k.dvipa, ip->dst, 16);
	__builtin_memcpy(k.client, ip->src, 16);
	c = bpf_map_lookup_elem(&kdp_conn, &k);
	if (!c)
		return kdp_pass(KDP_ST_PASS_NOENTRY);
	__builtin_memcpy(dest, c->dest, 16);
	segs = segs_of(skb);
	hlim = ip->hlim;

	if (kdp_addr_eq(dest, cfg->self_coa)) {
		/* The target is this stack: deliver here, unchanged. */
		if (!cfg->local_ifindex || cfg->local_ifindex == skb->ifindex)
			return kdp_pass(KDP_ST_PASS_ROUTE);
		goto handle;
	}
	if (hlim <= 1)
		return kdp_pass(KDP_ST_PASS_HOPLIMIT);
	if (plen + KDP_RH2_LEN > KDP_MAX_PLEN)
		return kdp_pass(KDP_ST_PASS_TOOBIG);
	rc = kdp_fib(skb, &fib, ip, dest,
		     kdp_wire_len(skb, len, KDP_IP6_HLEN + (__u32)thlen), 0);
	if (rc == BPF_FIB_LKUP_RET_FRAG_NEEDED)
		return kdp_pass(KDP_ST_PASS_TOOBIG);
	if (!kdp_fib_usable(rc))
		return kdp_pass(KDP_ST_PASS_ROUTE);
handle:
	if (kdp_lost(cfg)) {
		count(c, d, flags, segs, len);
		return KDP_TC_SHOT;
	}
	if (kdp_addr_eq(dest, cfg->self_coa)) {
		count(c, d, flags, segs, len);
		kdp_stat(KDP_ST_LOCAL);
		return deliver_local(skb, cfg);
	}
	r = kdp_rh2_insert(skb, dest, home, KDP_NH_TCP, (__u16)plen);
	if (r == -1)
		return kdp_pass(KDP_ST_PASS_ERROR);
	hlim--;
	if (r < 0 || bpf_skb_store_bytes(skb, KDP_OFF_HLIM, &hlim, 1, BPF_F_RECOMPUTE_CSUM)) {
		kdp_stat(KDP_ST_PASS_ERROR);
		return KDP_TC_SHOT;
	}
	count(c, d, flags, segs, len);
	kdp_stat(KDP_ST_FWD);
	return kdp_send(skb, &fib, rc, 0);
}

SEC("tc")
int
kdp_stack_in(struct __sk_buff *skb)
{
	const struct kdp_cfg *cfg = kdp_config();
	struct kdp_ip6 ip;
	int len;

	/* Frames for another host (a bridge floods unknown unicast) are
	 * dropped by the kernel's IPv6 input: never act on them. */
	if (!cfg || skb->pkt_type != 0 /* PACKET_HOST */)
		return KDP_TC_NEXT;
	len = kdp_read_ip6(skb, &ip);
	if (len < 0)
		return KDP_TC_NEXT;
	if (kdp_addr_eq(ip.dst, cfg->self_coa))
		return strip(skb, cfg, &ip, (__u32)len);
	return route(skb, cfg, &ip, (__u32)len);
}
