/*
 * dp.c - the TUN data plane of a stack.
 *
 * What reaches tcpip0:
 *  1. LAN-inbound packets for a DVIPA we own (policy rule iif LAN to DVIPA).
 *     New TCP connections to a distributed port get a target from the VDPT;
 *     every packet of a connection in the VCRT goes to its target: written
 *     back unchanged when the target is this stack (the DVIPA is local, and a
 *     packet from tcpip0 does not match the LAN rule), otherwise with a Type 2
 *     Routing Header inserted (destination = the target's DYNAMICXCF
 *     address, home address = the DVIPA).  Anything else for the DVIPA
 *     (ICMPv6, other ports) is delivered locally.
 *  2. Packets for our DYNAMICXCF (care-of) address carrying an RH2 whose
 *     home address is a DVIPA we serve: the RH2 is stripped and the packet
 *     handed to the kernel with destination = DVIPA.
 *  3. IPv4: packets for an IPv4 DVIPA we own are routed the same way
 *     (never bypassed: the bypass is Mobile IPv6) and forwarded to another
 *     target in GRE (IPv4 in GRE in IPv4, 24 bytes): to its IPv4 DYNAMICXCF
 *     address, or to the target address of a VIPAROUTE for it.  GRE to our
 *     IPv4 DYNAMICXCF address (through the TUN) or to another of our own
 *     addresses (a raw GRE socket: VIPAROUTE) is decapsulated and the inner
 *     packet, to a DVIPA we serve, written into the TUN unchanged.
 * Replies never come through here: targets answer the client directly with
 * source = DVIPA.
 *
 * The forwarding decision (stack_dp_route, stack_dp_next_hop) is apart from
 * the packet I/O, so that a kernel data path can take the same one.
 *
 * Reads and writes carry a virtio-net header, so TCP super-packets of up to
 * 64 KB cross the TUN in one system call (IPv6 only: the TUN takes no IPv4
 * super-packets, which could not be described once encapsulated).  Per-packet work allocates nothing:
 * one receive buffer with headroom for the RH2 is reused.
 *
 * A standard RFC 6275 client with a per-home-address binding (being made,
 * or made) has its new connections sent to the binding's target
 * (stack_mip6_home_target); a target that cannot take one ends the binding
 * first (the third BU), so that the VCRT and the client agree.
 *
 * TIMEDAFFINITY: a table (lib_tab) of struct stack_affinity keyed by (DVIPA,
 * client, port): a client's new connections go to the target of its
 * previous one while that target is ready, until the entry expires.
 *
 * State: struct stack_dp (stack.h).  Level 7 of tcpip-stack/ (stack.h):
 * calls own.c (the lease guard), dist.c (a VCRT entry that goes), mip6.c
 * (Mobility Headers) and dvipa.c.
 */
#include "tcpip-stack/stack.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

int
stack_dp_init(struct stack *s)
{
	struct stack_dp *p = &s->dp;

	memset(p, 0, sizeof(*p));
	p->gre_fd = -1;
	p->ptb_tokens = STACK_PTB_RATE;
	p->ptb_ms = lib_now_ms();
	p->rxbuf = malloc(STACK_HEADROOM + STACK_PKT_MAX);
	p->affinity = lib_tab_new(STACK_AFFINITY_MAX, sizeof(struct stack_affinity_key),
				  sizeof(struct stack_affinity));
	if (!p->rxbuf || !p->affinity) {
		stack_dp_fini(s);
		return -ENOMEM;
	}
	return 0;
}

void
stack_dp_fini(struct stack *s)
{
	if (s->dp.gre_fd >= 0)
		close(s->dp.gre_fd);
	s->dp.gre_fd = -1;
	free(s->dp.rxbuf);
	s->dp.rxbuf = NULL;
	lib_tab_destroy(&s->dp.affinity);
}

static void
tun_write_now(struct stack *s, const uint8_t *frame, size_t len)
{
	ssize_t n = write(s->tun_fd, frame, len);

	if (n < 0) {
		s->cnt.tun_write_err++;
		lib_verdict(&s->tun_verdicts, errno == EAGAIN || errno == ENOBUFS ?
			    "TUN write queue full" : "TUN write failed");
	}
}

static void
delay_out_cb(const uint8_t *frame, size_t len, void *arg)
{
	tun_write_now(arg, frame, len);
}

/* Every packet the data path passes on goes through here: SYSPLEX$LINK's
 * loss and delay apply (fault injection; this kernel has no netem). */
static void
tun_write(struct stack *s, const uint8_t *frame, size_t len)
{
	if (s->dp.link_loss_pct && lib_chance((unsigned)s->dp.link_loss_pct)) {
		s->cnt.link_dropped++;
		return;
	}
	if (s->dp.link_delay_ms && s->dp.delay) {
		if (lib_delay_push(s->dp.delay, frame, len) < 0)
			s->cnt.link_dropped++;
		return;
	}
	tun_write_now(s, frame, len);
}

