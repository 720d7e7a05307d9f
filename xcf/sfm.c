/*
 * sfm.c - Sysplex Failure Management: a member's side of the couple data set
 * (CDS, cds.c), its lease, and the removal of failed or cut-off systems.
 *
 * Every INTERVAL a member sends its CDS server one request (never more than
 * one in flight; the packet loop never waits for it):
 *   BEAT      as a member: beat+1 in our slot, unless the slot is no longer
 *             ours (a poison pill, a newer incarnation, LEFT); every slot back
 *   REGISTER  joining: our new incarnation into our slot (ACTIVE)
 *   READ      otherwise: every slot
 *   PILL      first, when SFM decided to remove somebody (below)
 * Each answer is a snapshot of every slot.  For each slot we remember when we
 * first saw its current (incarnation, beat): seen_ms.  The write that
 * produced that value started before seen_ms (we read it after it
 * committed).
 *
 * The lease.  A BEAT that succeeds renews our lease until t0 + LEASE, t0
 * being lib_now_ms() before the request was sent (CLOCK_MONOTONIC: it keeps
 * running while the process is stopped).  xcf_lease_ok() is the test every
 * owner action makes first (forwarding, answering neighbour solicitations
 * for a DVIPA, reporting it ACTIVE); it is a clock read and a compare, so a
 * stack resumed after SIGSTOP fails it in the very first I/O callback, before
 * any timer runs.  A member whose lease lapsed is told (sfm_cb) and owns
 * nothing; when its BEATs fail for another LEASE it cannot reach the CDS and
 * stops being a member (silent: it stops heartbeating), to rejoin later.
 *
 * Doubt.  A system is "in doubt" when the CDS has it in the sysplex (slot
 * ACTIVE) but we do not hear its XCF heartbeats, or when SFM removed it
 * (slot PARTITIONED) less than LEASE + MARGIN after we first saw its last
 * beat (it may still think it owns something).  While anybody is in doubt,
 * nobody takes over anything (xcf_settled).  MARGIN = LEASE/8 covers clock
 * rate differences between hosts (none here: one kernel, one clock).
 *
 * Removal (only by a member whose own lease is valid):
 *   - stale: in doubt and its beat unchanged for ISOLATE = LEASE + MARGIN
 *     since seen_ms: it is dead, hung, or cut off from the CDS.  PILL it with
 *     expect_beat = that beat (if it beat meanwhile, the pill is refused).
 *   - partition: in doubt but still beating (it reaches the CDS, not us).
 *     Once the doubt has lasted FAILURE + INTERVAL and our XCF view has been
 *     stable for FAILURE, the SFM policy compares the weights of our side
 *     (us and the members we hear) and theirs (those in doubt and beating);
 *     the heavier side wins, a tie goes to the side of the first system in
 *     the couple config (xcf_sfm_side_wins).  The winning side PILLs the
 *     others; the losing side waits to be pilled.
 *   A PILL is one transaction that marks the victim PARTITIONED only if our
 *   own slot is still ACTIVE with our incarnation: of two systems, the first
 *   to pill wins and the other can no longer pill anybody, so two sides can
 *   never remove each other.  IXC101I is logged when we ask for a removal,
 *   IXC105I when it is complete (LEASE + MARGIN after its last beat seen).
 *
 * Why at most one owner: an owner must hold a lease, i.e. have had a BEAT
 * succeed less than LEASE ago.  A BEAT succeeds only while the slot is ACTIVE
 * with its incarnation.  Taking over from a system X requires X out of doubt:
 * either X is XCF-active (then its own advertisements rule ownership, as
 * before) or X's slot is no longer ACTIVE.  Pilled: X's last successful beat
 * is the one before the pill (the pill transaction checks and keeps the
 * beat), it started before we first saw it (seen_ms), so X's lease ended by
 * seen_ms + LEASE < the end of X's doubt.  LEFT: X wrote it after it stopped
 * owning.  A newer incarnation in the slot: the old process is gone (one
 * stack per system).  None of this depends on how fast anybody runs: a slow
 * or stopped member only loses its lease earlier than it would have to.
 *
 * Joining.  A member joins (REGISTER, then XCF heartbeats and join_cb) only
 * when every other slot that is ACTIVE and still beating is a system we
 * hear: a system that was partitioned out rejoins when the partition heals,
 * instead of being pilled again and again.  A removed member (pill read in
 * its BEAT, or the CDS unreachable) gives everything up through the
 * callbacks (leave_cb for the others and itself, state XCF_PARTITIONED) and
 * rejoins as a new incarnation by this rule.
 */
