/*
 * test_stack_tgt.c - proves the decisions of event-driven connection
 * tracking in tcpip-stack/: the target applying the kernel's connection
 * events (tgt.c, stack_tgt_on_event) and the routing stack comparing a
 * target's digest with its own view (dist.c, stack_dist_on_digest).
 *
 * The daemon's files come from libstack.a; the bus and the clock are the
 * fakes of tests/unit/fake.h, and the XCF messages the stack sends are read
 * back from the fake bus and decoded with the real wire/ decoders.
 *  - Target: an ESTABLISHED event of a connection on a distributed port of
 *    a DVIPA we are a target of is reported to its owner (TGT_CONN, one
 *    EST record) at the flush and counted in the DVIPA's digest; the same
 *    event again, an ENDED of an unknown connection, events on another
 *    port or another address change nothing and send nothing; the ENDED
 *    reports the end and takes the digest back to empty; the periodic
 *    TGT_DIGEST carries the digest.  A report SYSPLEX$EVDROP suppresses is
 *    not sent but the connection is still counted (the digest tells the
 *    truth, which is how the owner notices).
 *  - Target: reports from the events go at once, unless one went less
 *    than STACK_TGT_HOLD_MS ago; then they are held until that time and go
 *    in one TGT_CONN (each message costs a wakeup of a ZeroMQ I/O thread
 *    on both sides and of the owner's loop: one per connection event was
 *    most of the target's and the owner's time per new connection); the
 *    digest sends held reports before it, so it covers what it counts.
 *  - Target: the owner's DIST_ADV, received every second, makes a full
 *    report only when it changed (or names a new owner): the decoded
 *    message is compared whole with the last one, and bytes the decoder
 *    does not write (past the ports and destinations it lists) used to be
 *    left as the stack held them, so every DIST_ADV looked new and every
 *    target sent a full report every second (a 33,000-connection report
 *    per target per second at 100,000 connections).
 *  - Routing stack: a digest equal to its own view of the target's
 *    established connections of the DVIPA asks for nothing; a different one
 *    asks that target (TGT_SYNC_REQ naming the DVIPA) for a full report,
 *    at most once per STACK_SYNC_HOLD_MS; its view follows the target's
 *    EST and END reports in O(1) each, and the full report that answers
 *    the request makes the digests equal again.  The same for an IPv4
 *    DVIPA, whose connections are the target's by its IPv4 DYNAMICXCF
 *    address (compared with its IPv6 one, every digest differed and the
 *    owner asked for a full report every STACK_SYNC_HOLD_MS).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "kdp/kdp.h"
#include "tests/unit/fake.h"

static struct stack st;
static const uint8_t A_XCF[16] = { 0xfd, 0, 0, 0x10, [15] = 1 };		/* fd00:10::1 */
static const uint8_t B_XCF[16] = { 0xfd, 0, 0, 0x10, [15] = 2 };		/* fd00:10::2 */
static const uint8_t CLIENT[16] = { 0xfd, 0, 0, 1, [14] = 1, [15] = 1 };	/* fd00:1::101 */
static const uint8_t DV[16] = { 0xfd, 0, 1, 0, [15] = 1 };			/* fd00:100::1 */
static const uint8_t OTHER[16] = { 0xfd, 0, 1, 0, [15] = 9 };
static const uint8_t DV4[16] = { [10] = 0xff, [11] = 0xff, 10, 100, 0, 1 };	/* 10.100.0.1 */
static const uint8_t B_XCF4[16] = { [10] = 0xff, [11] = 0xff, 10, 10, 0, 2 };	/* 10.10.0.2 */
/* The DVIPA of the owner-side tests: DV, or DV4 for the IPv4 ones. */
static const uint8_t *odv = DV;

static struct wire_xcf_tgt_conn conn_msg;

