/*
 * dist.c - the routing stack's side of distribution: the DIST_ADV it
 * publishes for a DVIPA it owns, the VDPT rows and services it sets up, and
 * the VDPT and VCRT it keeps from the targets' reports (TGT_LISTEN,
 * TGT_CONN), with the bookkeeping every VCRT entry gets before it goes.
 *
 * Messages (bodies in wire/):
 *   DIST_ADV   group   the owner of a distributed DVIPA: ports and targets
 *   TGT_LISTEN direct  target -> owner: listeners per port (Rdy), full report
 *   TGT_CONN   direct  target -> owner: connections established / ended
 *   TGT_DIGEST direct  target -> owner: count + hash of its live connections
 *   TGT_SYNC_REQ direct owner -> target: send a full report of a DVIPA
 * A full connection report comes in chunks flagged FULL (FIRST, ..., LAST);
 * every connection it lists is marked with the report's generation
 * (vipa_conn.listed_gen), and at LAST the target's established connections
 * of that DVIPA not marked are swept.  Full reports come when a target
 * starts reporting to us (we took the DVIPA over, it joined) and when we ask
 * for one: we keep, per DVIPA and target, the digest (vipa_digest) of our
 * established entries routed to it, in O(1) per change, and ask when the
 * target's TGT_DIGEST differs from it.  Entries no report ends expire from
 * a timer wheel (stack_dist_watch), never from a walk of the VCRT.
 *
 * State: struct stack_dist (stack.h).  Level 5 of tcpip-stack/ (stack.h):
 * calls mip6.c (a connection established or ended), tgt.c (becoming a
 * target of an advertised distribution), bus.c and dvipa.c.
 */
#include "tcpip-stack/stack.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

void
stack_dist_build_adv(const struct stack_dvipa *d, struct wire_xcf_dist_adv *mp)
{
	struct wire_xcf_dist_adv m;
	int i;

	memset(&m, 0, sizeof(m));
	memcpy(m.dvipa, d->addr, 16);
	m.method = (uint8_t)d->dist.method;
	m.flags = d->dist.mip6 ? WIRE_VIPA_F_MIP6 : 0;
	if (d->dist.method == VIPA_DIST_HOTSTANDBY) {
		if (!d->dist.autoswitchback)
			m.flags |= WIRE_VIPA_F_NOSWITCHBACK;
		if (!d->dist.healthswitch)
			m.flags |= WIRE_VIPA_F_NOHEALTHSW;
	}
	if (d->dist.sysplexports)
		m.flags |= WIRE_VIPA_F_SYSPORTS;
	m.timedaff = d->dist.timedaff;
	m.nports = (uint8_t)d->dist.nports;
	for (i = 0; i < d->dist.nports; i++)
		m.ports[i] = d->dist.ports[i];
	m.ndest = d->dist.destall ? 0 : (uint8_t)d->dist.ndest;
	for (i = 0; i < m.ndest; i++) {
		memcpy(m.dest[i].xcf, d->dist.dest[i].xcf, 16);
		m.dest[i].weight = d->dist.dest[i].weight;
		m.dest[i].srvtype = d->dist.dest[i].srvtype;
		m.dest[i].rank = d->dist.dest[i].rank;
	}
	*mp = m;
}

void
stack_dist_publish(struct stack *s, struct stack_dvipa *d)
{
	struct wire_xcf_dist_adv m;
	ssize_t n;

	stack_dist_build_adv(d, &m);
	n = wire_xcf_dist_adv_encode(&m, s->dist.txbuf, sizeof(s->dist.txbuf));
	if (n > 0)
		stack_publish(s, WIRE_XCF_DIST_ADV, s->dist.txbuf, (size_t)n);
}

/* A VDPT row takes its destination's parameters from the statement that
 * names it (weight, HOTSTANDBY type and rank) whenever the row is made: at
 * set-up, and again when a target that failed or left the group (and lost
 * its rows, EZD1208I) reports its listeners after it rejoins, so that a
 * PREFERRED target is preferred again. */
static void
dest_params(struct vipa_vdpt_entry *e, const struct vipa_dest *dd)
{
	e->weight = dd->weight ? dd->weight : 1;
	e->hs_type = dd->srvtype;
	e->hs_rank = dd->rank;
}

/* Routing stack: declare the services and VDPT rows of an owned DVIPA,
 * each port with the method and destinations of its own statement. */
