/*
 * tgt.c - the target side: what the kernel says about our sockets on the
 * DVIPAs we are a destination of, reported to the routing stack.
 *
 * How we learn of connections:
 *  - from the kernel's events (kdp_ev_*: a BPF program on the
 *    inet_sock_set_state tracepoint feeding a ring buffer): a connection on
 *    a DVIPA reaching ESTABLISHED, a connection ending (socket gone or in
 *    TIME_WAIT), a listener coming or going.  Each is applied as it comes
 *    (idempotently: an ESTABLISHED of a known connection, an ENDED of an
 *    unknown one, change nothing) and reported at once.  A full dump of the
 *    socket table is still made when we become a target of a DVIPA, when
 *    the ring lost events (KDP_EV_LOST), and every STACK_VERIFY_MS as a
 *    check, because the program has been seen to miss closes under load
 *    without any counter showing it (docs/DESIGN.md); what a check finds
 *    the events missed is counted (repairs) and reported;
 *  - where the program cannot load (no BPF rights, no BTF; or -P), by the
 *    dump (NETLINK_SOCK_DIAG) every STACK_POLL_MS: LISTEN sockets on the
 *    DVIPA or on :: give Rdy per distributed port, connected sockets on
 *    DVIPA:port are our connections (the target VCRT), and the differences
 *    from the last dump are the events.
 * Either way the owner of each DVIPA gets TGT_CONN messages (established /
 * ended) as connections come and go, our listeners (TGT_LISTEN) when they
 * change and every second, and every second a TGT_DIGEST: the count and
 * hash (vipa_digest) of our live connections of the DVIPA, kept up to date
 * in O(1) per connection.  The owner compares it with its own view and asks
 * (TGT_SYNC_REQ) for a full report only when they differ; it also gets one
 * when we become a target, when another stack owns the DVIPA, and when the
 * owner is a new incarnation (stack_tgt_full_needed; a lapse and renewal of
 * the owner's lease is none of these).  A connection ends when its socket
 * is gone or in TIME_WAIT: until then the client may still send (FIN_WAIT,
 * CLOSE_WAIT, LAST_ACK), so its route must stay.  A full report lists every
 * live connection of a DVIPA, in chunks flagged FULL, the first FIRST and
 * the last LAST, walked from our table in bursts (STACK_TGT_FULL_BURST
 * chunks every STACK_TGT_FULL_PACE_MS), one DVIPA at a time.
 *
 * A stack becomes a target of a DVIPA when the owner's DIST_ADV (or its own
 * distribution, when it owns the DVIPA) lists it (stack_tgt_apply_dist): the
 * DVIPA becomes a local address on our TUN, the events program watches it,
 * and the owner gets a full report.
 *
 * WLM: every listener report carries our emulated WLM system's capacity and
 * load and, per listener, its server efficiency fraction (SEF).  The SEF is
 * measured from the same polls: a connected socket without an inode is still
 * in the listener's accept queue (the server has not accept()ed it); one
 * found there on two polls in a row waited a full poll interval, and that
 * poll is "late".  Per second (decayed, struct stack_tgt_sef) SEF = 100 *
 * (polls - late polls) / polls: a hung server (SIGSTOP, all workers busy)
 * goes to 0 while its queue holds connections, a slow one lower the longer
 * its queue stays busy, a server that keeps up stays at 100, and one that
 * caught up climbs back within seconds, traffic or not.
 *
 * With connection events, the full poll that measures the SEF, finds the
 * listeners of VIPARANGE addresses and ends a drained DVIPA is made every
 * STACK_POLL_MS only while one of those needs it (a distribution by WLM or
 * HOTSTANDBY, a VIPARANGE, a DVIPA draining); otherwise every
 * STACK_VERIFY_MS as the check.
 *
 * Level 3 of tcpip-stack/ (stack.h): calls net.c, bus.c and dvipa.c, and the
 * kdp/ module's events API.
 */
#include "tcpip-stack/stack.h"

#include "kdp/kdp.h"

#include <errno.h>
#include <netinet/tcp.h>
#include <stdlib.h>
#include <string.h>

static const uint8_t in6_any[16];
static const uint8_t in4_any[16] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 0, 0, 0, 0 };

/* The digest of our connections of the DVIPA of key k, kept with the table. */
static void
digest_update(struct stack *s, const struct vipa_conn_key *k, int add)
{
	struct stack_dvipa *d = stack_dvipa_find(s, k->dvipa);

	if (!d)
		return;
	if (add)
		vipa_digest_add(&s->tgt.dg[d - s->dv], k);
	else
		vipa_digest_del(&s->tgt.dg[d - s->dv], k);
}

/* Our entry of a connection goes (the caller reported its end). */
static void
conn_forget(struct stack *s, const struct vipa_conn_key *key)
{
	struct vipa_conn_key k = *key;

	if (vipa_vcrt_remove(s->tgt.conns, &k) == 0)
		digest_update(s, &k, 0);
}

/* The record of connection c in a TGT_CONN. */
static void
conn_record(struct wire_xcf_conn *r, const struct vipa_conn *c, uint8_t event)
{
	memset(r, 0, sizeof(*r));
	r->event = event;
	memcpy(r->dvipa, c->key.dvipa, 16);
	r->dport = c->key.dport;
	memcpy(r->client, c->key.client, 16);
	r->cport = c->key.cport;
	r->bypass = (uint8_t)(c->bypass | (c->per_home ? WIRE_XCF_BYPASS_HOME : 0));
	memcpy(r->coa, c->coa, 16);
	/* The binding's last BU sequence number (BIND_INFO): a routing stack
	 * that takes the DVIPA over continues it. */
	r->seq = c->bypass == VIPA_BYPASS_BOUND ? c->bu_seq : 0;
}