/* SYSB, a target of DV (port 8080) owned by SYSA. */
static int
setup_target(void **state)
{
	fake_bus_reset();
	fake_bus_member("SYSA", "TCPCS", A_XCF, XCF_ACTIVE, 1);
	fake_bus_member("SYSB", "TCPCS", B_XCF, XCF_ACTIVE, 1);
	fake_stack_init(&st, uv_default_loop(), "SYSB", B_XCF);
	st.ndv = 1;
	memcpy(st.dv[0].addr, DV, 16);
	st.dv[0].target = 1;
	st.dv[0].adv.nports = 1;
	st.dv[0].adv.ports[0] = 8080;
	lib_strlcpy(st.dv[0].owner, "SYSATCPCS", sizeof(st.dv[0].owner));
	/* SYSA's VIPA_ADV says ACTIVE: the stack takes its DIST_ADV. */
	st.dv[0].ncand = 1;
	lib_strlcpy(st.dv[0].cand[0].member, "SYSATCPCS", sizeof(st.dv[0].cand[0].member));
	st.dv[0].cand[0].status = WIRE_VIPA_ACTIVE;
	*state = &st;
	return 0;
}

static void
event(enum kdp_ev_type type, const uint8_t laddr[16], uint16_t lport, uint16_t rport)
{
	struct kdp_event ev;

	memset(&ev, 0, sizeof(ev));
	ev.type = type;
	memcpy(ev.laddr, laddr, 16);
	memcpy(ev.raddr, CLIENT, 16);
	ev.lport = lport;
	ev.rport = rport;
	stack_tgt_on_event(&st, &ev);
	stack_tgt_flush(&st);
}

/* The last TGT_CONN sent to SYSA, decoded. */
static const struct wire_xcf_tgt_conn *
last_conn(void)
{
	const struct fake_msg *m = fake_bus_last(1, WIRE_XCF_TGT_CONN);

	assert_non_null(m);
	assert_string_equal(m->member, "SYSATCPCS");
	assert_int_equal(wire_xcf_tgt_conn_decode(&conn_msg, m->body, m->len, NULL), 0);
	return &conn_msg;
}

static void
key(struct vipa_conn_key *k, uint16_t cport)
{
	memset(k, 0, sizeof(*k));
	memcpy(k->dvipa, odv, 16);
	memcpy(k->client, CLIENT, 16);
	k->dport = 8080;
	k->cport = cport;
}

static void
test_target_events(void **state)
{
	const struct wire_xcf_tgt_conn *m;
	struct wire_xcf_tgt_digest dg;
	struct vipa_digest want = { 0, 0 };
	struct vipa_conn_key k;
	const struct fake_msg *fm;

	(void)state;
	event(KDP_EV_ESTABLISHED, DV, 8080, 40001);
	assert_int_equal(fake_bus_count(1, WIRE_XCF_TGT_CONN), 1);
	m = last_conn();
	assert_int_equal(m->flags, 0);		/* incremental, not FULL */
	assert_int_equal(m->n, 1);
	assert_int_equal(m->c[0].event, WIRE_CONN_EST);
	assert_int_equal(m->c[0].cport, 40001);
	assert_memory_equal(m->c[0].client, CLIENT, 16);
	key(&k, 40001);
	vipa_digest_add(&want, &k);
	assert_true(vipa_digest_equal(&st.tgt.dg[0], &want));

	/* Idempotent, and only what we track. */
	event(KDP_EV_ESTABLISHED, DV, 8080, 40001);
	event(KDP_EV_ENDED, DV, 8080, 40002);
	event(KDP_EV_ESTABLISHED, DV, 9090, 40003);	/* not a distributed port */
	event(KDP_EV_ESTABLISHED, OTHER, 8080, 40004);	/* not our DVIPA */
	event(KDP_EV_LINGER, DV, 8080, 40001);		/* informational */
	assert_int_equal(fake_bus_count(1, WIRE_XCF_TGT_CONN), 1);
	assert_int_equal(vipa_vcrt_count(st.tgt.conns), 1);

	/* The digest goes to the owner. */
	stack_tgt_report_digests(&st);
	fm = fake_bus_last(1, WIRE_XCF_TGT_DIGEST);
	assert_non_null(fm);
	assert_string_equal(fm->member, "SYSATCPCS");
	assert_int_equal(wire_xcf_tgt_digest_decode(&dg, fm->body, fm->len, NULL), 0);
	assert_int_equal(dg.n, 1);
	assert_memory_equal(dg.d[0].dvipa, DV, 16);
	assert_int_equal(dg.d[0].count, 1);
	assert_true(dg.d[0].sum == want.sum);

	/* The end. */
	event(KDP_EV_ENDED, DV, 8080, 40001);
	assert_int_equal(fake_bus_count(1, WIRE_XCF_TGT_CONN), 2);
	m = last_conn();
	assert_int_equal(m->c[0].event, WIRE_CONN_END);
	assert_int_equal(vipa_vcrt_count(st.tgt.conns), 0);
	assert_int_equal(st.tgt.dg[0].count, 0);
	assert_true(st.tgt.dg[0].sum == 0);

	/* A lost report: not sent, still in the digest. */
	st.tgt.drop_reports = 1;
	event(KDP_EV_ESTABLISHED, DV, 8080, 40005);
	assert_int_equal(fake_bus_count(1, WIRE_XCF_TGT_CONN), 2);
	assert_int_equal(st.tgt.dropped_reports, 1);
	assert_int_equal(st.tgt.dg[0].count, 1);
	event(KDP_EV_ENDED, DV, 8080, 40005);
	assert_int_equal(fake_bus_count(1, WIRE_XCF_TGT_CONN), 3);

	/* Lost events ask for a dump. */
	event(KDP_EV_LOST, DV, 0, 0);
	assert_int_equal(st.tgt.resync, 1);
}