void
stack_dist_setup(struct stack *s, struct stack_dvipa *d)
{
	int i, j;

	for (i = 0; i < d->dist.nports; i++) {
		uint16_t port = d->dist.ports[i];
		const struct vipa_distribute *v = stack_dvipa_dist_for(s, d, port);

		if (!v)
			continue;
		vipa_vdpt_service(s->vdpt, d->addr, port, v->method);
		if (v->method == VIPA_DIST_HOTSTANDBY)
			vipa_vdpt_service_hs(s->vdpt, d->addr, port, v->autoswitchback,
					     v->healthswitch);
		for (j = 0; !v->destall && j < v->ndest; j++) {
			struct vipa_vdpt_entry *e = vipa_vdpt_get(s->vdpt, d->addr, port,
								  v->dest[j].xcf, 1);
			if (e)
				dest_params(e, &v->dest[j]);
		}
		vipa_vdpt_wlm_update(s->vdpt, d->addr, port);
	}
}

void
stack_dist_on_adv(struct stack *s, const struct xcf_member_info *from, const uint8_t *b,
		  size_t len)
{
	struct wire_xcf_dist_adv m;
	struct stack_dvipa *d = NULL;
	const char *why = NULL;

	/* Zeroed: the target compares the whole struct with the last one
	 * (bytes past nports and ndest included) to see a change. */
	memset(&m, 0, sizeof(m));
	if (wire_xcf_dist_adv_decode(&m, b, len, &why) < 0)
		why = why ? why : "malformed DIST_ADV";
	else if (!(d = stack_dvipa_find(s, m.dvipa)))
		why = "DIST_ADV for a DVIPA no member defines";
	else if (!stack_dvipa_cand_active(d, from->member))
		/* Only the routing stack distributes: its VIPA_ADV (sent before
		 * its DIST_ADV, on the same ordered channel) says ACTIVE. */
		why = "DIST_ADV from a stack that is not the DVIPA's active owner";
	else if (d->owned)
		/* Two owners: own.c settles it (the worse candidate gives up); keep ours. */
		why = "DIST_ADV for a DVIPA we own";
	else
		stack_tgt_apply_dist(s, d, &m, from->member);
	if (why)
		lib_verdict(&s->bus_verdicts, why);
}

static struct vipa_vdpt_entry *
vdpt_for(struct stack *s, struct stack_dvipa *d, uint16_t port, const struct xcf_member_info *from)
{
	const struct vipa_distribute *v = stack_dvipa_dist_for(s, d, port);
	const uint8_t *dest = stack_dest_addr(from, d->addr);
	struct vipa_vdpt_entry *e;
	int i;

	if (!v || !stack_dvipa_is_dest(s, d, dest, port))
		return NULL;
	e = vipa_vdpt_get(s->vdpt, d->addr, port, dest, 1);
	if (!e)
		return NULL;
	lib_strlcpy(e->dest_name, from->member, sizeof(e->dest_name));
	for (i = 0; i < v->ndest && memcmp(v->dest[i].xcf, dest, 16) != 0; i++)
		;
	if (!v->destall && i < v->ndest)
		dest_params(e, &v->dest[i]);
	else if (!e->weight)
		e->weight = 1;
	return e;
}