int
stack_dp_link(struct stack *s, int loss_pct, unsigned delay_ms)
{
	if (delay_ms && !s->dp.delay) {
		s->dp.delay = lib_delay_new(s->loop, 64u << 20, delay_out_cb, s);
		if (!s->dp.delay)
			return -ENOMEM;
	}
	if (s->dp.delay)
		lib_delay_set(s->dp.delay, delay_ms);
	s->dp.link_loss_pct = loss_pct;
	s->dp.link_delay_ms = delay_ms;
	return stack_fast_link(s, loss_pct, delay_ms);
}

int
stack_dp_ptb_ok(struct stack *s)
{
	struct stack_dp *p = &s->dp;
	uint64_t now = lib_now_ms();

	if (now > p->ptb_ms) {
		uint64_t add = (now - p->ptb_ms) * STACK_PTB_RATE / 1000;

		if (add) {
			p->ptb_tokens = p->ptb_tokens + add > STACK_PTB_RATE ? STACK_PTB_RATE :
					p->ptb_tokens + add;
			p->ptb_ms = now;
		}
	}
	if (!p->ptb_tokens) {
		s->cnt.ptb_limited++;
		return 0;
	}
	p->ptb_tokens--;
	return 1;
}

/*
 * ICMPv6 Packet Too Big (RFC 4443 3.2) from the DVIPA to the client, quoting
 * the packet as the client sent it, so that its kernel lowers the path MTU
 * to the DVIPA (a kernel-made one would quote the rewritten packet, which
 * the client cannot match).
 */
static void
send_ptb(struct stack *s, const uint8_t *pkt, size_t len, uint32_t mtu)
{
	uint8_t *out = s->dp.ptb, *ip = out + WIRE_VNET_HDR_LEN, *icmp = ip + WIRE_IP6_HDR_LEN;
	size_t quote = len < 1280 - WIRE_IP6_HDR_LEN - 8 ? len : 1280 - WIRE_IP6_HDR_LEN - 8;
	size_t plen = 8 + quote;
	uint16_t ck;

	/* RFC 4443 2.4 (f): ICMPv6 errors are rate limited. */
	if (!stack_dp_ptb_ok(s))
		return;
	memset(out, 0, WIRE_VNET_HDR_LEN + WIRE_IP6_HDR_LEN + 8);
	/* From the DVIPA to the client. */
	wire_ip6_hdr_encode(ip, WIRE_IP6_HDR_LEN, pkt + 24, pkt + 8, WIRE_PROTO_ICMPV6, (uint16_t)plen);
	icmp[0] = 2;				/* Packet Too Big */
	icmp[4] = (uint8_t)(mtu >> 24);
	icmp[5] = (uint8_t)(mtu >> 16);
	icmp[6] = (uint8_t)(mtu >> 8);
	icmp[7] = (uint8_t)mtu;
	memcpy(icmp + 8, pkt, quote);
	ck = wire_csum_ip6(ip + 8, ip + 24, WIRE_PROTO_ICMPV6, icmp, plen);
	icmp[2] = (uint8_t)(ck >> 8);
	icmp[3] = (uint8_t)ck;
	s->cnt.ptb_sent++;
	tun_write_now(s, out, WIRE_VNET_HDR_LEN + WIRE_IP6_HDR_LEN + plen);
}

/* Forwards the packet at pkt (len bytes, vnet header `vh`) to `dest`. */
static void
forward(struct stack *s, const struct wire_pkt *pk, uint8_t *pkt, size_t len,
	struct wire_vnet_hdr *vh, const uint8_t dest[16])
{
	size_t wire_len;
	ssize_t nl;

	if (memcmp(dest, s->xcfaddr, 16) == 0) {
		s->cnt.local_pkts++;
		tun_write(s, pkt - WIRE_VNET_HDR_LEN, len + WIRE_VNET_HDR_LEN);
		return;
	}
	/* The largest packet on the LAN after the rewrite: one segment of a
	 * GSO super-packet, or the packet itself. */
	wire_len = (vh->gso_type & ~WIRE_VNET_GSO_ECN) != WIRE_VNET_GSO_NONE ?
		   (size_t)pk->l4_off + pk->tcp_hlen + vh->gso_size : len;
	if (wire_len + WIRE_RH2_LEN > s->lan_mtu) {
		send_ptb(s, pkt, len, s->lan_mtu - WIRE_RH2_LEN);
		return;
	}
	nl = wire_rh2_insert(pkt, len, dest, vh);
	if (nl < 0) {
		lib_verdict(&s->tun_verdicts, "cannot insert routing header");
		return;
	}
	pkt -= WIRE_RH2_LEN;
	wire_vnet_encode(vh, pkt - WIRE_VNET_HDR_LEN);
	s->cnt.fwd_pkts++;
	s->cnt.fwd_bytes += (uint64_t)nl;
	tun_write(s, pkt - WIRE_VNET_HDR_LEN, (size_t)nl + WIRE_VNET_HDR_LEN);
}

static void
affinity_key(struct stack_affinity_key *ak, const struct vipa_conn_key *k)
{
	memset(ak, 0, sizeof(*ak));
	memcpy(ak->dvipa, k->dvipa, 16);
	memcpy(ak->client, k->client, 16);
	ak->port = k->dport;
}

