/*
 * own.c - who owns each DVIPA: the backup chain, takeover, takeback, and the
 * guard every owner action passes.  Every stack evaluates the same rule on
 * the same facts (the VIPA_ADV of every live member), so they agree without
 * a vote; the couple data set (xcf/sfm.c) decides who is in the sysplex.
 *
 * The rule, per DVIPA:
 *  - Candidates are the live members that define it: the VIPADEFINE stack
 *    first, then VIPABACKUP stacks by rank (highest first), ties by member
 *    name.  A DEACTIVATEd stack is no candidate.
 *  - Owning needs a lease (stack_own_allowed): we are a member of the
 *    sysplex whose last status update in the couple data set succeeded less
 *    than LEASE ago (xcf_lease_ok), and we did not LEAVEGROUP.  Every owner
 *    action checks it first (stack_own_guard: forwarding in dp.c, neighbour
 *    advertisements in ndp.c, reporting ACTIVE in ctl.c, the VIPA_ADV we
 *    publish); a stack that fails it gives every DVIPA up at once, with no
 *    MOVING grace.  So a hung or cut-off owner stops by itself, and a stack
 *    resumed after SIGSTOP stops in its first I/O callback.  A lapse keeps
 *    (holds) the VCRT entries of a DVIPA without the bypass until we own it
 *    again or somebody else does (may_hold, release_held).
 *  - Takeover: when no live member advertises the DVIPA ACTIVE, the best
 *    live candidate activates it, but only when the sysplex is settled
 *    (xcf_settled): nobody is in doubt, i.e. every system the couple data set
 *    has in the sysplex is a member we hear, and every system SFM removed
 *    has surely stopped (its lease ran out).  A failed owner is therefore
 *    replaced only after SFM partitioned it out; an owner cut off by a
 *    partition is either pilled (then it stops within LEASE, before the
 *    winner may act) or it stays, on the side SFM keeps.  Safety depends on
 *    the lease, not on how fast anybody runs (xcf/sfm.c has the argument).
 *  - Takeback: the VIPADEFINE stack, when it is live again and the DVIPA is
 *    MOVEABLE IMMEDIATE, gets it back at once; WHENIDLE waits until the
 *    current owner has no connection for it.  The owner giving it up keeps
 *    forwarding for STACK_MOVING_MS (status MOVING), so packets that still
 *    reach it during the switch are not lost; the new owner rebuilds its
 *    VCRT from the targets' full reports.  Every way back (restart, JOINGROUP,
 *    a rejoin after SFM removed a stack) is a new incarnation that starts
 *    owning nothing and takes the DVIPA back by this rule, so WHENIDLE holds
 *    on all of them.
 *  - Two active owners (two stacks activating on the same facts at once):
 *    the worse candidate gives up.
 *
 * The facts are the VIPA_ADV every member publishes (stack_own_publish):
 * each DVIPA it defines or backs up, with its rank and status.  Activating
 * a DVIPA (taking it as routing stack) sets up its distribution (dist.c) and
 * makes this stack a target of it too when it is one (tgt.c).
 *
 * State: struct stack_own (stack.h) and the candidates kept per DVIPA.
 * Level 6 of tcpip-stack/ (stack.h): calls dist.c, tgt.c, net.c, ndp.c,
 * bus.c and dvipa.c.
 */
#include "tcpip-stack/stack.h"

#include <string.h>

void
stack_own_init(struct stack *s)
{
	memset(&s->own, 0, sizeof(s->own));
}

void
stack_own_fini(struct stack *s)
{
	if (s->own.timer_init && !uv_is_closing((uv_handle_t *)&s->own.timer))
		uv_close((uv_handle_t *)&s->own.timer, NULL);
	s->own.timer_init = 0;
}

/* Candidate order: lower is better. */
static int
cand_key(uint8_t origin, uint8_t rank)
{
	return origin == WIRE_VIPA_DEFINE ? 0 : 256 - rank;
}

static int
better(uint8_t o1, uint8_t r1, const char *m1, uint8_t o2, uint8_t r2, const char *m2)
{
	int k1 = cand_key(o1, r1), k2 = cand_key(o2, r2);

	if (k1 != k2)
		return k1 < k2;
	return strcmp(m1, m2) < 0;
}