void
stack_dist_on_listen(struct stack *s, const struct xcf_member_info *from, const uint8_t *b,
		     size_t len)
{
	struct wire_xcf_tgt_listen m;	/* 2.8 KB */
	const char *why = NULL;
	int i, j;

	if (wire_xcf_tgt_listen_decode(&m, b, len, &why) < 0) {
		lib_verdict(&s->bus_verdicts, why ? why : "malformed TGT_LISTEN");
		return;
	}
	/* A full report replaces what this target said before about the
	 * DVIPAs it lists (targets report each DVIPA on its own): ports of those
	 * DVIPAs it no longer lists have no listener. */
	if (m.flags & WIRE_XCF_F_FULL) {
		for (i = 0; i < s->vdpt->n; i++) {
			struct vipa_vdpt_entry *e = &s->vdpt->e[i];
			int listed_dvipa = 0;

			if (!e->used || memcmp(e->dest_xcf, stack_dest_addr(from, e->dvipa), 16) != 0)
				continue;
			for (j = 0; j < m.n; j++)
				if (memcmp(m.l[j].dvipa, e->dvipa, 16) == 0) {
					listed_dvipa = 1;
					if (m.l[j].port == e->port)
						break;
				}
			if (listed_dvipa && j == m.n && e->rdy) {
				e->rdy = 0;
				vipa_store_vdpt_put(s->store, e);
			}
		}
	}
	for (i = 0; i < m.n; i++) {
		struct stack_dvipa *d = stack_dvipa_find(s, m.l[i].dvipa);
		struct vipa_vdpt_entry *e;

		if (!d || !d->owned || !d->has_dist) {
			lib_verdict(&s->bus_verdicts, "listener report for a DVIPA we do not distribute");
			continue;
		}
		if (!stack_dvipa_is_dest(s, d, stack_dest_addr(from, d->addr), m.l[i].port)) {
			lib_verdict(&s->bus_verdicts,
				    "listener report from a stack that is not a destination of the port");
			continue;
		}
		e = vdpt_for(s, d, m.l[i].port, from);
		if (!e)
			continue;
		e->last_report_ms = lib_now_ms();
		if (m.l[i].weight == 0 && !(e->flags & VIPA_VDPT_F_QUIESCED)) {
			e->flags |= VIPA_VDPT_F_QUIESCED;
			vipa_store_vdpt_put(s->store, e);
		} else if (m.l[i].weight != 0 && (e->flags & VIPA_VDPT_F_QUIESCED)) {
			e->flags &= (uint8_t)~VIPA_VDPT_F_QUIESCED;
			vipa_store_vdpt_put(s->store, e);
		}
		if (m.flags & WIRE_XCF_F_MIP6)
			e->flags &= (uint8_t)~VIPA_VDPT_F_NOMIP6;
		else
			e->flags |= VIPA_VDPT_F_NOMIP6;
		if (e->rdy != m.l[i].rdy) {
			e->rdy = m.l[i].rdy;
			vipa_store_vdpt_put(s->store, e);
		}
		/* The target's WLM system and the listener's SEF: the weights of
		 * the service are recomputed when any of them changes. */
		if (!e->has_wlm || e->capacity != m.capacity || e->load != m.load ||
		    e->sef != m.l[i].sef) {
			e->has_wlm = 1;
			e->capacity = m.capacity;
			e->load = m.load > 100 ? 100 : m.load;
			e->sef = m.l[i].sef > 100 ? 100 : m.l[i].sef;
			vipa_vdpt_wlm_update(s->vdpt, e->dvipa, e->port);
		}
	}
}

/* The digest slot of (DVIPA, target); NULL when the DVIPA is not ours to
 * track or (create) every slot is taken. */
static struct stack_dist_dg *
dg_of(struct stack *s, const uint8_t dvipa[16], const uint8_t dest[16], int create)
{
	struct stack_dvipa *d = stack_dvipa_find(s, dvipa);
	struct stack_dist_dg *g, *freeg = NULL;
	int i;

	if (!d)
		return NULL;
	g = s->dist.dg[d - s->dv];
	for (i = 0; i < XCF_MAX_MEMBERS; i++) {
		if (g[i].used && memcmp(g[i].dest, dest, 16) == 0)
			return &g[i];
		if (!g[i].used && !freeg)
			freeg = &g[i];
	}
	if (!create)
		return NULL;
	if (!freeg) {
		/* Only departed targets' slots can be reused: an empty one. */
		for (i = 0; i < XCF_MAX_MEMBERS && !freeg; i++)
			if (!g[i].dg.count)
				freeg = &g[i];
		if (!freeg)
			return NULL;
	}
	memset(freeg, 0, sizeof(*freeg));
	freeg->used = 1;
	memcpy(freeg->dest, dest, 16);
	return freeg;
}

/* An entry becomes established (add) or leaves that state (!add). */
static void
dg_update(struct stack *s, const struct vipa_conn *c, int add)
{
	struct stack_dist_dg *g = dg_of(s, c->key.dvipa, c->dest_xcf, add);

	if (!g)
		return;
	if (add)
		vipa_digest_add(&g->dg, &c->key);
	else
		vipa_digest_del(&g->dg, &c->key);
}

static int
rebuild_cb(struct vipa_conn *c, void *arg)
{
	if (c->state == VIPA_CONN_EST)
		dg_update(arg, c, 1);
	return 0;
}

/* From scratch (a walk of the VCRT): after a takeover or a reload only. */
void
stack_dist_digest_rebuild(struct stack *s)
{
	int i, j;

	for (i = 0; i < VIPA_MAX_DVIPA; i++)
		for (j = 0; j < XCF_MAX_MEMBERS; j++)
			memset(&s->dist.dg[i][j].dg, 0, sizeof(s->dist.dg[i][j].dg));
	vipa_vcrt_foreach(s->vcrt, rebuild_cb, s);
}