static int
affinity_expire(void *entry, void *arg)
{
	const struct stack_affinity *a = entry;

	LIB_UNUSED(arg);
	return a->expires_ms <= lib_now_ms();
}

void
stack_dp_expire(struct stack *s)
{
	lib_tab_foreach(s->dp.affinity, affinity_expire, NULL);
}

/* The sequence number of the TCP header at th (the parser checked that
 * tcp_hlen, at least 20 bytes, is there). */
static uint32_t
tcp_seq_of(const uint8_t *th)
{
	return (uint32_t)th[4] << 24 | (uint32_t)th[5] << 16 | (uint32_t)th[6] << 8 | th[7];
}

/*
 * The forwarding decision, apart from the packet I/O (a kernel data path
 * takes the same one): the VCRT entry of the connection (k) a TCP segment
 * with `tcp_flags` (len bytes) belongs to, created with a target from the
 * VDPT (or TIMEDAFFINITY) for a SYN; NULL when the segment is dropped (no
 * entry and not a SYN, no ready target, VCRT full), counted and logged.
 * `isn` is the segment's sequence number: a SYN's is the client's ISN, which
 * tells a retransmitted SYN from a new connection on the same ports.
 */
/*
 * A new connection k (SYN with the client's ISN isn): its VCRT entry, the
 * target from the VDPT (or TIMEDAFFINITY, or a standard client's home
 * binding), or kdest when the kernel program already routed the SYN there
 * from its schedule (stack_dp_kernel_syn).  NULL when no target is ready
 * or the VCRT is full, counted and logged.
 */
static struct vipa_conn *
new_conn(struct stack *s, struct stack_dvipa *d, const struct vipa_conn_key *kp, uint32_t isn,
	 const uint8_t *kdest)
{
	struct vipa_conn_key k = *kp;
	const struct vipa_distribute *v;
	struct vipa_vdpt_entry *e = NULL;
	struct vipa_conn *c;
	unsigned timedaff;
	size_t homes = s->mip6.homes ? lib_tab_count(s->mip6.homes) : 0;

	if (d->dist.mip6) {
		/* A standard client's per-home-address binding (being made,
		 * or made but not yet in effect at the client) sends all its
		 * traffic to the DVIPA to one target: its new connections go
		 * there too.  A target that cannot take one ends the binding
		 * (the third BU), and the connection is distributed; so does
		 * one the program routed elsewhere (its schedule goes while
		 * such a binding exists, but a record may have been queued). */
		const uint8_t *ht = stack_mip6_home_target(s, k.client, d->addr);

		if (ht) {
			e = vipa_vdpt_get(s->vdpt, d->addr, k.dport, ht, 0);
			if (e && (!e->rdy || (e->flags & VIPA_VDPT_F_QUIESCED)))
				e = NULL;
			if (e && kdest && memcmp(kdest, ht, 16) != 0)
				e = NULL;
			if (e)
				e->totalconn++;
			else
				stack_mip6_home_release(s, k.client, d->addr);
		}
	}
	v = stack_dvipa_dist_for(s, d, k.dport);
	timedaff = v ? v->timedaff : 0;
	if (!e && timedaff && !kdest) {
		/* TIMEDAFFINITY: a client's new connections go to the target
		 * of its previous ones while that target is ready. */
		struct stack_affinity_key ak;
		struct stack_affinity *a;

		affinity_key(&ak, &k);
		a = lib_tab_lookup(s->dp.affinity, &ak);
		if (a && a->expires_ms > lib_now_ms()) {
			e = vipa_vdpt_get(s->vdpt, d->addr, k.dport, a->target, 0);
			if (e && (!e->rdy || (e->flags & VIPA_VDPT_F_QUIESCED)))
				e = NULL;
			if (e)
				e->totalconn++;
		}
	}
	if (!e && kdest) {
		/* The program's choice (a target that left meanwhile has no
		 * row: the connection is recorded all the same, its SYN is
		 * on its way there). */
		e = vipa_vdpt_get(s->vdpt, d->addr, k.dport, kdest, 0);
		if (e)
			e->totalconn++;
	} else if (!e) {
		e = vipa_vdpt_pick(s->vdpt, d->addr, k.dport);
	}
	if (!e && !kdest) {
		s->cnt.no_target++;
		lib_verdict(&s->tun_verdicts, "no ready target (Rdy 0 everywhere)");
		return NULL;
	}
	if (!kdest)
		kdest = e->dest_xcf;
	if (d->dist.mip6)
		stack_mip6_home_pick(s, k.client, d->addr, kdest);
	c = stack_dist_syn_entry(s, &k, isn);
	if (!c) {
		lib_verdict(&s->tun_verdicts, "VCRT full");
		return NULL;
	}
	memcpy(c->dest_xcf, kdest, 16);
	/* A standard client's connections are found by client when its
	 * per-home-address binding is made (mip6.c, home_walk). */
	if (d->dist.mip6 && stack_mip6_cn_kind(s, k.client) == STACK_CN_STANDARD)
		stack_mip6_track(s, c);
	if (timedaff) {
		struct stack_affinity_key ak;
		struct stack_affinity *a;

		affinity_key(&ak, &k);
		a = lib_tab_insert(s->dp.affinity, &ak, NULL);
		if (a) {
			memcpy(a->target, kdest, 16);
			a->expires_ms = lib_now_ms() + timedaff * 1000ull;
		}
	}
	stack_dist_watch(s, c);
	if (e)
		e->active++;
	s->cnt.new_conns++;
	if (homes != (s->mip6.homes ? lib_tab_count(s->mip6.homes) : 0))
		stack_fast_sched_sync(s);	/* a binding begins: no schedule */
	return c;
}

