/*
 * vdpt.c - the destination port table (VDPT): one entry per (DVIPA, port,
 * target), and the choice of a target for a new connection.
 *
 * Contract (see vipa.h):
 *  - Everything lives in the fixed arrays of struct vipa_vdpt; nothing here
 *    allocates.  Entries never move, so a returned pointer stays valid until
 *    that entry is removed.
 *  - A service (DVIPA, port) is declared with vipa_vdpt_service(), which sets
 *    its distribution method and owns a cursor.  The cursor is the slot index
 *    in t->e[] where the next search starts, one past the entry picked last.
 *    Searching forward from it over all slots (wrapping) visits the entries of
 *    the service in a fixed order, so ROUNDROBIN is exactly even, and an entry
 *    that is not eligible (rdy == 0 or quiesced) is simply passed over without
 *    changing the order among the others.
 *  - WEIGHTEDACTIVE picks the lowest (active + 1) / weight, compared by
 *    cross-multiplication in 64 bits; among equals the first one found from
 *    the cursor wins, so ties rotate.
 *  - BASEWLM and SERVERWLM weigh each eligible entry by
 *    vipa_wlm_effective(wlm, tsr).  When every eligible entry has the same
 *    weight (in particular before any WLM data, all 0) the pick is exactly
 *    ROUNDROBIN's.  Otherwise smooth weighted round robin over the entries'
 *    swrr state (in slot order from the cursor) gives each its share: over
 *    any sum-of-weights picks with a fixed set, exactly its weight.
 *  - HOTSTANDBY gives every connection to the active target
 *    (vipa_hs_choose's rules over the eligible entries, healthy meaning
 *    tsr > 0 when HEALTHSWITCH); the service remembers it for
 *    NOAUTOSWITCHBACK.  Entries whose hs_type was never set count as
 *    backups of rank 0.
 *  - pick increments the chosen entry's totalconn (it wraps at 2^32); the
 *    caller owns `active` (increment when the connection enters the VCRT,
 *    decrement when it leaves).
 */
#include "vipa/vipa.h"
#include "lib/lib.h"

#include <errno.h>
#include <string.h>

#define VIPA_WLM_SVC_MAX 64

void
vipa_vdpt_init(struct vipa_vdpt *t)
{
	memset(t, 0, sizeof(*t));
}

static int
vdpt_same_svc(const uint8_t a[16], uint16_t aport, const uint8_t b[16], uint16_t bport)
{
	/* The port is compared first: it is the cheap and most selective test. */
	return aport == bport && memcmp(a, b, 16) == 0;
}

/* Returns the index of the service (dvipa, port) in t->svc, or -1. */
static int
vdpt_svc_find(const struct vipa_vdpt *t, const uint8_t dvipa[16], uint16_t port)
{
	int i;

	for (i = 0; i < t->nsvc; i++)
		if (t->svc[i].used && vdpt_same_svc(t->svc[i].dvipa, t->svc[i].port, dvipa, port))
			return i;
	return -1;
}

int
vipa_vdpt_service(struct vipa_vdpt *t, const uint8_t dvipa[16], uint16_t port,
		  enum vipa_distmethod method)
{
	int i;

	if (method < VIPA_DIST_ROUNDROBIN || method > VIPA_DIST_HOTSTANDBY)
		return -EINVAL;
	i = vdpt_svc_find(t, dvipa, port);
	if (i >= 0) {
		/* A redeclaration changes the method and keeps the rotation. */
		t->svc[i].method = method;
		return 0;
	}
	for (i = 0; i < t->nsvc; i++)
		if (!t->svc[i].used)
			break;
	if (i == t->nsvc) {
		if (t->nsvc == (int)LIB_ARRAY_LEN(t->svc))
			return -ENOSPC;
		t->nsvc++;
	}
	t->svc[i].used = 1;
	memcpy(t->svc[i].dvipa, dvipa, 16);
	t->svc[i].port = port;
	t->svc[i].method = method;
	t->svc[i].cursor = 0;
	t->svc[i].autoswitchback = 1;
	t->svc[i].healthswitch = 1;
	t->svc[i].has_active = 0;
	return 0;
}

int
vipa_vdpt_service_hs(struct vipa_vdpt *t, const uint8_t dvipa[16], uint16_t port,
		     int autoswitchback, int healthswitch)
{
	int i = vdpt_svc_find(t, dvipa, port);

	if (i < 0)
		return -ENOENT;
	t->svc[i].autoswitchback = autoswitchback != 0;
	t->svc[i].healthswitch = healthswitch != 0;
	return 0;
}