static int
member_live(struct stack *s, const char *member)
{
	const struct xcf_member_info *m;

	if (strcmp(member, s->member) == 0)
		return 1;
	m = xcf_member(s->xcf, member);
	return m && m->state == XCF_ACTIVE;
}

int
stack_own_allowed(struct stack *s)
{
	return !s->left_group && xcf_lease_ok(s->xcf);
}

/* Our VIPA_ADV: what every member decides ownership from. */
void
stack_own_publish(struct stack *s)
{
	struct wire_xcf_vipa_adv m;
	ssize_t n;
	int i;

	memset(&m, 0, sizeof(m));
	for (i = 0; i < s->ndv && m.n < WIRE_XCF_MAX_VIPA; i++) {
		struct stack_dvipa *d = &s->dv[i];
		if (!d->defined && !d->backup && !d->owned && !d->moving)
			continue;
		memcpy(m.v[m.n].addr, d->addr, 16);
		m.v[m.n].origin = d->defined ? WIRE_VIPA_DEFINE : WIRE_VIPA_BACKUP;
		m.v[m.n].rank = d->rank;
		/* A deactivated stack is no candidate, even while it still
		 * forwards what reaches it (MOVING). */
		m.v[m.n].status = d->owned && stack_own_allowed(s) ? WIRE_VIPA_ACTIVE :
				  d->deactivated ? WIRE_VIPA_DEACTIVATED :
				  d->moving ? WIRE_VIPA_MOVING : WIRE_VIPA_BACKUP_ST;
		m.v[m.n].flags = (d->has_dist ? WIRE_VIPA_F_DIST : 0) |
				 (d->range ? WIRE_VIPA_F_RANGE : 0) |
				 (d->has_dist && d->dist.mip6 ? WIRE_VIPA_F_MIP6 : 0) |
				 (d->moveable == VIPA_MOVE_WHENIDLE ? WIRE_VIPA_F_WHENIDLE : 0);
		m.n++;
	}
	n = wire_xcf_vipa_adv_encode(&m, s->own.txbuf, sizeof(s->own.txbuf));
	if (n > 0)
		stack_publish(s, WIRE_XCF_VIPA_ADV, s->own.txbuf, (size_t)n);
}

static void give_up(struct stack *s, struct stack_dvipa *d, const char *to, int grace, int keep,
		    const char *why);
static void finish_moving(struct stack *s, struct stack_dvipa *d);

/* Why we may not own, for the messages. */
static const char *
not_allowed_why(struct stack *s)
{
	if (s->left_group)
		return "LEFT THE SYSPLEX GROUP";
	if (!xcf_joined(s->xcf))
		return "NOT A MEMBER OF THE SYSPLEX";
	return "NO VALID LEASE ON THE COUPLE DATA SET";
}

/* A lease lapse (we are still a member, we did not leave) of a DVIPA without
 * the Mobile IPv6 bypass: its VCRT entries are kept (held) rather than
 * dropped.  Nothing is forwarded for it meanwhile (the guard, the kernel's
 * lease), but when the lease comes back and nobody else took the DVIPA we
 * own it again with its routes, and the targets need send nothing but what
 * changed meanwhile (their reports are applied while held; the digests
 * check the rest).  Dropping them made every lapse cost a full report of
 * every connection from every target, which on a busy machine made the
 * next lapse come sooner.  With the bypass the per-connection binding
 * work (retries, refreshes, deleting BUs) is an owner's: those are dropped
 * as before and rebuilt from the targets' reports. */
static int
may_hold(struct stack *s, const struct stack_dvipa *d)
{
	return !s->left_group && xcf_joined(s->xcf) && !(d->has_dist && d->dist.mip6);
}

int
stack_own_guard(struct stack *s)
{
	const char *why;
	int i;

	if (stack_own_allowed(s))
		return 1;
	why = not_allowed_why(s);
	for (i = 0; i < s->ndv; i++) {
		struct stack_dvipa *d = &s->dv[i];

		if (d->owned)
			give_up(s, d, "", 0, may_hold(s, d), why);
		else if (d->moving)
			finish_moving(s, d);
	}
	return 0;
}

static struct stack_cand *
cand_find(struct stack_dvipa *d, const char *member)
{
	int i;

	for (i = 0; i < d->ncand; i++)
		if (strcmp(d->cand[i].member, member) == 0)
			return &d->cand[i];
	return NULL;
}