void
stack_dist_on_digest(struct stack *s, const struct xcf_member_info *from, const uint8_t *b,
		     size_t len)
{
	struct wire_xcf_tgt_digest m;
	struct wire_xcf_sync_req rq;
	const char *why = NULL;
	uint64_t now = lib_now_ms();
	uint8_t buf[64];
	ssize_t n;
	int i;

	if (wire_xcf_tgt_digest_decode(&m, b, len, &why) < 0) {
		lib_verdict(&s->bus_verdicts, why ? why : "malformed TGT_DIGEST");
		return;
	}
	for (i = 0; i < m.n; i++) {
		struct stack_dvipa *d = stack_dvipa_find(s, m.d[i].dvipa);
		struct stack_dist_dg *g;
		char a[64];

		/* One sent before the DVIPA moved is not for us to check. */
		if (!d || !d->owned)
			continue;
		s->dist.digests_rx++;
		if (!(g = dg_of(s, d->addr, stack_dest_addr(from, d->addr), 1)))
			continue;
		if (g->dg.count == m.d[i].count && g->dg.sum == m.d[i].sum)
			continue;
		s->dist.digest_diff++;
		if (g->sync_ms && now - g->sync_ms < STACK_SYNC_HOLD_MS)
			continue;
		g->sync_ms = now;
		log_info("EZD1234I CONNECTIONS OF %s ON %s DIFFER FROM OURS (%llu, WE HAVE %llu): "
			 "FULL REPORT REQUESTED", lib_ip6_str(d->addr, a, sizeof(a)), from->member,
			 (unsigned long long)m.d[i].count, (unsigned long long)g->dg.count);
		memcpy(rq.dvipa, d->addr, 16);
		n = wire_xcf_sync_req_encode(&rq, buf, sizeof(buf));
		if (n > 0 && stack_send(s, from->member, WIRE_XCF_TGT_SYNC_REQ, buf, (size_t)n) == 0)
			s->dist.sync_sent++;
	}
}

void
stack_dist_confirm(struct stack *s, struct vipa_conn *c)
{
	struct vipa_vdpt_entry *e;

	if (c->confirmed)
		return;
	c->confirmed = 1;
	e = vipa_vdpt_get(s->vdpt, c->key.dvipa, c->key.dport, c->dest_xcf, 0);
	if (e)
		e->confirmed++;
	/* Seen established: the kernel fast path forwards it from now on (an
	 * entry installed at the SYN already does). */
	if (c->early)
		stack_fast_conn_confirmed(s, c);
	else
		stack_fast_conn_put(s, c);
}

void
stack_dist_tsr_tick(struct stack *s)
{
	vipa_vdpt_tsr_tick(s->vdpt);
}

void
stack_dist_conn_removed(struct stack *s, const struct vipa_conn *c, int target_lost)
{
	struct vipa_vdpt_entry *e;

	if (c->state == VIPA_CONN_EST)
		dg_update(s, c, 0);
	e = vipa_vdpt_get(s->vdpt, c->key.dvipa, c->key.dport, c->dest_xcf, 0);
	if (e && e->active > 0)
		e->active--;
	stack_fast_conn_gone(s, c);
	stack_mip6_conn_ended(s, c, target_lost);
	stack_mip6_conn_gone(s, c);
	/* A half-open entry was never written (dist.c, stack_dist_syn_entry). */
	if (c->state != VIPA_CONN_SYN)
		vipa_store_conn_del(s->store, &c->key);
}

/* The end of a full report (rare: a digest differed, a takeover, a
 * rejoin): what it did not list is over.  O(n), as the report is. */
static int
conn_full_sweep(struct vipa_conn *c, void *arg)
{
	struct { struct stack *s; const uint8_t *dest; uint64_t gen; const uint8_t *scope; } *a = arg;

	if (memcmp(c->dest_xcf, a->dest, 16) != 0 || c->state != VIPA_CONN_EST ||
	    c->listed_gen == a->gen || memcmp(c->key.dvipa, a->scope, 16) != 0)
		return 0;
	stack_dist_conn_removed(a->s, c, 0);
	return 1;
}

/* The generation of the full report a target is sending (FIRST starts one). */
static uint64_t *
full_gen_of(struct stack *s, const uint8_t dest[16], int first)
{
	struct stack_dist *t = &s->dist;
	int i, freei = -1;

	for (i = 0; i < XCF_MAX_MEMBERS; i++) {
		if (memcmp(t->fullgen[i].dest, dest, 16) == 0 && t->fullgen[i].gen)
			break;
		if (!t->fullgen[i].gen && freei < 0)
			freei = i;
	}
	if (i == XCF_MAX_MEMBERS) {
		if (freei < 0)
			freei = 0;
		i = freei;
		memcpy(t->fullgen[i].dest, dest, 16);
		t->fullgen[i].gen = ++t->full_gen;
	}
	if (first)
		t->fullgen[i].gen = ++t->full_gen;
	return &t->fullgen[i].gen;
}

