/*
 * client.bpf.c - the kernel data path of a client host: the per-packet part
 * of client-agent/cn.c, on the client's LAN device.
 *
 * kdp_client_out (tc egress), for every packet to a DVIPA prefix (the
 * traffic the agent's TUN sees): fault injection as on that TUN, then, as
 * agent_cn_outbound does,
 *   - TCP directly after the fixed header with a per-connection binding
 *     (DVIPA, client, DVIPA port, client port) that has not expired, or any
 *     packet (TCP, UDP, ICMPv6, a fragment) to a home address with an
 *     unexpired per-home-address binding: an RH2 is inserted (home address =
 *     the DVIPA), destination = the care-of address, and the next hop is
 *     looked up again (the neighbour the kernel chose for the DVIPA is the
 *     routing stack's, wrong for the care-of address): new MAC addresses,
 *     or bpf_redirect_neigh to resolve it;
 *   - and, as agent_cn_outbound does, the client's own end of a bound
 *     connection ends its binding: a SYN on its ports (a new connection,
 *     sent unbound to the routing stack) sets end_ns; an RST goes direct
 *     and sets rst_ns: for 1 s more only RSTs (answers to segments still in
 *     flight) go direct, anything else sets end_ns; the first FIN sets fin_ns and keeps the binding 10 s more
 *     (its last ACKs); the agent reads both into its binding cache;
 *   - Mobility Headers, packets that already carry a routing header, and
 *     anything unbound or not understood (Hop-by-Hop or Destination Options
 *     first, truncated headers): untouched, to the LAN, i.e. to the routing
 *     stack, which forwards them correctly.  (The agent would also bind a
 *     packet whose first extension header is a Destination Options header;
 *     here such a rare packet takes the routing stack.)
 *   - a packet that would not fit the route's MTU with 24 more bytes is sent
 *     untouched too: the routing stack answers Packet Too Big for it.  The
 *     daemon keeps the route MTU of the DVIPA prefixes at LAN MTU - 24 (as
 *     the agent's TUN MTU did), so this happens only if it does not.
 *
 * kdp_client_in (tc ingress), a standard mobile node's packet: Destination
 * Options header first with a Home Address option, TCP/UDP/ICMPv6 after it,
 * and a per-home binding for that home address at the packet's source (the
 * care-of address), unexpired: the Destination Options header goes, the
 * source becomes the home address, and the kernel delivers it (what
 * agent_cn_inbound_hao does through the TUN).  Everything else with a Home
 * Address option (Binding Updates, no binding: the agent answers with a
 * Binding Error) goes on unchanged to the agent's nftables steering.
 */
#include "kdp/kdp_bpf.h"

#define KDP_DOPT_MAX 64
#define KDP_OPT_HAO 0xc9

struct {
	__uint(type, BPF_MAP_TYPE_LPM_TRIE);
	__uint(max_entries, 64);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, struct kdp_lpm_key);
	__type(value, __u32);
} kdp_prefix SEC(".maps");

KDP_HASH_MAP(kdp_bconn, 65536, struct kdp_conn_key, struct kdp_bind_val);

KDP_HASH_MAP(kdp_bhome, 64, struct kdp_addr, struct kdp_bind_val);