static void
cand_remove(struct stack_dvipa *d, const char *member)
{
	int i;

	for (i = 0; i < d->ncand; i++) {
		if (strcmp(d->cand[i].member, member) == 0) {
			d->cand[i] = d->cand[--d->ncand];
			return;
		}
	}
}

static int
heard_index(struct stack *s, const char *member)
{
	int i;

	for (i = 0; i < s->own.nheard; i++)
		if (strcmp(s->own.heard[i].member, member) == 0)
			return i;
	return -1;
}

/* Has every live member told us its definitions?  Until then nobody may
 * activate: the owner's advertisement may simply not have arrived yet. */
static int
all_heard(struct stack *s)
{
	struct xcf_member_info m[XCF_MAX_MEMBERS];
	int i, n = xcf_members(s->xcf, m, XCF_MAX_MEMBERS);

	for (i = 0; i < n; i++) {
		int k;
		if (strcmp(m[i].member, s->member) == 0 || m[i].state != XCF_ACTIVE)
			continue;
		k = heard_index(s, m[i].member);
		if (k < 0 || s->own.heard[k].incarnation != m[i].incarnation)
			return 0;
	}
	return 1;
}

void
stack_own_on_join(struct stack *s, const struct xcf_member_info *m)
{
	int i;

	if (strcmp(m->member, s->member) == 0) {
		/* We are a member (again): process the VIPADYNAMIC block once the
		 * group's advertisements are in. */
		s->own.settle_until_ms = lib_now_ms() + s->couple.fail_ms + 2 * s->couple.hb_ms;
		stack_own_publish(s);
		return;
	}
	/* A newcomer learns our definitions and distributions at once. */
	stack_own_publish(s);
	for (i = 0; i < s->ndv; i++)
		if (s->dv[i].owned && s->dv[i].has_dist)
			stack_dist_publish(s, &s->dv[i]);
}

void
stack_own_on_adv(struct stack *s, const struct xcf_member_info *from,
		 const struct wire_xcf_vipa_adv *m)
{
	int i, j, k = heard_index(s, from->member);

	if (k < 0 && s->own.nheard < XCF_MAX_MEMBERS)
		k = s->own.nheard++;
	if (k >= 0) {
		lib_strlcpy(s->own.heard[k].member, from->member, sizeof(s->own.heard[k].member));
		s->own.heard[k].incarnation = from->incarnation;
	}

	for (i = 0; i < s->ndv; i++) {
		struct stack_dvipa *d = &s->dv[i];
		struct stack_cand *c = cand_find(d, from->member);

		for (j = 0; j < m->n; j++)
			if (memcmp(m->v[j].addr, d->addr, 16) == 0)
				break;
		if (j == m->n) {
			if (c && c->status == WIRE_VIPA_ACTIVE && !d->owner_lost_ms)
				d->owner_lost_ms = lib_now_ms();
			if (c)
				cand_remove(d, from->member);
		}
	}
	for (j = 0; j < m->n; j++) {
		struct stack_dvipa *d = stack_dvipa_get(s, m->v[j].addr);
		struct stack_cand *c;

		if (!d) {
			lib_verdict(&s->bus_verdicts, "VIPA_ADV: DVIPA table full");
			continue;
		}
		c = cand_find(d, from->member);
		if (!c) {
			if (d->ncand == XCF_MAX_MEMBERS)
				continue;
			c = &d->cand[d->ncand++];
			lib_strlcpy(c->member, from->member, sizeof(c->member));
		}
		/* An owner that stops advertising ACTIVE moved it or gave up: no
		 * takeover delay is needed then. */
		if (c->status == WIRE_VIPA_ACTIVE && m->v[j].status != WIRE_VIPA_ACTIVE)
			lib_strlcpy(d->last_owner, from->member, sizeof(d->last_owner));
		c->origin = m->v[j].origin;
		c->rank = m->v[j].rank;
		c->status = m->v[j].status;
		c->flags = m->v[j].flags;
		if (c->status == WIRE_VIPA_ACTIVE) {
			d->owner_lost_ms = 0;
			lib_strlcpy(d->owner, from->member, sizeof(d->owner));
		}
	}
	stack_own_evaluate(s);
}

