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
 *     A SYN (no ACK, no RST) of a connection without an entry, to a port
 *     the daemon gave a schedule (kdp_sched: its distribution decision
 *     laid out in slots), takes the next slot's target: the program makes
 *     the connection entry itself (BPF_NOEXIST), forwards the SYN as any
 *     packet of the connection, and tells the daemon in a ring buffer
 *     record (kdp_synring), from which it makes the VCRT entry; wakeups
 *     are batched (KDP_SYN_WAKE_NS).  Only while the daemon's budget of
 *     half-open entries allows (kdp_sgate): beyond, with the ring or the
 *     table full, without a schedule, and for any SYN of a connection that
 *     has an entry, the SYN goes to the daemon, which picks the target.
 *     Packets without an entry, packets that would no longer fit the MTU after the
 *     24-byte RH2 (the daemon answers Packet Too Big quoting the original),
 *     an expiring hop limit, no usable route: slow path.
 *     A client FIN or RST is forwarded and its first time recorded in the
 *     entry (dp.c's fin_ms, which ages out connections the target never saw).
 *     Only while the owner's lease (kdp_cfg.owner_until_ns, renewed by the
 *     daemon) runs: a stopped daemon's entries stop forwarding by themselves.
 *
 *  3. IPv4 (dp.c's GRE path), once the daemon has set our IPv4 DYNAMICXCF
 *     address: GRE (no options) to it, or to another of our own addresses
 *     (a VIPAROUTE's target address; the FIB says local), with an IPv4
 *     packet to a DVIPA we serve inside is decapsulated and delivered here
 *     (case 1), its checksum still left to complete if the client left it
 *     to the device (dp.c's raw socket would see it unfinished); an IPv4
 *     TCP packet (no options, no fragment, not a SYN) of a connection entry
 *     of an IPv4 DVIPA we own (IPv4-mapped key) gets TTL - 1 and a 24-byte
 *     IPv4 + GRE header to the entry's outer destination, and leaves by the
 *     FIB's route (case 2).  A packet that would not fit the route's MTU in
 *     GRE goes to the daemon, which answers Fragmentation Needed.
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

KDP_HASH_MAP(kdp_sched, 1024, struct kdp_sched_key, struct kdp_sched_val);

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, KDP_SG_MAX);
	__type(key, __u32);
	__type(value, __u64);
} kdp_sgate SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 1 << 18);	/* 3,640 records */
} kdp_synring SEC(".maps");

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

static __always_inline __u64 *
sgate(__u32 i)
{
	return bpf_map_lookup_elem(&kdp_sgate, &i);
}

/* A SYN of a connection without an entry (key k): its entry from the
 * port's schedule, made here and recorded for the daemon; NULL (counted)
 * when the SYN is the daemon's to route. */
