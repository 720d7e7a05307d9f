/*
 * stack.c - DVIPA roles of one stack and the XCF conversation between
 * routing stack and targets.
 *
 * Messages (bodies in wire/):
 *   VIPA_ADV   group   every stack: its DVIPA definitions and status
 *   DIST_ADV   group   the owner of a distributed DVIPA: ports and targets
 *   TGT_LISTEN direct  target -> owner: listeners per port (Rdy), full report
 *   TGT_CONN   direct  target -> owner: connections established / ended
 *   SYNC_REQ   direct  owner -> target: send full reports again
 * Every stack re-advertises every STACK_ADV_MS, so a lost message is
 * repaired within a second; reports are also re-sent whenever the owner of a
 * DVIPA changes.
 */
#include "tcpip-stack/stack.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static uint8_t txbuf[WIRE_XCF_MAX_BODY];

struct stack_dvipa *
stack_dvipa_find(struct stack *s, const uint8_t addr[16])
{
	int i;

	for (i = 0; i < s->ndv; i++)
		if (memcmp(s->dv[i].addr, addr, 16) == 0)
			return &s->dv[i];
	return NULL;
}

struct stack_dvipa *
stack_dvipa_get(struct stack *s, const uint8_t addr[16])
{
	struct stack_dvipa *d = stack_dvipa_find(s, addr);

	if (d || s->ndv >= VIPA_MAX_DVIPA)
		return d;
	d = &s->dv[s->ndv++];
	memset(d, 0, sizeof(*d));
	memcpy(d->addr, addr, 16);
	return d;
}

int
stack_dvipa_is_dist_port(const struct stack_dvipa *d, uint16_t port)
{
	int i;

	if (!d->has_dist)
		return 0;
	for (i = 0; i < d->dist.nports; i++)
		if (d->dist.ports[i] == port)
			return 1;
	return 0;
}

const char *
stack_dvipa_status(const struct stack_dvipa *d)
{
	if (d->owned)
		return "ACTIVE";
	if (d->moving)
		return "MOVING";
	if (d->deactivated)
		return "DEACTIVATED";
	if (d->defined || d->backup)
		return "BACKUP";
	return "ACTIVE";	/* a pure target: the DVIPA is active as a destination */
}

const char *
stack_dvipa_diststat(const struct stack_dvipa *d)
{
	int dist = d->owned && d->has_dist;

	if (dist && d->target)
		return "DIST/DEST";
	if (dist)
		return "DIST";
	if (d->target)
		return "DEST";
	return "";
}

/* ---- local network configuration ------------------------------------------ */

/* The DVIPA as a local address of this system lives on our TUN, not on lo:
 * a stack that dies takes it along (its TUN goes with the process), as a
 * failed z/OS stack's home addresses go, so its kernel cannot go on
 * answering for the DVIPA on its own. */
static void
dvipa_local(struct stack *s, struct stack_dvipa *d, int on)
{
	int r = lib_nl_addr(s->nl, on, s->tun_ifindex, d->addr, 128, 1);
	char a[64];

	if (r < 0)
		log_warnx("cannot %s DVIPA %s on %s: %s", on ? "add" : "remove",
			  lib_ip6_str(d->addr, a, sizeof(a)), STACK_TUN_NAME, strerror(-r));
}

/* The routing stack takes LAN-inbound packets for the DVIPA into its TUN and
 * answers neighbour solicitations for it (ndp.c). */
void
stack_dvipa_route_in(struct stack *s, struct stack_dvipa *d, int on)
{
	char a[64];
	int r = 0;

	lib_ip6_str(d->addr, a, sizeof(a));
	if (on) {
		r |= lib_nl_route(s->nl, 1, STACK_TABLE_DVIPA, d->addr, 128, s->tun_ifindex, NULL);
		r |= lib_nl_rule(s->nl, 1, STACK_PRIO_DVIPA, s->lanif, d->addr, 128, 0,
				 STACK_TABLE_DVIPA);
		r |= stack_ndp_join(s, d->addr, 1);
		if (lib_ndisc_send_una(s->lanif, d->addr) < 0)
			log_warnx("unsolicited neighbour advertisement for %s failed", a);
	} else {
		r |= stack_ndp_join(s, d->addr, 0);
		r |= lib_nl_rule(s->nl, 0, STACK_PRIO_DVIPA, s->lanif, d->addr, 128, 0,
				 STACK_TABLE_DVIPA);
		r |= lib_nl_route(s->nl, 0, STACK_TABLE_DVIPA, d->addr, 128, s->tun_ifindex, NULL);
	}
	if (r < 0)
		log_warnx("routing of DVIPA %s into %s could not be %s", a, STACK_TUN_NAME,
			  on ? "set up" : "removed");
}

void
stack_publish_vipa_adv(struct stack *s)
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
				 (d->has_dist && d->dist.mip6 ? WIRE_VIPA_F_MIP6 : 0) |
				 (d->moveable == VIPA_MOVE_WHENIDLE ? WIRE_VIPA_F_WHENIDLE : 0);
		m.n++;
	}
	n = wire_xcf_vipa_adv_encode(&m, txbuf, sizeof(txbuf));
	if (n > 0)
		xcf_publish(s->xcf, WIRE_XCF_VIPA_ADV, txbuf, (size_t)n);
}