/* As ev_round (tgt.c) takes the events of one read of the ring. */
static int
event_held(enum kdp_ev_type type, uint16_t rport)
{
	struct kdp_event ev;

	memset(&ev, 0, sizeof(ev));
	ev.type = type;
	memcpy(ev.laddr, DV, 16);
	memcpy(ev.raddr, CLIENT, 16);
	ev.lport = 8080;
	ev.rport = rport;
	stack_tgt_on_event(&st, &ev);
	return stack_tgt_report(&st);
}

static void
test_target_hold(void **state)
{
	const struct wire_xcf_tgt_conn *m;

	(void)state;
	/* A lone connection is reported at once. */
	assert_int_equal(event_held(KDP_EV_ESTABLISHED, 40001), -1);
	assert_int_equal(fake_bus_count(1, WIRE_XCF_TGT_CONN), 1);
	/* Within STACK_TGT_HOLD_MS of it, reports wait... */
	fake_clock_advance(1);
	assert_int_equal(event_held(KDP_EV_ESTABLISHED, 40002), STACK_TGT_HOLD_MS - 1);
	assert_int_equal(event_held(KDP_EV_ENDED, 40001), STACK_TGT_HOLD_MS - 1);
	assert_int_equal(fake_bus_count(1, WIRE_XCF_TGT_CONN), 1);
	/* ...and go together when it is over. */
	fake_clock_advance(STACK_TGT_HOLD_MS - 1);
	assert_int_equal(stack_tgt_report(&st), -1);
	assert_int_equal(fake_bus_count(1, WIRE_XCF_TGT_CONN), 2);
	m = last_conn();
	assert_int_equal(m->n, 2);
	assert_int_equal(m->c[0].event, WIRE_CONN_EST);
	assert_int_equal(m->c[0].cport, 40002);
	assert_int_equal(m->c[1].event, WIRE_CONN_END);
	assert_int_equal(m->c[1].cport, 40001);
	assert_int_equal(st.tgt.sends, 2);
	/* Held when the digest goes: sent before it. */
	assert_int_equal(event_held(KDP_EV_ENDED, 40002), STACK_TGT_HOLD_MS);
	stack_tgt_report_digests(&st);
	assert_int_equal(fake_bus_count(1, WIRE_XCF_TGT_CONN), 3);
	assert_int_equal(last_conn()->c[0].cport, 40002);
	assert_int_equal(st.tgt.nev, 0);
	assert_int_equal(stack_tgt_report(&st), -1);
}

/* Leaves a pattern where the next call's locals will be. */
static void __attribute__((noinline))
dirty_stack(uint8_t v)
{
	volatile uint8_t junk[8192];
	size_t i;

	for (i = 0; i < sizeof(junk); i++)
		junk[i] = v;
}

static void
dist_adv(uint8_t junk)
{
	static struct wire_xcf_dist_adv m;
	static uint8_t buf[2048];
	ssize_t n;

	memset(&m, 0, sizeof(m));
	memcpy(m.dvipa, DV, 16);
	m.method = VIPA_DIST_ROUNDROBIN;
	m.nports = 1;
	m.ports[0] = 8080;
	n = wire_xcf_dist_adv_encode(&m, buf, sizeof(buf));
	assert_true(n > 0);
	dirty_stack(junk);
	stack_dist_on_adv(&st, fake_bus_member("SYSA", "TCPCS", A_XCF, XCF_ACTIVE, 1), buf, (size_t)n);
}