enum vipa_distmethod
vipa_vdpt_method(const struct vipa_vdpt *t, const uint8_t dvipa[16], uint16_t port)
{
	int i = vdpt_svc_find(t, dvipa, port);

	return i < 0 ? (enum vipa_distmethod)0 : t->svc[i].method;
}

struct vipa_vdpt_entry *
vipa_vdpt_get(struct vipa_vdpt *t, const uint8_t dvipa[16], uint16_t port,
	      const uint8_t dest_xcf[16], int create)
{
	struct vipa_vdpt_entry *e;
	int i, freeslot = -1;

	for (i = 0; i < t->n; i++) {
		e = &t->e[i];
		if (!e->used) {
			if (freeslot < 0)
				freeslot = i;
			continue;
		}
		if (vdpt_same_svc(e->dvipa, e->port, dvipa, port) &&
		    memcmp(e->dest_xcf, dest_xcf, 16) == 0)
			return e;
	}
	if (!create)
		return NULL;
	if (freeslot < 0) {
		if (t->n == VIPA_VDPT_MAX)
			return NULL;
		freeslot = t->n++;
	}
	e = &t->e[freeslot];
	memset(e, 0, sizeof(*e));
	e->used = 1;
	memcpy(e->dvipa, dvipa, 16);
	e->port = port;
	memcpy(e->dest_xcf, dest_xcf, 16);
	e->weight = 1;
	e->tsr = 100;
	e->sef = 100;
	return e;
}

/* Frees slot i and lowers the high-water mark past trailing free slots. */
static void
vdpt_free_slot(struct vipa_vdpt *t, int i)
{
	memset(&t->e[i], 0, sizeof(t->e[i]));
	while (t->n > 0 && !t->e[t->n - 1].used)
		t->n--;
}

int
vipa_vdpt_remove(struct vipa_vdpt *t, const uint8_t dvipa[16], uint16_t port,
		 const uint8_t dest_xcf[16])
{
	struct vipa_vdpt_entry *e;

	e = vipa_vdpt_get(t, dvipa, port, dest_xcf, 0);
	if (e == NULL)
		return -ENOENT;
	vdpt_free_slot(t, (int)(e - t->e));
	return 0;
}

int
vipa_vdpt_remove_dest(struct vipa_vdpt *t, const uint8_t dest_xcf[16])
{
	int i, removed = 0;

	/* Walk downwards: freeing a slot only ever lowers t->n below i. */
	for (i = t->n - 1; i >= 0; i--) {
		if (t->e[i].used && memcmp(t->e[i].dest_xcf, dest_xcf, 16) == 0) {
			vdpt_free_slot(t, i);
			removed++;
		}
	}
	return removed;
}

/* An entry that may get a new connection of service si. */
static int
vdpt_eligible(const struct vipa_vdpt_entry *e, const uint8_t dvipa[16], uint16_t port)
{
	return e->used && e->rdy > 0 && !(e->flags & VIPA_VDPT_F_QUIESCED) &&
	       vdpt_same_svc(e->dvipa, e->port, dvipa, port);
}

/* HOTSTANDBY: the active entry of service si, or NULL. */
static struct vipa_vdpt_entry *
vdpt_pick_hs(struct vipa_vdpt *t, int si, const uint8_t dvipa[16], uint16_t port)
{
	struct vipa_vdpt_entry *e, *best = NULL, *cur = NULL;
	struct vipa_hs_cand cb, cc;
	int j;

	for (j = 0; j < t->n; j++) {
		e = &t->e[j];
		if (!vdpt_eligible(e, dvipa, port) || (t->svc[si].healthswitch && e->tsr == 0))
			continue;
		if (t->svc[si].has_active && memcmp(e->dest_xcf, t->svc[si].active, 16) == 0)
			cur = e;
		cc.srvtype = e->hs_type;
		cc.rank = e->hs_rank;
		cc.available = 1;
		if (best) {
			struct vipa_hs_cand two[2] = { cb, cc };

			if (vipa_hs_choose(two, 2, -1, 1) != 1)
				continue;
		}
		best = e;
		cb = cc;
	}
	if (cur && !t->svc[si].autoswitchback)
		best = cur;
	if (best) {
		t->svc[si].has_active = 1;
		memcpy(t->svc[si].active, best->dest_xcf, 16);
	}
	return best;
}