static void
build_dist_adv(const struct stack_dvipa *d, struct wire_xcf_dist_adv *mp)
{
	struct wire_xcf_dist_adv m;
	int i;

	memset(&m, 0, sizeof(m));
	memcpy(m.dvipa, d->addr, 16);
	m.method = (uint8_t)d->dist.method;
	m.flags = d->dist.mip6 ? WIRE_VIPA_F_MIP6 : 0;
	m.timedaff = d->dist.timedaff;
	m.nports = (uint8_t)d->dist.nports;
	for (i = 0; i < d->dist.nports; i++)
		m.ports[i] = d->dist.ports[i];
	m.ndest = d->dist.destall ? 0 : (uint8_t)d->dist.ndest;
	for (i = 0; i < m.ndest; i++) {
		memcpy(m.dest[i].xcf, d->dist.dest[i].xcf, 16);
		m.dest[i].weight = d->dist.dest[i].weight;
	}
	*mp = m;
}

static void
publish_dist_adv(struct stack *s, struct stack_dvipa *d)
{
	static struct wire_xcf_dist_adv m;
	ssize_t n;

	build_dist_adv(d, &m);
	n = wire_xcf_dist_adv_encode(&m, txbuf, sizeof(txbuf));
	if (n > 0)
		xcf_publish(s->xcf, WIRE_XCF_DIST_ADV, txbuf, (size_t)n);
}

/* Applies a distribution (ours or advertised by the owner) on the target side. */
static void
apply_dist(struct stack *s, struct stack_dvipa *d, const struct wire_xcf_dist_adv *m,
	   const char *owner)
{
	int i, me = m->ndest == 0;

	for (i = 0; i < m->ndest && !me; i++)
		if (memcmp(m->dest[i].xcf, s->xcfaddr, 16) == 0)
			me = 1;
	if (strcmp(d->owner, owner) != 0 || memcmp(&d->adv, m, sizeof(*m)) != 0)
		d->listen_dirty = 1;
	lib_strlcpy(d->owner, owner, sizeof(d->owner));
	d->adv = *m;
	if (me && !d->target) {
		char a[64];
		d->target = 1;
		dvipa_local(s, d, 1);
		log_info("EZD1205I DYNAMIC VIPA %s IS A DESTINATION OF %s",
			 lib_ip6_str(d->addr, a, sizeof(a)), owner);
	} else if (!me && d->target) {
		d->target = 0;
		if (!d->owned)
			dvipa_local(s, d, 0);
	}
	if (d->target && d->listen_dirty)
		stack_tgt_report_full(s, d);
}

/* Routing stack: declare the services and VDPT rows of an owned DVIPA. */
static void
setup_distribution(struct stack *s, struct stack_dvipa *d)
{
	int i, j;

	for (i = 0; i < d->dist.nports; i++) {
		vipa_vdpt_service(s->vdpt, d->addr, d->dist.ports[i], d->dist.method);
		for (j = 0; !d->dist.destall && j < d->dist.ndest; j++) {
			struct vipa_vdpt_entry *e = vipa_vdpt_get(s->vdpt, d->addr, d->dist.ports[i],
								  d->dist.dest[j].xcf, 1);
			if (e)
				e->weight = d->dist.dest[j].weight ? d->dist.dest[j].weight : 1;
		}
	}
}

/* A VCRT entry whose target is neither us nor a live member. */
static int
drop_stale_conn(struct vipa_conn *c, void *arg)
{
	struct stack *s = arg;

	if (memcmp(c->dest_xcf, s->xcfaddr, 16) == 0 || xcf_member_by_addr(s->xcf, c->dest_xcf))
		return 0;
	vipa_store_conn_del(s->store, &c->key);
	return 1;
}

void
stack_dvipa_activate(struct stack *s, struct stack_dvipa *d, const char *from)
{
	char a[64];

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
		}
		d->dist.mip6 = (d->adv.flags & WIRE_VIPA_F_MIP6) != 0;
		d->has_dist = 1;
		d->inherited = 1;
	}
	d->owned = 1;
	d->moving = 0;
	d->activated_wall_ms = lib_wall_ms();
	d->active_since_ms = lib_now_ms();
	lib_strlcpy(d->owner, s->member, sizeof(d->owner));
	dvipa_local(s, d, 1);
	stack_dvipa_route_in(s, d, 1);
	lib_ip6_str(d->addr, a, sizeof(a));
	/* Routes of a previous life (loaded from SQLite, or of a departed
	 * target) are dropped; the targets' full reports rebuild the rest. */
	vipa_vcrt_foreach(s->vcrt, drop_stale_conn, s);
	if (from && from[0]) {
		const struct xcf_member_info *m = xcf_member(s->xcf, from);
		log_info("EZZ8301I VIPA %s TAKEN OVER FROM %s ON %s", a, m ? m->tcpname : from,
			 m ? m->sysname : "?");
	}
	else
		log_info("EZD1204I DYNAMIC VIPA %s WAS CREATED USING VIPADEFINE BY %s", a,
			 s->tcpname);
	if (d->has_dist) {
		setup_distribution(s, d);
		log_info("EZD1207I DYNAMIC VIPA %s DISTRIBUTION IS ACTIVE FOR %d PORT(S)", a,
			 d->dist.nports);
		static struct wire_xcf_dist_adv m;

		publish_dist_adv(s, d);
		/* The owner may be a target of its own distribution too: its
		 * listeners go into the new VDPT at once (in a two-system sysplex
		 * it is the only target left). */
		build_dist_adv(d, &m);
		d->listen_dirty = 1;
		apply_dist(s, d, &m, s->member);
	}
	stack_publish_vipa_adv(s);
}

/* ---- XCF callbacks --------------------------------------------------------------- */