static void
test_dist_adv_repeat(void **state)
{
	uint64_t full;

	(void)state;
	st.dv[0].target = 0;
	st.dv[0].owner[0] = '\0';
	dist_adv(0x11);
	assert_int_equal(st.dv[0].target, 1);
	full = st.cnt.full_reports;
	assert_true(full >= 1);
	dist_adv(0x22);
	dist_adv(0x33);
	assert_int_equal(st.cnt.full_reports, full);
}

/* The decision itself, trigger by trigger. */
static void
test_full_needed(void **state)
{
	(void)state;
	/* Becoming a target: the owner has nothing of ours yet. */
	assert_int_equal(stack_tgt_full_needed(0, 1, "", 0, "SYSATCPCS", 1), STACK_FULL_NEW_TARGET);
	/* Takeover, takeback: another owner rebuilds its VCRT. */
	assert_int_equal(stack_tgt_full_needed(1, 1, "SYSATCPCS", 1, "SYSBTCPCS", 1),
			 STACK_FULL_NEW_OWNER);
	/* After the owner left our view (its departure cleared it). */
	assert_int_equal(stack_tgt_full_needed(1, 1, "", 0, "SYSATCPCS", 2), STACK_FULL_NEW_OWNER);
	/* The same owner restarted or rejoined: a new incarnation. */
	assert_int_equal(stack_tgt_full_needed(1, 1, "SYSATCPCS", 1, "SYSATCPCS", 2),
			 STACK_FULL_OWNER_INC);
	/* The same owner and incarnation: its lease lapsed and came back,
	 * the DIST_ADV repeated, or a changed distribution: nothing. */
	assert_int_equal(stack_tgt_full_needed(1, 1, "SYSATCPCS", 1, "SYSATCPCS", 1), STACK_FULL_NONE);
	/* An incarnation not known on one side decides nothing. */
	assert_int_equal(stack_tgt_full_needed(1, 1, "SYSATCPCS", 0, "SYSATCPCS", 3), STACK_FULL_NONE);
	/* No target (any more), or no owner: nothing to report. */
	assert_int_equal(stack_tgt_full_needed(1, 0, "SYSATCPCS", 1, "SYSBTCPCS", 1), STACK_FULL_NONE);
	assert_int_equal(stack_tgt_full_needed(0, 1, "", 0, "", 0), STACK_FULL_NONE);
}

static void
dist_adv_from(const char *sys, uint64_t inc, uint16_t weight)
{
	static struct wire_xcf_dist_adv m;
	static uint8_t buf[2048];
	ssize_t n;

	memset(&m, 0, sizeof(m));
	memcpy(m.dvipa, DV, 16);
	m.method = VIPA_DIST_ROUNDROBIN;
	m.nports = 1;
	m.ports[0] = 8080;
	if (weight) {
		m.ndest = 1;
		memcpy(m.dest[0].xcf, B_XCF, 16);
		m.dest[0].weight = weight;
	}
	n = wire_xcf_dist_adv_encode(&m, buf, sizeof(buf));
	assert_true(n > 0);
	stack_dist_on_adv(&st, fake_bus_member(sys, "TCPCS", sys[3] == 'A' ? A_XCF : OTHER,
					       XCF_ACTIVE, inc), buf, (size_t)n);
}

/* The owner's VIPA_ADV: ACTIVE, or not (its lease lapsed). */
static void
vipa_adv_from(const char *sys, uint64_t inc, uint8_t status)
{
	struct wire_xcf_vipa_adv m;

	memset(&m, 0, sizeof(m));
	m.n = 1;
	memcpy(m.v[0].addr, DV, 16);
	m.v[0].origin = sys[3] == 'A' ? WIRE_VIPA_DEFINE : WIRE_VIPA_BACKUP;
	m.v[0].rank = 100;
	m.v[0].status = status;
	stack_own_on_adv(&st, fake_bus_member(sys, "TCPCS", sys[3] == 'A' ? A_XCF : OTHER,
					      XCF_ACTIVE, inc), &m);
}

