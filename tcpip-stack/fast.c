/*
 * fast.c - the kernel fast path of a stack (DATAPATH BPF): the eBPF program
 * of kdp/ on the ingress of the LAN device does the per-packet work of dp.c
 * for the packets it fully understands, from tables this file fills:
 *  - the DVIPA flags: OWNED / MOVING (we route its connections), TARGET (we
 *    strip the Type 2 Routing Header of packets for it), from struct
 *    stack_dvipa, set again whenever they change (stack_fast_sync);
 *  - the connections: one entry per confirmed VCRT entry of a DVIPA we own
 *    or still forward (MOVING), key as the VCRT has it, target its
 *    DYNAMICXCF address; for an IPv4 DVIPA (GRE, when we have an IPv4
 *    DYNAMICXCF address) the GRE packet's outer destination: the target's
 *    IPv4 DYNAMICXCF address, or the target address of a VIPAROUTE for it
 *    (kernel_entry).
 *    dp.c installs it when it routes the SYN (stack_fast_conn_early), so
 *    that the client's answer to the target's SYN-ACK and its first data
 *    are forwarded by the kernel and not by a round trip through this
 *    daemon each (the connection is confirmed by the target's report
 *    then); but only while fewer than STACK_FAST_EARLY_MAX half-open
 *    entries have one, so that a SYN flood cannot fill the kernel table
 *    (nor cost more than that many installs and deletions at a time):
 *    beyond, dist.c installs it when the connection is confirmed (the
 *    client's answer to the target's SYN-ACK, which the TSR counts and the
 *    daemon sees through its TUN, or the target's report:
 *    stack_fast_conn_put);
 *    every way a VCRT entry goes calls
 *    stack_fast_conn_gone first, so a kernel entry never outlives its VCRT
 *    entry; a sweep every second (stack_fast_sweep) deletes any entry the
 *    VCRT no longer has, installs any the table misses (a takeover's VCRT
 *    rebuilt from the targets' reports, a table that was full), and takes
 *    the first client FIN or RST the program saw into the VCRT entry and
 *    onto the expiry wheel (through the callback dist.c registered).  The
 *    sweep goes in steps, so that its cost does not grow with the number of
 *    connections: each second STACK_FAST_STEP kernel entries (read in
 *    batches, a system call per 256) and the VCRT entries of the next
 *    STACK_FAST_VSTEP * 64 pool slots, at most STACK_FAST_VSTEP of them
 *    routed (one system call each), go round both tables from where the
 *    last step stopped (a pass over 100,000 kernel entries takes 100 s;
 *    the kernel table has as many entries as the VCRT, so a connection
 *    the VCRT holds always has room in it; the kernel's own
 *    entries are the ones that matter here: a VCRT entry misses its kernel
 *    entry only after a failure, which sets fill).  A whole pass over
 *    the VCRT is made at once only when it is owed: the DVIPAs' flags
 *    changed (we took a DVIPA over: its entries belong in the kernel now),
 *    the fast path started or an OBEYFILE changed the VIPAROUTEs
 *    (stack_fast_resync); and, at most every
 *    STACK_FAST_FILL_MS, when an entry went after the kernel table was
 *    full (the ones left on the TUN path then get their room).  Tables of
 *    at most STACK_FAST_STEP entries are still swept whole every second;
 *  - the lease: the program forwards only until our couple data set lease
 *    runs out (kdp_set_lease, renewed every poll), so a stopped daemon's
 *    tables stop forwarding by themselves; a killed daemon's program goes
 *    with its process (tcx links).
 *  - the schedules (stack_fast_sched_sync): for each distributed port of
 *    a DVIPA we own, the VDPT's decision laid out in slots
 *    (vipa_vdpt_schedule), given again whenever it changes (after every
 *    XCF message, VARY, OBEYFILE, ownership change, and each second); the
 *    program routes a new connection's SYN itself to the next slot's
 *    target, makes its kernel entry and queues a record, from which dp.c
 *    makes the VCRT entry as if it had routed the SYN
 *    (stack_fast_syn_drain, stack_dp_kernel_syn); the record's entry
 *    counts as one installed at the SYN (c->early), so the program's
 *    budget (kdp_syn_allow) is what STACK_FAST_EARLY_MAX leaves: beyond,
 *    in a SYN flood, SYNs come to the daemon as before.  TIMEDAFFINITY
 *    ports, MOBILEIPV6 DVIPAs while a standard client's home binding
 *    exists, WEIGHTEDACTIVE and HOTSTANDBY get no schedule (their
 *    decision depends on the client or on each pick).
 * The daemon still sees the SYNs without a schedule and everything the
 * program leaves (no entry, Packet Too Big, Mobility Headers, a lapsed
 * lease): those take the TUN path unchanged, so a missing or late entry
 * costs speed, never a packet.  SYSPLEX$LINK loss is applied by the program; while a delay is
 * set every packet takes the TUN path (the delay line is there).
 *
 * When the program cannot be loaded (no CAP_BPF, no BTF, an old kernel) the
 * stack runs the TUN path and says why once (EZD1242E); DATAPATH TUN in the
 * PROFILE chooses it outright.
 *
 * State: struct stack_fast (stack.h).  Level 1 of tcpip-stack/ (stack.h):
 * calls kdp/, vipa/ and dvipa.c.
 */