static void
queue_event(struct stack *s, int dv, const struct vipa_conn *c, uint8_t event)
{
	struct stack_tgt *t = &s->tgt;

	if (!t->evq && !(t->evq = calloc(STACK_TGT_EVQ_MAX, sizeof(*t->evq))))
		return;
	if (t->nev == STACK_TGT_EVQ_MAX) {
		/* The owner's digest check finds what is lost here. */
		lib_verdict(&s->bus_verdicts, "connection event queue full");
		return;
	}
	t->evq[t->nev].dv = (uint8_t)dv;
	conn_record(&t->evq[t->nev].r, c, event);
	t->nev++;
}

/* An incremental report (not part of a full one): SYSPLEX$EVDROP may
 * suppress it, as a report lost on its way. */
static void
report_event(struct stack *s, int dv, const struct vipa_conn *c, uint8_t event)
{
	if (s->tgt.drop_reports) {
		s->tgt.drop_reports--;
		s->tgt.dropped_reports++;
		return;
	}
	queue_event(s, dv, c, event);
}

static void
send_connmsg(struct stack *s, const char *owner)
{
	ssize_t n = wire_xcf_tgt_conn_encode(&s->tgt.connmsg, s->tgt.txbuf, sizeof(s->tgt.txbuf));

	if (n > 0 && stack_send(s, owner, WIRE_XCF_TGT_CONN, s->tgt.txbuf, (size_t)n) == 0)
		s->tgt.sends++;
}

/* Sends the queued events of DVIPA index dv to its owner, in chunks. */
static void
flush_events(struct stack *s, int dv, int full)
{
	struct stack_tgt *t = &s->tgt;
	struct wire_xcf_tgt_conn *m = &t->connmsg;
	struct stack_dvipa *d = &s->dv[dv];
	size_t i;
	int first = 1;

	if (!d->owner[0])
		return;
	m->n = 0;
	memcpy(m->scope, d->addr, 16);
	for (i = 0; i <= t->nev; i++) {
		int last = i == t->nev;

		if (!last && t->evq[i].dv != dv)
			continue;
		if (!last)
			m->c[m->n++] = t->evq[i].r;
		if (m->n == WIRE_XCF_MAX_CONN || (last && (m->n || full))) {
			m->flags = full ? WIRE_XCF_F_FULL : 0;
			if (full && first)
				m->flags |= WIRE_XCF_F_FIRST;
			/* A chunk that fills up exactly at the end is not known to be
			 * the last: an empty LAST chunk follows it then. */
			if (full && last)
				m->flags |= WIRE_XCF_F_LAST;
			send_connmsg(s, d->owner);
			first = 0;
			m->n = 0;
		}
	}
}

static int
port_index(const struct stack_dvipa *d, uint16_t port)
{
	int i;

	for (i = 0; i < d->adv.nports; i++)
		if (d->adv.ports[i] == port)
			return i;
	return -1;
}

/* Our entry for a connection we terminate; a new one is ESTABLISHED (the
 * kernel has the socket, or the routing stack told us of its binding). */
struct vipa_conn *
stack_tgt_conn(struct stack *s, const struct vipa_conn_key *k, int *created)
{
	struct vipa_conn *c = vipa_vcrt_insert(s->tgt.conns, k, created);

	if (c && *created) {
		memcpy(c->dest_xcf, stack_self_addr(s, k->dvipa), 16);
		c->state = VIPA_CONN_EST;
		c->created_ms = lib_now_ms();
		c->listed_gen = s->tgt.poll_gen;
		digest_update(s, k, 1);
	}
	return c;
}

/* A listener on an address inside a VIPARANGE of ours (not :: or a
 * DVIPA defined otherwise): remembered for own.c. */
static void
range_listener(struct stack *s, const uint8_t addr[16])
{
	struct stack_tgt *t = &s->tgt;
	int i;

	if (!vipa_profile_range_match(&s->prof, addr))
		return;
	for (i = 0; i < t->nrange_seen; i++)
		if (memcmp(t->range_seen[i], addr, 16) == 0)
			return;
	if (t->nrange_seen < VIPA_MAX_DVIPA)
		memcpy(t->range_seen[t->nrange_seen++], addr, 16);
}

static int
sock_cb(const struct lib_sock *so, void *arg)
{
	struct stack *s = arg;
	int i;

	if (so->state == TCP_LISTEN && s->prof.nrange)
		range_listener(s, so->laddr);

	for (i = 0; i < s->ndv; i++) {
		struct stack_dvipa *d = &s->dv[i];
		struct vipa_conn_key k;
		struct vipa_conn *c;
		int pi, created = 0;

		if (!d->target)
			continue;
		pi = port_index(d, so->lport);
		if (so->state == TCP_LISTEN) {
			if (pi < 0)
				continue;
			/* On the DVIPA, on `::` (dual stack: IPv4 too), or on
			 * 0.0.0.0 for an IPv4 DVIPA. */
			if (memcmp(so->laddr, d->addr, 16) == 0 || memcmp(so->laddr, in6_any, 16) == 0 ||
			    (vipa_addr_is_v4(d->addr) && memcmp(so->laddr, in4_any, 16) == 0))
				s->tgt.rdy[i][pi]++;
			continue;
		}
		if (memcmp(so->laddr, d->addr, 16) != 0)
			continue;
		memset(&k, 0, sizeof(k));
		memcpy(k.dvipa, d->addr, 16);
		memcpy(k.client, so->raddr, 16);
		k.dport = so->lport;
		k.cport = so->rport;
		if (pi < 0) {
			/* A port no longer distributed (OBEYFILE): the connections
			 * we have on it stay ours until they end; no new ones. */
			c = vipa_vcrt_lookup(s->tgt.conns, &k);
			if (c)
				c->listed_gen = s->tgt.poll_gen;
			continue;
		}
		c = stack_tgt_conn(s, &k, &created);
		if (!c) {
			lib_verdict(&s->bus_verdicts, "target connection table full");
			continue;
		}
		if (created)
			report_event(s, i, c, WIRE_CONN_EST);
		c->listed_gen = s->tgt.poll_gen;
		/* SEF: still in the accept queue (no inode: nobody accepted it). */
		if (so->state == TCP_SYN_RECV) {
			/* The handshake is not complete: not the server's yet. */
		} else if (so->inode == 0) {
			if (c->unaccepted < 255)
				c->unaccepted++;
			if (c->unaccepted >= 2)
				s->tgt.sef[i][pi].late_now = 1;
		} else {
			c->unaccepted = 0;
		}
	}
	return 0;
}