SEC("tc")
int
kdp_client_out(struct __sk_buff *skb)
{
	const struct kdp_cfg *cfg = kdp_config();
	struct kdp_lpm_key pk;
	struct kdp_conn_key k;
	struct kdp_bind_val *b = NULL;
	struct bpf_fib_lookup fib;
	struct kdp_ip6 ip;
	__u8 coa[16], home[16], flags;
	__u32 plen, l4hdr = 0, segs;
	__u64 now;
	int len, r;
	long rc;

	if (!cfg)
		return KDP_TC_NEXT;
	len = kdp_read_ip6(skb, &ip);
	if (len < 0)
		return KDP_TC_NEXT;
	pk.prefixlen = 128;
	__builtin_memcpy(pk.addr, ip.dst, 16);
	if (!bpf_map_lookup_elem(&kdp_prefix, &pk))
		return KDP_TC_NEXT;	/* not DVIPA traffic */
	if (kdp_lost(cfg))
		return KDP_TC_SHOT;
	if (!kdp_plen_ok(&ip, (__u32)len))
		return kdp_pass(KDP_ST_PASS_MALFORMED);
	plen = bpf_ntohs(ip.plen);
	now = bpf_ktime_get_ns();
	switch (ip.nxt) {
	case KDP_NH_TCP: {
		int thlen = kdp_read_tcp(skb, KDP_OFF_L4, plen, &k.cport, &k.dport, &flags);

		if (thlen < 0)
			return kdp_pass(KDP_ST_PASS_MALFORMED);
		l4hdr = (__u32)thlen;
		__builtin_memcpy(k.dvipa, ip.dst, 16);
		__builtin_memcpy(k.client, ip.src, 16);
		b = bpf_map_lookup_elem(&kdp_bconn, &k);
		if (b && (b->expires_ns <= now || b->end_ns))
			b = NULL;
		if (b && ((flags & (KDP_TCP_SYN | KDP_TCP_ACK)) == KDP_TCP_SYN ||
			  (b->rst_ns && !(flags & KDP_TCP_RST)))) {
			/* A new connection on the ports of a bound one (the
			 * binding was for the old one only), or more than RSTs
			 * after the client's RST: over. */
			b->end_ns = now;
			b->expires_ns = 0;
			b = NULL;
		} else if (b && (flags & KDP_TCP_RST)) {
			/* This one goes direct, and the RSTs answering what is
			 * still in flight for a moment; then the binding ends. */
			if (!b->rst_ns) {
				b->rst_ns = now;
				if (b->expires_ns > now + KDP_RST_LINGER_NS)
					b->expires_ns = now + KDP_RST_LINGER_NS;
			}
		} else if (b && (flags & KDP_TCP_FIN) && !b->fin_ns) {
			b->fin_ns = now;
			if (b->expires_ns > now + KDP_FIN_LINGER_NS)
				b->expires_ns = now + KDP_FIN_LINGER_NS;
		}
		break;
	}
	case KDP_NH_HOPOPTS:
	case KDP_NH_ROUTING:
	case KDP_NH_DSTOPTS:
	case KDP_NH_MH:
		return kdp_pass(KDP_ST_PASS_PROTO);
	case KDP_NH_FRAGMENT: {
		__u8 inner;

		if (plen < 8 || bpf_skb_load_bytes(skb, KDP_OFF_L4, &inner, 1) < 0)
			return kdp_pass(KDP_ST_PASS_MALFORMED);
		if (inner == KDP_NH_MH)
			return kdp_pass(KDP_ST_PASS_PROTO);
		break;
	}
	case KDP_NH_UDP:
		l4hdr = 8;
		break;
	default:
		break;
	}
	if (!b) {
		b = bpf_map_lookup_elem(&kdp_bhome, ip.dst);
		if (b && b->expires_ns <= now)
			b = NULL;
	}
	if (!b)
		return kdp_pass(KDP_ST_UNBOUND);
	if (plen + KDP_RH2_LEN > KDP_MAX_PLEN)
		return kdp_pass(KDP_ST_PASS_TOOBIG);
	__builtin_memcpy(coa, b->coa, 16);
	__builtin_memcpy(home, ip.dst, 16);
	rc = kdp_fib(skb, &fib, &ip, coa, kdp_wire_len(skb, (__u32)len, KDP_IP6_HLEN + l4hdr), 1);
	if (rc == BPF_FIB_LKUP_RET_FRAG_NEEDED)
		return kdp_pass(KDP_ST_PASS_TOOBIG);
	if (!kdp_fib_usable(rc))
		return kdp_pass(KDP_ST_PASS_ROUTE);
	segs = skb->gso_segs ? skb->gso_segs : 1;
	r = kdp_rh2_insert(skb, coa, home, ip.nxt, (__u16)plen);
	if (r == -1)
		return kdp_pass(KDP_ST_PASS_ERROR);
	if (r < 0) {
		kdp_stat(KDP_ST_PASS_ERROR);
		return KDP_TC_SHOT;
	}
	__sync_fetch_and_add(&b->pkts, segs);
	__sync_fetch_and_add(&b->bytes, (__u64)len);
	b->last_ns = now;
	kdp_stat(KDP_ST_BOUND);
	return kdp_send(skb, &fib, rc, 1);
}

/* State of the walk over a Destination Options header's options. */
struct walk {
	__u8 opt[KDP_DOPT_MAX];
	__u32 dlen;		/* header length, at most KDP_DOPT_MAX */
	__u32 o;		/* offset of the next option */
	__u32 hao;		/* offset of the Home Address, 0 if none yet */
	__u32 bad;		/* an option overruns, or a bad/duplicate HAO */
};