/*
 * The forwarding decision, apart from the packet I/O (a kernel data path
 * takes the same one): the VCRT entry of the connection (k) a TCP segment
 * with `tcp_flags` (len bytes) belongs to, created with a target from the
 * VDPT (or TIMEDAFFINITY) for a SYN; NULL when the segment is dropped (no
 * entry and not a SYN, no ready target, VCRT full), counted and logged.
 * `isn` is the segment's sequence number: a SYN's is the client's ISN, which
 * tells a retransmitted SYN from a new connection on the same ports.
 */
struct vipa_conn *
stack_dp_route(struct stack *s, struct stack_dvipa *d, const struct vipa_conn_key *kp,
	       uint8_t tcp_flags, uint32_t isn, size_t len)
{
	struct vipa_conn_key k = *kp;
	struct vipa_conn *c;
	int syn = (tcp_flags & (WIRE_TCP_SYN | WIRE_TCP_ACK | WIRE_TCP_RST)) == WIRE_TCP_SYN;

	/* The program may have routed this SYN (its records first: then a
	 * SYN it left to us is found as the retransmission it is). */
	if (syn && stack_fast_active(s))
		stack_fast_syn_drain(s);
	c = vipa_vcrt_lookup(s->vcrt, &k);
	if (c && syn && stack_dist_syn_is_new(c, isn)) {
		/* A new connection on the ports of one that ended before its
		 * target reported the end: it is routed afresh (and counted).
		 * The same SYN again (same ISN) is a retransmission: it keeps
		 * its target. */
		stack_dist_conn_removed(s, c, 0);
		vipa_vcrt_remove(s->vcrt, &k);
		c = NULL;
	}
	if (!c) {
		if (!syn) {
			/* Not a new connection and not one we route. */
			s->cnt.no_entry++;
			lib_verdict(&s->tun_verdicts, "no VCRT entry for a non-SYN segment");
			return NULL;
		}
		c = new_conn(s, d, &k, isn, NULL);
		if (!c)
			return NULL;
		/* The client's next packets (its answer to the SYN-ACK, its
		 * first data) are forwarded by the kernel (DATAPATH BPF). */
		stack_fast_conn_early(s, c);
	} else if (!c->confirmed && (tcp_flags & (WIRE_TCP_SYN | WIRE_TCP_ACK | WIRE_TCP_RST)) ==
					 WIRE_TCP_ACK)
		/* The client answers the target's SYN-ACK: established (TSR);
		 * from now on the kernel fast path forwards its packets. */
		stack_dist_confirm(s, c);
	c->pkts_fwd++;
	c->bytes_fwd += len;
	/* As a z/OS distributor does, watch the client's FIN and RST: a
	 * connection the target never saw established is forgotten soon
	 * after (see syn_expire in dist.c). */
	if ((tcp_flags & (WIRE_TCP_FIN | WIRE_TCP_RST)) && !c->fin_ms) {
		c->fin_ms = lib_now_ms();
		stack_dist_watch(s, c);
	}
	return c;
}

void
stack_dp_kernel_syn(struct stack *s, const struct kdp_syn *ks)
{
	struct vipa_conn_key k;
	struct stack_dvipa *d;
	struct vipa_conn *c;

	memset(&k, 0, sizeof(k));
	memcpy(k.dvipa, ks->c.dvipa, 16);
	memcpy(k.client, ks->c.client, 16);
	k.dport = ks->c.dport;
	k.cport = ks->c.cport;
	d = stack_dvipa_find(s, k.dvipa);
	if (!d || !(d->owned || d->moving)) {
		/* Given up meanwhile: its entry goes (the SYN, once more, to
		 * the new owner). */
		stack_fast_conn_drop(s, &k);
		return;
	}
	c = vipa_vcrt_lookup(s->vcrt, &k);
	if (c && stack_dist_syn_is_new(c, ks->isn)) {
		stack_dist_conn_removed(s, c, 0);
		vipa_vcrt_remove(s->vcrt, &k);
		c = NULL;
	}
	if (c) {
		/* Routed here already (a SYN we routed, retransmitted after its
		 * entry went): it keeps its target. */
		s->fast.ksyn_known++;
		stack_fast_conn_kernel(s, c, ks->dest);
		return;
	}
	c = new_conn(s, d, &k, ks->isn, ks->dest);
	if (!c) {
		stack_fast_conn_drop(s, &k);
		return;
	}
	stack_fast_conn_kernel(s, c, ks->dest);
	c->pkts_fwd++;
	c->bytes_fwd += ks->len;
}