/* The generation of the last full report a target started, 0 if none. */
static uint64_t
full_gen_peek(const struct stack *s, const uint8_t dest[16])
{
	int i;

	for (i = 0; i < XCF_MAX_MEMBERS; i++)
		if (s->dist.fullgen[i].gen && memcmp(s->dist.fullgen[i].dest, dest, 16) == 0)
			return s->dist.fullgen[i].gen;
	return 0;
}

void
stack_dist_on_conn(struct stack *s, const struct xcf_member_info *from, const uint8_t *b,
		   size_t len)
{
	struct wire_xcf_tgt_conn *mp = &s->dist.rx_conn;	/* 29 KB */
	const char *why = NULL;
	uint64_t now = lib_now_ms(), gen = 0;
	int i;

	if (wire_xcf_tgt_conn_decode(mp, b, len, &why) < 0) {
		lib_verdict(&s->bus_verdicts, why ? why : "malformed TGT_CONN");
		return;
	}
	if (mp->flags & WIRE_XCF_F_FULL)
		gen = *full_gen_of(s, from->xcfaddr, mp->flags & WIRE_XCF_F_FIRST);
	for (i = 0; i < mp->n; i++) {
		const struct wire_xcf_conn *r = &mp->c[i];
		struct stack_dvipa *d = stack_dvipa_find(s, r->dvipa);
		uint8_t rb = r->bypass & WIRE_XCF_BYPASS_STATE;	/* the binding's state */
		struct vipa_vdpt_entry *e = NULL;
		struct vipa_conn_key k;
		const uint8_t *dest = stack_dest_addr(from, r->dvipa);
		struct vipa_conn *c;
		int created = 0;

		/* Held over our lease lapse (own.c): the table follows the
		 * reports, so that owning it again needs no full report. */
		if (!d || (!d->owned && !d->held)) {
			lib_verdict(&s->bus_verdicts, "connection report for a DVIPA we do not own");
			continue;
		}
		memset(&k, 0, sizeof(k));
		memcpy(k.dvipa, r->dvipa, 16);
		memcpy(k.client, r->client, 16);
		k.dport = r->dport;
		k.cport = r->cport;
		if (r->event == WIRE_CONN_END) {
			s->dist.end_rx++;
			c = vipa_vcrt_lookup(s->vcrt, &k);
			/* An entry still in SYN state is a newer connection on the
			 * same ports: the end is of the one before. */
			if (c && c->state == VIPA_CONN_EST && memcmp(c->dest_xcf, dest, 16) == 0) {
				stack_dist_conn_removed(s, c, 0);
				vipa_vcrt_remove(s->vcrt, &k);
			}
			continue;
		}
		/* Only a destination of the port may create a route to itself (a
		 * forged report would make routes for any port).  A connection
		 * already routed to it keeps its route when its port stops being
		 * distributed (OBEYFILE): the report lists it, so the sweep of a
		 * full report keeps it too. */
		if (!vipa_vcrt_lookup(s->vcrt, &k) &&
		    !stack_dvipa_is_dest(s, d, dest, k.dport)) {
			lib_verdict(&s->bus_verdicts,
				    "connection report from a stack that is not a destination of the port");
			continue;
		}
		if (!gen)
			s->dist.est_rx++;
		c = vipa_vcrt_insert(s->vcrt, &k, &created);
		if (!c) {
			lib_verdict(&s->bus_verdicts, "VCRT full");
			continue;
		}
		if (created) {
			/* Learned from the target (e.g. after a takeover, or a
			 * connection that reached it under a per-home-address
			 * binding). */
			e = vdpt_for(s, d, k.dport, from);
			memcpy(c->dest_xcf, dest, 16);
			c->created_ms = now;
			/* Not sent by us: no part of the TSR's sent/established. */
			c->confirmed = 1;
			if (e)
				e->active++;
			stack_fast_conn_put(s, c);
		} else if (memcmp(c->dest_xcf, dest, 16) != 0) {
			lib_verdict(&s->bus_verdicts, "connection reported by a stack it is not routed to");
			continue;
		}
		/* The target's view of the bypass (what our BIND_INFO told it) is
		 * taken for a connection learned from it (after a takeover), or
		 * for one we hold no bypass state of our own for (reloaded after
		 * a restart, bound meanwhile by the interim owner).  Otherwise
		 * ours is newer: a report sent before our BIND_INFO reached the
		 * target says NONE for a connection we have just bound, and
		 * losing BOUND would lose the deleting BU at its end. */
		/* A per-home-address binding only for an entry that never had a
		 * bypass state here: one we released (the third BU) must not come
		 * back from a report the target sent before it heard of that. */
		if (created || (c->bypass == VIPA_BYPASS_NONE && !c->bu_tries && !c->per_home &&
				rb == VIPA_BYPASS_BOUND &&
				(!(r->bypass & WIRE_XCF_BYPASS_HOME) || !c->bypass_ms))) {
			if (rb == VIPA_BYPASS_BOUND)
				/* ...with the binding it is under (a standard
				 * client's per-home-address binding included). */
				stack_mip6_conn_learned(s, c, r);
			else
				c->bypass = rb;
		}
		if (rb == VIPA_BYPASS_BOUND && r->seq &&
		    (!c->bu_seq || mip6_seq_newer(r->seq, c->bu_seq))) {
			/* A binding another routing stack made: our next BU for it
			 * (refresh or deletion) must be newer than its last. */
			c->bu_seq = r->seq;
			stack_mip6_seq_seen(s, c->key.client, c->key.dvipa, r->seq);
		}
		/* The target confirmed the connection: the claim's "notification that
		 * the connection request has been accepted" updates the routing table. */
		if (c->state != VIPA_CONN_EST || created) {
			stack_dist_confirm(s, c);
			c->state = VIPA_CONN_EST;
			dg_update(s, c, 1);
			vipa_store_conn_put(s->store, c);
			/* ...and, on a DVIPA with MOBILEIPV6, starts the bypass. */
			if (!created || rb == VIPA_BYPASS_NONE)
				stack_mip6_conn_established(s, c);
			/* A new connection that reached its target directly under
			 * the client's binding: the binding chose the target. */
			if (created && e && c->per_home && c->bypass == VIPA_BYPASS_BOUND)
				e->totalconn++;
		}
		/* Listed by the full report in progress, or confirmed alive while
		 * one is in progress (the target sends a full report in bursts,
		 * tgt.c: an incremental report between them may be of one its
		 * walk had passed): its LAST keeps it either way. */
		c->listed_gen = gen ? gen : full_gen_peek(s, from->xcfaddr);
		/* Its bypass's pending work, however the state came. */
		stack_mip6_track(s, c);
	}
	if ((mp->flags & WIRE_XCF_F_FULL) && (mp->flags & WIRE_XCF_F_LAST)) {
		struct { struct stack *s; const uint8_t *dest; uint64_t gen; const uint8_t *scope; } a = {
			s, stack_dest_addr(from, mp->scope), gen, mp->scope };
		vipa_vcrt_foreach(s->vcrt, conn_full_sweep, &a);
	}
}