static void
join_cb(struct xcf *x, const struct xcf_member_info *m, void *arg)
{
	struct stack *s = arg;
	int i;

	LIB_UNUSED(x);
	log_info("EZD1176I %s HAS JOINED XCF GROUP %s (MEMBER %s)", m->sysname,
		 s->couple.group[0] ? s->couple.group : "EZBTCPCS", m->member);
	if (strcmp(m->member, s->member) == 0) {
		/* We are a member (again): process the VIPADYNAMIC block once the
		 * group's advertisements are in (own.c). */
		s->settle_until_ms = lib_now_ms() + s->couple.fail_ms + 2 * s->couple.hb_ms;
		stack_publish_vipa_adv(s);
		return;
	}
	/* A newcomer learns our definitions and distributions at once. */
	stack_publish_vipa_adv(s);
	for (i = 0; i < s->ndv; i++)
		if (s->dv[i].owned && s->dv[i].has_dist)
			publish_dist_adv(s, &s->dv[i]);
}

static int
drop_conn_of_dest(struct vipa_conn *c, void *arg)
{
	struct { struct stack *s; const uint8_t *dest; } *a = arg;

	if (memcmp(c->dest_xcf, a->dest, 16) != 0)
		return 0;
	stack_conn_removed(a->s, c, 1);
	return 1;
}

static void
leave_cb(struct xcf *x, const struct xcf_member_info *m, void *arg)
{
	struct stack *s = arg;
	struct { struct stack *s; const uint8_t *dest; } a = { s, m->xcfaddr };
	int i, n;

	LIB_UNUSED(x);
	if (strcmp(m->member, s->member) == 0) {
		/* We left (LEAVEGROUP, shutdown) or SFM removed us. */
		log_info("EZD1177I %s HAS %s XCF GROUP %s", m->member,
			 m->state == XCF_PARTITIONED ? "BEEN PARTITIONED OUT OF" : "LEFT", "EZBTCPCS");
		stack_own_out(s);
		for (i = 0; i < s->ndv; i++) {
			struct stack_dvipa *d = &s->dv[i];
			if (d->target) {
				d->target = 0;
				dvipa_local(s, d, 0);
			}
		}
		return;
	}
	/* While we are a member the others' departures are theirs; when we
	 * leave, xcf reports everybody as gone from our view (no message). */
	if (xcf_joined(s->xcf))
		log_info("EZD1177I %s HAS %s XCF GROUP %s", m->member,
			 m->state == XCF_FAILED ? "FAILED IN" :
			 m->state == XCF_PARTITIONED ? "BEEN PARTITIONED OUT OF" : "LEFT", "EZBTCPCS");
	/* Routing stack: a departed target gets no new connections and its
	 * connections (their TCP state lived there) leave the tables. */
	vipa_vcrt_foreach(s->vcrt, drop_conn_of_dest, &a);
	n = vipa_vdpt_remove_dest(s->vdpt, m->xcfaddr);
	if (n > 0)
		log_info("EZD1208I %d VDPT ENTRIES OF %s REMOVED", n, m->member);
	for (i = 0; i < s->ndv; i++)
		if (strcmp(s->dv[i].owner, m->member) == 0 && !s->dv[i].owned)
			s->dv[i].owner[0] = '\0';
	stack_own_on_leave(s, m);
}

/* SFM completed a removal, or our lease lapsed or came back. */
static void
sfm_cb(struct xcf *x, void *arg)
{
	LIB_UNUSED(x);
	stack_own_evaluate(arg);
}

static void
on_dist_adv(struct stack *s, const struct xcf_member_info *from, const uint8_t *b, size_t len)
{
	static struct wire_xcf_dist_adv m;
	struct stack_dvipa *d;
	const char *why = NULL;

	if (wire_xcf_dist_adv_decode(&m, b, len, &why) < 0) {
		lib_verdict(&s->bus_verdicts, why ? why : "malformed DIST_ADV");
		return;
	}
	d = stack_dvipa_get(s, m.dvipa);
	if (!d) {
		lib_verdict(&s->bus_verdicts, "too many DVIPAs");
		return;
	}
	if (d->owned) {
		/* Two owners: own.c settles it (the worse candidate gives up); keep ours. */
		lib_verdict(&s->bus_verdicts, "DIST_ADV for a DVIPA we own");
		return;
	}
	apply_dist(s, d, &m, from->member);
}

static struct vipa_vdpt_entry *
vdpt_for(struct stack *s, struct stack_dvipa *d, uint16_t port, const struct xcf_member_info *from)
{
	struct vipa_vdpt_entry *e;
	int i, allowed = d->dist.destall;

	for (i = 0; !allowed && i < d->dist.ndest; i++)
		if (memcmp(d->dist.dest[i].xcf, from->xcfaddr, 16) == 0)
			allowed = 1;
	if (!allowed || !stack_dvipa_is_dist_port(d, port))
		return NULL;
	e = vipa_vdpt_get(s->vdpt, d->addr, port, from->xcfaddr, 1);
	if (e) {
		lib_strlcpy(e->dest_name, from->member, sizeof(e->dest_name));
		if (!e->weight)
			e->weight = 1;
	}
	return e;
}

static void
on_tgt_listen(struct stack *s, const struct xcf_member_info *from, const uint8_t *b, size_t len)
{
	static struct wire_xcf_tgt_listen m;
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

			if (!e->used || memcmp(e->dest_xcf, from->xcfaddr, 16) != 0)
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
	}
}