static int
sweep_cb(struct vipa_conn *c, void *arg)
{
	struct stack *s = arg;
	struct stack_dvipa *d;

	if (c->listed_gen == s->tgt.poll_gen)
		return 0;
	d = stack_dvipa_find(s, c->key.dvipa);
	if (d)
		report_event(s, (int)(d - s->dv), c, WIRE_CONN_END);
	digest_update(s, &c->key, 0);
	return 1;
}

static void
send_listen(struct stack *s, struct stack_dvipa *d)
{
	struct wire_xcf_tgt_listen m;	/* 2.8 KB */
	ssize_t n;
	int i;

	memset(&m, 0, sizeof(m));
	m.flags = WIRE_XCF_F_FULL | (s->no_mip6 ? 0 : WIRE_XCF_F_MIP6);
	m.capacity = s->wlm_capacity;
	m.load = s->wlm_load;
	for (i = 0; i < d->adv.nports && m.n < WIRE_XCF_MAX_LISTEN; i++) {
		memcpy(m.l[m.n].dvipa, d->addr, 16);
		m.l[m.n].port = d->adv.ports[i];
		m.l[m.n].rdy = d->rdy[i];
		/* Weight 0: quiesced (no new connections, existing ones go on). */
		m.l[m.n].weight = (s->quiesce_target || d->quiesced[i]) ? 0 : 1;
		m.l[m.n].sef = s->tgt.sef[d - s->dv][i].sef;
		m.n++;
	}
	n = wire_xcf_tgt_listen_encode(&m, s->tgt.txbuf, sizeof(s->tgt.txbuf));
	if (n > 0 && d->owner[0])
		stack_send(s, d->owner, WIRE_XCF_TGT_LISTEN, s->tgt.txbuf, (size_t)n);
	d->listen_dirty = 0;
}

/* A draining target without connections of the DVIPA is no target any
 * more.  The DVIPA's digest counts them (kept with the table), so a check
 * per poll costs nothing per connection. */
static void
drain_check(struct stack *s, struct stack_dvipa *d)
{
	char txt[64];

	if (s->tgt.dg[d - s->dv].count)
		return;
	d->draining = 0;
	d->target = 0;
	if (!d->owned)
		stack_net_dvipa_local(s, d, 0);
	log_info("EZD1209I DYNAMIC VIPA %s IS NO LONGER A DESTINATION OF %s",
		 vipa_addr_str(d->addr, txt, sizeof(txt)), d->owner[0] ? d->owner : "ITS OWNER");
}

uint8_t
stack_tgt_sef_update(struct stack_tgt_sef *f)
{
	uint64_t good;

	/* As vipa_tsr_update: 3/4 of the history kept, loss rounded up. */
	f->dpolls = f->dpolls - (f->dpolls + 3) / 4 + (uint64_t)f->polls * 1024;
	f->dlate = f->dlate - (f->dlate + 3) / 4 + (uint64_t)f->late * 1024;
	if (f->dlate > f->dpolls)
		f->dlate = f->dpolls;
	f->polls = f->late = 0;
	good = f->dpolls - f->dlate;
	/* Both fit in 32 bits: at most 10 polls a second, decayed, x 1024. */
	f->sef = vipa_wlm_sef((uint32_t)good, (uint32_t)f->dlate, 0, 0);
	return f->sef;
}

/* Every second: the SEF of every listener; a change is reported at once. */
static void
sef_interval(struct stack *s)
{
	uint64_t now = lib_now_ms();
	int i, j;

	if (now - s->tgt.sef_ms < 1000)
		return;
	s->tgt.sef_ms = now;
	for (i = 0; i < s->ndv; i++) {
		struct stack_dvipa *d = &s->dv[i];

		for (j = 0; j < VIPA_MAX_PORTS; j++) {
			uint8_t old = s->tgt.sef[i][j].sef;

			if (stack_tgt_sef_update(&s->tgt.sef[i][j]) != old && d->target &&
			    j < d->adv.nports)
				d->listen_dirty = 1;
		}
	}
}

/* Our WLM system changed: every owner hears it now. */
static void
wlm_changed(struct stack *s)
{
	int i;

	for (i = 0; i < s->ndv; i++)
		if (s->dv[i].target)
			send_listen(s, &s->dv[i]);
}

