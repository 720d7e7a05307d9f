/*
 * group.c - the stack's side of the XCF group EZBTCPCS: members joining and
 * leaving (ourselves included), SFM's changes to the sysplex view, and
 * every message from another stack or from ourselves (bus.c), handed to the
 * file it is for.
 *
 * Messages (bodies in wire/):
 *   VIPA_ADV   group   every stack: its DVIPA definitions and status (own.c)
 *   DIST_ADV   group   the owner of a distributed DVIPA (dist.c)
 *   TGT_LISTEN direct  target -> owner: listeners per port (dist.c)
 *   TGT_CONN   direct  target -> owner: connections (dist.c)
 *   TGT_DIGEST direct  target -> owner: count + hash of its connections (dist.c)
 *   SYNC_REQ   direct  owner -> target: send a full report again (tgt.c)
 *   MIP6_COPY  direct  target -> owner: a Mobility Header copy (mip6.c)
 *   BIND_INFO  direct  owner -> target: a connection's binding (mip6.c)
 *   SYSPORTS   direct  target -> owner: SYSPLEXPORTS request / release, only
 *                      from a destination of the DVIPA (dist.c); owner ->
 *                      target: the grant, only from the DVIPA's owner (tgt.c)
 * Every stack re-advertises every STACK_ADV_MS (stack.c), so a lost message
 * is repaired within a second; connection reports are incremental, checked
 * by the digest every STACK_ADV_MS, and sent in full when the digests differ
 * and whenever the owner of a DVIPA changes.
 *
 * Level 7 of tcpip-stack/ (stack.h): calls own.c, dist.c, mip6.c and tgt.c.
 */
#include "tcpip-stack/stack.h"

#include <string.h>

static void
join_cb(struct xcf *x, const struct xcf_member_info *m, void *arg)
{
	struct stack *s = arg;

	LIB_UNUSED(x);
	log_info("EZD1176I %s HAS JOINED XCF GROUP %s (MEMBER %s)", m->sysname,
		 s->couple.group[0] ? s->couple.group : "EZBTCPCS", m->member);
	stack_own_on_join(s, m);
}

static void
leave_cb(struct xcf *x, const struct xcf_member_info *m, void *arg)
{
	struct stack *s = arg;
	int i;

	LIB_UNUSED(x);
	if (strcmp(m->member, s->member) == 0) {
		/* We left (LEAVEGROUP, shutdown) or SFM removed us. */
		log_info("EZD1177I %s HAS %s XCF GROUP %s", m->member,
			 m->state == XCF_PARTITIONED ? "BEEN PARTITIONED OUT OF" : "LEFT", "EZBTCPCS");
		stack_own_out(s);
		stack_tgt_stop_all(s);
		return;
	}
	/* While we are a member the others' departures are theirs; when we
	 * leave, xcf reports everybody as gone from our view (no message). */
	if (xcf_joined(s->xcf))
		log_info("EZD1177I %s HAS %s XCF GROUP %s", m->member,
			 m->state == XCF_FAILED ? "FAILED IN" :
			 m->state == XCF_PARTITIONED ? "BEEN PARTITIONED OUT OF" : "LEFT", "EZBTCPCS");
	stack_dist_target_left(s, m);
	stack_fast_sched_sync(s);	/* its slots go at once */
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
on_vipa_adv(struct stack *s, const struct xcf_member_info *from, const uint8_t *b, size_t len)
{
	struct wire_xcf_vipa_adv m;
	const char *why = NULL;

	if (wire_xcf_vipa_adv_decode(&m, b, len, &why) < 0)
		lib_verdict(&s->bus_verdicts, why ? why : "malformed VIPA_ADV");
	else
		stack_own_on_adv(s, from, &m);
}

static void
on_sync_req(struct stack *s, const struct xcf_member_info *from, const uint8_t *b, size_t len)
{
	struct wire_xcf_sync_req m;
	const char *why = NULL;

	int i;

	if (wire_xcf_sync_req_decode(&m, b, len, &why) < 0) {
		lib_verdict(&s->bus_verdicts, why ? why : "malformed SYNC_REQ");
		return;
	}
	/* Only a routing stack of a DVIPA we are a target of asks. */
	for (i = 0; i < s->ndv; i++)
		if (s->dv[i].target && stack_dvipa_is_owner(s, &s->dv[i], from->member))
			break;
	if (i == s->ndv)
		lib_verdict(&s->bus_verdicts, "SYNC_REQ from a stack that owns no DVIPA we serve");
	else
		stack_tgt_on_sync(s, m.dvipa);
}

static void
on_sysports(struct stack *s, const struct xcf_member_info *from, const uint8_t *b, size_t len)
{
	struct wire_xcf_sysports m;
	const char *why = NULL;

	if (wire_xcf_sysports_decode(&m, b, len, &why) < 0)
		lib_verdict(&s->bus_verdicts, why ? why : "malformed SYSPORTS");
	else if (m.op == WIRE_SYSPORTS_GRANT)
		stack_tgt_on_sysports(s, from, &m);
	else
		stack_dist_on_sysports(s, from, &m);
}

/* Which file handles which message, and how it must come: published to
 * the group (1) or directed to us (0). */
static const struct {
	uint8_t type;
	uint8_t group;
	void (*fn)(struct stack *s, const struct xcf_member_info *from, const uint8_t *b,
		   size_t len);
} handlers[] = {
	{ WIRE_XCF_VIPA_ADV, 1, on_vipa_adv },
	{ WIRE_XCF_DIST_ADV, 1, stack_dist_on_adv },
	{ WIRE_XCF_TGT_LISTEN, 0, stack_dist_on_listen },
	{ WIRE_XCF_TGT_CONN, 0, stack_dist_on_conn },
	{ WIRE_XCF_MIP6_COPY, 0, stack_mip6_on_copy },
	{ WIRE_XCF_BIND_INFO, 0, stack_mip6_on_bind_info },
	{ WIRE_XCF_TGT_SYNC_REQ, 0, on_sync_req },
	{ WIRE_XCF_SYSPORTS, 0, on_sysports },
	{ WIRE_XCF_TGT_DIGEST, 0, stack_dist_on_digest },
};

void
stack_group_deliver(struct stack *s, const struct xcf_member_info *from, uint8_t type,
		    const uint8_t *body, size_t len, int group)
{
	size_t i;

	stack_own_guard(s);	/* some of these make us act as the owner */
	/* The connections whose SYN our program routed are in the VCRT before
	 * a target's report of one is taken. */
	stack_fast_syn_drain(s);
	for (i = 0; i < LIB_ARRAY_LEN(handlers); i++) {
		if (handlers[i].type != type)
			continue;
		if (handlers[i].group != !!group)
			lib_verdict(&s->bus_verdicts, group ? "directed XCF message published to the group"
							    : "group XCF message sent directed");
		else
			handlers[i].fn(s, from, body, len);
		/* Targets, their readiness, weights, quiesce, a binding: the
		 * program's schedules follow at once. */
		stack_fast_sched_sync(s);
		return;
	}
	lib_verdict(&s->bus_verdicts, "unhandled XCF message type");
}

static void
msg_cb(struct xcf *x, const struct xcf_member_info *from, uint8_t type, const uint8_t *body,
       size_t len, int group, void *arg)
{
	LIB_UNUSED(x);
	stack_group_deliver(arg, from, type, body, len, group);
}

const struct xcf_cbs stack_group_cbs = { join_cb, leave_cb, msg_cb, sfm_cb };