#include "tcpip-stack/stack.h"

#include <errno.h>
#include <string.h>

#include "kdp/kdp.h"

#define STACK_FAST_STEP 1024		/* kernel entries per sweep */
#define STACK_FAST_VSTEP 256		/* VCRT entries per sweep */
#define STACK_FAST_FILL_MS 10000

static void syn_allow(struct stack *s);
static void syn_poll_cb(uv_poll_t *p, int status, int events);

unsigned
stack_fast_dvipa_flags(const struct stack_dvipa *d, int tun_only)
{
	unsigned f = 0;

	if (tun_only)
		return 0;
	if (d->owned)
		f |= KDP_DVIPA_OWNED;
	if (d->moving)
		f |= KDP_DVIPA_MOVING;
	if (d->target)
		f |= KDP_DVIPA_TARGET;
	return f;
}

int
stack_fast_active(const struct stack *s)
{
	return s->fast.kdp != NULL;
}

const char *
stack_fast_datapath(const struct stack *s)
{
	return s->fast.kdp ? "BPF" : "TUN";
}

/* The kernel table holds the connections of the DVIPAs we route; those of
 * an IPv4 DVIPA only when we have an IPv4 DYNAMICXCF address (the GRE
 * packets' source; without one dp.c forwards none either). */
static int
routes_conns(const struct stack *s, const struct stack_dvipa *d)
{
	return d && (d->owned || d->moving) &&
	       (!vipa_addr_is_v4(d->addr) || vipa_addr_is_v4(s->xcfaddr4));
}

/*
 * 1 when the confirmed connection c belongs in the kernel table, with
 * `dest` where the program sends its packets: its target's DYNAMICXCF
 * address (IPv6: the RH2's destination; ourselves; IPv4: the GRE packet's
 * outer destination), or for an IPv4 target reached through a VIPAROUTE
 * the VIPAROUTE's target address, the choice of dp.c's stack_dp_next_hop
 * (a level above us).  Such GRE reaches the target at one of its own
 * addresses with the client's checksum still left to the device: a target
 * with the kernel path takes it off in its program (the checksum stays
 * to be completed), one with the TUN path in its raw GRE socket, which
 * recognises the unfinished checksum and has its TUN complete it (dp.c).
 */
static int
kernel_entry(const struct stack *s, const struct vipa_conn *c, uint8_t dest[16])
{
	const struct vipa_vroute *vr;

	if ((!c->confirmed && !c->early) ||
	    !routes_conns(s, stack_dvipa_find((struct stack *)s, c->key.dvipa)))
		return 0;
	memcpy(dest, c->dest_xcf, 16);
	if (vipa_addr_is_v4(c->dest_xcf) && memcmp(c->dest_xcf, s->xcfaddr4, 16) != 0 &&
	    (vr = vipa_profile_vroute(&s->prof, c->dest_xcf)) != NULL)
		memcpy(dest, vr->target, 16);
	return 1;
}

static void
conn_of(struct kdp_conn *kc, const struct vipa_conn_key *k)
{
	memset(kc, 0, sizeof(*kc));
	memcpy(kc->dvipa, k->dvipa, 16);
	memcpy(kc->client, k->client, 16);
	kc->dport = k->dport;
	kc->cport = k->cport;
}