void
stack_conn_removed(struct stack *s, const struct vipa_conn *c, int target_lost)
{
	struct vipa_vdpt_entry *e = vipa_vdpt_get(s->vdpt, c->key.dvipa, c->key.dport,
						  c->dest_xcf, 0);

	if (e && e->active > 0)
		e->active--;
	stack_mip6_conn_ended(s, c, target_lost);
	vipa_store_conn_del(s->store, &c->key);
}

static int
conn_full_sweep(struct vipa_conn *c, void *arg)
{
	struct { struct stack *s; const uint8_t *dest; uint64_t gen; const uint8_t *scope; } *a = arg;

	if (memcmp(c->dest_xcf, a->dest, 16) != 0 || c->state != VIPA_CONN_EST ||
	    c->last_ms == a->gen || memcmp(c->key.dvipa, a->scope, 16) != 0)
		return 0;
	stack_conn_removed(a->s, c, 0);
	return 1;
}

/* The generation of the full report a target is sending (FIRST starts one). */
static uint64_t *
full_gen_of(struct stack *s, const uint8_t dest[16], int first)
{
	int i, freei = -1;

	for (i = 0; i < XCF_MAX_MEMBERS; i++) {
		if (memcmp(s->fullgen[i].dest, dest, 16) == 0 && s->fullgen[i].gen)
			break;
		if (!s->fullgen[i].gen && freei < 0)
			freei = i;
	}
	if (i == XCF_MAX_MEMBERS) {
		if (freei < 0)
			freei = 0;
		i = freei;
		memcpy(s->fullgen[i].dest, dest, 16);
		s->fullgen[i].gen = ++s->full_gen;
	}
	if (first)
		s->fullgen[i].gen = ++s->full_gen;
	return &s->fullgen[i].gen;
}