void
stack_own_on_leave(struct stack *s, const struct xcf_member_info *m)
{
	int i, k = heard_index(s, m->member);

	if (k >= 0)
		s->own.heard[k] = s->own.heard[--s->own.nheard];

	for (i = 0; i < s->ndv; i++) {
		struct stack_dvipa *d = &s->dv[i];
		struct stack_cand *c = cand_find(d, m->member);

		if (!c)
			continue;
		if (c->status == WIRE_VIPA_ACTIVE) {
			d->owner_lost_ms = lib_now_ms();
			lib_strlcpy(d->last_owner, m->member, sizeof(d->last_owner));
		}
		cand_remove(d, m->member);
	}
	stack_own_evaluate(s);
}

/* Our own standing for a DVIPA, as a candidate. */
static int
self_cand(const struct stack_dvipa *d, uint8_t *origin, uint8_t *rank)
{
	if (d->deactivated || (!d->defined && !d->backup))
		return 0;
	*origin = d->defined ? WIRE_VIPA_DEFINE : WIRE_VIPA_BACKUP;
	*rank = d->rank;
	return 1;
}

/* The best live candidate; NULL name when it is ourselves. */
static int
best_is_self(struct stack *s, struct stack_dvipa *d)
{
	uint8_t o, r;
	int i;

	if (!self_cand(d, &o, &r))
		return 0;
	for (i = 0; i < d->ncand; i++) {
		const struct stack_cand *c = &d->cand[i];
		if (c->status == WIRE_VIPA_DEACTIVATED || !member_live(s, c->member))
			continue;
		if (better(c->origin, c->rank, c->member, o, r, s->member))
			return 0;
	}
	return 1;
}

static int
conns_of(struct vipa_conn *c, void *arg)
{
	struct { const uint8_t *dvipa; int n; } *a = arg;

	if (memcmp(c->key.dvipa, a->dvipa, 16) == 0)
		a->n++;
	return 0;
}

struct drop_dvipa {
	struct stack *s;
	const uint8_t *dvipa;
};

static int
drop_dvipa_conn(struct vipa_conn *c, void *arg)
{
	struct drop_dvipa *a = arg;

	if (memcmp(c->key.dvipa, a->dvipa, 16) != 0)
		return 0;
	stack_fast_conn_gone(a->s, c);
	stack_mip6_conn_gone(a->s, c);
	return 1;
}

/* Gives the DVIPA up.  to: the member it goes to ("" when unknown), grace:
 * keep forwarding for STACK_MOVING_MS (a takeback or a conflict), otherwise
 * stop at once (lease lost, or deactivated: why). */
static void
give_up(struct stack *s, struct stack_dvipa *d, const char *to, int grace, int keep,
	const char *why)
{
	char a[64];

	d->owned = 0;
	d->active_since_ms = 0;
	/* The new owner answers for it from now on; we only forward what
	 * still reaches us. */
	stack_net_answer(s, d, 0);
	lib_strlcpy(d->moving_to, to, sizeof(d->moving_to));
	vipa_addr_str(d->addr, a, sizeof(a));
	if (grace) {
		d->moving = 1;
		d->moving_until_ms = lib_now_ms() + STACK_MOVING_MS;
	} else {
		d->moving = 0;
	}
	if (!d->moving) {
		stack_net_route_in(s, d, 0);
		if (keep) {
			d->held = 1;
			d->held_since_ms = lib_now_ms();
			s->own.holds++;
		} else {
			vipa_vcrt_foreach(s->vcrt, drop_dvipa_conn, &(struct drop_dvipa){ s, d->addr });
			stack_dist_digest_rebuild(s);
		}
		if (d->inherited) {
			d->has_dist = 0;
			d->inherited = 0;
		}
	}
	if (d->owner[0] && strcmp(d->owner, s->member) == 0)
		d->owner[0] = '\0';
	if (to[0]) {
		const struct xcf_member_info *m = xcf_member(s->xcf, to);
		log_info("EZZ8303I VIPA %s GIVEN TO %s ON %s", a, m ? m->tcpname : to,
			 m ? m->sysname : "?");
	}
	else
		log_info("EZZ8302I VIPA %s GIVEN UP BY %s: %s", a, s->tcpname, why);
	stack_fast_sync(s);
	stack_own_publish(s);
}

/* The entries kept over a lease lapse go: another stack owns the DVIPA (it
 * rebuilds from the targets' full reports, and so would we after it), we
 * left the sysplex (a new incarnation starts with nothing), or the DVIPA
 * went. */