int
stack_wlm_set(struct stack *s, long capacity, long load, char *msg, size_t len)
{
	if (capacity >= 0)
		s->wlm_capacity = (uint32_t)capacity;
	if (load >= 0)
		s->wlm_load = (uint8_t)(load > 100 ? 100 : load);
	wlm_changed(s);
	snprintf(msg, len, "EZD1270I WLM SYSTEM %s: CAPACITY %u LOAD %u%%", s->sysname,
		 s->wlm_capacity, s->wlm_load);
	return 0;
}


/* The full dump of the socket table: listeners and connections (what it
 * does not list is over), the SEF, VIPARANGE listeners, drained DVIPAs. */
static void
dump(struct stack *s)
{
	struct stack_tgt *t = &s->tgt;
	/* Not SYN_RECV: a half-open connection (a spoofed SYN's, under a
	 * flood) is no connection to confirm; the routing stack keeps it
	 * half-open, bounded, until the handshake completes here. */
	uint32_t states = (1u << TCP_LISTEN) | (1u << TCP_ESTABLISHED) |
			  (1u << TCP_FIN_WAIT1) | (1u << TCP_FIN_WAIT2) | (1u << TCP_CLOSE_WAIT) |
			  (1u << TCP_LAST_ACK) | (1u << TCP_CLOSING);
	int i, j, any = 0, any4 = 0;

	for (i = 0; i < s->ndv; i++) {
		any |= s->dv[i].target;
		any4 |= s->dv[i].target && vipa_addr_is_v4(s->dv[i].addr);
	}
	t->range_polled = 0;
	if (!any && !s->prof.nrange)
		return;
	/* With VIPARANGEs but no target role, only the listeners. */
	if (!any)
		states = 1u << TCP_LISTEN;
	memset(t->rdy, 0, sizeof(t->rdy));
	t->nrange_seen = 0;
	t->poll_gen++;
	/* Held reports first: what the dump finds missing is what is left. */
	stack_tgt_flush(s);
	if (lib_diag_tcp6(states, sock_cb, s) < 0 ||
	    (any4 && lib_diag_tcp4(states, sock_cb, s) < 0)) {
		lib_verdict(&s->tun_verdicts, "socket table dump failed");
		return;
	}
	t->range_polled = s->prof.nrange > 0;
	if (!any)
		return;
	/* Part of the dump's O(n): every STACK_VERIFY_MS with events. */
	vipa_vcrt_foreach(t->conns, sweep_cb, s);
	t->dumps++;
	t->verify_ms = lib_now_ms();
	if (t->ev && t->nev) {
		/* What the events should have told us. */
		t->repairs += t->nev;
		log_info("EZD1232I SOCKET TABLE CHECK FOUND %zu CONNECTION CHANGES THE EVENTS MISSED",
			 t->nev);
	}
	/* SEF: one more poll of every listener we serve; late when it found
	 * a connection waiting a full interval in the accept queue. */
	for (i = 0; i < s->ndv; i++)
		for (j = 0; s->dv[i].target && j < s->dv[i].adv.nports; j++) {
			struct stack_tgt_sef *f = &t->sef[i][j];

			f->polls++;
			if (f->late_now)
				f->late++;
			f->late_now = 0;
		}
	sef_interval(s);
	for (i = 0; i < s->ndv; i++) {
		struct stack_dvipa *d = &s->dv[i];

		if (!d->target)
			continue;
		for (j = 0; j < d->adv.nports; j++) {
			if (d->rdy[j] != t->rdy[i][j]) {
				d->rdy[j] = t->rdy[i][j];
				d->listen_dirty = 1;
			}
		}
		if (d->listen_dirty)
			send_listen(s, d);
		if (t->nev)
			flush_events(s, i, 0);
		if (d->draining)
			drain_check(s, d);
	}
	t->nev = 0;
}

void
stack_tgt_flush(struct stack *s)
{
	int i;

	if (!s->tgt.nev)
		return;
	for (i = 0; i < s->ndv; i++)
		if (s->dv[i].target)
			flush_events(s, i, 0);
	s->tgt.nev = 0;
}

static void ev_round(struct stack *s);

void
stack_tgt_poll(struct stack *s)
{
	/* Events queued before the dump first: what remains to be found is
	 * what they missed. */
	if (s->tgt.ev)
		ev_round(s);
	dump(s);
	s->tgt.resync = 0;
	s->tgt.listen_check = 0;
}

/* With events: does something need the full poll every STACK_POLL_MS (the
 * SEF, which the WLM methods and HOTSTANDBY's health use; VIPARANGE
 * listeners; a drain)?  ROUNDROBIN and WEIGHTEDACTIVE need none of it. */
static int
poll_needed(struct stack *s)
{
	int i;

	if (s->prof.nrange)
		return 1;
	for (i = 0; i < s->ndv; i++)
		if (s->dv[i].draining ||
		    (s->dv[i].target && s->dv[i].adv.method != VIPA_DIST_ROUNDROBIN &&
		     s->dv[i].adv.method != VIPA_DIST_WEIGHTEDACTIVE))
			return 1;
	return 0;
}

static void ev_after(struct stack *s);

void
stack_tgt_tick(struct stack *s)
{
	if (!s->tgt.ev || poll_needed(s) || lib_now_ms() - s->tgt.verify_ms >= STACK_VERIFY_MS) {
		stack_tgt_poll(s);
		return;
	}
	/* The ends and lingering connections the ring did not wake us for
	 * (kdp_ev_opts.lazy_ends). */
	if (s->tgt.ev_handles) {
		ev_round(s);
		ev_after(s);
	}
}

/* ---- connection events ---------------------------------------------------------- */