/*
 * How a packet reaches the target `dest` (its DYNAMICXCF address, as in
 * the VCRT): this stack itself (LOCAL); an IPv6 target with a Type 2
 * Routing Header (RH2); an IPv4 target in GRE, to `outer`: the target
 * address of a VIPAROUTE for it, or its IPv4 DYNAMICXCF address (GRE).
 */
enum stack_dp_via
stack_dp_next_hop(const struct stack *s, const uint8_t dest[16], uint8_t outer[16])
{
	const struct vipa_vroute *vr;

	memcpy(outer, dest, 16);
	if (memcmp(dest, s->xcfaddr, 16) == 0 ||
	    (vipa_addr_is_v4(s->xcfaddr4) && memcmp(dest, s->xcfaddr4, 16) == 0))
		return STACK_DP_LOCAL;
	if (!vipa_addr_is_v4(dest))
		return STACK_DP_RH2;
	vr = vipa_profile_vroute(&s->prof, dest);
	if (vr)
		memcpy(outer, vr->target, 16);
	return STACK_DP_GRE;
}

static void
distribute(struct stack *s, struct stack_dvipa *d, const struct wire_pkt *pk, uint8_t *pkt,
	   size_t len, struct wire_vnet_hdr *vh)
{
	struct vipa_conn_key k;
	struct vipa_conn *c;

	memcpy(k.dvipa, d->addr, 16);
	memcpy(k.client, pk->src, 16);
	k.dport = pk->dport;
	k.cport = pk->sport;
	c = stack_dp_route(s, d, &k, pk->tcp_flags, tcp_seq_of(pkt + pk->l4_off), len);
	if (c)
		forward(s, pk, pkt, len, vh, c->dest_xcf);
}

/* ---- IPv4 ------------------------------------------------------------------------- */

/*
 * ICMP Fragmentation Needed (RFC 1191) from the DVIPA to the client, quoting
 * the packet as the client sent it: the IPv4 counterpart of send_ptb.
 */
static void
send_frag_needed(struct stack *s, const uint8_t *pkt, size_t len, uint16_t mtu)
{
	uint8_t *out = s->dp.ptb;
	ssize_t n;

	memset(out, 0, WIRE_VNET_HDR_LEN);
	n = wire_icmp4_frag_needed(out + WIRE_VNET_HDR_LEN, sizeof(s->dp.ptb) - WIRE_VNET_HDR_LEN,
				   pkt + 16, pkt, len, mtu);
	if (n < 0) {
		lib_verdict(&s->tun_verdicts, "IPv4 packet too big to forward (not DF)");
		return;
	}
	/* RFC 1812 4.3.2.8: ICMP errors are rate limited (the same bucket as
	 * the Packet Too Big ones). */
	if (!stack_dp_ptb_ok(s))
		return;
	s->cnt.ptb_sent++;
	tun_write_now(s, out, WIRE_VNET_HDR_LEN + (size_t)n);
}

/* Completes a checksum the sender left to the device (NEEDS_CSUM): the
 * encapsulated packet travels where nobody completes it for us. */
static int
csum_complete(uint8_t *pkt, size_t len, struct wire_vnet_hdr *vh)
{
	size_t at;
	uint16_t c;

	if (!(vh->flags & WIRE_VNET_F_NEEDS_CSUM))
		return 0;
	at = (size_t)vh->csum_start + vh->csum_offset;
	if (vh->csum_start >= len || at + 2 > len)
		return -1;
	/* The field holds the pseudo-header sum; the device would sum from
	 * csum_start to the end and store the complement there. */
	c = wire_csum_fold(wire_csum_add(0, pkt + vh->csum_start, len - vh->csum_start));
	pkt[at] = (uint8_t)(c >> 8);
	pkt[at + 1] = (uint8_t)c;
	vh->flags &= (uint8_t)~WIRE_VNET_F_NEEDS_CSUM;
	return 0;
}

