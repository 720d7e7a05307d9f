/*
 * tgt.c - the target side: what the kernel says about our sockets on the
 * DVIPAs we are a destination of, reported to the routing stack.
 *
 * Every STACK_POLL_MS the TCP socket table is dumped (NETLINK_SOCK_DIAG):
 *  - LISTEN sockets on the DVIPA or on :: give Rdy per distributed port;
 *  - connected sockets on DVIPA:port are our connections (the target VCRT).
 * Differences from the last poll become TGT_LISTEN (full report) and
 * TGT_CONN (established / ended) messages to the owner of each DVIPA.  A
 * connection ends when its socket is gone or in TIME_WAIT: until then the
 * client may still send (FIN_WAIT, CLOSE_WAIT, LAST_ACK), so its route must
 * stay.  A full report lists every live connection of a DVIPA, in chunks
 * flagged FULL, the first FIRST and the last LAST.
 *
 * A stack becomes a target of a DVIPA when the owner's DIST_ADV (or its own
 * distribution, when it owns the DVIPA) lists it (stack_tgt_apply_dist): the
 * DVIPA becomes a local address on our TUN and the owner gets a full report.
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
 * Level 3 of tcpip-stack/ (stack.h): calls net.c, bus.c and dvipa.c.
 */
#include "tcpip-stack/stack.h"

#include <errno.h>
#include <netinet/tcp.h>
#include <stdlib.h>
#include <string.h>

static const uint8_t in6_any[16];

static void
queue_event(struct stack *s, int dv, const struct vipa_conn *c, uint8_t event)
{
	struct stack_tgt *t = &s->tgt;
	struct wire_xcf_conn *r;

	if (!t->evq && !(t->evq = calloc(STACK_TGT_EVQ_MAX, sizeof(*t->evq))))
		return;
	if (t->nev == STACK_TGT_EVQ_MAX) {
		/* The next periodic full report repairs what is lost here. */
		lib_verdict(&s->bus_verdicts, "connection event queue full");
		return;
	}
	t->evq[t->nev].dv = (uint8_t)dv;
	r = &t->evq[t->nev].r;
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
	t->nev++;
}