struct vipa_vdpt_entry *
vipa_vdpt_pick(struct vipa_vdpt *t, const uint8_t dvipa[16], uint16_t port)
{
	struct vipa_vdpt_entry *e, *best = NULL;
	uint64_t best_load = 0, best_w = 1, load, w;
	int si, n, start, k, j, best_j = -1;
	enum vipa_distmethod method;
	int wlm_equal = 1;

	si = vdpt_svc_find(t, dvipa, port);
	if (si < 0)
		return NULL;
	n = t->n;
	if (n == 0)
		return NULL;
	method = t->svc[si].method;
	if (method == VIPA_DIST_HOTSTANDBY) {
		best = vdpt_pick_hs(t, si, dvipa, port);
		if (best)
			best->totalconn++;
		return best;
	}
	start = (int)(t->svc[si].cursor % (uint32_t)n);
	if (method == VIPA_DIST_BASEWLM || method == VIPA_DIST_SERVERWLM) {
		/* Equal weights (no WLM data yet included): plain ROUNDROBIN. */
		uint32_t first = 0, ew;
		int seen = 0;

		for (j = 0; j < n && wlm_equal; j++) {
			e = &t->e[j];
			if (!vdpt_eligible(e, dvipa, port))
				continue;
			ew = vipa_wlm_effective(e->wlm, e->tsr);
			if (seen++ && ew != first)
				wlm_equal = 0;
			first = ew;
		}
	}
	if ((method == VIPA_DIST_BASEWLM || method == VIPA_DIST_SERVERWLM) && !wlm_equal) {
		/* Smooth weighted round robin, candidates in slot order from the
		 * cursor (the cursor only moves with ROUNDROBIN picks, so the
		 * order is fixed while the weights differ). */
		int64_t total = 0;

		for (k = 0; k < n; k++) {
			j = start + k;
			if (j >= n)
				j -= n;
			e = &t->e[j];
			if (!vdpt_eligible(e, dvipa, port))
				continue;
			w = vipa_wlm_effective(e->wlm, e->tsr);
			if (w == 0)
				continue;
			total += (int64_t)w;
			e->swrr += (int32_t)w;
			if (best == NULL || e->swrr > best->swrr)
				best = e;
		}
		if (best == NULL)
			return NULL;
		best->swrr -= (int32_t)total;
		best->totalconn++;
		return best;
	}
	for (k = 0; k < n; k++) {
		j = start + k;
		if (j >= n)
			j -= n;
		e = &t->e[j];
		if (!vdpt_eligible(e, dvipa, port))
			continue;
		if (method != VIPA_DIST_WEIGHTEDACTIVE) {
			best = e;
			best_j = j;
			break;
		}
		/*
		 * WEIGHTEDACTIVE: e is better when (active+1)/weight is strictly
		 * lower, i.e. (active+1) * best_w < best_load * weight.  Both
		 * products fit in 64 bits (2^32 * 2^16).
		 */
		load = (uint64_t)e->active + 1;
		w = e->weight ? e->weight : 1;
		if (best == NULL || load * best_w < best_load * w) {
			best = e;
			best_j = j;
			best_load = load;
			best_w = w;
		}
	}
	if (best == NULL)
		return NULL;
	t->svc[si].cursor = (uint32_t)best_j + 1;
	best->totalconn++;	/* unsigned: wraps at 2^32 as z/OS's counter does */
	return best;
}

int
vipa_vdpt_schedule(const struct vipa_vdpt *t, const uint8_t dvipa[16], uint16_t port,
		   uint8_t (*out)[16], int max)
{
	const struct vipa_vdpt_entry *el[VIPA_SCHED_MAX];
	uint32_t w[VIPA_SCHED_MAX], total = 0, sum = 0;
	int64_t cur[VIPA_SCHED_MAX];
	enum vipa_distmethod method;
	int si, j, m = 0, equal = 1, slot, best;

	si = vdpt_svc_find(t, dvipa, port);
	if (si < 0 || max <= 0)
		return 0;
	if (max > VIPA_SCHED_MAX)
		max = VIPA_SCHED_MAX;
	method = t->svc[si].method;
	if (method == VIPA_DIST_WEIGHTEDACTIVE || method == VIPA_DIST_HOTSTANDBY)
		return 0;
	for (j = 0; j < t->n; j++) {
		const struct vipa_vdpt_entry *e = &t->e[j];

		if (!vdpt_eligible(e, dvipa, port))
			continue;
		if (m == max)
			return 0;	/* more targets than slots */
		el[m] = e;
		w[m] = method == VIPA_DIST_ROUNDROBIN ? 1 : vipa_wlm_effective(e->wlm, e->tsr);
		if (m && w[m] != w[0])
			equal = 0;
		m++;
	}
	if (m == 0)
		return 0;
	if (equal) {
		for (j = 0; j < m; j++)
			memcpy(out[j], el[j]->dest_xcf, 16);
		return m;
	}
	for (j = 0; j < m; j++)
		sum += w[j];
	/* Scaled to max slots: floor, a weight > 0 keeps one slot, and the
	 * largest give back what rounding up the smallest took. */
	for (j = 0; j < m; j++) {
		if (sum > (uint32_t)max && w[j])
			w[j] = (uint32_t)(((uint64_t)w[j] * (uint64_t)max) / sum) ? (uint32_t)(((uint64_t)w[j] * (uint64_t)max) / sum) : 1;
		total += w[j];
	}
	while (total > (uint32_t)max) {
		best = 0;
		for (j = 1; j < m; j++)
			if (w[j] > w[best])
				best = j;
		w[best]--;
		total--;
	}
	for (j = 0; j < m; j++)
		cur[j] = 0;
	for (slot = 0; slot < (int)total; slot++) {
		best = -1;
		for (j = 0; j < m; j++) {
			if (!w[j])
				continue;
			cur[j] += w[j];
			if (best < 0 || cur[j] > cur[best])
				best = j;
		}
		cur[best] -= (int64_t)total;
		memcpy(out[slot], el[best]->dest_xcf, 16);
	}
	return (int)total;
}