static void
on_tgt_conn(struct stack *s, const struct xcf_member_info *from, const uint8_t *b, size_t len)
{
	static struct wire_xcf_tgt_conn m;
	const char *why = NULL;
	uint64_t now = lib_now_ms(), gen = 0;
	int i;

	if (wire_xcf_tgt_conn_decode(&m, b, len, &why) < 0) {
		lib_verdict(&s->bus_verdicts, why ? why : "malformed TGT_CONN");
		return;
	}
	if (m.flags & WIRE_XCF_F_FULL)
		gen = *full_gen_of(s, from->xcfaddr, m.flags & WIRE_XCF_F_FIRST);
	for (i = 0; i < m.n; i++) {
		const struct wire_xcf_conn *r = &m.c[i];
		struct stack_dvipa *d = stack_dvipa_find(s, r->dvipa);
		struct vipa_conn_key k;
		struct vipa_conn *c;
		int created = 0;

		if (!d || !d->owned) {
			lib_verdict(&s->bus_verdicts, "connection report for a DVIPA we do not own");
			continue;
		}
		memset(&k, 0, sizeof(k));
		memcpy(k.dvipa, r->dvipa, 16);
		memcpy(k.client, r->client, 16);
		k.dport = r->dport;
		k.cport = r->cport;
		if (r->event == WIRE_CONN_END) {
			c = vipa_vcrt_lookup(s->vcrt, &k);
			/* An entry still in SYN state is a newer connection on the
			 * same ports: the end is of the one before. */
			if (c && c->state == VIPA_CONN_EST &&
			    memcmp(c->dest_xcf, from->xcfaddr, 16) == 0) {
				stack_conn_removed(s, c, 0);
				vipa_vcrt_remove(s->vcrt, &k);
			}
			continue;
		}
		c = vipa_vcrt_insert(s->vcrt, &k, &created);
		if (!c) {
			lib_verdict(&s->bus_verdicts, "VCRT full");
			continue;
		}
		if (created) {
			/* Learned from the target (e.g. after a takeover). */
			struct vipa_vdpt_entry *e = vdpt_for(s, d, k.dport, from);
			memcpy(c->dest_xcf, from->xcfaddr, 16);
			c->created_ms = now;
			if (e)
				e->active++;
		} else if (memcmp(c->dest_xcf, from->xcfaddr, 16) != 0) {
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
		if (created || (c->bypass == VIPA_BYPASS_NONE && !c->bu_tries &&
				r->bypass == VIPA_BYPASS_BOUND)) {
			c->bypass = r->bypass;
			memcpy(c->coa, r->coa, 16);
		}
		if (r->bypass == VIPA_BYPASS_BOUND && r->seq &&
		    (!c->bu_seq || mip6_seq_newer(r->seq, c->bu_seq))) {
			/* A binding another routing stack made: our next BU for it
			 * (refresh or deletion) must be newer than its last. */
			c->bu_seq = r->seq;
			stack_mip6_seq_seen(s, r->seq);
		}
		/* The target confirmed the connection: the claim's "notification that
		 * the connection request has been accepted" updates the routing table. */
		if (c->state != VIPA_CONN_EST || created) {
			c->state = VIPA_CONN_EST;
			vipa_store_conn_put(s->store, c);
			/* ...and, on a DVIPA with MOBILEIPV6, starts the bypass. */
			if (!created || r->bypass == VIPA_BYPASS_NONE)
				stack_mip6_conn_established(s, c);
		}
		if (gen)
			c->last_ms = gen;
	}
	if ((m.flags & WIRE_XCF_F_FULL) && (m.flags & WIRE_XCF_F_LAST)) {
		struct { struct stack *s; const uint8_t *dest; uint64_t gen; const uint8_t *scope; } a = {
			s, from->xcfaddr, gen, m.scope };
		vipa_vcrt_foreach(s->vcrt, conn_full_sweep, &a);
	}
}

static void msg_cb(struct xcf *x, const struct xcf_member_info *from, uint8_t type,
		   const uint8_t *body, size_t len, int group, void *arg);

/* Sends a directed message; one to ourselves (the routing stack is its own
 * target) is handled at once without the bus. */
int
stack_send(struct stack *s, const char *member, uint8_t type, const void *body, size_t len)
{
	if (strcmp(member, s->member) == 0) {
		struct xcf_member_info self;

		memset(&self, 0, sizeof(self));
		lib_strlcpy(self.member, s->member, sizeof(self.member));
		lib_strlcpy(self.sysname, s->sysname, sizeof(self.sysname));
		lib_strlcpy(self.tcpname, s->tcpname, sizeof(self.tcpname));
		memcpy(self.xcfaddr, s->xcfaddr, 16);
		self.state = XCF_ACTIVE;
		msg_cb(s->xcf, &self, type, body, len, 0, s);
		return 0;
	}
	return xcf_send(s->xcf, member, type, body, len);
}

static void
msg_cb(struct xcf *x, const struct xcf_member_info *from, uint8_t type, const uint8_t *body,
       size_t len, int group, void *arg)
{
	struct stack *s = arg;
	const char *why = NULL;
	int i;

	LIB_UNUSED(x);
	LIB_UNUSED(group);
	stack_own_guard(s);	/* some of these make us act as the owner */
	switch (type) {
	case WIRE_XCF_VIPA_ADV: {
		static struct wire_xcf_vipa_adv m;
		if (wire_xcf_vipa_adv_decode(&m, body, len, &why) < 0)
			lib_verdict(&s->bus_verdicts, why ? why : "malformed VIPA_ADV");
		else
			stack_own_on_adv(s, from, &m);
		break;
	}
	case WIRE_XCF_DIST_ADV:
		on_dist_adv(s, from, body, len);
		break;
	case WIRE_XCF_TGT_LISTEN:
		on_tgt_listen(s, from, body, len);
		break;
	case WIRE_XCF_TGT_CONN:
		on_tgt_conn(s, from, body, len);
		break;
	case WIRE_XCF_MIP6_COPY:
		stack_mip6_on_copy(s, from, body, len);
		break;
	case WIRE_XCF_BIND_INFO:
		stack_mip6_on_bind_info(s, body, len);
		break;
	case WIRE_XCF_TGT_SYNC_REQ: {
		struct wire_xcf_sync_req m;
		if (wire_xcf_sync_req_decode(&m, body, len, &why) < 0) {
			lib_verdict(&s->bus_verdicts, why ? why : "malformed SYNC_REQ");
			break;
		}
		for (i = 0; i < s->ndv; i++)
			if (s->dv[i].target)
				stack_tgt_report_full(s, &s->dv[i]);
		break;
	}
	default:
		lib_verdict(&s->bus_verdicts, "unhandled XCF message type");
		break;
	}
}

/* ---- timers ------------------------------------------------------------------------ */

/* Entries whose end no target reports: a connection that opened and closed
 * between two polls of its target (confirmed never), or one whose END report
 * was lost.  The target's END report is the normal way out. */
static int
syn_expire(struct vipa_conn *c, void *arg)
{
	struct stack *s = arg;
	uint64_t now = lib_now_ms();

	if (c->state == VIPA_CONN_SYN) {
		if (now - c->created_ms < STACK_SYN_TIMEOUT_MS &&
		    !(c->fin_ms && now - c->fin_ms >= STACK_FIN_LINGER_MS))
			return 0;
	} else if (!c->fin_ms || now - c->fin_ms < STACK_FIN_TIMEOUT_MS) {
		return 0;
	}
	stack_conn_removed(s, c, 0);
	return 1;
}

static int
affinity_expire(struct vipa_conn *c, void *arg)
{
	LIB_UNUSED(arg);
	return c->last_ms <= lib_now_ms();
}

static void
adv_timer_cb(uv_timer_t *t)
{
	struct stack *s = t->data;
	int i;

	stack_own_guard(s);
	stack_publish_vipa_adv(s);
	for (i = 0; i < s->ndv; i++) {
		if (s->dv[i].owned && s->dv[i].has_dist)
			publish_dist_adv(s, &s->dv[i]);
		if (s->dv[i].target)
			stack_tgt_report_full(s, &s->dv[i]);
	}
	vipa_vcrt_foreach(s->vcrt, syn_expire, s);
	vipa_vcrt_foreach(s->affinity, affinity_expire, NULL);
}

static void
poll_timer_cb(uv_timer_t *t)
{
	stack_own_guard(t->data);
	stack_tgt_poll(t->data);
	stack_mip6_tick(t->data);
	stack_own_evaluate(t->data);
}

static void
signal_cb(uv_signal_t *sig, int signum)
{
	struct stack *s = sig->data;

	log_info("signal %d: leaving the sysplex group", signum);
	uv_stop(s->loop);
}

/* ---- start-up --------------------------------------------------------------------------- */

static int
setup_network(struct stack *s)
{
	struct lib_tun_opts o = { .vnet_hdr = 1, .offload = 1, .multiqueue = 0,
				  .mtu = 0, .txqlen = 10000 };
	char path[128];
	int r;

	s->nl = lib_nl_open();
	if (!s->nl) {
		log_warn("rtnetlink");
		return -1;
	}
	s->lan_ifindex = lib_nl_ifindex(s->lanif);
	if (s->lan_ifindex <= 0) {
		log_warnx("LAN interface %s does not exist", s->lanif);
		return -1;
	}
	s->lan_mtu = 1500;
	snprintf(path, sizeof(path), "/sys/class/net/%s/mtu", s->lanif);
	{
		FILE *f = fopen(path, "r");
		if (f) {
			if (fscanf(f, "%u", &s->lan_mtu) != 1)
				s->lan_mtu = 1500;
			fclose(f);
		}
	}
	/* The TUN takes full LAN-sized packets (a target receives RH2 packets of
	 * up to the LAN MTU); the routing stack answers a packet that would not
	 * fit once the RH2 is added with its own Packet Too Big (dp.c). */
	o.mtu = s->lan_mtu;
	s->tun_fd = lib_tun_open(STACK_TUN_NAME, &o);
	if (s->tun_fd < 0) {
		log_warnx("cannot open TUN %s: %s", STACK_TUN_NAME, strerror(-s->tun_fd));
		return -1;
	}
	s->tun_ifindex = lib_nl_ifindex(STACK_TUN_NAME);
	lib_sysctl_set("net/ipv6/conf/all/forwarding", "1");
	/* TCP early demux would hand LAN-inbound segments for the DVIPA straight
	 * to a local socket (when this stack is its own target) before policy
	 * routing takes them to the TUN: the handshake then never completes. */
	lib_sysctl_set("net/ipv4/ip_early_demux", "0");
	lib_sysctl_set("net/ipv4/tcp_early_demux", "0");
	/* Our DYNAMICXCF address is the care-of address: routed into the TUN,
	 * never local (the kernel would reject the RH2 itself). */
	r = lib_nl_route(s->nl, 1, 254, s->xcfaddr, 128, s->tun_ifindex, NULL);
	if (r < 0) {
		log_warnx("cannot route the DYNAMICXCF address into %s: %s", STACK_TUN_NAME,
			  strerror(-r));
		return -1;
	}
	/* Policy rules for DVIPAs must come before the local table. */
	if (lib_nl_rule(s->nl, 1, STACK_PRIO_LOCAL, NULL, NULL, 0, 0, 255) < 0 ||
	    lib_nl_rule(s->nl, 0, 0, NULL, NULL, 0, 0, 255) < 0) {
		log_warnx("cannot move the local routing rule");
		return -1;
	}
	return 0;
}

static void
load_profile(struct stack *s)
{
	int i;

	for (i = 0; i < s->prof.ndefine; i++) {
		const struct vipa_define *v = &s->prof.define[i];
		struct stack_dvipa *d = stack_dvipa_get(s, v->addr);
		if (!d)
			continue;
		lib_strlcpy(d->ifname, v->ifname, sizeof(d->ifname));
		d->defined = !v->backup;
		d->backup = v->backup;
		d->rank = v->rank;
		d->moveable = v->moveable;
	}
	for (i = 0; i < s->prof.ndist; i++) {
		struct stack_dvipa *d = stack_dvipa_get(s, s->prof.dist[i].dvipa);
		if (!d)
			continue;
		d->has_dist = 1;
		d->dist = s->prof.dist[i];
	}
}

/* The couple data set server of this stack: an agent process running our
 * own binary (main.c: --cds-agent), so that a stopped stack never holds the
 * data set's lock (xcf/cds.c). */
static int
stack_cds_connect(void *arg)
{
	struct stack *s = arg;
	char name[64];

	snprintf(name, sizeof(name), "tcpip-stack-cds-agent-%s", s->sysname);
	return xcf_cds_spawn("/proc/self/exe", name, s->couple.cds);
}

int
stack_init(struct stack *s, uv_loop_t *loop)
{
	struct xcf_config xc;
	struct xcf_cbs cbs = { join_cb, leave_cb, msg_cb, sfm_cb };
	char path[300], err[512];
	int r;

	s->loop = loop;
	s->started_wall_ms = lib_wall_ms();
	s->tun_verdicts.what = "tun";
	s->bus_verdicts.what = "xcf";
	s->ctl_verdicts.what = "ctl";
	snprintf(s->member, sizeof(s->member), "%s%s", s->sysname, s->tcpname);
	s->vdpt = calloc(1, sizeof(*s->vdpt));
	s->vcrt = vipa_vcrt_new(1 << 18);
	s->tconn = vipa_vcrt_new(1 << 16);
	s->affinity = vipa_vcrt_new(1 << 14);
	s->rxbuf = malloc(STACK_HEADROOM + STACK_PKT_MAX);
	if (!s->vdpt || !s->vcrt || !s->tconn || !s->affinity || !s->rxbuf) {
		log_warnx("out of memory");
		return -1;
	}
	vipa_vdpt_init(s->vdpt);
	load_profile(s);
	if (setup_network(s) < 0)
		return -1;

	snprintf(path, sizeof(path), "%s/stack.db", s->statedir);
	/* A bad file does not stop us: the store moves it aside and makes a new
	 * one, or runs without persistence (it logs which; NETSTAT,CONFIG shows
	 * it).  Only without memory is there no store at all, and every
	 * vipa_store_* call takes that too. */
	s->store = vipa_store_open(loop, path, 50, err, sizeof(err));
	if (!s->store)
		log_warnx("EZD1219E STORE %s CANNOT BE WRITTEN (%s): RUNNING WITHOUT PERSISTENCE",
			  path, err);
	else {
		/* A restarted stack starts from what it knew. */
		int n = vipa_store_load(s->store, s->vcrt, s->vdpt);

		if (n < 0)
			log_warnx("could not reload %s: %s", path, strerror(-n));
		else if (vipa_vcrt_count(s->vcrt) || s->vdpt->n)
			log_info("EZD1217I RELOADED %zu VCRT AND %d VDPT ENTRIES FROM %s",
				 vipa_vcrt_count(s->vcrt), s->vdpt->n, path);
		vipa_store_attach(s->store, s->vcrt, s->vdpt);
	}

	memset(&xc, 0, sizeof(xc));
	xc.couple = &s->couple;
	xc.sysname = s->sysname;
	xc.tcpname = s->tcpname;
	memcpy(xc.xcfaddr, s->xcfaddr, 16);
	xc.cds_connect = stack_cds_connect;
	xc.cds_arg = s;
	s->xcf = xcf_new(loop, &xc, &cbs, s);
	if (!s->xcf) {
		log_warnx("%s is not a member of the couple data set: %s", s->sysname,
			  strerror(errno));
		return -1;
	}
	if ((r = stack_ndp_start(s)) < 0) {
		log_warnx("neighbour discovery socket on %s: %s", s->lanif, strerror(-r));
		return -1;
	}
	if (stack_dp_start(s) < 0 || stack_ctl_start(s) < 0)
		return -1;
	/* Join first, then process the VIPADYNAMIC block (as z/OS does): our
	 * DVIPAs are activated by own.c once we are a member and the group's
	 * advertisements are in (a backup may own a DVIPA we define: then we
	 * take it back).  join_cb(ourselves) comes when the couple data set has
	 * registered us. */
	if (xcf_join(s->xcf) < 0) {
		log_warnx("EZZ8269I %s IS NOT A MEMBER OF A SYSPLEX GROUP", s->tcpname);
		return -1;
	}

	uv_timer_init(loop, &s->poll_timer);
	s->poll_timer.data = s;
	uv_timer_start(&s->poll_timer, poll_timer_cb, 10, STACK_POLL_MS);
	uv_timer_init(loop, &s->adv_timer);
	s->adv_timer.data = s;
	uv_timer_start(&s->adv_timer, adv_timer_cb, STACK_ADV_MS, STACK_ADV_MS);
	uv_signal_init(loop, &s->sigterm);
	s->sigterm.data = s;
	uv_signal_start(&s->sigterm, signal_cb, SIGTERM);
	uv_signal_init(loop, &s->sigint);
	s->sigint.data = s;
	uv_signal_start(&s->sigint, signal_cb, SIGINT);
	return 0;
}

/* ---- operator actions (V TCPIP,tcp,SYSPLEX,...) ---------------------------------- */

int
stack_leavegroup(struct stack *s, char *msg, size_t len)
{
	int i;

	if (s->left_group || !xcf_joined(s->xcf)) {
		snprintf(msg, len, "EZZ8269I %s IS NOT A MEMBER OF A SYSPLEX GROUP", s->tcpname);
		return -1;
	}
	s->left_group = 1;
	/* Orderly: stop owning first (the guard gives every DVIPA up and says
	 * so in our VIPA_ADV), then record LEFT in the couple data set and
	 * leave: leave_cb(ourselves) stops our target roles and clears our view
	 * of the group. */
	stack_own_guard(s);
	xcf_leave(s->xcf);
	for (i = 0; i < s->ndv; i++) {
		struct stack_dvipa *d = &s->dv[i];
		if (d->target) {
			d->target = 0;
			dvipa_local(s, d, 0);
		}
	}
	snprintf(msg, len, "EZZ8263I %s LEFT SYSPLEX GROUP EZBTCPCS", s->tcpname);
	return 0;
}

int
stack_joingroup(struct stack *s, char *msg, size_t len)
{
	if (!s->left_group) {
		snprintf(msg, len, "EZZ8266I %s IS ALREADY A MEMBER OF SYSPLEX GROUP EZBTCPCS%s",
			 s->tcpname, xcf_joined(s->xcf) ? "" : " (REJOINING THE SYSPLEX)");
		return -1;
	}
	if (xcf_join(s->xcf) < 0) {
		snprintf(msg, len, "EZZ8269I %s COULD NOT JOIN SYSPLEX GROUP EZBTCPCS", s->tcpname);
		return -1;
	}
	s->left_group = 0;
	/* With a couple data set the join completes when it registered us
	 * (join_cb); the answer says the join is under way. */
	snprintf(msg, len, "EZZ8264I %s JOINED SYSPLEX GROUP EZBTCPCS", s->tcpname);
	return 0;
}

int
stack_deactivate(struct stack *s, const uint8_t dvipa[16], int on, char *msg, size_t len)
{
	struct stack_dvipa *d = stack_dvipa_find(s, dvipa);
	char a[64];

	lib_ip6_str(dvipa, a, sizeof(a));
	if (!d || (!d->defined && !d->backup)) {
		snprintf(msg, len, "EZD1212I DVIPA %s IS NOT DEFINED ON %s (expected a VIPADEFINE or VIPABACKUP DVIPA)",
			 a, s->tcpname);
		return -1;
	}
	if (on == d->deactivated) {
		snprintf(msg, len, "EZD1213I DVIPA %s IS ALREADY %s", a, on ? "DEACTIVATED" : "ACTIVE OR BACKUP");
		return -1;
	}
	d->deactivated = on;
	stack_publish_vipa_adv(s);
	if (on && d->owned) {
		/* Hand it to the best backup; keep forwarding while it moves. */
		d->owned = 0;
		stack_ndp_join(s, d->addr, 0);
		d->moving = 1;
		d->moving_until_ms = lib_now_ms() + STACK_MOVING_MS;
		stack_publish_vipa_adv(s);
	}
	stack_own_evaluate(s);
	snprintf(msg, len, "EZD1197I THE VARY TCPIP,,SYSPLEX,%s,DVIPA COMMAND COMPLETED SUCCESSFULLY FOR %s",
		 on ? "DEACTIVATE" : "REACTIVATE", a);
	return 0;
}

/*
 * QUIESCE / RESUME, PORT=n or TARGET.  As on z/OS the two are layered: a
 * target quiesced as a whole (TARGET) stays quiesced whatever is done to
 * single ports, and a port quiesced on its own stays quiesced after RESUME,
 * TARGET.  The routing stack's VDPT shows QUIESCED when either applies.  A
 * command that would change nothing fails (EZD1199I) and says why.
 */
int
stack_quiesce(struct stack *s, int port, int on, char *msg, size_t len)
{
	const char *verb = on ? "QUIESCE" : "RESUME";
	char still[128] = "";
	int i, j, hit = 0, changed = 0;
	size_t sl = 0;

	for (i = 0; i < s->ndv; i++) {
		struct stack_dvipa *d = &s->dv[i];
		if (!d->target)
			continue;
		for (j = 0; j < d->adv.nports; j++) {
			if (port >= 0 && d->adv.ports[j] != port)
				continue;
			hit = 1;
			if (port >= 0 && d->quiesced[j] != (uint8_t)on) {
				d->quiesced[j] = (uint8_t)on;
				changed = 1;
			}
			if (port < 0 && !on && d->quiesced[j] && sl + 8 < sizeof(still))
				sl += (size_t)snprintf(still + sl, sizeof(still) - sl, "%s%u",
						       sl ? " " : "", d->adv.ports[j]);
		}
	}
	if (port >= 0 && !hit) {
		snprintf(msg, len, "EZD1199I THE VARY TCPIP,,SYSPLEX,%s COMMAND FAILED: PORT %d IS NOT A "
			 "DISTRIBUTED PORT OF A DVIPA %s IS A TARGET OF", verb, port, s->tcpname);
		return -1;
	}
	if (port < 0) {
		changed = s->quiesce_target != on;
		s->quiesce_target = on;
	}
	if (!changed) {
		if (port >= 0 && !on && s->quiesce_target)
			snprintf(msg, len, "EZD1199I THE VARY TCPIP,,SYSPLEX,RESUME COMMAND FAILED: PORT %d "
				 "IS NOT QUIESCED ON ITS OWN; THE WHOLE TARGET IS (QUIESCE,TARGET): "
				 "USE RESUME,TARGET", port);
		else if (port >= 0)
			snprintf(msg, len, "EZD1199I THE VARY TCPIP,,SYSPLEX,%s COMMAND FAILED: PORT %d IS "
				 "%s QUIESCED", verb, port, on ? "ALREADY" : "NOT");
		else
			snprintf(msg, len, "EZD1199I THE VARY TCPIP,,SYSPLEX,%s COMMAND FAILED: THE TARGET "
				 "IS %s QUIESCED", verb, on ? "ALREADY" : "NOT");
		return -1;
	}
	for (i = 0; i < s->ndv; i++) {
		struct stack_dvipa *d = &s->dv[i];
		if (!d->target)
			continue;
		d->listen_dirty = 1;
		stack_tgt_report_full(s, d);
	}
	if (port >= 0 && !on && s->quiesce_target)
		snprintf(msg, len, "EZD1198I THE VARY TCPIP,,SYSPLEX,RESUME COMMAND COMPLETED FOR PORT %d; "
			 "THE TARGET STAYS QUIESCED (QUIESCE,TARGET) UNTIL RESUME,TARGET", port);
	else if (port < 0 && !on && still[0])
		snprintf(msg, len, "EZD1198I THE VARY TCPIP,,SYSPLEX,RESUME COMMAND COMPLETED FOR THE "
			 "TARGET; PORT(S) %s STAY QUIESCED (QUIESCE,PORT) UNTIL RESUME,PORT", still);
	else if (port >= 0)
		snprintf(msg, len, "EZD1198I THE VARY TCPIP,,SYSPLEX,%s COMMAND COMPLETED SUCCESSFULLY "
			 "FOR PORT %d", verb, port);
	else
		snprintf(msg, len, "EZD1198I THE VARY TCPIP,,SYSPLEX,%s COMMAND COMPLETED SUCCESSFULLY "
			 "FOR THE TARGET", verb);
	return 0;
}

static void
close_walk_cb(uv_handle_t *h, void *arg)
{
	LIB_UNUSED(arg);
	if (!uv_is_closing(h))
		uv_close(h, NULL);
}

void
stack_shutdown(struct stack *s)
{
	/* Stop owning first, then record LEFT and leave (as LEAVEGROUP). */
	s->left_group = 1;
	stack_own_guard(s);
	xcf_leave(s->xcf);
	stack_ctl_stop(s);
	stack_ndp_stop(s);
	stack_dp_stop(s);
	vipa_store_close(&s->store);
	xcf_destroy(&s->xcf);
	uv_walk(s->loop, close_walk_cb, NULL);
	uv_run(s->loop, UV_RUN_DEFAULT);
	vipa_vcrt_destroy(&s->vcrt);
	vipa_vcrt_destroy(&s->tconn);
	vipa_vcrt_destroy(&s->affinity);
	free(s->vdpt);
	free(s->rxbuf);
	lib_nl_close(&s->nl);
	if (s->tun_fd >= 0)
		close(s->tun_fd);
}