#include "xcf/internal.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define SFM_RECONNECT_MS 1000		/* back-off after the CDS server went away */
#define SFM_LEAVE_WAIT_MS 300		/* the synchronous LEFT write in xcf_leave */

static void cds_timer_cb(uv_timer_t *t);
static void send_next(struct xcf *x, uint64_t now);

int
xcf_sfm_side_wins(unsigned our_weight, unsigned their_weight, int first_is_ours)
{
	if (our_weight != their_weight)
		return our_weight > their_weight;
	return first_is_ours != 0;
}

static struct xcf_peer *
peer_of(struct xcf *x, const char *sysname)
{
	int i;

	for (i = 0; i < x->couple.n; i++)
		if (strcmp(x->couple.m[i].sysname, sysname) == 0)
			return &x->m[i];
	return NULL;
}

static const char *
self_sys(const struct xcf *x)
{
	return x->couple.m[x->self].sysname;
}

static void
notify(struct xcf *x)
{
	if (x->cbs.sfm_cb)
		x->cbs.sfm_cb(x, x->arg);
}

/* Records a CDS problem; each new kind is logged once. */
static void
cds_error(struct xcf *x, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void
cds_error(struct xcf *x, const char *fmt, ...)
{
	char msg[sizeof(x->cds_error)];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	x->last_failed = 1;
	if (strcmp(msg, x->cds_error) != 0 || !x->error_logged) {
		log_warnx("IXC253I COUPLE DATA SET %s IS NOT ACCESSIBLE FROM %s: %s", x->couple.cds,
			  self_sys(x), msg);
		x->error_logged = 1;
	}
	lib_strlcpy(x->cds_error, msg, sizeof(x->cds_error));
}

static void
cds_ok(struct xcf *x)
{
	x->last_failed = 0;
	if (x->cds_error[0]) {
		log_info("IXC254I COUPLE DATA SET %s IS ACCESSIBLE FROM %s AGAIN", x->couple.cds,
			 self_sys(x));
		x->cds_error[0] = '\0';
		x->error_logged = 0;
	}
}

/* ---- doubt ------------------------------------------------------------------------ */

/* Do we hear peer i's XCF heartbeats under the slot's incarnation (or a
 * newer one the CDS snapshot has not caught up with)? */
static int
visible(const struct xcf_peer *p)
{
	return p->info.state == XCF_ACTIVE && p->info.incarnation >= p->sfm.slot.incarnation;
}

int
xcf_sfm_in_doubt(const struct xcf *x, int i, uint64_t now)
{
	const struct xcf_peer *p = &x->m[i];

	if (!x->has_cds || i == x->self || !p->sfm.have_slot)
		return 0;
	switch (p->sfm.slot.state) {
	case XCF_SLOT_ACTIVE:
		return !visible(p);
	case XCF_SLOT_PARTITIONED:
		if (p->info.state == XCF_ACTIVE && p->info.incarnation > p->sfm.slot.incarnation)
			return 0;
		return now < p->sfm.seen_ms + x->couple.lease_ms + x->margin_ms;
	default:
		return 0;
	}
}

int
xcf_settled(const struct xcf *x)
{
	uint64_t now = lib_now_ms();
	int i;

	for (i = 0; i < x->couple.n; i++)
		if (xcf_sfm_in_doubt(x, i, now))
			return 0;
	return 1;
}

int
xcf_lease_ok(const struct xcf *x)
{
	if (!x || !x->joined)
		return 0;
	return !x->has_cds || lib_now_ms() < x->lease_until;
}

uint64_t
xcf_lease_left_ms(const struct xcf *x)
{
	uint64_t now = lib_now_ms();

	if (!x->joined)
		return 0;
	if (!x->has_cds)
		return UINT64_MAX;
	return x->lease_until > now ? x->lease_until - now : 0;
}

/* ---- the connection to the CDS server ---------------------------------------------- */

static void
cds_poll_close_cb(uv_handle_t *h)
{
	struct xcf_poll *xp = h->data;
	struct xcf *x = xp->x;

	free(xp);
	if (--x->handles == 0 && x->destroyed)
		free(x);
}

static void
cds_disconnect(struct xcf *x)
{
	if (x->cds_poll) {
		uv_poll_stop(&x->cds_poll->h);
		uv_close((uv_handle_t *)&x->cds_poll->h, cds_poll_close_cb);
		x->cds_poll = NULL;
	}
	if (x->cds_fd >= 0)
		close(x->cds_fd);
	x->cds_fd = -1;
	x->outstanding = 0;
	x->cds_next_connect_ms = lib_now_ms() + SFM_RECONNECT_MS;
}

static void on_reply(struct xcf *x, struct cds_rep *r);

/* Reads and handles every answer the CDS server has sent. */
static void
cds_drain(struct xcf *x)
{
	unsigned gen = x->gen;

	while (x->cds_fd >= 0 && !x->destroyed) {
		ssize_t n = recv(x->cds_fd, &x->rep, sizeof(x->rep), MSG_DONTWAIT);
		int i;

		if (n < 0 && (errno == EAGAIN || errno == EINTR))
			return;
		if (n <= 0) {
			cds_error(x, "the CDS server went away%s%s", n < 0 ? ": " : "",
				  n < 0 ? strerror(errno) : "");
			cds_disconnect(x);
			return;
		}
		if ((size_t)n != sizeof(x->rep) || x->rep.magic != CDS_MAGIC || x->rep.n < 0 ||
		    x->rep.n > XCF_MAX_MEMBERS) {
			lib_verdict(&x->verdicts, "malformed answer from the CDS server");
			continue;
		}
		if (!x->outstanding || x->rep.seq != x->req.seq || x->rep.op != x->req.op)
			continue;	/* the answer to a request we gave up on */
		x->outstanding = 0;
		x->rep.err[sizeof(x->rep.err) - 1] = '\0';
		for (i = 0; i < x->rep.n; i++) {
			struct xcf_slot *s = &x->rep.slot[i];

			s->sysname[sizeof(s->sysname) - 1] = '\0';
			s->member[sizeof(s->member) - 1] = '\0';
			s->pill_by[sizeof(s->pill_by) - 1] = '\0';
			s->reason[sizeof(s->reason) - 1] = '\0';
		}
		if (x->fault) {
			/* cds-loss was injected after the request went out. */
			cds_error(x, "not reachable (fault injected: sysplex cds-loss)");
			continue;
		}
		on_reply(x, &x->rep);
		if (x->gen != gen && x->destroyed)
			return;
		/* Removals go out at once; status updates wait for the timer. */
		if (!x->outstanding && x->cds_fd >= 0 && ((x->npills && x->joined) ||
							 x->pending_leave_inc))
			send_next(x, lib_now_ms());
	}
}

static void
cds_poll_cb(uv_poll_t *h, int status, int events)
{
	struct xcf *x = ((struct xcf_poll *)h->data)->x;

	LIB_UNUSED(events);
	if (status < 0) {
		cds_error(x, "the CDS server connection failed: %s", uv_strerror(status));
		cds_disconnect(x);
		return;
	}
	cds_drain(x);
}

static int
cds_connect(struct xcf *x)
{
	struct xcf_poll *xp;
	int fd = x->cds_connect(x->cds_arg), rc;

	if (fd < 0) {
		cds_error(x, "cannot start the CDS server: %s", strerror(-fd));
		x->cds_next_connect_ms = lib_now_ms() + SFM_RECONNECT_MS;
		return -1;
	}
	if (fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK) < 0 ||
	    !(xp = calloc(1, sizeof(*xp)))) {
		close(fd);
		cds_error(x, "cannot set up the CDS server connection");
		x->cds_next_connect_ms = lib_now_ms() + SFM_RECONNECT_MS;
		return -1;
	}
	xp->x = x;
	if ((rc = uv_poll_init(x->loop, &xp->h, fd)) < 0) {
		free(xp);
		close(fd);
		cds_error(x, "cannot watch the CDS server connection: %s", uv_strerror(rc));
		x->cds_next_connect_ms = lib_now_ms() + SFM_RECONNECT_MS;
		return -1;
	}
	xp->h.data = xp;
	x->handles++;
	x->cds_poll = xp;
	x->cds_fd = fd;
	uv_poll_start(&xp->h, UV_READABLE, cds_poll_cb);
	return 0;
}