static void
release_held(struct stack *s, struct stack_dvipa *d, const char *why)
{
	char a[64];

	if (!d->held)
		return;
	d->held = 0;
	vipa_vcrt_foreach(s->vcrt, drop_dvipa_conn, &(struct drop_dvipa){ s, d->addr });
	stack_dist_digest_rebuild(s);
	s->own.held_dropped++;
	log_info("EZD1275I ROUTES OF DYNAMIC VIPA %s KEPT OVER A LEASE LAPSE DROPPED: %s",
		 vipa_addr_str(d->addr, a, sizeof(a)), why);
}

static void
finish_moving(struct stack *s, struct stack_dvipa *d)
{
	d->moving = 0;
	stack_net_route_in(s, d, 0);
	vipa_vcrt_foreach(s->vcrt, drop_dvipa_conn, &(struct drop_dvipa){ s, d->addr });
	stack_dist_digest_rebuild(s);
	if (d->inherited) {
		d->has_dist = 0;
		d->inherited = 0;
	}
	stack_fast_sync(s);
	stack_own_publish(s);
}

/* A VCRT entry whose target is neither us nor a live member. */
static int
drop_stale_conn(struct vipa_conn *c, void *arg)
{
	struct stack *s = arg;

	if (memcmp(c->dest_xcf, stack_self_addr(s, c->key.dvipa), 16) == 0 ||
	    xcf_member_by_addr(s->xcf, c->dest_xcf))
		return 0;
	stack_fast_conn_gone(s, c);
	stack_mip6_conn_gone(s, c);
	vipa_store_conn_del(s->store, &c->key);
	return 1;
}

/* We become the routing stack of the DVIPA (from: the owner we take it
 * over from, NULL when we create it). */
static void
activate(struct stack *s, struct stack_dvipa *d, const char *from)
{
	char a[64];
	int held;

	if (d->owned)
		return;
	if (!d->has_dist && d->adv.nports) {
		/* A backup without its own VIPADISTRIBUTE inherits the owner's. */
		int i;

		memset(&d->dist, 0, sizeof(d->dist));
		d->dist.method = d->adv.method ? (enum vipa_distmethod)d->adv.method :
						  VIPA_DIST_ROUNDROBIN;
		d->dist.timedaff = d->adv.timedaff;
		lib_strlcpy(d->dist.ifname, d->ifname, sizeof(d->dist.ifname));
		memcpy(d->dist.dvipa, d->addr, 16);
		d->dist.nports = d->adv.nports;
		for (i = 0; i < d->adv.nports; i++)
			d->dist.ports[i] = d->adv.ports[i];
		d->dist.destall = d->adv.ndest == 0;
		d->dist.ndest = d->adv.ndest;
		for (i = 0; i < d->adv.ndest; i++) {
			memcpy(d->dist.dest[i].xcf, d->adv.dest[i].xcf, 16);
			d->dist.dest[i].weight = d->adv.dest[i].weight;
			d->dist.dest[i].srvtype = d->adv.dest[i].srvtype;
			d->dist.dest[i].rank = d->adv.dest[i].rank;
		}
		d->dist.mip6 = (d->adv.flags & WIRE_VIPA_F_MIP6) != 0;
		d->dist.autoswitchback = !(d->adv.flags & WIRE_VIPA_F_NOSWITCHBACK);
		d->dist.healthswitch = !(d->adv.flags & WIRE_VIPA_F_NOHEALTHSW);
		d->has_dist = 1;
		d->inherited = 1;
	}
	held = d->held;
	if (held) {
		/* Our routes kept over a lease lapse: nobody owned it meanwhile. */
		d->held = 0;
		s->own.held_kept++;
		log_info("EZD1276I DYNAMIC VIPA %s OWNED AGAIN WITH THE %s ROUTES KEPT OVER A LEASE LAPSE "
			 "OF %llu MS", vipa_addr_str(d->addr, a, sizeof(a)), "VCRT",
			 (unsigned long long)(lib_now_ms() - d->held_since_ms));
	}
	d->owned = 1;
	d->moving = 0;
	d->activated_wall_ms = lib_wall_ms();
	d->active_since_ms = lib_now_ms();
	lib_strlcpy(d->owner, s->member, sizeof(d->owner));
	stack_net_dvipa_local(s, d, 1);
	stack_net_route_in(s, d, 1);
	vipa_addr_str(d->addr, a, sizeof(a));
	/* Routes of a previous life (loaded from SQLite, or of a departed
	 * target) are dropped; the targets' full reports rebuild the rest. */
	vipa_vcrt_foreach(s->vcrt, drop_stale_conn, s);
	stack_dist_digest_rebuild(s);
	if (from && from[0]) {
		const struct xcf_member_info *m = xcf_member(s->xcf, from);
		log_info("EZZ8301I VIPA %s TAKEN OVER FROM %s ON %s", a, m ? m->tcpname : from,
			 m ? m->sysname : "?");
	}
	else
		log_info("EZD1204I DYNAMIC VIPA %s WAS CREATED USING %s BY %s", a,
			 d->range ? "BIND" : "VIPADEFINE", s->tcpname);
	/* Our VIPA_ADV first: the targets take a DIST_ADV only from a stack
	 * that advertises the DVIPA ACTIVE. */
	stack_own_publish(s);
	if (d->has_dist) {
		struct wire_xcf_dist_adv m;
		uint64_t sent;

		stack_dist_setup(s, d);
		log_info("EZD1207I DYNAMIC VIPA %s DISTRIBUTION IS ACTIVE FOR %d PORT(S)", a,
			 d->dist.nports);
		stack_dist_publish(s, d);
		/* The owner may be a target of its own distribution too: its
		 * listeners go into the new VDPT at once (in a two-system sysplex
		 * it is the only target left). */
		sent = s->cnt.full_reports;
		stack_dist_build_adv(d, &m);
		d->listen_dirty = 1;
		stack_tgt_apply_dist(s, d, &m, s->member);
		/* Our own connections as a target: a VCRT rebuilt from nothing
		 * needs them (the other targets send theirs for the new owner,
		 * or when our digest shows it is empty); one kept over a lapse
		 * has them. */
		if (d->target && !held && s->cnt.full_reports == sent)
			stack_tgt_report_full(s, d);
	}
	/* Entries kept from a previous life go into the kernel too. */
	stack_fast_resync(s);
}