static void
send_connmsg(struct stack *s, const char *owner)
{
	ssize_t n = wire_xcf_tgt_conn_encode(&s->tgt.connmsg, s->tgt.txbuf, sizeof(s->tgt.txbuf));

	if (n > 0)
		stack_send(s, owner, WIRE_XCF_TGT_CONN, s->tgt.txbuf, (size_t)n);
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
		memcpy(c->dest_xcf, s->xcfaddr, 16);
		c->state = VIPA_CONN_EST;
		c->created_ms = lib_now_ms();
		c->listed_gen = s->tgt.poll_gen;
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
			if (memcmp(so->laddr, d->addr, 16) == 0 || memcmp(so->laddr, in6_any, 16) == 0)
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
			queue_event(s, i, c, WIRE_CONN_EST);
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
		queue_event(s, (int)(d - s->dv), c, WIRE_CONN_END);
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

static int
count_dvipa(struct vipa_conn *c, void *arg)
{
	struct { const uint8_t *dvipa; int n; } *a = arg;

	if (memcmp(c->key.dvipa, a->dvipa, 16) == 0)
		a->n++;
	return 0;
}

/* A draining target without connections of the DVIPA is no target any more. */
static void
drain_check(struct stack *s, struct stack_dvipa *d)
{
	struct { const uint8_t *dvipa; int n; } a = { d->addr, 0 };
	char txt[64];

	vipa_vcrt_foreach(s->tgt.conns, count_dvipa, &a);
	if (a.n)
		return;
	d->draining = 0;
	d->target = 0;
	if (!d->owned)
		stack_net_dvipa_local(s, d, 0);
	log_info("EZD1209I DYNAMIC VIPA %s IS NO LONGER A DESTINATION OF %s",
		 lib_ip6_str(d->addr, txt, sizeof(txt)), d->owner[0] ? d->owner : "ITS OWNER");
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


void
stack_tgt_poll(struct stack *s)
{
	struct stack_tgt *t = &s->tgt;
	uint32_t states = (1u << TCP_LISTEN) | (1u << TCP_ESTABLISHED) | (1u << TCP_SYN_RECV) |
			  (1u << TCP_FIN_WAIT1) | (1u << TCP_FIN_WAIT2) | (1u << TCP_CLOSE_WAIT) |
			  (1u << TCP_LAST_ACK) | (1u << TCP_CLOSING);
	int i, j, any = 0;

	for (i = 0; i < s->ndv; i++)
		any |= s->dv[i].target;
	t->range_polled = 0;
	if (!any && !s->prof.nrange)
		return;
	/* With VIPARANGEs but no target role, only the listeners. */
	if (!any)
		states = 1u << TCP_LISTEN;
	memset(t->rdy, 0, sizeof(t->rdy));
	t->nrange_seen = 0;
	t->poll_gen++;
	t->nev = 0;
	if (lib_diag_tcp6(states, sock_cb, s) < 0) {
		lib_verdict(&s->tun_verdicts, "socket table dump failed");
		return;
	}
	t->range_polled = s->prof.nrange > 0;
	if (!any)
		return;
	vipa_vcrt_foreach(t->conns, sweep_cb, s);
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

struct full_ctx {
	struct stack *s;
	int dv;
};

static int
full_cb(struct vipa_conn *c, void *arg)
{
	struct full_ctx *f = arg;

	if (memcmp(c->key.dvipa, f->s->dv[f->dv].addr, 16) == 0)
		queue_event(f->s, f->dv, c, WIRE_CONN_EST);
	return 0;
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

/* Sends the owner everything we know about a DVIPA: listeners and every live
 * connection (the owner drops our routes that are not listed). */
void
stack_tgt_report_full(struct stack *s, struct stack_dvipa *d)
{
	struct full_ctx f = { s, (int)(d - s->dv) };

	if (!d->owner[0])
		return;
	sysports_check(s, d);
	send_listen(s, d);
	s->tgt.nev = 0;
	s->cnt.full_reports++;
	vipa_vcrt_foreach(s->tgt.conns, full_cb, &f);
	flush_events(s, f.dv, 1);
	s->tgt.nev = 0;
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
stack_tgt_on_sysports(struct stack *s, const struct xcf_member_info *from,
		      const struct wire_xcf_sysports *m)
{
	struct stack_tgt *t = &s->tgt;
	char range[32], a[64];

	if (!t->sp_want || memcmp(t->sp_dvipa, m->dvipa, 16) != 0) {
		lib_verdict(&s->bus_verdicts, "SYSPLEXPORTS grant we did not ask for");
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

/* Applies a distribution (ours or advertised by the owner) on the target side. */
void
stack_tgt_apply_dist(struct stack *s, struct stack_dvipa *d, const struct wire_xcf_dist_adv *m,
		     const char *owner)
{
	int i, me = m->ndest == 0;

	for (i = 0; i < m->ndest && !me; i++)
		if (memcmp(m->dest[i].xcf, s->xcfaddr, 16) == 0)
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
			 lib_ip6_str(d->addr, a, sizeof(a)), owner);
	} else if (!me && d->target && !d->draining) {
		/* Taken out of the destinations: our connections of it keep the
		 * DVIPA (and their routes) until they end (stack_tgt_poll). */
		d->draining = 1;
		drain_check(s, d);
	}
	if (d->target && d->listen_dirty)
		stack_tgt_report_full(s, d);
}

void
stack_tgt_stop_all(struct stack *s)
{
	int i;

	for (i = 0; i < s->ndv; i++) {
		struct stack_dvipa *d = &s->dv[i];
		d->draining = 0;
		if (d->target) {
			d->target = 0;
			stack_net_dvipa_local(s, d, 0);
		}
	}
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
	t->conns = vipa_vcrt_new(STACK_TCONN_MAX);
	return t->conns ? 0 : -ENOMEM;
}

void
stack_tgt_fini(struct stack *s)
{
	vipa_vcrt_destroy(&s->tgt.conns);
	free(s->tgt.evq);
	s->tgt.evq = NULL;
	s->tgt.nev = 0;
}