/* The triggers as they come: a lapse and renewal of the owner's lease, a
 * changed distribution, a new incarnation, a new owner. */
static void
test_full_triggers(void **state)
{
	uint64_t full;
	int listens;

	(void)state;
	event(KDP_EV_ESTABLISHED, DV, 8080, 40001);
	st.dv[0].target = 0;
	st.dv[0].owner[0] = '\0';
	dist_adv_from("SYSA", 1, 0);
	assert_int_equal(st.dv[0].target, 1);
	full = st.cnt.full_reports;
	assert_int_equal(full, 1);

	/* SYSA's lease lapses (its VIPA_ADV says BACKUP) and comes back
	 * (ACTIVE, the same DIST_ADV): no full report. */
	vipa_adv_from("SYSA", 1, WIRE_VIPA_BACKUP_ST);
	vipa_adv_from("SYSA", 1, WIRE_VIPA_ACTIVE);
	dist_adv_from("SYSA", 1, 0);
	assert_int_equal(st.cnt.full_reports, full);

	/* A changed distribution: our listeners again, not our connections. */
	listens = fake_bus_count(1, WIRE_XCF_TGT_LISTEN);
	dist_adv_from("SYSA", 1, 5);
	assert_int_equal(st.cnt.full_reports, full);
	assert_true(fake_bus_count(1, WIRE_XCF_TGT_LISTEN) > listens);

	/* SYSA restarted (a new incarnation): it rebuilds. */
	dist_adv_from("SYSA", 2, 5);
	assert_int_equal(st.cnt.full_reports, full + 1);
	dist_adv_from("SYSA", 2, 5);
	assert_int_equal(st.cnt.full_reports, full + 1);

	/* SYSC takes it over: it rebuilds. */
	vipa_adv_from("SYSA", 2, WIRE_VIPA_BACKUP_ST);
	vipa_adv_from("SYSC", 1, WIRE_VIPA_ACTIVE);
	dist_adv_from("SYSC", 1, 5);
	assert_string_equal(st.dv[0].owner, "SYSCTCPCS");
	assert_int_equal(st.cnt.full_reports, full + 2);
	assert_string_equal(fake_bus_last(1, WIRE_XCF_TGT_CONN)->member, "SYSCTCPCS");

	/* A TGT_SYNC_REQ (the owner's digest differed): one for that DVIPA. */
	stack_tgt_on_sync(&st, DV);
	assert_int_equal(st.cnt.full_reports, full + 3);
}

/* A full report larger than a burst goes on from the timer, resumes where
 * it stopped, lists every connection once, and a request meanwhile is
 * answered by it (not restarted). */
static void
test_full_paced(void **state)
{
	const int total = STACK_TGT_FULL_BURST * WIRE_XCF_MAX_CONN * 2 + 100;
	int i, nmsg, listed = 0, first = 0, last = 0, rounds = 0;
	struct vipa_conn_key k;
	int created;

	(void)state;
	for (i = 0; i < total; i++) {
		key(&k, (uint16_t)(10000 + i));
		memcpy(k.dvipa, DV, 16);
		assert_non_null(stack_tgt_conn(&st, &k, &created));
		assert_true(created);
	}
	fake_bus_clear_sent();
	stack_tgt_report_full(&st, &st.dv[0]);
	/* One burst at once, FIRST without LAST. */
	assert_int_equal(fake_bus_count(1, WIRE_XCF_TGT_CONN), STACK_TGT_FULL_BURST);
	assert_true(st.tgt.full[0].on);
	/* Asked again meanwhile: the report in progress answers. */
	stack_tgt_on_sync(&st, DV);
	assert_int_equal(st.tgt.full_joined, 1);
	assert_int_equal(st.cnt.full_reports, 1);
	while (stack_tgt_full_continue(&st))
		assert_true(++rounds < 10);
	nmsg = fake_bus.nsent;
	assert_true(nmsg < FAKE_MAX_MSGS);	/* every message kept */
	for (i = 0; i < nmsg; i++) {
		const struct fake_msg *fm = &fake_bus.sent[i];

		if (fm->type != WIRE_XCF_TGT_CONN)
			continue;
		assert_int_equal(wire_xcf_tgt_conn_decode(&conn_msg, fm->body, fm->len, NULL), 0);
		assert_true(conn_msg.flags & WIRE_XCF_F_FULL);
		first += !!(conn_msg.flags & WIRE_XCF_F_FIRST);
		last += !!(conn_msg.flags & WIRE_XCF_F_LAST);
		listed += conn_msg.n;
	}
	assert_int_equal(first, 1);
	assert_int_equal(last, 1);
	assert_int_equal(listed, total);
	assert_false(st.tgt.full[0].on);
}