static void
own_timer_cb(uv_timer_t *t)
{
	stack_own_evaluate(t->data);
}

/* Comes back exactly when a wait ends (settle, takeover delay, MOVING), not
 * at the next 100 ms poll: takeover time is what clients see. */
static void
wake_at(struct stack *s, uint64_t due, uint64_t now)
{
	if (!s->own.timer_init) {
		uv_timer_init(s->loop, &s->own.timer);
		s->own.timer.data = s;
		s->own.timer_init = 1;
	}
	if (uv_is_active((uv_handle_t *)&s->own.timer) &&
	    uv_timer_get_due_in(&s->own.timer) <= due - now)
		return;
	uv_timer_start(&s->own.timer, own_timer_cb, due > now ? due - now : 0, 0);
}

void
stack_own_evaluate(struct stack *s)
{
	uint64_t now = lib_now_ms();
	int allowed = stack_own_guard(s), settled = xcf_settled(s->xcf);
	int i, j;

	for (i = 0; i < s->ndv; i++) {
		struct stack_dvipa *d = &s->dv[i];
		const struct stack_cand *active = NULL, *definer = NULL;

		if (d->moving && now >= d->moving_until_ms)
			finish_moving(s, d);
		else if (d->moving)
			wake_at(s, d->moving_until_ms, now);
		for (j = 0; j < d->ncand; j++) {
			const struct stack_cand *c = &d->cand[j];
			if (!member_live(s, c->member))
				continue;
			if (c->status == WIRE_VIPA_ACTIVE && (!active ||
			    better(c->origin, c->rank, c->member, active->origin, active->rank,
				   active->member)))
				active = c;
			if (c->origin == WIRE_VIPA_DEFINE && c->status != WIRE_VIPA_DEACTIVATED)
				definer = c;
		}
		if (d->owned) {
			uint8_t o, r;

			if (d->deactivated) {
				give_up(s, d, "", 0, 0, "DEACTIVATED");
				continue;
			}
			if (!self_cand(d, &o, &r)) {
				o = WIRE_VIPA_BACKUP;
				r = 0;
			}
			if (active && better(active->origin, active->rank, active->member, o, r,
					     s->member)) {
				give_up(s, d, active->member, 1, 0, "");
				continue;
			}
			if (active) {
				/* We keep it: pull back clients the other owner's
				 * advertisement may have taken. */
				if (stack_net_announce(s, d) < 0)
					lib_verdict(&s->bus_verdicts, "cannot re-announce a DVIPA");
			}
			/* Takeback by the returning VIPADEFINE stack. */
			if (definer && !d->defined && definer->status != WIRE_VIPA_ACTIVE) {
				struct { const uint8_t *dvipa; int n; } cnt = { d->addr, 0 };

				if (definer->flags & WIRE_VIPA_F_WHENIDLE)
					vipa_vcrt_foreach(s->vcrt, conns_of, &cnt);
				if (cnt.n == 0)
					give_up(s, d, definer->member, 1, 0, "");
			}
			continue;
		}
		if (d->held && active && strcmp(active->member, s->member) != 0)
			release_held(s, d, "ANOTHER STACK OWNS IT");
		/* (A stack still forwarding a DVIPA it gave up may take it back at
		 * once when it is the best candidate again: REACTIVATE.)  Nothing
		 * is taken while somebody is in doubt: a failed owner must have
		 * been partitioned out of the sysplex first. */
		if (!allowed || !settled || active || !all_heard(s) || s->left_group)
			continue;
		if (now < s->own.settle_until_ms) {
			wake_at(s, s->own.settle_until_ms, now);
			continue;
		}
		if (!best_is_self(s, d))
			continue;
		activate(s, d, d->owner_lost_ms || d->last_owner[0] ? d->last_owner : NULL);
		d->owner_lost_ms = 0;
	}
}