void
stack_tgt_on_event(struct stack *s, const struct kdp_event *ev)
{
	struct stack_tgt *t = &s->tgt;
	struct stack_dvipa *d;
	struct vipa_conn_key k;
	struct vipa_conn *c;
	int created = 0;

	switch (ev->type) {
	case KDP_EV_ESTABLISHED:
	case KDP_EV_ENDED:
		break;
	case KDP_EV_LISTEN:
	case KDP_EV_UNLISTEN:
		t->listen_check = 1;
		return;
	case KDP_EV_LOST:
		t->resync = 1;
		return;
	default:
		return;		/* LINGER: informational, the end follows */
	}
	d = stack_dvipa_find(s, ev->laddr);
	if (!d || !d->target || port_index(d, ev->lport) < 0)
		return;
	t->events++;
	memcpy(k.dvipa, ev->laddr, 16);
	memcpy(k.client, ev->raddr, 16);
	k.dport = ev->lport;
	k.cport = ev->rport;
	if (ev->type == KDP_EV_ESTABLISHED) {
		c = stack_tgt_conn(s, &k, &created);
		if (!c)
			lib_verdict(&s->bus_verdicts, "target connection table full");
		else if (created)
			report_event(s, (int)(d - s->dv), c, WIRE_CONN_EST);
		return;
	}
	if ((c = vipa_vcrt_lookup(t->conns, &k)) != NULL) {
		report_event(s, (int)(d - s->dv), c, WIRE_CONN_END);
		conn_forget(s, &k);
	}
}

static void
ev_cb(const struct kdp_event *ev, void *arg)
{
	stack_tgt_on_event(arg, ev);
}

static void ev_timer_cb(uv_timer_t *h);

/*
 * Reports go at once, unless one went less than STACK_TGT_HOLD_MS ago: then
 * they wait for the end of that time and go together (ev_round's timer,
 * from the value returned here: ms until then, -1 with nothing held), so
 * that under
 * a high connection rate one TGT_CONN carries the events of a few
 * milliseconds, not of one wakeup each.  Every message is a system call
 * and a wakeup of a ZeroMQ I/O thread here, and of another plus the
 * routing stack's loop at the owner; a lone connection is reported without
 * delay.  Whatever else is sent to an owner about connections (digests,
 * full reports, Mobility Header copies) and the dump send held reports
 * first (stack_tgt_flush), so the order the owner sees is unchanged.
 */
int
stack_tgt_report(struct stack *s)
{
	struct stack_tgt *t = &s->tgt;
	uint64_t now = lib_now_ms();

	if (!t->nev)
		return -1;
	if (now < t->hold_ms)
		return (int)(t->hold_ms - now);
	stack_tgt_flush(s);
	t->hold_ms = now + STACK_TGT_HOLD_MS;
	return -1;
}

/* Takes what waits in the ring, reports it (stack_tgt_report), and re-arms
 * the timer. */
static void
ev_round(struct stack *s)
{
	struct stack_tgt *t = &s->tgt;
	int ms, held, r;

	r = kdp_ev_consume(t->ev, ev_cb, s);
	if (r < 0)
		lib_verdict(&s->tun_verdicts, "connection events could not be read");
	held = stack_tgt_report(s);
	if (t->ev_handles) {
		ms = kdp_ev_timeout_ms(t->ev);
		if (held >= 0 && (ms < 0 || held < ms))
			ms = held;
		if (ms >= 0)
			uv_timer_start(&t->ev_timer, ev_timer_cb, (uint64_t)ms, 0);
		else
			uv_timer_stop(&t->ev_timer);
	}
}

/* After a round: a dump when events were lost, a listener count when
 * listeners changed. */
static void
ev_after(struct stack *s)
{
	struct stack_tgt *t = &s->tgt;

	if (t->resync) {
		t->resync = 0;
		t->listen_check = 0;
		log_info("EZD1233I CONNECTION EVENTS WERE LOST: SOCKET TABLE READ AGAIN");
		dump(s);
	} else if (t->listen_check) {
		/* Listeners (Rdy) are counted by the dump. */
		t->listen_check = 0;
		dump(s);
	}
}

static void
ev_readable_cb(uv_poll_t *h, int status, int events)
{
	struct stack *s = h->data;

	LIB_UNUSED(events);
	if (status < 0)
		return;
	ev_round(s);
	ev_after(s);
}

static void
ev_timer_cb(uv_timer_t *h)
{
	struct stack *s = h->data;

	ev_round(s);
	ev_after(s);
}

int
stack_tgt_start(struct stack *s)
{
	struct stack_tgt *t = &s->tgt;
	struct kdp_ev_opts o;
	char err[256];
	int r, i;

	if (s->poll_conns) {
		log_info("EZD1231I CONNECTION EVENTS NOT USED (-P): SOCKET TABLE POLLED EVERY %d MS",
			 STACK_POLL_MS);
		return 0;
	}
	err[0] = '\0';
	/* Ends wake nobody: they come with the next connection's event, or
	 * from the poll timer (stack_tgt_tick) within STACK_POLL_MS. */
	memset(&o, 0, sizeof(o));
	o.lazy_ends = 1;
	if ((r = kdp_ev_open(&t->ev, &o, err, sizeof(err))) < 0) {
		log_info("EZD1231I CONNECTION EVENTS NOT AVAILABLE (%s): SOCKET TABLE POLLED EVERY "
			 "%d MS", err[0] ? err : strerror(-r), STACK_POLL_MS);
		t->ev = NULL;
		return 0;
	}
	if ((r = kdp_ev_addr_set(t->ev, in6_any, KDP_EV_WATCH_LISTEN)) < 0 ||
	    (r = uv_poll_init(s->loop, &t->ev_poll, kdp_ev_fd(t->ev))) < 0) {
		log_info("EZD1231I CONNECTION EVENTS NOT AVAILABLE (%s): SOCKET TABLE POLLED EVERY "
			 "%d MS", strerror(r < 0 ? -r : r), STACK_POLL_MS);
		kdp_ev_close(&t->ev);
		return 0;
	}
	t->ev_poll.data = s;
	uv_timer_init(s->loop, &t->ev_timer);
	t->ev_timer.data = s;
	t->ev_handles = 1;
	uv_poll_start(&t->ev_poll, UV_READABLE, ev_readable_cb);
	for (i = 0; i < s->ndv; i++)
		if (s->dv[i].target)
			kdp_ev_addr_set(t->ev, s->dv[i].addr, KDP_EV_WATCH_CONN | KDP_EV_WATCH_LISTEN);
	log_info("EZD1230I CONNECTION EVENTS FROM THE KERNEL: SOCKET TABLE CHECKED EVERY %d S",
		 STACK_VERIFY_MS / 1000);
	return 0;
}