/* Forwards the IPv4 packet at pkt to the target `dest` (IPv4-mapped). */
static void
forward4(struct stack *s, uint8_t *pkt, size_t len, struct wire_vnet_hdr *vh,
	 const uint8_t dest[16])
{
	static const struct wire_gre g = { 0 };
	uint8_t outer[16];
	ssize_t nl;

	if (stack_dp_next_hop(s, dest, outer) == STACK_DP_LOCAL) {
		s->cnt.local_pkts++;
		tun_write(s, pkt - WIRE_VNET_HDR_LEN, len + WIRE_VNET_HDR_LEN);
		return;
	}
	if (vh->gso_type != WIRE_VNET_GSO_NONE) {
		/* The TUN takes no IPv4 super-packets (net.c); never here. */
		lib_verdict(&s->tun_verdicts, "IPv4 super-packet on a TUN without TSO4");
		return;
	}
	if (len + WIRE_IP4_HDR_LEN + WIRE_GRE_HDR_MIN > s->lan_mtu) {
		send_frag_needed(s, pkt, len,
				 (uint16_t)(s->lan_mtu - WIRE_IP4_HDR_LEN - WIRE_GRE_HDR_MIN));
		return;
	}
	if (csum_complete(pkt, len, vh) < 0) {
		lib_verdict(&s->tun_verdicts, "bad checksum offsets in the virtio-net header");
		return;
	}
	nl = wire_gre4_encap(pkt, len, s->xcfaddr4 + 12, outer + 12, &g, s->dp.ip4_id++);
	if (nl < 0) {
		lib_verdict(&s->tun_verdicts, "cannot encapsulate in GRE");
		return;
	}
	pkt -= WIRE_IP4_HDR_LEN + WIRE_GRE_HDR_MIN;
	memset(pkt - WIRE_VNET_HDR_LEN, 0, WIRE_VNET_HDR_LEN);
	s->cnt.fwd_pkts++;
	s->cnt.fwd_bytes += (uint64_t)nl;
	tun_write(s, pkt - WIRE_VNET_HDR_LEN, (size_t)nl + WIRE_VNET_HDR_LEN);
}

/*
 * A GRE packet for us (to our IPv4 DYNAMICXCF address through the TUN, or
 * to another of our addresses through the raw GRE socket, VIPAROUTE): the
 * inner IPv4 packet, to a DVIPA we serve, is written into the TUN unchanged
 * (there the DVIPA is a local address).  pkt has WIRE_VNET_HDR_LEN bytes of
 * room before it; vh is the TUN's virtio-net header of the GRE packet (NULL
 * from the raw socket).
 */
static void
deliver_gre4(struct stack *s, uint8_t *pkt, size_t len, const struct wire_vnet_hdr *vh)
{
	struct wire_gre4_info gi;
	struct stack_dvipa *d;
	const char *why = "malformed GRE packet";
	uint8_t *in, dv[16];

	if (wire_gre4_decap(&gi, pkt, len, &why) < 0) {
		lib_verdict(&s->tun_verdicts, why);
		return;
	}
	in = pkt + gi.inner_off;
	if (gi.gre.proto != WIRE_ETHERTYPE_IP) {
		lib_verdict(&s->tun_verdicts, "GRE payload is not IPv4");
		return;
	}
	memset(dv, 0, 10);
	dv[10] = dv[11] = 0xff;
	memcpy(dv + 12, in + 16, 4);
	d = stack_dvipa_find(s, dv);
	if (!d || (!d->target && !d->owned)) {
		lib_verdict(&s->tun_verdicts, "GRE inner destination is not a DVIPA we serve");
		return;
	}
	memset(in - WIRE_VNET_HDR_LEN, 0, WIRE_VNET_HDR_LEN);
	/* A checksum the sender left to the device (a routing stack's kernel
	 * path encapsulates the client's packet as it is) is left to the
	 * kernel again, at its place in the inner packet. */
	if (vh && (vh->flags & WIRE_VNET_F_NEEDS_CSUM) && vh->csum_start >= gi.inner_off &&
	    (size_t)vh->csum_start - gi.inner_off + vh->csum_offset + 2 <= gi.inner_len) {
		struct wire_vnet_hdr ih;

		memset(&ih, 0, sizeof(ih));
		ih.flags = WIRE_VNET_F_NEEDS_CSUM;
		ih.csum_start = (uint16_t)(vh->csum_start - gi.inner_off);
		ih.csum_offset = vh->csum_offset;
		wire_vnet_encode(&ih, in - WIRE_VNET_HDR_LEN);
	} else if (!vh) {
		/* From the raw socket (VIPAROUTE) the kernel gives no such
		 * header: a routing stack's kernel path sends the client's
		 * packet with the checksum left to the device, and it reaches
		 * us unfinished; the field then holds the pseudo-header's sum,
		 * and the TUN is asked to finish it, as above. */
		struct wire_vnet_hdr ih;
		uint16_t cs, co;

		if (wire_ip4_csum_partial(in, gi.inner_len, &cs, &co)) {
			memset(&ih, 0, sizeof(ih));
			ih.flags = WIRE_VNET_F_NEEDS_CSUM;
			ih.csum_start = cs;
			ih.csum_offset = co;
			wire_vnet_encode(&ih, in - WIRE_VNET_HDR_LEN);
		}
	}
	s->cnt.strip_pkts++;
	tun_write(s, in - WIRE_VNET_HDR_LEN, gi.inner_len + WIRE_VNET_HDR_LEN);
}