void
stack_fast_sync(struct stack *s)
{
	struct stack_fast *f = &s->fast;
	uint64_t now = lib_now_ms(), lease;
	int i;

	if (!f->kdp)
		return;
	/* Our lease as the couple data set gives it: the program forwards for
	 * owned DVIPAs only until then. */
	lease = !s->left_group && xcf_lease_ok(s->xcf) ? now + xcf_lease_left_ms(s->xcf) : 1;
	if (lease != f->lease_ms) {
		if (kdp_set_lease(f->kdp, lease) < 0)
			f->errors++;
		else
			f->lease_ms = lease;
	}
	for (i = 0; i < s->ndv; i++) {
		unsigned fl = stack_fast_dvipa_flags(&s->dv[i], f->tun_only);

		if (f->set[i] && memcmp(f->addr[i], s->dv[i].addr, 16) != 0) {
			/* The slot was reused for another DVIPA (a full table's
			 * idle entry ages out, dvipa.c): the old one's kernel
			 * entry goes, or the map would fill with DVIPAs nobody
			 * holds. */
			(void)kdp_dvipa_del(f->kdp, f->addr[i]);
			f->set[i] = 0;
		}
		if (f->set[i] && f->flags[i] == fl)
			continue;
		if (kdp_dvipa_set(f->kdp, s->dv[i].addr, fl) < 0) {
			f->errors++;
			continue;
		}
		memcpy(f->addr[i], s->dv[i].addr, 16);
		f->flags[i] = (uint8_t)fl;
		f->set[i] = 1;
		f->fill = 1;	/* its connections may belong in the kernel now */
		f->fill_ms = 0;
	}
	stack_fast_sched_sync(s);
}

void
stack_fast_conn_put(struct stack *s, const struct vipa_conn *c)
{
	struct kdp_conn kc;
	uint8_t dest[16];
	int r;

	/* Once confirmed (the daemon sees the SYN and the client's answer to
	 * the target's SYN-ACK, which the TSR counts, through its TUN), or at
	 * the SYN (stack_fast_conn_early). */
	if (!s->fast.kdp || !kernel_entry(s, c, dest))
		return;
	conn_of(&kc, &c->key);
	r = kdp_conn_set(s->fast.kdp, &kc, dest);
	if (r == -ENOSPC) {
		s->fast.conn_full++;	/* it stays on the TUN path... */
		s->fast.full = 1;	/* ...until an entry goes (stack_fast_sweep) */
	}
	else if (r < 0) {
		s->fast.errors++;
		s->fast.fill = 1;	/* the next whole pass tries again */
	} else {
		s->fast.conn_put++;
	}
}

void
stack_fast_conn_early(struct stack *s, struct vipa_conn *c)
{
	uint64_t put;

	if (!s->fast.kdp || c->confirmed || c->early || s->fast.early >= STACK_FAST_EARLY_MAX)
		return;
	c->early = 1;
	put = s->fast.conn_put;
	stack_fast_conn_put(s, c);
	if (s->fast.conn_put == put) {
		c->early = 0;	/* not installed (full, or not ours): at the confirmation */
		return;
	}
	s->fast.early++;
	s->fast.early_put++;
}

void
stack_fast_conn_confirmed(struct stack *s, struct vipa_conn *c)
{
	if (!c->early)
		return;
	c->early = 0;
	if (s->fast.early)
		s->fast.early--;
}

void
stack_fast_conn_gone(struct stack *s, const struct vipa_conn *c)
{
	struct kdp_conn kc;

	if (c->early && s->fast.early)
		s->fast.early--;
	if (!s->fast.kdp)
		return;
	conn_of(&kc, &c->key);
	if (kdp_conn_del(s->fast.kdp, &kc) == 0) {
		s->fast.conn_del++;
		if (s->fast.full) {
			s->fast.full = 0;
			s->fast.fill = 1;	/* room: for one left out */
		}
	}
}

int
stack_fast_conn_counters(struct stack *s, const struct vipa_conn_key *k, struct kdp_counters *ct)
{
	struct kdp_conn kc;

	if (!s->fast.kdp)
		return -ENOENT;
	conn_of(&kc, k);
	return kdp_conn_get(s->fast.kdp, &kc, NULL, ct);
}

struct sweep {
	struct stack *s;
	int kept;		/* kernel entries that match their VCRT entry */
};

/* One kernel entry: deleted when the VCRT has no such entry (or its DVIPA
 * is not routed here), corrected when its target differs; the FIN time
 * goes into the VCRT entry (dist.c ages unconfirmed entries from it). */