static void
cds_send(struct xcf *x, uint32_t op, uint64_t now)
{
	x->req.magic = CDS_MAGIC;
	x->req.op = op;
	x->req.seq = ++x->req_seq;
	lib_strlcpy(x->req.sys, self_sys(x), sizeof(x->req.sys));
	x->req_sent_ms = now;
	if (send(x->cds_fd, &x->req, sizeof(x->req), MSG_DONTWAIT | MSG_NOSIGNAL) !=
	    (ssize_t)sizeof(x->req)) {
		cds_error(x, "cannot send to the CDS server: %s", strerror(errno));
		cds_disconnect(x);
		return;
	}
	x->outstanding = 1;
}

/* ---- decisions ------------------------------------------------------------------- */

static void
queue_pill(struct xcf *x, int i, uint64_t expect, const char *reason)
{
	struct xcf_peer *p = &x->m[i];
	struct xcf_pill *q;
	int k;

	for (k = 0; k < x->npills; k++)
		if (x->pills[k].idx == i && x->pills[k].inc == p->sfm.slot.incarnation)
			return;
	if (x->npills == XCF_MAX_PILLS)
		return;
	q = &x->pills[x->npills++];
	q->idx = i;
	q->inc = p->sfm.slot.incarnation;
	q->expect_beat = expect;
	lib_strlcpy(q->reason, reason, sizeof(q->reason));
}