void
stack_own_ranges(struct stack *s)
{
	struct stack_tgt *t = &s->tgt;
	char a[64];
	int i, j;

	if (!t->range_polled)
		return;
	for (i = 0; i < t->nrange_seen; i++) {
		const struct vipa_range *r = vipa_profile_range_match(&s->prof, t->range_seen[i]);
		struct stack_dvipa *d = stack_dvipa_find(s, t->range_seen[i]);

		if (!r || (d && (d->range || d->defined || d->backup)))
			continue;	/* ours already, or a DVIPA defined otherwise */
		if (!d && !(d = stack_dvipa_get(s, t->range_seen[i]))) {
			lib_verdict(&s->bus_verdicts, "DVIPA table full: no DVIPA for a VIPARANGE bind");
			continue;
		}
		d->range = 1;
		d->defined = 1;
		d->rank = 0;
		d->moveable = r->moveable;
		lib_strlcpy(d->ifname, r->ifname, sizeof(d->ifname));
		log_info("EZD1210I BIND TO %s IN VIPARANGE %s/%u: DYNAMIC VIPA REQUESTED BY %s",
			 vipa_addr_str(d->addr, a, sizeof(a)), r->ifname[0] ? r->ifname : "-",
			 r->plen, s->tcpname);
		stack_own_publish(s);
	}
	for (i = 0; i < s->ndv; i++) {
		struct stack_dvipa *d = &s->dv[i];

		if (!d->range)
			continue;
		for (j = 0; j < t->nrange_seen; j++)
			if (memcmp(t->range_seen[j], d->addr, 16) == 0)
				break;
		if (j < t->nrange_seen)
			continue;
		/* Its server is gone: so is the application-instance DVIPA. */
		d->range = 0;
		stack_own_delete(s, d);
		if (!d->target)
			stack_net_dvipa_local(s, d, 0);
		log_info("EZD1211I DYNAMIC VIPA %s DELETED: NO SERVER IS BOUND TO IT ON %s",
			 vipa_addr_str(d->addr, a, sizeof(a)), s->tcpname);
	}
}

void
stack_own_delete(struct stack *s, struct stack_dvipa *d)
{
	if (d->owned)
		give_up(s, d, "", 0, 0, "VIPADELETE");
	else if (d->moving)
		finish_moving(s, d);
	release_held(s, d, "VIPADELETE");
	d->defined = 0;
	d->backup = 0;
	d->rank = 0;
	d->deactivated = 0;
	stack_own_publish(s);
}

void
stack_own_out(struct stack *s)
{
	int i;

	for (i = 0; i < s->ndv; i++) {
		struct stack_dvipa *d = &s->dv[i];

		if (d->owned)
			give_up(s, d, "", 0, 0, not_allowed_why(s));
		else if (d->moving)
			finish_moving(s, d);
		release_held(s, d, not_allowed_why(s));
		d->ncand = 0;
		d->owner[0] = '\0';
		d->owner_lost_ms = 0;
	}
	s->own.nheard = 0;
}