static int
sweep_kernel(const struct kdp_conn *kc, const uint8_t dest[16], const struct kdp_counters *ct,
	     void *arg)
{
	struct sweep *w = arg;
	struct stack *s = w->s;
	struct vipa_conn_key k;
	struct vipa_conn *c;
	uint8_t want[16];

	memset(&k, 0, sizeof(k));
	memcpy(k.dvipa, kc->dvipa, 16);
	memcpy(k.client, kc->client, 16);
	k.dport = kc->dport;
	k.cport = kc->cport;
	c = vipa_vcrt_lookup(s->vcrt, &k);
	if (!c || !kernel_entry(s, c, want)) {
		/* No such connection, or not ours to route. */
		if (kdp_conn_del(s->fast.kdp, kc) == 0)
			s->fast.conn_del++;
		return 0;
	}
	if (memcmp(dest, want, 16) != 0) {
		/* Its target differs (or a VIPAROUTE for it came or went). */
		stack_fast_conn_put(s, c);
		return 0;
	}
	if (ct->fin_ms && !c->fin_ms) {
		/* As dp.c does when the FIN passes the TUN: the entry goes on
		 * the expiry wheel, or it would stay until a target's END
		 * report (lost: for ever, a full walk aside). */
		c->fin_ms = ct->fin_ms;
		if (s->fast.fin_seen)
			s->fast.fin_seen(s, c);
	}
	w->kept++;
	return 0;
}

/* A VCRT entry the kernel table misses is installed. */
static int
fill_missing(struct vipa_conn *c, void *arg)
{
	struct stack *s = arg;
	struct kdp_conn kc;
	uint8_t dest[16];

	if (!kernel_entry(s, c, dest))
		return 0;
	conn_of(&kc, &c->key);
	if (kdp_conn_get(s->fast.kdp, &kc, NULL, NULL) == -ENOENT)
		stack_fast_conn_put(s, c);
	return 0;
}

void
stack_fast_sweep(struct stack *s)
{
	struct stack_fast *f = &s->fast;
	struct sweep w = { s, 0 };
	uint64_t now = lib_now_ms();
	uint32_t cap, end, n = 0;

	if (!f->kdp)
		return;
	stack_fast_sync(s);
	stack_fast_syn_drain(s);
	stack_fast_sched_sync(s);
	kdp_conn_walk(f->kdp, &f->kcur, STACK_FAST_STEP, sweep_kernel, &w);
	if ((f->fill && now - f->fill_ms >= STACK_FAST_FILL_MS) ||
	    vipa_vcrt_count(s->vcrt) <= STACK_FAST_STEP) {
		/* Owed, or a table small enough for a whole pass a second. */
		if (f->fill) {
			f->fill = 0;
			f->fill_ms = now;
			f->fills++;
		}
		vipa_vcrt_foreach(s->vcrt, fill_missing, s);
	} else {
		/* The next slots of the VCRT's pool. */
		cap = (uint32_t)vipa_vcrt_capacity(s->vcrt);
		end = f->vcur + STACK_FAST_VSTEP * 64;
		for (; f->vcur < cap && f->vcur < end && n < STACK_FAST_VSTEP; f->vcur++) {
			struct vipa_conn *c = vipa_vcrt_at(s->vcrt, f->vcur);

			if (c && (c->confirmed || c->early)) {
				fill_missing(c, s);
				n++;
			}
		}
		if (f->vcur >= cap)
			f->vcur = 0;
	}
	f->sweeps++;
}

void
stack_fast_resync(struct stack *s)
{
	s->fast.fill = 1;
	s->fast.fill_ms = 0;
	stack_fast_sweep(s);
}

int
stack_fast_link(struct stack *s, int loss_pct, unsigned delay_ms)
{
	int r;

	if (!s->fast.kdp)
		return 0;
	if ((r = kdp_set_loss(s->fast.kdp, (unsigned)loss_pct)) < 0)
		return r;
	s->fast.tun_only = delay_ms > 0;
	stack_fast_sync(s);
	stack_fast_sched_sync(s);
	return 0;
}