/* Is everybody the CDS shows alive and beating somebody we hear? */
static int
join_ready(struct xcf *x, uint64_t now)
{
	int i;

	if (!x->read_ms || now - x->read_ms > x->couple.fail_ms)
		return 0;
	for (i = 0; i < x->couple.n; i++) {
		struct xcf_peer *p = &x->m[i];

		if (i == x->self || !p->sfm.have_slot || p->sfm.slot.state != XCF_SLOT_ACTIVE)
			continue;
		if (visible(p) || now - p->sfm.seen_ms >= x->isolate_ms)
			continue;
		if (!x->join_wait_ms)
			x->join_wait_ms = now;
		if (!x->waiting_logged && now - x->join_wait_ms >= x->couple.fail_ms) {
			log_info("IXC418I %s WAITS TO JOIN SYSPLEX %s: NO XCF SIGNALS FROM %s, WHICH "
				 "IS ACTIVE IN THE COUPLE DATA SET", self_sys(x), x->couple.sysplex,
				 p->cm->sysname);
			x->waiting_logged = 1;
		}
		return 0;
	}
	return 1;
}

/*
 * Runs after every snapshot and every INTERVAL: completes removals, tracks
 * doubt, decides removals.  Calls sfm_cb when a removal completed.
 */
static void
evaluate(struct xcf *x, uint64_t now)
{
	unsigned ours = x->couple.m[x->self].weight, theirs = 0;
	int fresh[XCF_MAX_MEMBERS], nfresh = 0, ripe = 1, first = -1, first_ours = 0;
	int i, changed = 0, member = xcf_lease_ok(x);
	unsigned gen = x->gen;

	if (x->m[x->self].sfm.have_slot)
		ours = x->m[x->self].sfm.slot.weight;
	first = x->self;
	first_ours = 1;
	for (i = 0; i < x->couple.n; i++) {
		struct xcf_peer *p = &x->m[i];
		const struct xcf_slot *s = &p->sfm.slot;

		if (i == x->self || !p->sfm.have_slot)
			continue;
		/* The CDS says it is out while we still hear it: it does not
		 * know yet.  It leaves our view now; its beats are ignored. */
		if ((s->state == XCF_SLOT_PARTITIONED || s->state == XCF_SLOT_LEFT) &&
		    p->info.state == XCF_ACTIVE && p->info.incarnation <= s->incarnation) {
			if (s->state == XCF_SLOT_PARTITIONED)
				p->sfm.dead_inc = s->incarnation;
			else
				p->left_inc = s->incarnation;
			xcf_peer_down(x, p, s->state == XCF_SLOT_PARTITIONED ? XCF_PARTITIONED :
				      XCF_LEFT);
			if (x->gen != gen)
				return;
		}
		if (s->state == XCF_SLOT_PARTITIONED && p->info.state != XCF_ACTIVE &&
		    p->info.state != XCF_PARTITIONED && p->info.incarnation <= s->incarnation)
			p->info.state = XCF_PARTITIONED;
		if (s->state == XCF_SLOT_PARTITIONED && p->sfm.removed_inc != s->incarnation &&
		    !xcf_sfm_in_doubt(x, i, now)) {
			log_info("IXC105I SYSPLEX PARTITIONING HAS COMPLETED FOR %s - PRIMARY REASON: "
				 "%s (BY %s)", p->cm->sysname, s->reason, s->pill_by);
			p->sfm.removed_inc = s->incarnation;
			changed = 1;
		}
		if (s->state != XCF_SLOT_ACTIVE || visible(p)) {
			p->sfm.doubt_since_ms = 0;
			if (s->state == XCF_SLOT_ACTIVE && i < first) {
				first = i;
				first_ours = 1;
			}
			if (s->state == XCF_SLOT_ACTIVE)
				ours += s->weight;
			continue;
		}
		/* In doubt: ACTIVE in the CDS, not heard. */
		if (!p->sfm.doubt_since_ms || p->sfm.doubt_inc != s->incarnation) {
			p->sfm.doubt_since_ms = now;
			p->sfm.doubt_inc = s->incarnation;
		}
		if (now - p->sfm.seen_ms >= x->isolate_ms) {
			if (member)
				queue_pill(x, i, s->beat, "STATUS UPDATE MISSING");
			continue;
		}
		theirs += s->weight;
		fresh[nfresh++] = i;
		if (i < first) {
			first = i;
			first_ours = 0;
		}
		if (now - p->sfm.doubt_since_ms < x->couple.fail_ms + x->couple.hb_ms)
			ripe = 0;
	}
	if (member && nfresh && ripe && now - x->view_changed_ms >= x->couple.fail_ms) {
		if (xcf_sfm_side_wins(ours, theirs, first_ours)) {
			for (i = 0; i < nfresh; i++)
				queue_pill(x, fresh[i], XCF_CDS_ANY_BEAT, "XCF SIGNALLING LOST (SFM WEIGHT)");
		} else {
			struct xcf_peer *p = &x->m[fresh[0]];

			if (p->sfm.waiting_logged_inc != p->sfm.slot.incarnation) {
				log_info("IXC102A XCF SIGNALLING WITH %s LOST: ITS SIDE OF THE SYSPLEX "
					 "(WEIGHT %u) PREVAILS OVER OURS (WEIGHT %u); %s AWAITS REMOVAL",
					 p->cm->sysname, theirs, ours, self_sys(x));
				p->sfm.waiting_logged_inc = p->sfm.slot.incarnation;
			}
		}
	}
	/* Nobody in doubt any more: the application may take over now. */
	if (xcf_settled(x) != x->settled_last) {
		x->settled_last = !x->settled_last;
		changed |= x->settled_last;
	}
	if (changed)
		notify(x);
}