static void
handle_packet4(struct stack *s, uint8_t *frame, size_t flen, struct wire_vnet_hdr *vh)
{
	struct wire_pkt4 pk;
	struct stack_dvipa *d;
	const char *why = "malformed IPv4 packet";
	uint8_t *pkt = frame + WIRE_VNET_HDR_LEN, dst[16];
	size_t len = flen - WIRE_VNET_HDR_LEN;

	if (wire_ip4_parse(&pk, pkt, len, &why) < 0) {
		lib_verdict(&s->tun_verdicts, why);
		return;
	}
	len = pk.ip.tot_len;
	s->cnt.rx_pkts++;
	s->cnt.rx_bytes += len;
	memset(dst, 0, 10);
	dst[10] = dst[11] = 0xff;
	memcpy(dst + 12, pk.ip.dst, 4);
	if (vipa_addr_is_v4(s->xcfaddr4) && memcmp(dst, s->xcfaddr4, 16) == 0) {
		deliver_gre4(s, pkt, len, vh);
		return;
	}
	d = stack_dvipa_find(s, dst);
	if (!d || (!d->owned && !d->moving)) {
		lib_verdict(&s->tun_verdicts, "destination is neither an owned DVIPA nor our IPv4 XCF address");
		return;
	}
	if (pk.ip.proto == WIRE_PROTO_TCP && pk.tcp_hlen && !pk.is_fragment &&
	    stack_dvipa_is_dist_port(d, pk.dport)) {
		struct vipa_conn_key k;
		struct vipa_conn *c;

		memcpy(k.dvipa, d->addr, 16);
		memset(k.client, 0, 10);
		k.client[10] = k.client[11] = 0xff;
		memcpy(k.client + 12, pk.ip.src, 4);
		k.dport = pk.dport;
		k.cport = pk.sport;
		c = stack_dp_route(s, d, &k, pk.tcp_flags, tcp_seq_of(pkt + pk.l4_off), len);
		if (c)
			forward4(s, pkt, len, vh, c->dest_xcf);
		return;
	}
	/* Not distributed: the owner answers itself (ping, other ports). */
	s->cnt.local_pkts++;
	tun_write(s, frame, flen);
}

/* A segment of a connection we route on a port that is no longer
 * distributed (an OBEYFILE deleted its VIPADISTRIBUTE): it keeps its route
 * until it ends; a new connection on such a port is the owner's own. */
static int
routed_before(struct stack *s, const struct stack_dvipa *d, const struct wire_pkt *pk)
{
	struct vipa_conn_key k;

	if ((pk->tcp_flags & (WIRE_TCP_SYN | WIRE_TCP_ACK | WIRE_TCP_RST)) == WIRE_TCP_SYN)
		return 0;
	memcpy(k.dvipa, d->addr, 16);
	memcpy(k.client, pk->src, 16);
	k.dport = pk->dport;
	k.cport = pk->sport;
	return vipa_vcrt_lookup(s->vcrt, &k) != NULL;
}

void
stack_dp_packet(struct stack *s, uint8_t *frame, size_t flen)
{
	struct wire_vnet_hdr vh;
	struct wire_pkt pk;
	struct stack_dvipa *d;
	const char *why = "malformed packet";
	uint8_t *pkt = frame + WIRE_VNET_HDR_LEN;
	size_t len = flen - WIRE_VNET_HDR_LEN;

	wire_vnet_decode(&vh, frame);
	if ((pkt[0] >> 4) == 4) {
		handle_packet4(s, frame, flen, &vh);
		return;
	}
	if (wire_ip6_parse(&pk, pkt, len, &why) < 0) {
		lib_verdict(&s->tun_verdicts, why);
		return;
	}
	s->cnt.rx_pkts++;
	s->cnt.rx_bytes += len;

	/* Case 2: to our care-of address, with an RH2 naming a DVIPA. */
	if (memcmp(pk.dst, s->xcfaddr, 16) == 0) {
		ssize_t nl;

		if (pk.proto == WIRE_PROTO_MH) {
			/* CoT, or BA / BRR sent straight to the target. */
			if (!s->no_mip6)
				stack_mip6_rx_target(s, &pk, pkt, len);
			else
				lib_verdict(&s->tun_verdicts, "Mobility Header while the bypass is off here");
			return;
		}
		if (!pk.rh2_home || pk.rh_off != WIRE_IP6_HDR_LEN || pk.rh_segleft != 1) {
			lib_verdict(&s->tun_verdicts, "to our care-of address without a Type 2 Routing Header");
			return;
		}
		d = stack_dvipa_find(s, pk.rh2_home);
		if (!d || (!d->target && !d->owned)) {
			lib_verdict(&s->tun_verdicts, "RH2 home address is not a DVIPA we serve");
			return;
		}
		nl = wire_rh2_strip(pkt, len, &vh);
		if (nl < 0) {
			lib_verdict(&s->tun_verdicts, "cannot strip routing header");
			return;
		}
		pkt += WIRE_RH2_LEN;
		wire_vnet_encode(&vh, pkt - WIRE_VNET_HDR_LEN);
		s->cnt.strip_pkts++;
		tun_write(s, pkt - WIRE_VNET_HDR_LEN, (size_t)nl + WIRE_VNET_HDR_LEN);
		return;
	}

	/* Case 1: to a DVIPA we own. */
	if (pk.dst[0] == 0xff) {
		/* The kernel's own multicast (MLD) on the TUN: nothing for us. */
		return;
	}
	d = stack_dvipa_find(s, pk.dst);
	if (!d || (!d->owned && !d->moving)) {
		lib_verdict(&s->tun_verdicts, "destination is neither an owned DVIPA nor our care-of address");
		return;
	}
	if (pk.proto == WIRE_PROTO_MH) {
		stack_mip6_rx_owner(s, &pk, pkt, len);
		return;
	}
	if (pk.proto == WIRE_PROTO_TCP && pk.tcp_hlen &&
	    (stack_dvipa_is_dist_port(d, pk.dport) || routed_before(s, d, &pk))) {
		distribute(s, d, &pk, pkt, len, &vh);
		return;
	}
	if (pk.proto == WIRE_PROTO_TCP && pk.tcp_hlen && d->sp_init) {
		/* SYSPLEXPORTS: a connection a target opened from the DVIPA (its
		 * ephemeral port is in that target's blocks). */
		uint8_t buf[16];
		const uint8_t *x = stack_dist_port_owner(s, d, pk.dport, buf);

		if (x && memcmp(x, s->xcfaddr, 16) != 0) {
			forward(s, &pk, pkt, len, &vh, x);
			return;
		}
	}
	/* Not distributed: the owner answers itself (ping, other ports). */
	s->cnt.local_pkts++;
	tun_write(s, frame, flen);
}