/* Entries whose end no target reports: a connection that opened and closed
 * before its target reported it (confirmed never), or one whose END report
 * was lost.  The target's END report is the normal way out.  0 when the
 * entry never expires as it is (established, no FIN or RST seen). */
static uint64_t
expiry_due(const struct vipa_conn *c)
{
	uint64_t due;

	if (c->state == VIPA_CONN_SYN) {
		due = c->created_ms + STACK_SYN_TIMEOUT_MS;
		if (c->fin_ms && c->fin_ms + STACK_FIN_LINGER_MS < due)
			due = c->fin_ms + STACK_FIN_LINGER_MS;
		return due;
	}
	return c->fin_ms ? c->fin_ms + STACK_FIN_TIMEOUT_MS : 0;
}

static int
syn_expire(struct vipa_conn *c, void *arg)
{
	struct stack *s = arg;
	uint64_t due = expiry_due(c);

	if (!due || lib_now_ms() < due)
		return 0;
	stack_dist_conn_removed(s, c, 0);
	return 1;
}

void
stack_dist_watch(struct stack *s, const struct vipa_conn *c)
{
	uint64_t due = expiry_due(c);

	if (due && lib_wheel_add(s->dist.expiry, &c->key, due) < 0)
		s->dist.sweep = 1;	/* full: the next expiry walks the VCRT */
}