/* We are out of the sysplex: removed by SFM, or cut off from the CDS. */
static void
go_out(struct xcf *x, const char *why)
{
	x->lease_until = 0;
	x->npills = 0;
	log_warnx("IXC105I %s IS NO LONGER ACTIVE IN SYSPLEX %s: %s; IT GIVES EVERYTHING UP AND "
		  "REJOINS AS A NEW INCARNATION", self_sys(x), x->couple.sysplex, why);
	xcf_stop_member(x, XCF_PARTITIONED);
	if (x->destroyed)
		return;
	x->self_state = XCF_JOINING;
	x->m[x->self].info.state = XCF_JOINING;
	x->join_inc = 0;
	x->waiting_logged = 0;
	x->join_wait_ms = 0;
}

/* The couple data set must list the key the couple config gives a member:
 * while they differ, that member's connections are refused (the ZAP handler,
 * and every frame of a connection admitted before).  Logged at each change. */
static void
check_key(struct xcf *x, struct xcf_peer *p, const struct xcf_slot *s)
{
	int mismatch = strcmp(s->key, p->cm->key) != 0;

	if (mismatch == p->key_mismatch)
		return;
	p->key_mismatch = mismatch;
	if (mismatch)
		log_warnx("IXC255I UNABLE TO USE THE KEY OF %s: THE COUPLE DATA SET %s LISTS %s, "
			  "THE COUPLE CONFIG %s; %s", p->info.sysname, x->couple.cds,
			  s->key[0] ? s->key : "NONE", p->cm->key,
			  p == &x->m[x->self] ? "THE OTHER MEMBERS REFUSE US" :
			  "ITS CONNECTIONS ARE REFUSED");
	else
		log_info("IXC256I THE KEY OF %s IN THE COUPLE DATA SET %s AGREES WITH THE COUPLE "
			 "CONFIG AGAIN", p->info.sysname, x->couple.cds);
}

static void
absorb(struct xcf *x, const struct cds_rep *r, uint64_t now)
{
	int i, have_self = 0;

	for (i = 0; i < r->n; i++) {
		const struct xcf_slot *s = &r->slot[i];
		struct xcf_peer *p = peer_of(x, s->sysname);

		if (!p) {
			lib_verdict(&x->verdicts, "CDS slot of a system not in the couple config");
			continue;
		}
		if (p == &x->m[x->self])
			have_self = 1;
		check_key(x, p, s);
		if (!p->sfm.have_slot || s->incarnation != p->sfm.seen_inc ||
		    s->beat != p->sfm.seen_beat) {
			p->sfm.seen_inc = s->incarnation;
			p->sfm.seen_beat = s->beat;
			p->sfm.seen_ms = now;
		}
		p->sfm.slot = *s;
		p->sfm.have_slot = 1;
	}
	x->nslot = r->n;
	x->read_ms = now;
	if (!have_self)
		cds_error(x, "%s has no slot in this couple data set (formatted for another "
			  "sysplex?)", self_sys(x));
}