/* One option: Pad1 is one byte, every other option Type, Length, data. */
static long
walk_option(__u32 i, struct walk *w)
{
	__u32 o = w->o, olen;
	__u8 type;

	if (o >= w->dlen || o >= KDP_DOPT_MAX)
		return 1;
	type = w->opt[o & (KDP_DOPT_MAX - 1)];
	if (type == 0) {
		w->o = o + 1;
		return 0;
	}
	if (o + 2 > w->dlen) {
		w->bad = 1;
		return 1;
	}
	olen = w->opt[(o + 1) & (KDP_DOPT_MAX - 1)];
	if (o + 2 + olen > w->dlen) {
		w->bad = 1;
		return 1;
	}
	if (type == KDP_OPT_HAO) {
		if (olen != 16 || w->hao) {
			w->bad = 1;
			return 1;
		}
		w->hao = o + 2;
	}
	w->o = o + 2 + olen;
	return 0;
}

SEC("tc")
int
kdp_client_in(struct __sk_buff *skb)
{
	struct kdp_ip6 ip;
	struct kdp_addr home;
	struct kdp_bind_val *b;
	struct walk w;
	__u8 *opt = w.opt;
	__u32 plen, dlen, hao;
	__be16 np;
	__u8 nxt;
	int len;

	if (skb->pkt_type != 0 /* PACKET_HOST */)
		return KDP_TC_NEXT;
	len = kdp_read_ip6(skb, &ip);
	if (len < 0 || ip.nxt != KDP_NH_DSTOPTS)
		return KDP_TC_NEXT;
	plen = bpf_ntohs(ip.plen);
	if (!kdp_plen_ok(&ip, (__u32)len) || plen < 8 ||
	    bpf_skb_load_bytes(skb, KDP_OFF_L4, opt, 8) < 0)
		return kdp_pass(KDP_ST_PASS_MALFORMED);
	dlen = ((__u32)opt[1] + 1) * 8;
	if (dlen > KDP_DOPT_MAX)
		return kdp_pass(KDP_ST_PASS_PROTO);
	if (dlen > plen || bpf_skb_load_bytes(skb, KDP_OFF_L4, opt, dlen) < 0)
		return kdp_pass(KDP_ST_PASS_MALFORMED);
	/* The options, as wire_ip6_parse walks them (bpf_loop: the verifier
	 * checks the step once instead of every path through the options). */
	w.dlen = dlen;
	w.o = 2;
	w.hao = 0;
	w.bad = 0;
	bpf_loop(KDP_DOPT_MAX, walk_option, &w, 0);
	if (w.bad || w.o < dlen)
		goto malformed;
	hao = w.hao;
	if (!hao)
		return KDP_TC_NEXT;	/* other options: the kernel's business */
	nxt = opt[0];
	if (nxt == KDP_NH_TCP) {
		__be16 sp, dp;
		__u8 fl;

		if (kdp_read_tcp(skb, KDP_OFF_L4 + dlen, plen - dlen, &sp, &dp, &fl) < 0)
			goto malformed;
	} else if (nxt != KDP_NH_UDP && nxt != KDP_NH_ICMPV6) {
		/* A Binding Update (the agent verifies it), more headers. */
		return kdp_pass(KDP_ST_PASS_PROTO);
	}
	if (bpf_skb_load_bytes(skb, KDP_OFF_L4 + hao, home.a, 16) < 0)
		goto malformed;
	b = bpf_map_lookup_elem(&kdp_bhome, &home);
	if (!b || !kdp_addr_eq(b->coa, ip.src) || b->expires_ns <= bpf_ktime_get_ns()) {
		/* The agent answers with a Binding Error. */
		return kdp_pass(KDP_ST_PASS_NOENTRY);
	}
	if (bpf_skb_adjust_room(skb, -(__s32)dlen, BPF_ADJ_ROOM_NET, KDP_ADJ_FLAGS))
		return kdp_pass(KDP_ST_PASS_ERROR);
	np = bpf_htons((__u16)(plen - dlen));
	if (bpf_skb_store_bytes(skb, KDP_OFF_SRC, home.a, 16, BPF_F_RECOMPUTE_CSUM) ||
	    bpf_skb_store_bytes(skb, KDP_OFF_NXT, &nxt, 1, BPF_F_RECOMPUTE_CSUM) ||
	    bpf_skb_store_bytes(skb, KDP_OFF_PLEN, &np, 2, BPF_F_RECOMPUTE_CSUM)) {
		kdp_stat(KDP_ST_PASS_ERROR);
		return KDP_TC_SHOT;
	}
	__sync_fetch_and_add(&b->hao_pkts, 1);
	kdp_stat(KDP_ST_HAO);
	return KDP_TC_OK;
malformed:
	return kdp_pass(KDP_ST_PASS_MALFORMED);
}