/* A key came due: the entry, if it is still there, expires now or later. */
static void
expiry_cb(const void *key, void *arg)
{
	struct stack *s = arg;
	struct vipa_conn_key k;
	struct vipa_conn *c;

	memcpy(&k, key, sizeof(k));
	if (!(c = vipa_vcrt_lookup(s->vcrt, &k)))
		return;
	if (syn_expire(c, s))
		vipa_vcrt_remove(s->vcrt, &k);
	else
		stack_dist_watch(s, c);
}

static int
sweep_watch(struct vipa_conn *c, void *arg)
{
	stack_dist_watch(arg, c);
	return 0;
}

void
stack_dist_expire(struct stack *s)
{
	if (s->dist.sweep) {
		s->dist.sweep = 0;
		vipa_vcrt_foreach(s->vcrt, syn_expire, s);
		vipa_vcrt_foreach(s->vcrt, sweep_watch, s);
	}
	lib_wheel_expire(s->dist.expiry, lib_now_ms(), expiry_cb, s);
}

static int
drop_conn_of_dest(struct vipa_conn *c, void *arg)
{
	struct { struct stack *s; const uint8_t *dest; } *a = arg;

	if (memcmp(c->dest_xcf, a->dest, 16) != 0)
		return 0;
	stack_dist_conn_removed(a->s, c, 1);
	return 1;
}

/* Routing stack: a departed target gets no new connections and its
 * connections (their TCP state lived there) leave the tables (a walk of
 * the VCRT: a rare event, and most entries go). */
void
stack_dist_target_left(struct stack *s, const struct xcf_member_info *m)
{
	struct { struct stack *s; const uint8_t *dest; } a = { s, m->xcfaddr };
	int n;

	vipa_vcrt_foreach(s->vcrt, drop_conn_of_dest, &a);
	for (n = 0; n < s->ndv; n++)
		if (s->dv[n].sp_init)
			vipa_sysports_release_all(&s->dv[n].sp, m->xcfaddr);
	n = vipa_vdpt_remove_dest(s->vdpt, m->xcfaddr);
	if (vipa_addr_is_v4(m->xcfaddr4)) {
		/* Its IPv4 DYNAMICXCF address is the destination of IPv4 DVIPAs. */
		a.dest = m->xcfaddr4;
		vipa_vcrt_foreach(s->vcrt, drop_conn_of_dest, &a);
		n += vipa_vdpt_remove_dest(s->vdpt, m->xcfaddr4);
	}
	if (n > 0)
		log_info("EZD1208I %d VDPT ENTRIES OF %s REMOVED", n, m->member);
}

static void
sysports_send(struct stack *s, const char *member, const uint8_t dvipa[16], uint8_t op,
	      uint16_t first, uint16_t count)
{
	struct wire_xcf_sysports m;
	uint8_t b[64];
	ssize_t n;

	memset(&m, 0, sizeof(m));
	memcpy(m.dvipa, dvipa, 16);
	m.op = op;
	m.first = first;
	m.count = count;
	n = wire_xcf_sysports_encode(&m, b, sizeof(b));
	if (n > 0)
		stack_send(s, member, WIRE_XCF_SYSPORTS, b, (size_t)n);
}

void
stack_dist_on_sysports(struct stack *s, const struct xcf_member_info *from,
		       const struct wire_xcf_sysports *m)
{
	struct stack_dvipa *d = stack_dvipa_find(s, m->dvipa);
	int count = m->count, first;
	char a[64];

	if (!d || !d->owned || !d->has_dist || !d->dist.sysplexports) {
		lib_verdict(&s->bus_verdicts, "SYSPLEXPORTS request for a DVIPA we do not distribute "
			    "with SYSPLEXPORTS");
		return;
	}
	if (!d->dist.destall) {
		int i;

		for (i = 0; i < d->dist.ndest; i++)
			if (memcmp(d->dist.dest[i].xcf, stack_dest_addr(from, d->addr), 16) == 0)
				break;
		if (i == d->dist.ndest) {
			lib_verdict(&s->bus_verdicts, "SYSPLEXPORTS request from a stack that is no "
				    "destination of the DVIPA");
			return;
		}
	}
	if (!d->sp_init) {
		if (vipa_sysports_init(&d->sp, STACK_SYSPORTS_LO, STACK_SYSPORTS_HI) < 0)
			return;
		d->sp_init = 1;
	}
	if (m->op == WIRE_SYSPORTS_RELEASE) {
		vipa_sysports_release_all(&d->sp, from->xcfaddr);
		return;
	}
	if (count < 1 || count > STACK_SYSPORTS_BLOCKS * 4)
		count = STACK_SYSPORTS_BLOCKS;
	if (vipa_sysports_count(&d->sp, from->xcfaddr) > 0) {
		/* Asked again (a lost grant): the same blocks. */
		count = vipa_sysports_count(&d->sp, from->xcfaddr);
		first = vipa_sysports_first(&d->sp, from->xcfaddr);
	} else if (m->first && (first = vipa_sysports_claim(&d->sp, from->xcfaddr, m->first,
							      count)) >= 0) {
		/* It keeps the ports another routing stack gave it. */
	} else {
		first = vipa_sysports_alloc_n(&d->sp, from->xcfaddr, count);
	}
	vipa_addr_str(d->addr, a, sizeof(a));
	if (first < 0) {
		log_warnx("EZD1273I SYSPLEXPORTS: NO FREE PORTS OF %s FOR %s", a, from->member);
		sysports_send(s, from->member, d->addr, WIRE_SYSPORTS_GRANT, 0, 0);
		return;
	}
	log_info("EZD1272I SYSPLEXPORTS: PORTS %d-%d OF %s GIVEN TO %s", first,
		 first + count * VIPA_SYSPORTS_BLOCK - 1, a, from->member);
	sysports_send(s, from->member, d->addr, WIRE_SYSPORTS_GRANT, (uint16_t)first,
		      (uint16_t)count);
}