static void
on_reply(struct xcf *x, struct cds_rep *r)
{
	uint64_t now = lib_now_ms();
	struct xcf_peer *me = &x->m[x->self];
	char why[160];

	if (r->op == CDS_OP_PILL) {
		struct xcf_pill q = x->pills[0];

		if (x->npills > 0)
			memmove(x->pills, x->pills + 1, sizeof(x->pills[0]) * (size_t)--x->npills);
		if (r->rc == 0) {
			cds_ok(x);
			log_info("IXC101I SYSPLEX PARTITIONING IN PROGRESS FOR %s REQUESTED BY %s. "
				 "REASON: %s (POISON PILL IN ITS COUPLE DATA SET SLOT, LAST BEAT %llu)",
				 x->m[q.idx].cm->sysname, self_sys(x), q.reason,
				 (unsigned long long)r->beat);
		} else if (r->rc == -ESTALE || r->rc == -EPERM) {
			cds_ok(x);	/* somebody else was first, or we are out */
		} else {
			cds_error(x, "%s", r->err);
			evaluate(x, now);
			return;
		}
		absorb(x, r, now);
		evaluate(x, now);
		return;
	}
	if (r->rc < 0) {
		cds_error(x, "%s", r->err[0] ? r->err : strerror(-r->rc));
		return;
	}
	cds_ok(x);
	absorb(x, r, now);
	switch (r->op) {
	case CDS_OP_BEAT:
		if (!x->joined)
			break;
		if (r->rc == XCF_CDS_OUT) {
			const struct xcf_slot *s = &me->sfm.slot;

			if (s->state == XCF_SLOT_PARTITIONED && s->incarnation == x->incarnation)
				snprintf(why, sizeof(why), "PARTITIONED OUT BY %s: %s", s->pill_by,
					 s->reason);
			else
				snprintf(why, sizeof(why), "ITS COUPLE DATA SET SLOT IS %s UNDER ANOTHER "
					 "INCARNATION", xcf_slot_state_name(s->state));
			go_out(x, why);
			return;
		}
		if (x->lease_until && now >= x->lease_until)
			x->lapses++;	/* renewed only after it had run out */
		x->lease_until = x->req_sent_ms + x->couple.lease_ms;
		if (now - x->req_sent_ms > x->beat_ms_max)
			x->beat_ms_max = now - x->req_sent_ms;
		if (x->lease_lapsed && now < x->lease_until) {
			x->lease_lapsed = 0;
			log_info("IXC467I %s RENEWED ITS LEASE ON THE COUPLE DATA SET", self_sys(x));
			notify(x);
		}
		break;
	case CDS_OP_REGISTER:
		if (r->rc == XCF_CDS_OUT) {
			/* Nothing written: that incarnation was partitioned out (a
			 * register of ours whose answer was lost, then a pill) or
			 * the slot holds a newer one.  Register a new one. */
			const struct xcf_slot *s = &me->sfm.slot;

			if (x->self_state == XCF_JOINING && x->req.inc == x->join_inc) {
				log_info("IXC418I %s WAITS TO JOIN SYSPLEX %s: ITS COUPLE DATA SET "
					 "SLOT IS %s UNDER INCARNATION %llu; IT REGISTERS A NEW ONE",
					 self_sys(x), x->couple.sysplex,
					 xcf_slot_state_name(s->state),
					 (unsigned long long)s->incarnation);
				x->join_inc = xcf_new_incarnation(s->incarnation > x->join_inc ?
								   s->incarnation : x->join_inc);
			}
			break;
		}
		if (x->self_state != XCF_JOINING || x->req.inc != x->join_inc) {
			/* xcf_leave came while we registered: take it back. */
			x->pending_leave_inc = x->req.inc;
			break;
		}
		x->incarnation = x->join_inc;
		x->join_inc = 0;
		x->waiting_logged = 0;
		x->join_wait_ms = 0;
		x->lease_until = x->req_sent_ms + x->couple.lease_ms;
		x->lease_lapsed = 0;
		x->view_changed_ms = now;
		log_info("IXC418I SYSTEM %s IS NOW ACTIVE IN SYSPLEX %s (INCARNATION %llu)",
			 self_sys(x), x->couple.sysplex, (unsigned long long)x->incarnation);
		xcf_become_member(x);
		if (x->destroyed)
			return;
		break;
	case CDS_OP_LEAVE:
		x->pending_leave_inc = 0;
		break;
	default:
		break;
	}
	evaluate(x, now);
}