/* ---- the routing stack -------------------------------------------------------------- */

/* SYSA owns DV; SYSB is a target. */
static int
setup_owner(void **state)
{
	fake_bus_reset();
	fake_bus_member("SYSA", "TCPCS", A_XCF, XCF_ACTIVE, 1);
	memcpy(fake_bus_member("SYSB", "TCPCS", B_XCF, XCF_ACTIVE, 1)->xcfaddr4, B_XCF4, 16);
	fake_stack_init(&st, uv_default_loop(), "SYSA", A_XCF);
	st.ndv = 1;
	memcpy(st.dv[0].addr, odv, 16);
	st.dv[0].owned = 1;
	st.dv[0].has_dist = 1;
	/* Port 8080 to every stack: SYSB's reports are a destination's. */
	st.dv[0].dist.nports = 1;
	st.dv[0].dist.ports[0] = 8080;
	st.dv[0].dist.destall = 1;
	lib_strlcpy(st.dv[0].owner, "SYSATCPCS", sizeof(st.dv[0].owner));
	*state = &st;
	return 0;
}

/* The same for SYSA's IPv4 DVIPA 10.100.0.1: SYSB is its destination by
 * its IPv4 DYNAMICXCF address. */
static int
setup_owner4(void **state)
{
	odv = DV4;
	return setup_owner(state);
}

static int
teardown_owner4(void **state)
{
	odv = DV;
	return fake_stack_teardown(state);
}

static const struct xcf_member_info *
sysb(void)
{
	return fake_bus_member("SYSB", "TCPCS", B_XCF, XCF_ACTIVE, 1);
}

/* SYSB reports connections (EST or END), incrementally or as FULL. */
static void
report(uint8_t event, uint8_t flags, const uint16_t *cports, int n)
{
	static struct wire_xcf_tgt_conn m;
	static uint8_t buf[WIRE_XCF_MAX_BODY];
	ssize_t len;
	int i;

	memset(&m, 0, sizeof(m));
	m.flags = flags;
	memcpy(m.scope, odv, 16);
	for (i = 0; i < n; i++) {
		m.c[i].event = event;
		memcpy(m.c[i].dvipa, odv, 16);
		memcpy(m.c[i].client, CLIENT, 16);
		m.c[i].dport = 8080;
		m.c[i].cport = cports[i];
	}
	m.n = (uint16_t)n;
	len = wire_xcf_tgt_conn_encode(&m, buf, sizeof(buf));
	assert_true(len > 0);
	stack_dist_on_conn(&st, sysb(), buf, (size_t)len);
}

/* SYSB's digest of the connections cports. */
static void
digest(const uint16_t *cports, int n)
{
	struct wire_xcf_tgt_digest m;
	struct vipa_digest d = { 0, 0 };
	struct vipa_conn_key k;
	uint8_t buf[64];
	ssize_t len;
	int i;

	for (i = 0; i < n; i++) {
		key(&k, cports[i]);
		vipa_digest_add(&d, &k);
	}
	memset(&m, 0, sizeof(m));
	m.n = 1;
	memcpy(m.d[0].dvipa, odv, 16);
	m.d[0].count = d.count;
	m.d[0].sum = d.sum;
	len = wire_xcf_tgt_digest_encode(&m, buf, sizeof(buf));
	assert_true(len > 0);
	stack_dist_on_digest(&st, sysb(), buf, (size_t)len);
}

static int
syncs(void)
{
	return fake_bus_count(1, WIRE_XCF_TGT_SYNC_REQ);
}