static __always_inline struct kdp_conn_val *
schedule(struct __sk_buff *skb, const struct kdp_conn_key *k, __u32 len)
{
	struct kdp_sched_key sk;
	struct kdp_sched_val *sv;
	struct kdp_conn_val v;
	struct kdp_syn_rec *r;
	__u64 *made, *limit, *wake, now, avail, fl;
	__u8 seq[4];
	__u32 j;

	__builtin_memset(&sk, 0, sizeof(sk));
	__builtin_memcpy(sk.dvipa, k->dvipa, 16);
	sk.dport = k->dport;
	sv = bpf_map_lookup_elem(&kdp_sched, &sk);
	if (!sv || !sv->n || sv->n > KDP_SCHED_SLOTS) {
		kdp_stat(KDP_ST_PASS_SYN);
		return NULL;
	}
	made = sgate(KDP_SG_MADE);
	limit = sgate(KDP_SG_LIMIT);
	wake = sgate(KDP_SG_WAKE_NS);
	if (!made || !limit || !wake || *made >= *limit) {
		kdp_stat(KDP_ST_SYN_BUSY);
		return NULL;
	}
	if (bpf_skb_load_bytes(skb, KDP_OFF_L4 + 4, seq, 4) < 0) {
		kdp_stat(KDP_ST_PASS_MALFORMED);
		return NULL;
	}
	/* Not one fetch-and-add: its result needs BPF v3 (kernel 5.12); two
	 * CPUs may rarely take the same slot. */
	j = sv->next % sv->n;
	__sync_fetch_and_add(&sv->next, 1);
	if (j >= KDP_SCHED_SLOTS)
		return NULL;
	r = bpf_ringbuf_reserve(&kdp_synring, sizeof(*r), 0);
	if (!r) {
		kdp_stat(KDP_ST_SYN_BUSY);
		return NULL;
	}
	__builtin_memset(&v, 0, sizeof(v));
	__builtin_memcpy(v.dest, sv->dest[j], 16);
	if (bpf_map_update_elem(&kdp_conn, k, &v, BPF_NOEXIST)) {
		bpf_ringbuf_discard(r, BPF_RB_NO_WAKEUP);
		kdp_stat(KDP_ST_SYN_BUSY);
		return NULL;
	}
	__sync_fetch_and_add(made, 1);
	now = bpf_ktime_get_ns();
	__builtin_memcpy(r->dvipa, k->dvipa, 16);
	__builtin_memcpy(r->client, k->client, 16);
	r->dport = k->dport;
	r->cport = k->cport;
	r->isn = (__u32)seq[0] << 24 | (__u32)seq[1] << 16 | (__u32)seq[2] << 8 | seq[3];
	__builtin_memcpy(r->dest, v.dest, 16);
	r->len = len;
	r->pad = 0;
	r->ts_ns = now;
	/* The daemon polls the ring for a while after each record it takes:
	 * a wakeup (an IPI) only when it may have stopped, or many wait. */
	avail = bpf_ringbuf_query(&kdp_synring, BPF_RB_AVAIL_DATA);
	fl = BPF_RB_NO_WAKEUP;
	if (avail >= KDP_SYN_WAKE_BYTES || now - *wake >= KDP_SYN_WAKE_NS) {
		*wake = now;
		fl = BPF_RB_FORCE_WAKEUP;
	}
	bpf_ringbuf_submit(r, fl);
	kdp_stat(KDP_ST_SYN_FWD);
	return bpf_map_lookup_elem(&kdp_conn, k);
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
	if ((flags & KDP_TCP_SYN) && (flags & (KDP_TCP_ACK | KDP_TCP_RST)))
		return kdp_pass(KDP_ST_PASS_SYN);
	__builtin_memcpy(k.dvipa, ip->dst, 16);
	__builtin_memcpy(k.client, ip->src, 16);
	c = bpf_map_lookup_elem(&kdp_conn, &k);
	if (c && (flags & KDP_TCP_SYN))
		return kdp_pass(KDP_ST_PASS_SYN);	/* a retransmission, or ports reused */
	if (!c && !(flags & KDP_TCP_SYN))
		return kdp_pass(KDP_ST_PASS_NOENTRY);
	/* A new connection: from the schedule (what stops it here, the SYN
	 * takes to the daemon: the record made goes first, so it finds the
	 * entry and forwards it as a retransmission). */
	if (!c && !(c = schedule(skb, &k, len)))
		return KDP_TC_NEXT;
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

/* ---- IPv4: GRE (dp.c's forward4 and deliver_gre4) ------------------------------- */

/* Case 1 for IPv4: GRE to our IPv4 DYNAMICXCF address (or, VIPAROUTE, to
 * another of our addresses), the inner packet to
 * a DVIPA we serve: the 24 bytes of IPv4 and GRE header go, the inner
 * packet is delivered here. */
static __always_inline int
decap4(struct __sk_buff *skb, const struct kdp_cfg *cfg, const struct kdp_ip4 *ip, __u32 len)
{
	struct kdp_gre4 g;
	struct kdp_ip4 in;
	struct kdp_addr home;
	struct kdp_dvipa_val *d;
	__u32 tot = bpf_ntohs(ip->tot_len), segs = segs_of(skb);

	if (ip->vihl != 0x45 || (bpf_ntohs(ip->frag) & KDP_IP4_MF_OFF) || ip->proto != KDP_PROTO_GRE)
		return kdp_pass(KDP_ST_PASS_PROTO);
	if (tot < KDP_GRE4_LEN + KDP_IP4_HLEN || tot > len ||
	    bpf_skb_load_bytes(skb, KDP_OFF_IP4, &g, sizeof(g)) < 0 ||
	    bpf_skb_load_bytes(skb, KDP_OFF_IP4 + KDP_GRE4_LEN, &in, sizeof(in)) < 0)
		return kdp_pass(KDP_ST_PASS_MALFORMED);
	/* Exactly the GRE dp.c writes: no flags, version 0, IPv4 inside. */
	if (g.flags != 0 || g.proto != bpf_htons(KDP_ETH_P_IP) || (in.vihl >> 4) != 4)
		return kdp_pass(KDP_ST_PASS_PROTO);
	if (in.proto != KDP_NH_TCP && in.proto != KDP_NH_UDP && in.proto != KDP_PROTO_ICMP)
		return kdp_pass(KDP_ST_PASS_PROTO);
	kdp_v4mapped(home.a, in.dst);
	d = bpf_map_lookup_elem(&kdp_dvipa, &home);
	if (!d || !(d->flags & (KDP_DV_TARGET | KDP_DV_OWNED)))
		return kdp_pass(KDP_ST_PASS_NOENTRY);
	if (kdp_lost(cfg)) {
		__sync_fetch_and_add(&d->strip_pkts, segs);
		__sync_fetch_and_add(&d->strip_bytes, len);
		return KDP_TC_SHOT;
	}
	if (bpf_skb_adjust_room(skb, -KDP_GRE4_LEN, BPF_ADJ_ROOM_MAC,
				BPF_F_ADJ_ROOM_FIXED_GSO | BPF_F_ADJ_ROOM_DECAP_L3_IPV4))
		return kdp_pass(KDP_ST_PASS_ERROR);
	__sync_fetch_and_add(&d->strip_pkts, segs);
	__sync_fetch_and_add(&d->strip_bytes, len);
	kdp_stat(KDP_ST_STRIP);
	return deliver_local(skb, cfg);
}

/* Case 2 for IPv4: a packet of a known connection of an IPv4 DVIPA we own
 * goes to its target in GRE (outer destination from the entry: the
 * target's IPv4 DYNAMICXCF address or a VIPAROUTE's target address), its
 * TTL one less as the kernel's forwarding into the TUN makes it. */
static __always_inline int
route4(struct __sk_buff *skb, const struct kdp_cfg *cfg, const struct kdp_ip4 *ip, __u32 len)
{
	struct kdp_conn_key k;
	struct kdp_conn_val *c;
	struct kdp_dvipa_val *d;
	struct bpf_fib_lookup fib;
	struct kdp_gre4 g;
	__u32 tot = bpf_ntohs(ip->tot_len), segs, wire;
	__be32 dest;
	__u16 oldw, neww;
	__u8 flags, tp[2];
	int thlen, local;
	long rc = 0;

	kdp_v4mapped(k.dvipa, ip->dst);
	d = bpf_map_lookup_elem(&kdp_dvipa, k.dvipa);
	if (!d || !(d->flags & (KDP_DV_OWNED | KDP_DV_MOVING)))
		return KDP_TC_NEXT;	/* not a DVIPA we route: not ours at all */
	if (cfg->owner_until_ns && bpf_ktime_get_ns() >= cfg->owner_until_ns)
		return kdp_pass(KDP_ST_PASS_LEASE);
	if (ip->vihl != 0x45 || ip->proto != KDP_NH_TCP || (bpf_ntohs(ip->frag) & KDP_IP4_MF_OFF))
		return kdp_pass(KDP_ST_PASS_PROTO);
	if (tot < KDP_IP4_HLEN || tot > len)
		return kdp_pass(KDP_ST_PASS_MALFORMED);
	thlen = kdp_read_tcp(skb, KDP_OFF_IP4 + KDP_IP4_HLEN, tot - KDP_IP4_HLEN, &k.cport, &k.dport,
			     &flags);
	if (thlen < 0)
		return kdp_pass(KDP_ST_PASS_MALFORMED);
	if (flags & KDP_TCP_SYN)
		return kdp_pass(KDP_ST_PASS_SYN);
	kdp_v4mapped(k.client, ip->src);
	c = bpf_map_lookup_elem(&kdp_conn, &k);
	if (!c)
		return kdp_pass(KDP_ST_PASS_NOENTRY);
	__builtin_memcpy(&dest, c->dest + 12, 4);
	segs = segs_of(skb);
	local = dest == cfg->self4;
	if (local) {
		/* The target is this stack: deliver here, unchanged. */
		if (!cfg->local_ifindex || cfg->local_ifindex == skb->ifindex)
			return kdp_pass(KDP_ST_PASS_ROUTE);
		goto handle;
	}
	if (ip->ttl <= 1)
		return kdp_pass(KDP_ST_PASS_HOPLIMIT);
	/* The largest packet on the wire once in GRE: one segment of a GSO
	 * packet, or the packet (dp.c answers Fragmentation Needed). */
	wire = skb->gso_size ? KDP_IP4_HLEN + (__u32)thlen + skb->gso_size : tot;
	wire += KDP_GRE4_LEN;
	if (tot + KDP_GRE4_LEN > KDP_MAX_PLEN)
		return kdp_pass(KDP_ST_PASS_TOOBIG);
	__builtin_memset(&fib, 0, sizeof(fib));
	fib.family = KDP_AF_INET;
	fib.tot_len = (__u16)wire;
	fib.ifindex = skb->ifindex;
	fib.ipv4_src = cfg->self4;
	fib.ipv4_dst = dest;
	rc = bpf_fib_lookup(skb, &fib, sizeof(fib), 0);
	if (rc == BPF_FIB_LKUP_RET_FRAG_NEEDED)
		return kdp_pass(KDP_ST_PASS_TOOBIG);
	if (!kdp_fib_usable(rc))
		return kdp_pass(KDP_ST_PASS_ROUTE);
handle:
	if (kdp_lost(cfg)) {
		count(c, d, flags, segs, len);
		return KDP_TC_SHOT;
	}
	if (local) {
		count(c, d, flags, segs, len);
		kdp_stat(KDP_ST_LOCAL);
		return deliver_local(skb, cfg);
	}
	/* TTL - 1; the header checksum follows (the word TTL, protocol). */
	tp[0] = ip->ttl;
	tp[1] = ip->proto;
	__builtin_memcpy(&oldw, tp, 2);
	tp[0]--;
	__builtin_memcpy(&neww, tp, 2);
	if (bpf_skb_store_bytes(skb, KDP_OFF_IP4 + 8, tp, 1, 0) ||
	    bpf_l3_csum_replace(skb, KDP_OFF_IP4 + 10, oldw, neww, 2)) {
		kdp_stat(KDP_ST_PASS_ERROR);
		return KDP_TC_SHOT;
	}
	if (bpf_skb_adjust_room(skb, KDP_GRE4_LEN, BPF_ADJ_ROOM_MAC,
				BPF_F_ADJ_ROOM_FIXED_GSO | BPF_F_ADJ_ROOM_ENCAP_L3_IPV4 |
				BPF_F_ADJ_ROOM_ENCAP_L4_GRE)) {
		kdp_stat(KDP_ST_PASS_ERROR);
		return KDP_TC_SHOT;	/* the TTL is already one less */
	}
	__builtin_memset(&g, 0, sizeof(g));
	g.ip.vihl = 0x45;
	g.ip.tos = ip->tos;
	g.ip.tot_len = bpf_htons((__u16)(tot + KDP_GRE4_LEN));
	g.ip.id = (__be16)bpf_get_prandom_u32();
	g.ip.frag = ip->frag & bpf_htons(KDP_IP4_DF);
	g.ip.ttl = 64;
	g.ip.proto = KDP_PROTO_GRE;
	g.ip.src = cfg->self4;
	g.ip.dst = dest;
	g.ip.check = kdp_ip4_csum(&g.ip);
	g.proto = bpf_htons(KDP_ETH_P_IP);
	if (bpf_skb_store_bytes(skb, KDP_OFF_IP4, &g, sizeof(g), BPF_F_RECOMPUTE_CSUM)) {
		kdp_stat(KDP_ST_PASS_ERROR);
		return KDP_TC_SHOT;
	}
	count(c, d, flags, segs, len);
	kdp_stat(KDP_ST_FWD);
	return kdp_send(skb, &fib, rc, 0);
}

/* 1 when the IPv4 address dst is one of this host's own (the FIB's route
 * for it is local: not forwarded), as a VIPAROUTE's target address is. */
static __always_inline int
local4(struct __sk_buff *skb, const struct kdp_ip4 *ip)
{
	struct bpf_fib_lookup fib;

	__builtin_memset(&fib, 0, sizeof(fib));
	fib.family = KDP_AF_INET;
	fib.tot_len = bpf_ntohs(ip->tot_len);
	fib.ifindex = skb->ifindex;
	fib.ipv4_src = ip->src;
	fib.ipv4_dst = ip->dst;
	return bpf_fib_lookup(skb, &fib, sizeof(fib), 0) == BPF_FIB_LKUP_RET_NOT_FWDED;
}

static __always_inline int
in4(struct __sk_buff *skb, const struct kdp_cfg *cfg)
{
	struct kdp_ip4 ip;

	if (!cfg->self4 || skb->len < KDP_OFF_IP4 + KDP_IP4_HLEN ||
	    bpf_skb_load_bytes(skb, KDP_OFF_IP4, &ip, sizeof(ip)) < 0 || (ip.vihl >> 4) != 4)
		return KDP_TC_NEXT;
	kdp_stat(KDP_ST_SEEN);
	/* GRE to our IPv4 DYNAMICXCF address, or to another of our addresses
	 * (a routing stack's VIPAROUTE to us, which the raw GRE socket of
	 * dp.c takes when we leave it). */
	if (ip.dst == cfg->self4 || (ip.proto == KDP_PROTO_GRE && local4(skb, &ip)))
		return decap4(skb, cfg, &ip, skb->len - KDP_ETH_HLEN);
	return route4(skb, cfg, &ip, skb->len - KDP_ETH_HLEN);
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
	if (skb->protocol == bpf_htons(KDP_ETH_P_IP))
		return in4(skb, cfg);
	len = kdp_read_ip6(skb, &ip);
	if (len < 0)
		return KDP_TC_NEXT;
	if (kdp_addr_eq(ip.dst, cfg->self_coa))
		return strip(skb, cfg, &ip, (__u32)len);
	return route(skb, cfg, &ip, (__u32)len);
}
