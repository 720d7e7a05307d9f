/*
 * dvipa.c - the stack's table of DVIPAs (struct stack_dvipa): every DVIPA
 * this stack defines, backs up, owns, is a target of, or has heard of, with
 * what each file keeps about it.  Level 0 of tcpip-stack/ (stack.h): calls
 * no other file of the daemon.
 */
#include "tcpip-stack/stack.h"

#include <string.h>

struct stack_dvipa *
stack_dvipa_find(struct stack *s, const uint8_t addr[16])
{
	struct stack_dvipa *d, *end = s->dv + s->ndv;

	for (d = s->dv; d < end && memcmp(d->addr, addr, 16) != 0; d++)
		;
	return d < end ? d : NULL;
}

int
stack_dvipa_idle(const struct stack *s, const struct stack_dvipa *d)
{
	size_t i, dv = (size_t)(d - s->dv);

	if (d->defined || d->backup || d->has_dist || d->owned || d->moving || d->target ||
	    d->ncand || d->deactivated)
		return 0;
	for (i = 0; i < s->tgt.nev; i++)
		if (s->tgt.evq[i].dv == dv)
			return 0;
	return 1;
}

struct stack_dvipa *
stack_dvipa_get(struct stack *s, const uint8_t addr[16])
{
	struct stack_dvipa *d = stack_dvipa_find(s, addr);
	int i;

	if (d)
		return d;
	if (s->ndv < VIPA_MAX_DVIPA) {
		d = &s->dv[s->ndv++];
	} else {
		/* Full: an entry nobody holds any more (heard of once, no member
		 * advertises it now, no role of ours) ages out and is reused. */
		for (i = 0; i < s->ndv && !stack_dvipa_idle(s, &s->dv[i]); i++)
			;
		if (i == s->ndv)
			return NULL;
		d = &s->dv[i];
		memset(s->tgt.rdy[i], 0, sizeof(s->tgt.rdy[i]));
	}
	memset(d, 0, sizeof(*d));
	memcpy(d->addr, addr, 16);
	return d;
}

const uint8_t *
stack_dest_addr(const struct xcf_member_info *m, const uint8_t dvipa[16])
{
	return vipa_addr_is_v4(dvipa) ? m->xcfaddr4 : m->xcfaddr;
}

const uint8_t *
stack_self_addr(const struct stack *s, const uint8_t dvipa[16])
{
	return vipa_addr_is_v4(dvipa) ? s->xcfaddr4 : s->xcfaddr;
}

int
stack_dvipa_cand_active(const struct stack_dvipa *d, const char *member)
{
	int i;

	for (i = 0; i < d->ncand; i++)
		if (strcmp(d->cand[i].member, member) == 0)
			return d->cand[i].status == WIRE_VIPA_ACTIVE;
	return 0;
}

int
stack_dvipa_is_owner(const struct stack *s, const struct stack_dvipa *d, const char *member)
{
	if (strcmp(member, s->member) == 0)
		return d->owned;
	return strcmp(d->owner, member) == 0 || stack_dvipa_cand_active(d, member);
}

int
stack_dvipa_is_dest(const struct stack *s, const struct stack_dvipa *d, const uint8_t xcf[16],
		    uint16_t port)
{
	const struct vipa_distribute *v = stack_dvipa_dist_for(s, d, port);
	int i;

	if (!v)
		return 0;
	if (v->destall)
		return 1;
	for (i = 0; i < v->ndest; i++)
		if (memcmp(v->dest[i].xcf, xcf, 16) == 0)
			return 1;
	return 0;
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

/* Another VIPADISTRIBUTE for the same DVIPA: its ports and destinations
 * join the DVIPA's summary (what the DIST_ADV advertises); the statement
 * itself stays in the profile, where stack_dvipa_dist_for finds it. */
static void
dist_merge(struct vipa_distribute *m, const struct vipa_distribute *v)
{
	int i, j;

	for (i = 0; i < v->nports && m->nports < VIPA_MAX_PORTS; i++) {
		for (j = 0; j < m->nports && m->ports[j] != v->ports[i]; j++)
			;
		if (j == m->nports)
			m->ports[m->nports++] = v->ports[i];
	}
	if (v->destall)
		m->destall = 1;
	for (i = 0; i < v->ndest && m->ndest < VIPA_MAX_DEST; i++) {
		for (j = 0; j < m->ndest && memcmp(m->dest[j].xcf, v->dest[i].xcf, 16) != 0; j++)
			;
		if (j == m->ndest)
			m->dest[m->ndest++] = v->dest[i];
	}
	if (v->mip6)
		m->mip6 = 1;
	if (v->sysplexports)
		m->sysplexports = 1;
}

const struct vipa_distribute *
stack_dvipa_dist_for(const struct stack *s, const struct stack_dvipa *d, uint16_t port)
{
	const struct vipa_distribute *v;

	if (!d->has_dist)
		return NULL;
	if (!d->inherited && (v = vipa_profile_dist_port(&s->prof, d->addr, port)))
		return v;
	return stack_dvipa_is_dist_port(d, port) ? &d->dist : NULL;
}

void
stack_dvipa_load_dists(struct stack *s)
{
	int i;

	for (i = 0; i < s->ndv; i++) {
		struct stack_dvipa *d = &s->dv[i];

		if (d->inherited)
			continue;
		d->has_dist = 0;
		memset(&d->dist, 0, sizeof(d->dist));
	}
	for (i = 0; i < s->prof.ndist; i++) {
		const struct vipa_distribute *v = &s->prof.dist[i];
		struct stack_dvipa *d = stack_dvipa_get(s, v->dvipa);

		if (!d)
			continue;
		if (d->inherited) {
			/* Our own statement replaces what we inherited. */
			d->inherited = 0;
			d->has_dist = 0;
		}
		if (!d->has_dist) {
			d->has_dist = 1;
			d->dist = *v;
			continue;
		}
		dist_merge(&d->dist, v);
	}
}

void
stack_dvipa_load_profile(struct stack *s)
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
	stack_dvipa_load_dists(s);
}