void
stack_tgt_stop(struct stack *s)
{
	struct stack_tgt *t = &s->tgt;

	if (!t->ev_handles)
		return;
	t->ev_handles = 0;
	uv_poll_stop(&t->ev_poll);
	uv_close((uv_handle_t *)&t->ev_poll, NULL);
	uv_close((uv_handle_t *)&t->ev_timer, NULL);
}

/* SYSPLEXPORTS: ask the routing stack of d for our port blocks (the ones we
 * have, when another routing stack gave them to us). */
static void
sysports_ask(struct stack *s, struct stack_dvipa *d)
{
	struct stack_tgt *t = &s->tgt;
	struct wire_xcf_sysports m;
	uint8_t b[64];
	ssize_t n;

	if (!d->owner[0])
		return;
	memset(&m, 0, sizeof(m));
	memcpy(m.dvipa, d->addr, 16);
	m.op = WIRE_SYSPORTS_REQ;
	m.first = t->sp_first;
	m.count = t->sp_count ? t->sp_count : STACK_SYSPORTS_BLOCKS;
	n = wire_xcf_sysports_encode(&m, b, sizeof(b));
	if (n > 0)
		stack_send(s, d->owner, WIRE_XCF_SYSPORTS, b, (size_t)n);
	t->sp_ask_ms = lib_now_ms();
}

/* Until the current routing stack of our SYSPLEXPORTS DVIPA has granted our
 * ports, ask it (again every second: a request or a grant may be lost). */
static void
sysports_check(struct stack *s, struct stack_dvipa *d)
{
	struct stack_tgt *t = &s->tgt;

	if (!t->sp_want || memcmp(t->sp_dvipa, d->addr, 16) != 0 || !d->owner[0] ||
	    strcmp(t->sp_owner, d->owner) == 0 || lib_now_ms() - t->sp_ask_ms < 1000)
		return;
	sysports_ask(s, d);
}

static uint64_t
owner_inc(struct stack *s, const char *owner)
{
	const struct xcf_member_info *m = owner[0] ? xcf_member(s->xcf, owner) : NULL;

	return m ? m->incarnation : 0;
}

enum stack_full_why
stack_tgt_full_needed(int was, int is, const char *old_owner, uint64_t old_inc,
		      const char *owner, uint64_t inc)
{
	if (!is || !owner[0])
		return STACK_FULL_NONE;
	if (!was)
		return STACK_FULL_NEW_TARGET;
	if (strcmp(old_owner, owner) != 0)
		return STACK_FULL_NEW_OWNER;
	if (old_inc && inc && old_inc != inc)
		return STACK_FULL_OWNER_INC;
	return STACK_FULL_NONE;
}

/* One message of the full report f of DVIPA index dv (t->connmsg). */
static void
full_send(struct stack *s, struct stack_tgt_full *f, int last)
{
	struct wire_xcf_tgt_conn *m = &s->tgt.connmsg;

	m->flags = WIRE_XCF_F_FULL | (f->started ? 0 : WIRE_XCF_F_FIRST) |
		   (last ? WIRE_XCF_F_LAST : 0);
	send_connmsg(s, f->owner);
	f->started = 1;
	m->n = 0;
}

/* Up to budget messages of the full report of DVIPA index dv; returns the
 * budget left (0: the report goes on later).  A connection that comes
 * after the walk passed its pool id is reported incrementally (the owner
 * keeps what a report in progress did not list when an incremental report
 * confirmed it, dist.c); one that ends is reported ended either way. */
static int
full_step(struct stack *s, int dv, int budget)
{
	struct stack_tgt *t = &s->tgt;
	struct stack_tgt_full *f = &t->full[dv];
	struct stack_dvipa *d = &s->dv[dv];
	struct wire_xcf_tgt_conn *m = &t->connmsg;
	uint32_t cap = (uint32_t)vipa_vcrt_capacity(t->conns);

	m->n = 0;
	memcpy(m->scope, d->addr, 16);
	while (f->next < cap) {
		struct vipa_conn *c = vipa_vcrt_at(t->conns, f->next++);

		if (!c || memcmp(c->key.dvipa, d->addr, 16) != 0)
			continue;
		conn_record(&m->c[m->n++], c, WIRE_CONN_EST);
		if (m->n == WIRE_XCF_MAX_CONN) {
			/* One that fills up exactly at the end is not known to
			 * be the last: an empty LAST message follows it then. */
			full_send(s, f, 0);
			if (--budget == 0)
				return 0;
		}
	}
	full_send(s, f, 1);
	f->on = 0;
	return budget > 1 ? budget - 1 : 0;
}