int
stack_fast_start(struct stack *s)
{
	struct stack_fast *f = &s->fast;
	struct kdp_opts o;
	int r;

	if (s->prof.datapath == VIPA_DATAPATH_TUN) {
		lib_strlcpy(f->why, "DATAPATH TUN in the PROFILE", sizeof(f->why));
		log_info("EZD1241I DATAPATH TUN: EVERY DATA PACKET THROUGH %s", STACK_TUN_NAME);
		return 0;
	}
	memset(&o, 0, sizeof(o));
	o.role = KDP_ROLE_STACK;
	o.ifname = s->lanif;
	o.max_conns = (unsigned)(s->max_conns ? s->max_conns : STACK_VCRT_MAX);
	o.max_dvipas = VIPA_MAX_DVIPA;
	r = kdp_open(&f->kdp, &o, f->why, sizeof(f->why));
	if (r == 0 && (r = kdp_set_self(f->kdp, s->xcfaddr, STACK_TUN_NAME)) < 0) {
		snprintf(f->why, sizeof(f->why), "kdp_set_self %s: %s", STACK_TUN_NAME,
			 strerror(-r));
		kdp_close(&f->kdp);
	}
	if (r == 0 && vipa_addr_is_v4(s->xcfaddr4) && (r = kdp_set_self4(f->kdp, s->xcfaddr4)) < 0) {
		snprintf(f->why, sizeof(f->why), "kdp_set_self4: %s", strerror(-r));
		kdp_close(&f->kdp);
	}
	if (r < 0) {
		log_warnx("EZD1242E DATAPATH BPF UNAVAILABLE ON %s: %s: USING DATAPATH TUN",
			  s->lanif, f->why);
		return 0;
	}
	f->why[0] = '\0';
	log_info("EZD1240I DATAPATH BPF ACTIVE ON %s (%s)", s->lanif, kdp_attach_name(f->kdp));
	if (s->loop && kdp_syn_fd(f->kdp) >= 0 &&
	    uv_poll_init(s->loop, &f->syn_poll, kdp_syn_fd(f->kdp)) == 0) {
		uv_timer_init(s->loop, &f->syn_timer);
		f->syn_poll.data = f->syn_timer.data = s;
		f->syn_handles = 1;
		uv_poll_start(&f->syn_poll, UV_READABLE, syn_poll_cb);
	}
	syn_allow(s);
	stack_fast_resync(s);
	return 0;
}

static void
syn_handle_closed(uv_handle_t *h)
{
	LIB_UNUSED(h);
}

void
stack_fast_stop(struct stack *s)
{
	struct stack_fast *f = &s->fast;

	if (f->syn_handles) {
		uv_close((uv_handle_t *)&f->syn_poll, syn_handle_closed);
		uv_close((uv_handle_t *)&f->syn_timer, syn_handle_closed);
		f->syn_handles = 0;
	}
	kdp_close(&f->kdp);
	memset(f->sched, 0, sizeof(f->sched));
}

/* ---- SYNs routed by the program ------------------------------------------------------ */

void
stack_fast_on_syn(struct stack *s, void (*kernel_syn)(struct stack *, const struct kdp_syn *))
{
	s->fast.kernel_syn = kernel_syn;
}

int
stack_fast_sched_fill(struct stack *s, const struct stack_dvipa *d, uint16_t port,
		      uint8_t (*out)[16])
{
	const struct vipa_distribute *v;

	if (!s->fast.kdp || s->fast.tun_only || !d->owned || vipa_addr_is_v4(d->addr))
		return 0;
	v = stack_dvipa_dist_for(s, d, port);
	if (!v || v->timedaff)
		return 0;
	if (d->dist.mip6 && s->mip6.homes && lib_tab_count(s->mip6.homes))
		return 0;
	return vipa_vdpt_schedule(s->vdpt, d->addr, port, out, KDP_SCHED_MAX);
}

static uint64_t
sched_hash(const uint8_t (*slot)[16], int n)
{
	const uint8_t *p = (const uint8_t *)slot;
	uint64_t h = 1469598103934665603ull ^ (uint64_t)n;
	size_t i;

	for (i = 0; i < (size_t)n * 16; i++)
		h = (h ^ p[i]) * 1099511628211ull;
	return h ? h : 1;
}

static struct stack_fast_sched *
sched_slot(struct stack_fast *f, const uint8_t dvipa[16], uint16_t port, int create)
{
	struct stack_fast_sched *free_slot = NULL;
	int i;

	for (i = 0; i < STACK_FAST_SCHED_MAX; i++) {
		struct stack_fast_sched *x = &f->sched[i];

		if (!x->used) {
			if (!free_slot)
				free_slot = x;
			continue;
		}
		if (x->port == port && memcmp(x->dvipa, dvipa, 16) == 0)
			return x;
	}
	if (!create || !free_slot)
		return NULL;
	memset(free_slot, 0, sizeof(*free_slot));
	memcpy(free_slot->dvipa, dvipa, 16);
	free_slot->port = port;
	return free_slot;
}

