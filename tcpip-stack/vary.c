/*
 * vary.c - the operator actions of V TCPIP,tcp,SYSPLEX,...: LEAVEGROUP,
 * JOINGROUP, DEACTIVATE / REACTIVATE of a DVIPA, QUIESCE / RESUME of a
 * target or port.  Each returns 0, or -1, with the z/OS message for the
 * console in msg either way (ctl.c shows it).
 *
 * Level 7 of tcpip-stack/ (stack.h): calls own.c, tgt.c, ndp.c and dvipa.c.
 */
#include "tcpip-stack/stack.h"

#include <string.h>

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
	stack_own_publish(s);
	if (on && d->owned) {
		/* Hand it to the best backup; keep forwarding while it moves. */
		d->owned = 0;
		stack_ndp_join(s, d->addr, 0);
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
