/*
 * stack.c - start-up and shut-down of one stack: every file's state
 * (state.c), the network set-up, the SQLite store, the XCF member, the control
 * socket, the timers and signals; and the callbacks that drive the files
 * from the loop:
 *   poll timer  (STACK_POLL_MS)  target socket poll (without connection
 *                                events) or its periodic check, bypass
 *                                retries, ownership re-evaluation, the
 *                                kernel fast path's lease and DVIPA flags
 *   adv timer   (STACK_ADV_MS)   VIPA_ADV, DIST_ADV, the targets' listeners
 *                                and connection digests again (a lost
 *                                message is repaired within a second),
 *                                the kernel fast path's sweep,
 *                                expiry of unconfirmed VCRT entries and of
 *                                TIMEDAFFINITY
 *   connection events            tgt.c's own handles (ring buffer, lookups)
 *   neighbour solicitations      lease check, then ndp.c answers
 * Every callback that may lead to an owner action checks the lease first
 * (stack_own_guard).
 *
 * Level 9 of tcpip-stack/ (stack.h), the top but for main.c: calls every
 * other file.
 */
#include "tcpip-stack/stack.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* ---- timers and callbacks ----------------------------------------------------------- */

static void
adv_timer_cb(uv_timer_t *t)
{
	struct stack *s = t->data;
	int i;

	stack_own_guard(s);
	stack_own_publish(s);
	for (i = 0; i < s->ndv; i++)
		if (s->dv[i].owned && s->dv[i].has_dist)
			stack_dist_publish(s, &s->dv[i]);
	stack_tgt_report_digests(s);
	stack_fast_sweep(s);
	stack_dist_expire(s);
	stack_dist_tsr_tick(s);
	stack_dp_expire(s);
	stack_net_announce_tick(s);
}

static void
poll_timer_cb(uv_timer_t *t)
{
	stack_own_guard(t->data);
	stack_tgt_tick(t->data);
	stack_own_ranges(t->data);
	stack_mip6_tick(t->data);
	stack_own_evaluate(t->data);
	stack_fast_sync(t->data);
}

/* Neighbour solicitations wait: answering for a DVIPA is an owner action,
 * so the lease comes first. */
static void
ndp_readable_cb(uv_poll_t *h, int status, int events)
{
	struct stack *s = h->data;

	LIB_UNUSED(events);
	if (status < 0)
		return;
	stack_own_guard(s);
	stack_ndp_answer(s);
}

static void
signal_cb(uv_signal_t *sig, int signum)
{
	struct stack *s = sig->data;

	log_info("signal %d: leaving the sysplex group", signum);
	uv_stop(s->loop);
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
	return xcf_cds_spawn("/proc/self/exe", name, s->couple.cds, s->xcf_secret,
			     s->couple.cds_key);
}

/* ---- start-up --------------------------------------------------------------------------- */

int
stack_init(struct stack *s, uv_loop_t *loop)
{
	struct xcf_config xc;
	char path[300], err[512];
	int r;

	s->loop = loop;
	s->started_wall_ms = lib_wall_ms();
	if (stack_state_init(s) < 0)
		return -1;
	if (stack_net_setup(s) < 0)
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
		stack_dist_digest_rebuild(s);
	}

	memset(&xc, 0, sizeof(xc));
	xc.couple = &s->couple;
	xc.sysname = s->sysname;
	xc.tcpname = s->tcpname;
	xc.secret_key = s->xcf_secret;
	memcpy(xc.xcfaddr, s->xcfaddr, 16);
	memcpy(xc.xcfaddr4, s->xcfaddr4, 16);
	xc.cds_connect = stack_cds_connect;
	xc.cds_arg = s;
	s->xcf = xcf_new(loop, &xc, &stack_group_cbs, s);
	if (!s->xcf) {
		log_warnx("%s is not a member of the couple data set: %s", s->sysname,
			  strerror(errno));
		return -1;
	}
	if ((r = stack_ndp_start(s, ndp_readable_cb)) < 0) {
		log_warnx("neighbour discovery socket on %s: %s", s->lanif, strerror(-r));
		return -1;
	}
	if (stack_dp_start(s) < 0 || stack_fast_start(s) < 0 || stack_ctl_start(s) < 0 ||
	    stack_tgt_start(s) < 0)
		return -1;
	/* Join first, then process the VIPADYNAMIC block (as z/OS does): our
	 * DVIPAs are activated by own.c once we are a member and the group's
	 * advertisements are in (a backup may own a DVIPA we define: then we
	 * take it back).  The join callback for ourselves comes when the couple
	 * data set has registered us. */
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

/* ---- shut-down -------------------------------------------------------------------------- */

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
	stack_fast_stop(s);
	stack_dp_stop(s);
	stack_tgt_stop(s);
	vipa_store_close(&s->store);
	xcf_destroy(&s->xcf);
	stack_state_close(s);
	uv_walk(s->loop, close_walk_cb, NULL);
	uv_run(s->loop, UV_RUN_DEFAULT);
	stack_state_fini(s);
	stack_net_close(s);
}