void
stack_fast_sched_sync(struct stack *s)
{
	struct stack_fast *f = &s->fast;
	uint8_t slots[KDP_SCHED_MAX][16];
	int i, j, n;

	if (!f->kdp)
		return;
	for (i = 0; i < STACK_FAST_SCHED_MAX; i++)
		f->sched[i].seen = 0;
	for (i = 0; i < s->ndv; i++) {
		const struct stack_dvipa *d = &s->dv[i];

		if (!d->has_dist)
			continue;
		for (j = 0; j < d->dist.nports; j++) {
			uint16_t port = d->dist.ports[j];
			struct stack_fast_sched *x;
			uint64_t h;

			n = stack_fast_sched_fill(s, d, port, slots);
			h = n ? sched_hash(slots, n) : 0;
			x = sched_slot(f, d->addr, port, n > 0);
			if (!x)
				continue;	/* none, and none given; or no room: the daemon's */
			x->seen = 1;
			if (x->used && x->hash == h)
				continue;
			if (kdp_sched_set(f->kdp, d->addr, port, slots, (unsigned)n) < 0) {
				f->errors++;
				continue;
			}
			f->sched_sets++;
			x->hash = h;
			x->used = 1;	/* paused (n 0) it stays, with its rotation */
		}
	}
	for (i = 0; i < STACK_FAST_SCHED_MAX; i++) {
		struct stack_fast_sched *x = &f->sched[i];

		if (!x->used || x->seen)
			continue;
		if (kdp_sched_set(f->kdp, x->dvipa, x->port, NULL, 0) < 0) {
			f->errors++;
			continue;
		}
		f->sched_sets++;
		x->used = 0;
	}
}

static void
syn_take(const struct kdp_syn *ks, void *arg)
{
	struct stack *s = arg;

	s->fast.ksyn++;
	if (s->fast.kernel_syn)
		s->fast.kernel_syn(s, ks);
}

/* The program may make as many half-open entries as STACK_FAST_EARLY_MAX
 * leaves beyond those the records consumed made. */
static void
syn_allow(struct stack *s)
{
	struct stack_fast *f = &s->fast;
	uint64_t more = f->early >= STACK_FAST_EARLY_MAX ? 0 : STACK_FAST_EARLY_MAX - f->early;

	if (kdp_syn_allow(f->kdp, more) < 0)
		f->errors++;
}

static void
syn_timer_cb(uv_timer_t *t)
{
	struct stack *s = t->data;

	if (stack_fast_syn_drain(s) == 0 && lib_now_ms() - s->fast.syn_last_ms >= KDP_SYN_IDLE_MS)
		uv_timer_stop(t);
}

static void
syn_poll_cb(uv_poll_t *p, int status, int events)
{
	LIB_UNUSED(status);
	LIB_UNUSED(events);
	stack_fast_syn_drain(p->data);
}

int
stack_fast_syn_drain(struct stack *s)
{
	struct stack_fast *f = &s->fast;
	int n;

	if (!f->kdp)
		return 0;
	n = kdp_syn_consume(f->kdp, syn_take, s);
	if (n > 0) {
		/* The program wakes us at most every 5 ms: we look again
		 * every KDP_SYN_POLL_MS while records come. */
		f->syn_last_ms = lib_now_ms();
		if (f->syn_handles && !uv_is_active((uv_handle_t *)&f->syn_timer))
			uv_timer_start(&f->syn_timer, syn_timer_cb, KDP_SYN_POLL_MS, KDP_SYN_POLL_MS);
		stack_fast_sched_sync(s);	/* a binding may have begun (mip6.c) */
	}
	if (n < 0)
		f->errors++;
	syn_allow(s);
	return n < 0 ? 0 : n;
}

void
stack_fast_conn_kernel(struct stack *s, struct vipa_conn *c, const uint8_t kdest[16])
{
	if (!c->confirmed && !c->early) {
		c->early = 1;
		s->fast.early++;
		s->fast.early_put++;
	}
	if (memcmp(c->dest_xcf, kdest, 16) != 0)
		stack_fast_conn_put(s, c);	/* it was routed here before */
}

void
stack_fast_conn_drop(struct stack *s, const struct vipa_conn_key *k)
{
	struct kdp_conn kc;

	if (!s->fast.kdp)
		return;
	conn_of(&kc, k);
	if (kdp_conn_del(s->fast.kdp, &kc) == 0)
		s->fast.conn_del++;
}

void
stack_fast_init(struct stack *s, void (*fin_seen)(struct stack *, const struct vipa_conn *))
{
	memset(&s->fast, 0, sizeof(s->fast));
	s->fast.fin_seen = fin_seen;
}