static void
send_next(struct xcf *x, uint64_t now)
{
	if (x->outstanding || !x->bus)
		return;
	if (x->fault) {
		cds_error(x, "not reachable (fault injected: sysplex cds-loss)");
		return;
	}
	if (x->cds_fd < 0)
		return;
	memset(&x->req, 0, sizeof(x->req));
	if (x->npills && x->joined) {
		const struct xcf_pill *q = &x->pills[0];

		x->req.inc = x->incarnation;
		lib_strlcpy(x->req.victim, x->couple.m[q->idx].sysname, sizeof(x->req.victim));
		x->req.victim_inc = q->inc;
		x->req.expect_beat = q->expect_beat;
		lib_strlcpy(x->req.reason, q->reason, sizeof(x->req.reason));
		cds_send(x, CDS_OP_PILL, now);
		return;
	}
	x->npills = 0;
	if (x->pending_leave_inc) {
		x->req.inc = x->pending_leave_inc;
		cds_send(x, CDS_OP_LEAVE, now);
		return;
	}
	if (x->joined) {
		x->req.inc = x->incarnation;
		cds_send(x, CDS_OP_BEAT, now);
		return;
	}
	if (x->self_state == XCF_JOINING && join_ready(x, now)) {
		if (!x->join_inc)
			x->join_inc = xcf_new_incarnation(x->incarnation);
		x->req.inc = x->join_inc;
		cds_send(x, CDS_OP_REGISTER, now);
		return;
	}
	cds_send(x, CDS_OP_READ, now);
}

static void
cds_timer_cb(uv_timer_t *t)
{
	struct xcf *x = t->data;
	uint64_t now;
	unsigned gen;

	if (!x->bus || x->destroyed)
		return;
	/* An answer may be waiting that the loop has not read yet (after
	 * SIGCONT a due timer can run before the I/O callbacks): read it first,
	 * so that a stopped stack learns what the data set says (a pill) rather
	 * than taking its own stop for a server that does not answer. */
	cds_drain(x);
	if (x->destroyed || !x->bus)
		return;
	now = lib_now_ms();
	gen = x->gen;
	if (x->joined && now >= x->lease_until && !x->lease_lapsed) {
		x->lease_lapsed = 1;
		log_warnx("IXC467I THE LEASE OF %s ON THE COUPLE DATA SET EXPIRED %llu MS AGO: IT "
			  "OWNS NOTHING UNTIL A STATUS UPDATE SUCCEEDS", self_sys(x),
			  (unsigned long long)(now - x->lease_until));
		notify(x);
		if (x->gen != gen)
			return;
	}
	if (x->joined && x->last_failed && now >= x->lease_until + x->couple.lease_ms) {
		go_out(x, "ITS COUPLE DATA SET IS NOT REACHABLE");
		if (x->destroyed)
			return;
	}
	if (x->outstanding && now - x->req_sent_ms > x->couple.lease_ms) {
		cds_error(x, "no answer from the CDS server in %u ms", x->couple.lease_ms);
		cds_disconnect(x);
	}
	if (x->cds_fd < 0 && !x->fault && now >= x->cds_next_connect_ms)
		cds_connect(x);
	send_next(x, now);
	evaluate(x, now);
}

/* ---- life cycle ---------------------------------------------------------------------- */

int
xcf_sfm_init(struct xcf *x, const struct xcf_config *cfg)
{
	x->cds_fd = -1;
	x->has_cds = x->couple.cds[0] != '\0';
	if (!x->has_cds)
		return 0;
	if (!cfg->cds_connect)
		return -EINVAL;
	x->cds_connect = cfg->cds_connect;
	x->cds_arg = cfg->cds_arg;
	if (!x->couple.lease_ms)
		x->couple.lease_ms = 400;
	x->margin_ms = x->couple.lease_ms / 8;
	if (x->margin_ms < 10)
		x->margin_ms = 10;
	x->isolate_ms = x->couple.lease_ms + x->margin_ms;
	return 0;
}

void
xcf_sfm_start(struct xcf *x)
{
	x->join_inc = 0;
	x->waiting_logged = 0;
	x->join_wait_ms = 0;
	if (!uv_is_active((uv_handle_t *)&x->cds_timer))
		uv_timer_start(&x->cds_timer, cds_timer_cb, 0, x->couple.hb_ms);
}