static void
full_timer_cb(uv_timer_t *h)
{
	struct stack *s = h->data;

	s->tgt.full_bursts++;
	stack_tgt_full_continue(s);
}

int
stack_tgt_full_continue(struct stack *s)
{
	struct stack_tgt *t = &s->tgt;
	int budget = STACK_TGT_FULL_BURST, i, k, more = 0;

	/* Held incremental reports go first, on their own. */
	stack_tgt_flush(s);
	while (budget > 0) {
		/* The one started first, then the others in order: one at a time,
		 * as the owner keeps one report generation per target. */
		for (k = -1, i = 0; i < s->ndv && k < 0; i++)
			if (t->full[i].on && t->full[i].started)
				k = i;
		for (i = 0; i < s->ndv && k < 0; i++)
			if (t->full[i].on)
				k = i;
		if (k < 0)
			break;
		if (!s->dv[k].target || !s->dv[k].owner[0]) {
			t->full[k].on = 0;	/* no target, or no owner, any more */
			continue;
		}
		if (strcmp(t->full[k].owner, s->dv[k].owner) != 0) {
			/* The owner changed meanwhile: the new one gets it all. */
			lib_strlcpy(t->full[k].owner, s->dv[k].owner, sizeof(t->full[k].owner));
			t->full[k].inc = owner_inc(s, s->dv[k].owner);
			t->full[k].next = 0;
			t->full[k].started = 0;
			s->cnt.full_reports++;
		}
		budget = full_step(s, k, budget);
	}
	for (i = 0; i < s->ndv; i++)
		more |= t->full[i].on;
	if (more && s->loop) {
		if (!t->full_timer_init) {
			uv_timer_init(s->loop, &t->full_timer);
			t->full_timer.data = s;
			t->full_timer_init = 1;
		}
		uv_timer_start(&t->full_timer, full_timer_cb, STACK_TGT_FULL_PACE_MS, 0);
	}
	return more;
}

/* Sends the owner everything we know about a DVIPA: listeners and every live
 * connection (the owner drops our routes that are not listed). */
void
stack_tgt_report_full(struct stack *s, struct stack_dvipa *d)
{
	struct stack_tgt_full *f = &s->tgt.full[d - s->dv];
	uint64_t inc;

	if (!d->owner[0])
		return;
	sysports_check(s, d);
	send_listen(s, d);
	inc = owner_inc(s, d->owner);
	if (f->on && strcmp(f->owner, d->owner) == 0 && f->inc == inc) {
		/* The one in progress lists what this one would. */
		s->tgt.full_joined++;
		return;
	}
	/* Only after a takeover or a rejoin, or when asked (the digests
	 * differed): never periodically. */
	s->cnt.full_reports++;
	f->on = 1;
	f->started = 0;
	f->next = 0;
	f->inc = inc;
	lib_strlcpy(f->owner, d->owner, sizeof(f->owner));
	stack_tgt_full_continue(s);
}

void
stack_tgt_report_all(struct stack *s)
{
	int i;

	for (i = 0; i < s->ndv; i++)
		if (s->dv[i].target)
			stack_tgt_report_full(s, &s->dv[i]);
}

void
stack_tgt_close(struct stack *s)
{
	struct stack_tgt *t = &s->tgt;

	if (t->full_timer_init && !uv_is_closing((uv_handle_t *)&t->full_timer))
		uv_close((uv_handle_t *)&t->full_timer, NULL);
	t->full_timer_init = 0;
	memset(t->full, 0, sizeof(t->full));
}

void
stack_tgt_on_sysports(struct stack *s, const struct xcf_member_info *from,
		      const struct wire_xcf_sysports *m)
{
	struct stack_tgt *t = &s->tgt;
	struct stack_dvipa *d;
	char range[32], a[64];

	if (!t->sp_want || memcmp(t->sp_dvipa, m->dvipa, 16) != 0) {
		lib_verdict(&s->bus_verdicts, "SYSPLEXPORTS grant we did not ask for");
		return;
	}
	d = stack_dvipa_find(s, m->dvipa);
	if (!d || !stack_dvipa_is_owner(s, d, from->member)) {
		lib_verdict(&s->bus_verdicts, "SYSPLEXPORTS grant from a stack that does not own the "
			    "DVIPA");
		return;
	}
	vipa_addr_str(m->dvipa, a, sizeof(a));
	if (m->count == 0 || (uint32_t)m->first + (uint32_t)m->count * VIPA_SYSPORTS_BLOCK > 65536) {
		log_warnx("EZD1273I SYSPLEXPORTS: %s HAS NO PORTS OF %s FOR US", from->member, a);
		return;
	}
	snprintf(range, sizeof(range), "%u %u", m->first,
		 (unsigned)(m->first + m->count * VIPA_SYSPORTS_BLOCK - 1));
	if (lib_sysctl_set("net/ipv4/ip_local_port_range", range) < 0)
		log_warnx("SYSPLEXPORTS: cannot set ip_local_port_range to %s", range);
	if (t->sp_first != m->first || t->sp_count != m->count)
		log_info("EZD1274I SYSPLEXPORTS: EPHEMERAL PORTS %u-%u OF %s FROM %s", m->first,
			 (unsigned)(m->first + m->count * VIPA_SYSPORTS_BLOCK - 1), a, from->member);
	t->sp_first = m->first;
	t->sp_count = m->count;
	lib_strlcpy(t->sp_owner, from->member, sizeof(t->sp_owner));
}

/* The digest of our connections of each DVIPA we are a target of, with our
 * listeners (a lost TGT_LISTEN is repaired within a second). */
