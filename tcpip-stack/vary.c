/*
 * vary.c - the operator actions of V TCPIP,tcp,SYSPLEX,...: LEAVEGROUP,
 * JOINGROUP, DEACTIVATE / REACTIVATE of a DVIPA, QUIESCE / RESUME of a
 * target or port; V TCPIP,tcp,OBEYFILE,file.  Each returns 0, or -1, with
 * the z/OS message for the console in msg either way (ctl.c shows it).
 *
 * OBEYFILE applies a profile change to the running stack, all or nothing:
 * the file is checked as a continuation of the running profile
 * (vipa_profile_obey_file, the start-up errors); only when every statement
 * is right are the changes applied, in the order the change list gives:
 * the VDPT rows of deleted distributions go (connections already routed
 * keep their VCRT entries and routes until they end, on the routing stack
 * and on the targets), VIPADELETEd DVIPAs are given up (a backup takes them
 * over), then the new profile's definitions and distributions are set up,
 * advertised (VIPA_ADV, DIST_ADV) and ownership is evaluated again.
 * VIPARANGE and VIPAROUTE changes enter the profile (and VIPADCFG).
 *
 * Level 7 of tcpip-stack/ (stack.h): calls own.c, dist.c, tgt.c, net.c and
 * dvipa.c.
 */
#include "tcpip-stack/stack.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define OBEY_MAX_CHANGES 1024

int
stack_leavegroup(struct stack *s, char *msg, size_t len)
{
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
	stack_tgt_stop_all(s);
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

	vipa_addr_str(dvipa, a, sizeof(a));
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
	stack_own_publish(s);
	if (on && d->owned) {
		/* Hand it to the best backup; keep forwarding while it moves. */
		d->owned = 0;
		stack_net_answer(s, d, 0);
		d->moving = 1;
		d->moving_until_ms = lib_now_ms() + STACK_MOVING_MS;
		stack_own_publish(s);
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

/* The VDPT rows of a deleted (DVIPA, port, destination); destall: all. */
static void
obey_dist_del(struct stack *s, const struct vipa_change *c)
{
	int i;

	for (i = s->vdpt->n - 1; i >= 0; i--) {
		struct vipa_vdpt_entry *e = &s->vdpt->e[i];

		if (!e->used || e->port != c->port || memcmp(e->dvipa, c->addr, 16) != 0 ||
		    (!c->destall && memcmp(e->dest_xcf, c->dest, 16) != 0))
			continue;
		vipa_store_vdpt_del(s->store, e->dvipa, e->port, e->dest_xcf);
		vipa_vdpt_remove(s->vdpt, c->addr, c->port, e->dest_xcf);
	}
}

int
stack_obey(struct stack *s, const char *path, char *msg, size_t len)
{
	struct vipa_profile *next = malloc(sizeof(*next));
	struct vipa_change *chg = calloc(OBEY_MAX_CHANGES, sizeof(*chg));
	uint8_t had_dist[VIPA_MAX_DVIPA];
	char err[512], a[64];
	int i, n = 0, rc;

	if (!next || !chg) {
		free(next);
		free(chg);
		snprintf(msg, len, "EZZ0059I VARY OBEY FAILED FOR FILE %s: out of memory; nothing was "
			 "applied", path);
		return -1;
	}
	rc = vipa_profile_obey_file(&s->prof, next, path, chg, OBEY_MAX_CHANGES, &n, err,
				    sizeof(err));
	if (rc < 0) {
		if (rc == -ENOSPC)
			snprintf(err, sizeof(err), "%s: more than %d changes in one OBEYFILE", path,
				 OBEY_MAX_CHANGES);
		snprintf(msg, len, "EZZ0059I VARY OBEY FAILED, NOTHING WAS APPLIED: %s", err);
		free(next);
		free(chg);
		return -1;
	}
	for (i = 0; i < s->ndv; i++)
		had_dist[i] = (uint8_t)(s->dv[i].owned && s->dv[i].has_dist);
	/* Deletions first, as the change list orders them. */
	for (i = 0; i < n; i++) {
		struct stack_dvipa *d = stack_dvipa_find(s, chg[i].addr);

		vipa_addr_str(chg[i].addr, a, sizeof(a));
		if (chg[i].kind == VIPA_CHG_DIST_DEL || chg[i].kind == VIPA_CHG_DIST_ADD) {
			char b[64];

			log_info("EZD1271I OBEYFILE %s: %s %s PORT %u DESTIP %s", path,
				 vipa_change_name(chg[i].kind), a, chg[i].port,
				 chg[i].destall ? "ALL" : vipa_addr_str(chg[i].dest, b, sizeof(b)));
		} else {
			log_info("EZD1271I OBEYFILE %s: %s %s", path, vipa_change_name(chg[i].kind), a);
		}
		if (chg[i].kind == VIPA_CHG_DIST_DEL && d && d->owned)
			obey_dist_del(s, &chg[i]);
		else if (chg[i].kind == VIPA_CHG_DVIPA_DEL && d)
			stack_own_delete(s, d);
	}
	/* The new profile: definitions and distributions. */
	memcpy(&s->prof, next, sizeof(s->prof));
	free(next);
	stack_dvipa_load_profile(s);
	/* A VIPAROUTE that came or went moves connections between the kernel
	 * fast path and the TUN path: a whole pass over the VCRT. */
	stack_fast_resync(s);
	for (i = 0; i < s->ndv; i++) {
		struct stack_dvipa *d = &s->dv[i];
		struct wire_xcf_dist_adv m;

		if (!d->owned || (!d->has_dist && !(i < VIPA_MAX_DVIPA && had_dist[i])))
			continue;
		if (d->has_dist)
			stack_dist_setup(s, d);
		/* No distribution left: an advertisement without ports tells the
		 * targets (their connections keep going until they end). */
		stack_dist_publish(s, d);
		stack_dist_build_adv(d, &m);
		d->listen_dirty = 1;
		stack_tgt_apply_dist(s, d, &m, s->member);
	}
	stack_own_publish(s);
	stack_own_evaluate(s);
	snprintf(msg, len, "EZZ0053I COMMAND VARY OBEY COMPLETED SUCCESSFULLY: %d CHANGE(S) FROM %s",
		 n, path);
	free(chg);
	return 0;
}