const uint8_t *
stack_dist_port_owner(struct stack *s, struct stack_dvipa *d, uint16_t port, uint8_t buf[16])
{
	LIB_UNUSED(s);
	if (!d->sp_init || vipa_sysports_owner(&d->sp, port, buf) < 0)
		return NULL;
	return buf;
}

int
stack_dist_init(struct stack *s)
{
	memset(&s->dist, 0, sizeof(s->dist));
	/* 100 ms slots over 102 s: every due time (at most 60 s ahead) fits. */
	s->dist.expiry = lib_wheel_new(1024, 100, sizeof(struct vipa_conn_key),
				       s->vcrt ? vipa_vcrt_capacity(s->vcrt) : STACK_VCRT_MAX,
				       lib_now_ms());
	/* Entries loaded from SQLite are looked at once. */
	s->dist.sweep = 1;
	s->dist.syn = calloc(STACK_SYN_MAX, sizeof(*s->dist.syn));
	return s->dist.expiry && s->dist.syn ? 0 : -ENOMEM;
}

void
stack_dist_fini(struct stack *s)
{
	lib_wheel_destroy(&s->dist.expiry);
	free(s->dist.syn);
	s->dist.syn = NULL;
}

/* Takes the oldest half-open record off the ring; evicts its entry when that
 * is still the same half-open entry.  1 when an entry was evicted. */
static int
syn_pop(struct stack *s)
{
	struct stack_dist *t = &s->dist;
	struct stack_dist_syn *r = &t->syn[t->syn_head];
	struct vipa_conn *c;

	t->syn_head = (t->syn_head + 1) % STACK_SYN_MAX;
	t->syn_n--;
	c = vipa_vcrt_lookup(s->vcrt, &r->key);
	if (!c || c->state != VIPA_CONN_SYN || c->created_ms != r->created_ms)
		return 0;
	stack_dist_conn_removed(s, c, 0);
	vipa_vcrt_remove(s->vcrt, &r->key);
	t->syn_evicted++;
	return 1;
}

struct vipa_conn *
stack_dist_syn_entry(struct stack *s, const struct vipa_conn_key *k, uint32_t isn)
{
	struct stack_dist *t = &s->dist;
	struct stack_dist_syn *r;
	struct vipa_conn *c;
	int created = 0;

	/* Every half-open entry has a record on the ring, so a full ring
	 * bounds them; a VCRT full of others makes room from the oldest. */
	while (t->syn_n == STACK_SYN_MAX)
		syn_pop(s);
	while (t->syn_n && vipa_vcrt_count(s->vcrt) >= vipa_vcrt_capacity(s->vcrt))
		syn_pop(s);
	c = vipa_vcrt_insert(s->vcrt, k, &created);
	if (!c)
		return NULL;
	c->state = VIPA_CONN_SYN;
	c->created_ms = lib_now_ms();
	c->syn_isn = isn;
	r = &t->syn[(t->syn_head + t->syn_n++) % STACK_SYN_MAX];
	r->key = *k;
	r->created_ms = c->created_ms;
	return c;
}

int
stack_dist_syn_is_new(const struct vipa_conn *c, uint32_t isn)
{
	return isn != c->syn_isn && (c->state == VIPA_CONN_EST || c->fin_ms);
}