static void
test_owner_digest(void **state)
{
	static const uint16_t two[] = { 41001, 41002 }, three[] = { 41001, 41002, 41003 };
	const struct fake_msg *fm;
	struct wire_xcf_sync_req rq;

	(void)state;
	report(WIRE_CONN_EST, 0, two, 2);
	assert_int_equal(vipa_vcrt_count(st.vcrt), 2);
	digest(two, 2);
	assert_int_equal(syncs(), 0);

	/* SYSB has a third connection whose report was lost. */
	digest(three, 3);
	assert_int_equal(syncs(), 1);
	fm = fake_bus_last(1, WIRE_XCF_TGT_SYNC_REQ);
	assert_string_equal(fm->member, "SYSBTCPCS");
	assert_int_equal(wire_xcf_sync_req_decode(&rq, fm->body, fm->len, NULL), 0);
	assert_memory_equal(rq.dvipa, odv, 16);
	/* Not again while the full report may be on its way... */
	fake_clock_advance(STACK_SYNC_HOLD_MS - 1);
	digest(three, 3);
	assert_int_equal(syncs(), 1);
	/* ...but again once that time is over. */
	fake_clock_advance(1);
	digest(three, 3);
	assert_int_equal(syncs(), 2);
	/* The full report repairs the view. */
	report(WIRE_CONN_EST, WIRE_XCF_F_FULL | WIRE_XCF_F_FIRST | WIRE_XCF_F_LAST, three, 3);
	assert_int_equal(vipa_vcrt_count(st.vcrt), 3);
	fake_clock_advance(STACK_SYNC_HOLD_MS);
	digest(three, 3);
	assert_int_equal(syncs(), 2);

	/* Ends follow incrementally; a lost end is found the same way. */
	report(WIRE_CONN_END, 0, three + 2, 1);
	digest(two, 2);
	assert_int_equal(syncs(), 2);
	digest(three, 1);		/* 41002 ended, its report lost */
	assert_int_equal(syncs(), 3);
	report(WIRE_CONN_EST, WIRE_XCF_F_FULL | WIRE_XCF_F_FIRST | WIRE_XCF_F_LAST, three, 1);
	assert_int_equal(vipa_vcrt_count(st.vcrt), 1);
	fake_clock_advance(STACK_SYNC_HOLD_MS);
	digest(three, 1);
	assert_int_equal(syncs(), 3);
	/* The view computed from scratch is the one kept incrementally. */
	stack_dist_digest_rebuild(&st);
	digest(three, 1);
	assert_int_equal(syncs(), 3);
}

/* An incremental report between the bursts of a full report (a connection
 * the target's walk had passed) survives the report's LAST. */
static void
test_owner_during_full(void **state)
{
	static const uint16_t a[] = { 41001 }, b[] = { 41002 }, c[] = { 41005 }, old[] = { 41009 };

	(void)state;
	report(WIRE_CONN_EST, 0, old, 1);
	report(WIRE_CONN_EST, WIRE_XCF_F_FULL | WIRE_XCF_F_FIRST, a, 1);
	report(WIRE_CONN_EST, 0, c, 1);
	report(WIRE_CONN_EST, WIRE_XCF_F_FULL | WIRE_XCF_F_LAST, b, 1);
	/* 41009, listed by nothing since, is gone; the other three stay. */
	assert_int_equal(vipa_vcrt_count(st.vcrt), 3);
	digest((const uint16_t[]){ 41001, 41002, 41005 }, 3);
	assert_int_equal(syncs(), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_target_events, setup_target,
						fake_stack_teardown),
		cmocka_unit_test_setup_teardown(test_target_hold, setup_target, fake_stack_teardown),
		cmocka_unit_test_setup_teardown(test_dist_adv_repeat, setup_target,
						fake_stack_teardown),
		cmocka_unit_test_setup_teardown(test_full_needed, setup_target, fake_stack_teardown),
		cmocka_unit_test_setup_teardown(test_full_triggers, setup_target, fake_stack_teardown),
		cmocka_unit_test_setup_teardown(test_full_paced, setup_target, fake_stack_teardown),
		cmocka_unit_test_setup_teardown(test_owner_digest, setup_owner, fake_stack_teardown),
		cmocka_unit_test_setup_teardown(test_owner_during_full, setup_owner, fake_stack_teardown),
		cmocka_unit_test_setup_teardown(test_owner_digest, setup_owner4, teardown_owner4),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