/* Waits (bounded) for the answer to request seq; 0 when it came. */
static int
wait_answer(struct xcf *x, uint64_t seq, uint64_t deadline)
{
	for (;;) {
		struct pollfd pfd = { x->cds_fd, POLLIN, 0 };
		uint64_t now = lib_now_ms();
		ssize_t n;

		if (now >= deadline)
			return -ETIMEDOUT;
		if (poll(&pfd, 1, (int)(deadline - now)) <= 0)
			continue;
		n = recv(x->cds_fd, &x->rep, sizeof(x->rep), MSG_DONTWAIT);
		if (n < 0 && (errno == EAGAIN || errno == EINTR))
			continue;
		if (n <= 0)
			return -EPIPE;
		if ((size_t)n == sizeof(x->rep) && x->rep.magic == CDS_MAGIC && x->rep.seq == seq)
			return 0;
	}
}

int
xcf_sfm_leave(struct xcf *x)
{
	uint64_t deadline = lib_now_ms() + SFM_LEAVE_WAIT_MS;
	int rc;

	/* From here on we own nothing, whatever the CDS says. */
	x->lease_until = 0;
	x->npills = 0;
	if (x->fault || x->cds_fd < 0) {
		log_warnx("IXC253I %s COULD NOT RECORD ITS LEAVE IN THE COUPLE DATA SET: NOT "
			  "REACHABLE; THE OTHERS WILL PARTITION IT OUT", self_sys(x));
		return -1;
	}
	/* An answer still to come is dropped by wait_answer (sequence). */
	memset(&x->req, 0, sizeof(x->req));
	x->req.inc = x->incarnation;
	cds_send(x, CDS_OP_LEAVE, lib_now_ms());
	if (x->cds_fd < 0)
		return -1;
	rc = wait_answer(x, x->req.seq, deadline);
	x->outstanding = 0;
	if (rc < 0 || x->rep.rc < 0) {
		log_warnx("IXC253I %s COULD NOT RECORD ITS LEAVE IN THE COUPLE DATA SET: %s",
			  self_sys(x), rc < 0 ? strerror(-rc) : x->rep.err);
		if (rc == -EPIPE)
			cds_disconnect(x);
		return -1;
	}
	x->m[x->self].sfm.slot.state = XCF_SLOT_LEFT;
	return 0;
}

void
xcf_sfm_destroy(struct xcf *x)
{
	if (x->has_cds)
		uv_timer_stop(&x->cds_timer);
	cds_disconnect(x);
}

int
xcf_cds_fault(struct xcf *x, int lost)
{
	if (!x->has_cds)
		return -ENODEV;
	if (lost && !x->fault)
		log_warnx("IXC253I FAULT INJECTED: THE COUPLE DATA SET IS NOT REACHABLE FROM %s",
			  self_sys(x));
	else if (!lost && x->fault)
		log_info("FAULT REMOVED: THE COUPLE DATA SET IS REACHABLE FROM %s AGAIN",
			 self_sys(x));
	x->fault = lost != 0;
	return 0;
}

int
xcf_cds_view(const struct xcf *x, struct xcf_cds_view *v)
{
	uint64_t now = lib_now_ms();
	int i;

	if (!x->has_cds)
		return -ENODEV;
	memset(v, 0, sizeof(*v));
	lib_strlcpy(v->path, x->couple.cds, sizeof(v->path));
	lib_strlcpy(v->sysplex, x->couple.sysplex, sizeof(v->sysplex));
	v->hb_ms = x->couple.hb_ms;
	v->fail_ms = x->couple.fail_ms;
	v->lease_ms = x->couple.lease_ms;
	v->isolate_ms = x->isolate_ms;
	v->reachable = !x->last_failed && x->read_ms;
	v->fault = x->fault;
	lib_strlcpy(v->error, x->cds_error, sizeof(v->error));
	v->read_age_ms = x->read_ms ? now - x->read_ms : 0;
	v->lease_left_ms = xcf_lease_left_ms(x);
	v->lapses = x->lapses;
	v->beat_ms_max = x->beat_ms_max;
	v->self_state = x->self_state;
	for (i = 0; i < x->couple.n; i++) {
		const struct xcf_peer *p = &x->m[i];

		if (!p->sfm.have_slot)
			continue;
		v->slot[v->n] = p->sfm.slot;
		v->unchanged_ms[v->n] = now - p->sfm.seen_ms;
		v->in_doubt[v->n] = xcf_sfm_in_doubt(x, i, now);
		v->n++;
	}
	return 0;
}