void
stack_tgt_report_digests(struct stack *s)
{
	struct wire_xcf_tgt_digest m;
	ssize_t n;
	int i;

	/* A digest covers every report sent before it: held ones go now. */
	stack_tgt_flush(s);
	for (i = 0; i < s->ndv; i++) {
		struct stack_dvipa *d = &s->dv[i];

		if (!d->target || !d->owner[0])
			continue;
		sysports_check(s, d);	/* SYSPLEXPORTS: ask again until granted */
		send_listen(s, d);
		memset(&m, 0, sizeof(m));
		m.n = 1;
		memcpy(m.d[0].dvipa, d->addr, 16);
		m.d[0].count = s->tgt.dg[i].count;
		m.d[0].sum = s->tgt.dg[i].sum;
		n = wire_xcf_tgt_digest_encode(&m, s->tgt.txbuf, sizeof(s->tgt.txbuf));
		if (n > 0 && stack_send(s, d->owner, WIRE_XCF_TGT_DIGEST, s->tgt.txbuf, (size_t)n) == 0)
			s->tgt.digests++;
	}
}

void
stack_tgt_on_sync(struct stack *s, const uint8_t dvipa[16])
{
	struct stack_dvipa *d;

	if (memcmp(dvipa, in6_any, 16) == 0) {
		stack_tgt_report_all(s);
		return;
	}
	d = stack_dvipa_find(s, dvipa);
	if (d && d->target)
		stack_tgt_report_full(s, d);
}

/* Applies a distribution (ours or advertised by the owner) on the target side. */
void
stack_tgt_apply_dist(struct stack *s, struct stack_dvipa *d, const struct wire_xcf_dist_adv *m,
		     const char *owner)
{
	int i, me = m->ndest == 0, was = d->target;
	uint64_t inc = owner_inc(s, owner);
	char old_owner[XCF_NAME_LEN + 1];
	enum stack_full_why why;

	lib_strlcpy(old_owner, d->owner, sizeof(old_owner));
	for (i = 0; i < m->ndest && !me; i++)
		if (memcmp(m->dest[i].xcf, stack_self_addr(s, d->addr), 16) == 0)
			me = 1;
	if (m->nports == 0)
		me = 0;		/* no distribution left (OBEYFILE) */
	if (strcmp(d->owner, owner) != 0 || memcmp(&d->adv, m, sizeof(*m)) != 0)
		d->listen_dirty = 1;
	lib_strlcpy(d->owner, owner, sizeof(d->owner));
	d->adv = *m;
	if (me)
		d->draining = 0;
	if (me && (m->flags & WIRE_VIPA_F_SYSPORTS) &&
	    (!s->tgt.sp_want || memcmp(s->tgt.sp_dvipa, d->addr, 16) == 0)) {
		s->tgt.sp_want = 1;
		memcpy(s->tgt.sp_dvipa, d->addr, 16);
	}
	if (me && !d->target) {
		char a[64];
		d->target = 1;
		stack_net_dvipa_local(s, d, 1);
		log_info("EZD1205I DYNAMIC VIPA %s IS A DESTINATION OF %s",
			 vipa_addr_str(d->addr, a, sizeof(a)), owner);
		if (s->tgt.ev) {
			/* Watched first, then one dump for what already exists
			 * (events from now on replay idempotently). */
			if (kdp_ev_addr_set(s->tgt.ev, d->addr,
					    KDP_EV_WATCH_CONN | KDP_EV_WATCH_LISTEN) < 0)
				lib_verdict(&s->tun_verdicts, "connection events: address not watched");
			stack_tgt_poll(s);
		}
	} else if (!me && d->target && !d->draining) {
		/* Taken out of the destinations: our connections of it keep the
		 * DVIPA (and their routes) until they end (stack_tgt_poll). */
		d->draining = 1;
		drain_check(s, d);
	}
	stack_fast_sync(s);
	why = stack_tgt_full_needed(was, d->target, old_owner, d->owner_inc, owner, inc);
	d->owner_inc = inc;
	if (why)
		stack_tgt_report_full(s, d);
	else if (d->target && d->listen_dirty)
		send_listen(s, d);	/* the listeners only: the connections are known */
}

void
stack_tgt_stop_all(struct stack *s)
{
	int i;

	memset(s->tgt.full, 0, sizeof(s->tgt.full));
	for (i = 0; i < s->ndv; i++) {
		struct stack_dvipa *d = &s->dv[i];
		d->draining = 0;
		d->owner_inc = 0;
		if (d->target) {
			d->target = 0;
			if (s->tgt.ev)
				kdp_ev_addr_del(s->tgt.ev, d->addr);
			stack_net_dvipa_local(s, d, 0);
		}
	}
	stack_fast_sync(s);
}

int
stack_tgt_init(struct stack *s)
{
	struct stack_tgt *t = &s->tgt;
	int i, j;

	memset(t, 0, sizeof(*t));
	for (i = 0; i < VIPA_MAX_DVIPA; i++)
		for (j = 0; j < VIPA_MAX_PORTS; j++)
			t->sef[i][j].sef = 100;
	t->conns = vipa_vcrt_new(s->max_conns ? s->max_conns : STACK_TCONN_MAX);
	return t->conns ? 0 : -ENOMEM;
}

void
stack_tgt_fini(struct stack *s)
{
	kdp_ev_close(&s->tgt.ev);
	vipa_vcrt_destroy(&s->tgt.conns);
	free(s->tgt.evq);
	s->tgt.evq = NULL;
	s->tgt.nev = 0;
}