const char *
vipa_vdpt_flags(const struct vipa_vdpt *t, const struct vipa_vdpt_entry *e, char *buf, size_t len)
{
	char f[8];
	size_t n = 0;
	int si;

	si = vdpt_svc_find(t, e->dvipa, e->port);
	if (si >= 0) {
		switch (t->svc[si].method) {
		case VIPA_DIST_BASEWLM:
			f[n++] = 'B';
			break;
		case VIPA_DIST_SERVERWLM:
			f[n++] = 'S';
			break;
		case VIPA_DIST_HOTSTANDBY:
			f[n++] = t->svc[si].has_active &&
					 memcmp(t->svc[si].active, e->dest_xcf, 16) == 0 ? 'A' : 'H';
			break;
		default:
			break;
		}
	}
	if (e->flags & VIPA_VDPT_F_QUIESCED)
		f[n++] = 'Q';
	f[n] = '\0';
	if (len)
		lib_strlcpy(buf, f, len);
	return buf;
}

void
vipa_vdpt_wlm_update(struct vipa_vdpt *t, const uint8_t dvipa[16], uint16_t port)
{
	/* A service has one entry per target: at most the sysplex's members. */
	struct vipa_wlm_sys sys[VIPA_WLM_SVC_MAX] = { { 0, 0 } };
	uint8_t w[VIPA_WLM_SVC_MAX];
	int idx[VIPA_WLM_SVC_MAX];
	int i, n = 0, si = vdpt_svc_find(t, dvipa, port);
	enum vipa_distmethod m = si >= 0 ? t->svc[si].method : (enum vipa_distmethod)0;

	for (i = 0; i < t->n; i++) {
		struct vipa_vdpt_entry *e = &t->e[i];

		if (!e->used || !vdpt_same_svc(e->dvipa, e->port, dvipa, port))
			continue;
		if (!e->has_wlm || n == VIPA_WLM_SVC_MAX) {
			e->sys_wlm = e->wlm = 0;
			continue;
		}
		sys[n].capacity = e->capacity;
		sys[n].load = e->load;
		idx[n++] = i;
	}
	vipa_wlm_system_weights(sys, n, w);
	for (i = 0; i < n; i++) {
		struct vipa_vdpt_entry *e = &t->e[idx[i]];

		e->sys_wlm = w[i];
		e->wlm = m == VIPA_DIST_SERVERWLM ? vipa_wlm_server_weight(w[i], e->sef) : w[i];
	}
}

void
vipa_vdpt_tsr_tick(struct vipa_vdpt *t)
{
	int i;

	for (i = 0; i < t->n; i++) {
		struct vipa_vdpt_entry *e = &t->e[i];
		uint32_t sent, est, grace;
		int64_t outstanding;

		if (!e->used)
			continue;
		sent = e->totalconn - e->tsr_sent_seen;	/* both wrap alike */
		est = e->confirmed - e->tsr_est_seen;
		e->tsr_sent_seen = e->totalconn;
		e->tsr_est_seen = e->confirmed;
		/* A connection sent since the last tick and not confirmed yet is
		 * still in its handshake, not a failure: it counts at the next
		 * tick (confirmed or not by then).  Without this grace one
		 * connection sent just before a tick took a target with no history
		 * to TSR 0, and HEALTHSWITCH passed it over. */
		outstanding = (int64_t)e->tsr_grace + sent - est;
		grace = outstanding <= 0 ? 0 : outstanding < sent ? (uint32_t)outstanding : sent;
		sent = e->tsr_grace + sent - grace;
		e->tsr_grace = grace;
		e->tsr = vipa_tsr_update(&e->tsr_st, sent, est, e->has_wlm ? e->sef : 100);
	}
}