static void
tun_cb(uv_poll_t *h, int status, int events)
{
	struct stack *s = h->data;
	int i;

	LIB_UNUSED(events);
	if (status < 0)
		return;
	/* Owner actions need a valid lease: checked before the batch (after
	 * SIGCONT this callback may run before any timer). */
	stack_own_guard(s);
	for (i = 0; i < STACK_RX_BUDGET; i++) {
		uint8_t *frame = s->dp.rxbuf + STACK_HEADROOM;
		ssize_t n = read(s->tun_fd, frame, STACK_PKT_MAX);

		if (n < 0) {
			if (errno != EAGAIN && errno != EINTR)
				lib_verdict(&s->tun_verdicts, "TUN read failed");
			return;
		}
		if ((size_t)n <= WIRE_VNET_HDR_LEN) {
			lib_verdict(&s->tun_verdicts, "short TUN frame");
			continue;
		}
		stack_dp_packet(s, frame, (size_t)n);
	}
	/* Budget spent: level-triggered poll brings us back after other work. */
}

/* GRE to one of our local addresses: a routing stack's VIPAROUTE to us.
 * The kernel hands the raw socket every GRE packet delivered locally, the
 * outer header included (reassembled if it came in fragments). */
static void
gre_cb(uv_poll_t *h, int status, int events)
{
	struct stack *s = h->data;
	int i;

	LIB_UNUSED(events);
	if (status < 0)
		return;
	for (i = 0; i < STACK_RX_BUDGET; i++) {
		uint8_t *pkt = s->dp.rxbuf + STACK_HEADROOM + WIRE_VNET_HDR_LEN;
		ssize_t n = recv(s->dp.gre_fd, pkt, STACK_PKT_MAX - WIRE_VNET_HDR_LEN, 0);

		if (n < 0) {
			if (errno != EAGAIN && errno != EINTR)
				lib_verdict(&s->tun_verdicts, "GRE socket read failed");
			return;
		}
		deliver_gre4(s, pkt, (size_t)n, NULL);
	}
}

static int
gre_start(struct stack *s)
{
	int r;

	s->dp.gre_fd = socket(AF_INET, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, IPPROTO_GRE);
	if (s->dp.gre_fd < 0) {
		log_warn("raw GRE socket (VIPAROUTE to this stack)");
		return -1;
	}
	r = uv_poll_init(s->loop, &s->dp.gre_poll, s->dp.gre_fd);
	if (r < 0) {
		log_warnx("uv_poll_init on the GRE socket: %s", uv_strerror(r));
		return -1;
	}
	s->dp.gre_poll_init = 1;
	s->dp.gre_poll.data = s;
	return uv_poll_start(&s->dp.gre_poll, UV_READABLE, gre_cb) < 0 ? -1 : 0;
}

int
stack_dp_start(struct stack *s)
{
	int r = uv_poll_init(s->loop, &s->dp.tun_poll, s->tun_fd);

	if (r < 0) {
		log_warnx("uv_poll_init on TUN: %s", uv_strerror(r));
		return -1;
	}
	s->dp.tun_poll_init = 1;
	s->dp.tun_poll.data = s;
	if (vipa_addr_is_v4(s->xcfaddr4) && gre_start(s) < 0)
		return -1;
	return uv_poll_start(&s->dp.tun_poll, UV_READABLE, tun_cb) < 0 ? -1 : 0;
}

void
stack_dp_stop(struct stack *s)
{
	lib_delay_destroy(&s->dp.delay);
	if (s->dp.tun_poll_init && uv_is_active((uv_handle_t *)&s->dp.tun_poll))
		uv_poll_stop(&s->dp.tun_poll);
	if (s->dp.gre_poll_init && uv_is_active((uv_handle_t *)&s->dp.gre_poll))
		uv_poll_stop(&s->dp.gre_poll);
}
