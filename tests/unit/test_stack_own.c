/*
 * test_stack_own.c - proves the ownership decisions of tcpip-stack/own.c,
 * taken on the facts a stack has: the VIPA_ADV of every member and what the
 * bus says about the sysplex (member states, our lease, whether SFM has
 * settled it).  The stack's files come from libstack.a; the bus and the
 * clock are the fakes of tests/unit/fake.h.  Each test is stack SYSA with
 * SYSB and SYSC alive beside it, and one DVIPA.
 *  - Candidate order: the VIPADEFINE stack first, then VIPABACKUP by rank
 *    (highest first), ties by member name; a DEACTIVATED stack is none, and
 *    our own DEACTIVATE gives the DVIPA up at once.
 *  - Nothing is taken before our own join has settled, before every live
 *    member has told us its definitions (its current incarnation), or while
 *    the sysplex is not settled: a failed owner is replaced only once SFM
 *    has partitioned it out.
 *  - The lease: without it every owned DVIPA is given up at once (no MOVING
 *    grace) and nothing is taken; with it back the DVIPA is taken again.
 *  - Takeback by the returning VIPADEFINE stack: IMMEDIATE at once, with
 *    STACK_MOVING_MS of forwarding (MOVING) after; WHENIDLE only once we
 *    route no connection of the DVIPA.
 *  - Two active owners: the worse gives up to the better; the better keeps it.
 *  - Activation publishes our VIPA_ADV (ACTIVE) and DIST_ADV; as a target of
 *    our own distribution we report to ourselves, and that report is queued
 *    and reaches the VDPT from the loop, not from inside the activation.
 *  - A new owner repeats its gratuitous ARP / unsolicited NA
 *    STACK_ANNOUNCE_REPEATS times, STACK_ANNOUNCE_MS apart.
 *  - LEAVEGROUP (stack_own_out): everything given up and forgotten.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "tests/unit/fake.h"

static struct stack st;
static const uint8_t XA[16] = { 0xfd, 0, 0, 0x10, [15] = 1 };		/* fd00:10::1, us */
static const uint8_t XB[16] = { 0xfd, 0, 0, 0x10, [15] = 2 };
static const uint8_t XC[16] = { 0xfd, 0, 0, 0x10, [15] = 3 };
static const uint8_t DV[16] = { 0xfd, 0, 1, 0, [15] = 1 };		/* fd00:100::1 */

static int
setup(void **state)
{
	(void)state;
	fake_bus_reset();
	fake_bus_member("SYSA", "TCPCS", XA, XCF_ACTIVE, 1);
	fake_bus_member("SYSB", "TCPCS", XB, XCF_ACTIVE, 1);
	fake_bus_member("SYSC", "TCPCS", XC, XCF_ACTIVE, 1);
	fake_bus.joined = 0;		/* until our join completes: no lease */
	fake_stack_init(&st, uv_default_loop(), "SYSA", XA);
	*state = &st;
	return 0;
}


static struct stack_dvipa *
dv(void)
{
	struct stack_dvipa *d = stack_dvipa_find(&st, DV);

	assert_non_null(d);
	return d;
}

/* Our own definition of the DVIPA (as the PROFILE gives it). */
static void
define(uint8_t origin, uint8_t rank, enum vipa_moveable mv)
{
	struct stack_dvipa *d = stack_dvipa_get(&st, DV);

	d->defined = origin == WIRE_VIPA_DEFINE;
	d->backup = !d->defined;
	d->rank = rank;
	d->moveable = mv;
}

static const struct xcf_member_info *
member(const char *sys)
{
	char name[XCF_NAME_LEN + 1];

	snprintf(name, sizeof(name), "%sTCPCS", sys);
	return xcf_member(NULL, name);
}

/* SYS's VIPA_ADV: the DVIPA with origin, rank, status and flags, or
 * nothing at all when origin is 0. */
static void
adv(const char *sys, uint8_t origin, uint8_t rank, uint8_t status, uint8_t flags)
{
	struct wire_xcf_vipa_adv m;

	memset(&m, 0, sizeof(m));
	if (origin) {
		memcpy(m.v[0].addr, DV, 16);
		m.v[0].origin = origin;
		m.v[0].rank = rank;
		m.v[0].status = status;
		m.v[0].flags = flags;
		m.n = 1;
	}
	stack_own_on_adv(&st, member(sys), &m);
}

/* Our join completed (the couple data set registered us, the lease runs). */
static void
join(void)
{
	fake_bus.joined = 1;
	stack_own_on_join(&st, member("SYSA"));
}

/* We joined, and the group's advertisements had time to come in. */
static void
joined_and_settled(void)
{
	join();
	fake_clock_advance(1000);
}

/* What a stack says of the DVIPA in its VIPA_ADV (origin 0: nothing). */
struct said {
	uint8_t origin, rank, status, flags;
};
#define NOTHING ((struct said){ 0, 0, 0, 0 })
#define DEFINER(st) ((struct said){ WIRE_VIPA_DEFINE, 0, (st), 0 })
#define BACKUP(rank, st) ((struct said){ WIRE_VIPA_BACKUP, (rank), (st), 0 })

/* The facts of a test: our definition (us.origin, us.rank), what SYSB and
 * SYSC advertise; we joined and the group settled; ownership evaluated. */
static void
facts(struct said us, struct said b, struct said c)
{
	define(us.origin, us.rank, VIPA_MOVE_IMMEDIATE);
	adv("SYSB", b.origin, b.rank, b.status, b.flags);
	adv("SYSC", c.origin, c.rank, c.status, c.flags);
	joined_and_settled();
	stack_own_evaluate(&st);
}

/* SYS's departure as the bus reports it (state: FAILED, LEFT, ...). */
static void
departs(const char *sys, enum xcf_member_state state)
{
	const struct xcf_member_info *m = member(sys);

	fake_bus_member(m->sysname, m->tcpname, m->xcfaddr, state, m->incarnation);
	stack_own_on_leave(&st, member(sys));
}

/* The status our last VIPA_ADV gave the DVIPA (0: not in it). */
static uint8_t
published_status(void)
{
	const struct fake_msg *f = fake_bus_last(0, WIRE_XCF_VIPA_ADV);
	struct wire_xcf_vipa_adv m;
	const char *why = NULL;
	int i;

	assert_non_null(f);
	assert_int_equal(wire_xcf_vipa_adv_decode(&m, f->body, f->len, &why), 0);
	for (i = 0; i < m.n; i++)
		if (memcmp(m.v[i].addr, DV, 16) == 0)
			return m.v[i].status;
	return 0;
}

/* Takes the DVIPA over from SYSB, the VIPADEFINE owner, which failed and
 * was partitioned out; we are VIPABACKUP 100. */
static void
own_after_takeover(enum vipa_moveable mv)
{
	facts(BACKUP(100, 0), DEFINER(WIRE_VIPA_ACTIVE),
	      BACKUP(50, WIRE_VIPA_BACKUP_ST));
	dv()->moveable = mv;
	assert_false(dv()->owned);
	departs("SYSB", XCF_PARTITIONED);
	assert_true(dv()->owned);
}

/* SYSB comes back (a new incarnation) and advertises its definition. */
static void
definer_returns(uint8_t flags)
{
	fake_bus_member("SYSB", "TCPCS", XB, XCF_ACTIVE, 2);
	adv("SYSB", WIRE_VIPA_DEFINE, 0, WIRE_VIPA_BACKUP_ST, flags);
}

/* ---- candidate order -------------------------------------------------------------- */

static void
test_backups_by_rank(void **state)
{
	(void)state;
	facts(BACKUP(100, 0), BACKUP(200, WIRE_VIPA_BACKUP_ST),
	      BACKUP(150, WIRE_VIPA_BACKUP_ST));
	assert_false(dv()->owned);	/* SYSB (200) is the best */
	departs("SYSB", XCF_LEFT);
	assert_false(dv()->owned);	/* then SYSC (150) */
	departs("SYSC", XCF_LEFT);
	assert_true(dv()->owned);	/* then us (100) */
	assert_int_equal(published_status(), WIRE_VIPA_ACTIVE);
	assert_string_equal(dv()->owner, "SYSATCPCS");
}

/* One decision each, from fresh facts: do we take the DVIPA? */
static void
test_candidate_order(void **state)
{
	const struct {
		struct said us, b, c;
		int owned;
	} cases[] = {
		/* equal rank: by member name, SYSATCPCS < SYSBTCPCS */
		{ BACKUP(100, 0), BACKUP(100, WIRE_VIPA_BACKUP_ST), NOTHING, 1 },
		/* the VIPADEFINE stack beats any backup */
		{ BACKUP(254, 0), NOTHING, DEFINER(WIRE_VIPA_BACKUP_ST), 0 },
		/* a DEACTIVATEd stack is no candidate */
		{ BACKUP(10, 0), DEFINER(WIRE_VIPA_DEACTIVATED), NOTHING, 1 },
		/* higher rank first */
		{ BACKUP(100, 0), NOTHING, BACKUP(101, WIRE_VIPA_BACKUP_ST), 0 },
	};
	size_t i;

	for (i = 0; i < LIB_ARRAY_LEN(cases); i++) {
		if (i) {
			fake_stack_teardown(state);
			setup(state);
		}
		facts(cases[i].us, cases[i].b, cases[i].c);
		assert_int_equal(dv()->owned, cases[i].owned);
	}
}

static void
test_deactivated_gives_up_at_once(void **state)
{
	(void)state;
	facts(DEFINER(0), NOTHING, BACKUP(10, WIRE_VIPA_BACKUP_ST));
	assert_true(dv()->owned);
	dv()->deactivated = 1;
	stack_own_evaluate(&st);
	assert_false(dv()->owned);
	assert_false(dv()->moving);
	assert_int_equal(published_status(), WIRE_VIPA_DEACTIVATED);
}

/* ---- when nothing may be taken ------------------------------------------------------- */

static void
test_waits_for_own_join_to_settle(void **state)
{
	(void)state;
	define(WIRE_VIPA_DEFINE, 0, VIPA_MOVE_IMMEDIATE);
	adv("SYSB", 0, 0, 0, 0);
	adv("SYSC", 0, 0, 0, 0);
	join();
	stack_own_evaluate(&st);
	assert_false(dv()->owned);	/* the group's advertisements may still come */
	fake_clock_advance(st.couple.fail_ms + 2 * st.couple.hb_ms);
	stack_own_evaluate(&st);
	assert_true(dv()->owned);
}

static void
test_waits_for_every_member_to_be_heard(void **state)
{
	(void)state;
	define(WIRE_VIPA_DEFINE, 0, VIPA_MOVE_IMMEDIATE);
	adv("SYSB", 0, 0, 0, 0);
	joined_and_settled();
	stack_own_evaluate(&st);
	assert_false(dv()->owned);	/* SYSC, alive, has not advertised yet */
	adv("SYSC", 0, 0, 0, 0);
	assert_true(dv()->owned);
}

static void
test_a_new_incarnation_must_be_heard_again(void **state)
{
	(void)state;
	define(WIRE_VIPA_BACKUP, 100, VIPA_MOVE_IMMEDIATE);
	adv("SYSB", WIRE_VIPA_DEFINE, 0, WIRE_VIPA_ACTIVE, 0);
	adv("SYSC", 0, 0, 0, 0);
	joined_and_settled();
	/* SYSC restarted: what its last life said no longer counts. */
	fake_bus_member("SYSC", "TCPCS", XC, XCF_ACTIVE, 2);
	departs("SYSB", XCF_PARTITIONED);
	assert_false(dv()->owned);
	adv("SYSC", 0, 0, 0, 0);
	assert_true(dv()->owned);
}

static void
test_failed_owner_replaced_only_once_partitioned(void **state)
{
	(void)state;
	facts(BACKUP(100, 0), DEFINER(WIRE_VIPA_ACTIVE),
	      NOTHING);
	assert_false(dv()->owned);
	/* SYSB's heartbeats stop: it is in doubt until SFM has removed it. */
	fake_bus.settled = 0;
	departs("SYSB", XCF_FAILED);
	fake_clock_advance(60000);
	stack_own_evaluate(&st);
	assert_false(dv()->owned);
	/* SFM partitioned it out and waited out its lease (sfm_cb). */
	fake_bus_member("SYSB", "TCPCS", XB, XCF_PARTITIONED, 1);
	fake_bus.settled = 1;
	stack_own_evaluate(&st);
	assert_true(dv()->owned);
	assert_string_equal(dv()->last_owner, "SYSBTCPCS");
	assert_int_equal(published_status(), WIRE_VIPA_ACTIVE);
}

/* ---- the lease ---------------------------------------------------------------------- */

static void
test_lease_lost_gives_up_at_once(void **state)
{
	(void)state;
	own_after_takeover(VIPA_MOVE_IMMEDIATE);
	fake_bus.lease_ok = 0;
	assert_false(stack_own_allowed(&st));
	assert_int_equal(stack_own_guard(&st), 0);
	assert_false(dv()->owned);
	assert_false(dv()->moving);	/* no grace without a lease */
	assert_int_equal(published_status(), WIRE_VIPA_BACKUP_ST);
	stack_own_evaluate(&st);
	assert_false(dv()->owned);
	/* The lease renewed: we are still the best candidate. */
	fake_bus.lease_ok = 1;
	stack_own_evaluate(&st);
	assert_true(dv()->owned);
}

static void
test_owned_but_not_allowed_is_not_advertised_active(void **state)
{
	(void)state;
	own_after_takeover(VIPA_MOVE_IMMEDIATE);
	fake_bus.lease_ok = 0;
	/* Even before a guard ran, what we publish never says ACTIVE. */
	stack_own_publish(&st);
	assert_int_equal(published_status(), WIRE_VIPA_BACKUP_ST);
}

/* ---- takeback ------------------------------------------------------------------------ */

static void
test_takeback_immediate(void **state)
{
	(void)state;
	own_after_takeover(VIPA_MOVE_IMMEDIATE);
	definer_returns(0);
	assert_false(dv()->owned);
	assert_true(dv()->moving);	/* still forwarding what reaches us */
	assert_string_equal(dv()->moving_to, "SYSBTCPCS");
	assert_int_equal(published_status(), WIRE_VIPA_MOVING);
	fake_clock_advance(STACK_MOVING_MS - 1);
	stack_own_evaluate(&st);
	assert_true(dv()->moving);
	fake_clock_advance(1);
	stack_own_evaluate(&st);
	assert_false(dv()->moving);
	assert_int_equal(published_status(), WIRE_VIPA_BACKUP_ST);
}

static void
test_takeback_whenidle_waits_for_the_last_connection(void **state)
{
	struct vipa_conn_key k;
	struct vipa_conn *c;

	(void)state;
	own_after_takeover(VIPA_MOVE_WHENIDLE);
	memset(&k, 0, sizeof(k));
	memcpy(k.dvipa, DV, 16);
	k.client[0] = 0xfd;
	k.client[15] = 9;
	k.dport = 80;
	k.cport = 40000;
	c = vipa_vcrt_insert(st.vcrt, &k, NULL);
	assert_non_null(c);
	memcpy(c->dest_xcf, XA, 16);
	definer_returns(WIRE_VIPA_F_WHENIDLE);
	assert_true(dv()->owned);	/* a connection is still routed */
	stack_own_evaluate(&st);
	assert_true(dv()->owned);
	assert_int_equal(vipa_vcrt_remove(st.vcrt, &k), 0);
	stack_own_evaluate(&st);
	assert_false(dv()->owned);
	assert_true(dv()->moving);
	assert_string_equal(dv()->moving_to, "SYSBTCPCS");
}

/* ---- two owners ---------------------------------------------------------------------- */

/* Our definition (us), SYSC a backup of rank `rank`: we own the DVIPA,
 * then SYSC advertises it ACTIVE too.  Returns whether we still own it. */
static int
second_owner_appears(struct said us, uint8_t rank)
{
	facts(us, NOTHING, BACKUP(50, WIRE_VIPA_BACKUP_ST));
	assert_true(dv()->owned);
	adv("SYSC", WIRE_VIPA_BACKUP, rank, WIRE_VIPA_ACTIVE, 0);
	return dv()->owned;
}

static void
test_worse_of_two_owners_gives_up(void **state)
{
	(void)state;
	/* SYSC activated on the same facts, and is better (rank 200). */
	assert_false(second_owner_appears(BACKUP(100, 0), 200));
	assert_true(dv()->moving);
	assert_string_equal(dv()->moving_to, "SYSCTCPCS");
}

static void
test_better_of_two_owners_keeps_it(void **state)
{
	(void)state;
	assert_true(second_owner_appears(DEFINER(0), 200));
	assert_false(dv()->moving);
}

/* ---- activation and the report to ourselves ------------------------------------------------ */

static void
test_activation_distributes_and_reports_to_itself_from_the_loop(void **state)
{
	struct stack_dvipa *d;
	const struct vipa_vdpt_entry *e;

	(void)state;
	define(WIRE_VIPA_DEFINE, 0, VIPA_MOVE_IMMEDIATE);
	d = dv();
	d->has_dist = 1;
	d->dist.method = VIPA_DIST_ROUNDROBIN;
	d->dist.nports = 1;
	d->dist.ports[0] = 80;
	d->dist.destall = 1;
	memcpy(d->dist.dvipa, DV, 16);
	adv("SYSB", 0, 0, 0, 0);
	adv("SYSC", 0, 0, 0, 0);
	joined_and_settled();
	fake_bus_clear_sent();
	stack_own_evaluate(&st);
	assert_true(d->owned);
	assert_int_equal(fake_bus_count(0, WIRE_XCF_DIST_ADV), 1);
	assert_int_equal(published_status(), WIRE_VIPA_ACTIVE);
	/* DESTIP ALL: we are a target of our own distribution... */
	assert_true(d->target);
	assert_string_equal(d->owner, "SYSATCPCS");
	/* ...and our listener report to ourselves went on no bus, and is not
	 * handled yet: it waits for the loop. */
	assert_int_equal(fake_bus.nsent, 0);
	assert_null(vipa_vdpt_get(st.vdpt, DV, 80, XA, 0));
	stack_bus_deliver_queued(&st);
	e = vipa_vdpt_get(st.vdpt, DV, 80, XA, 0);
	assert_non_null(e);
	assert_string_equal(e->dest_name, "SYSATCPCS");
	assert_int_equal(lib_verdict_total(&st.bus_verdicts), 0);
}

/* A new owner announces the DVIPA at once and STACK_ANNOUNCE_REPEATS more
 * times, STACK_ANNOUNCE_MS apart (one lost gratuitous ARP or NA, or one an
 * ARP cache ignores, must not leave clients at the old owner); none after
 * giving it up. */
static void
test_new_owner_repeats_its_announcement(void **state)
{
	int k;

	(void)state;
	define(WIRE_VIPA_DEFINE, 0, VIPA_MOVE_IMMEDIATE);
	adv("SYSB", 0, 0, 0, 0);
	adv("SYSC", 0, 0, 0, 0);
	joined_and_settled();
	stack_own_evaluate(&st);
	assert_true(dv()->owned);
	assert_int_equal(dv()->announce_left, STACK_ANNOUNCE_REPEATS);
	assert_int_equal(stack_net_announce_tick(&st), 0);	/* not due yet */
	for (k = 0; k < STACK_ANNOUNCE_REPEATS; k++) {
		fake_clock_advance(STACK_ANNOUNCE_MS - 1);
		assert_int_equal(stack_net_announce_tick(&st), 0);
		fake_clock_advance(1);
		assert_int_equal(stack_net_announce_tick(&st), 1);
	}
	fake_clock_advance(10 * STACK_ANNOUNCE_MS);
	assert_int_equal(stack_net_announce_tick(&st), 0);
	/* Taken and given up again before the repeats were due: none. */
	dv()->announce_left = STACK_ANNOUNCE_REPEATS;
	stack_net_route_in(&st, dv(), 0);
	fake_clock_advance(STACK_ANNOUNCE_MS);
	assert_int_equal(stack_net_announce_tick(&st), 0);
}

static void
test_out_of_the_sysplex_forgets_everything(void **state)
{
	(void)state;
	own_after_takeover(VIPA_MOVE_IMMEDIATE);
	assert_true(dv()->ncand > 0);
	st.left_group = 1;
	stack_own_out(&st);
	assert_false(dv()->owned);
	assert_false(dv()->moving);
	assert_int_equal(dv()->ncand, 0);
	assert_string_equal(dv()->owner, "");
	assert_int_equal(st.own.nheard, 0);
	stack_own_evaluate(&st);
	assert_false(dv()->owned);
}

int
main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, setup, fake_stack_teardown)
	const struct CMUnitTest tests[] = {
		T(test_backups_by_rank),
		T(test_candidate_order),
		T(test_deactivated_gives_up_at_once),
		T(test_waits_for_own_join_to_settle),
		T(test_waits_for_every_member_to_be_heard),
		T(test_a_new_incarnation_must_be_heard_again),
		T(test_failed_owner_replaced_only_once_partitioned),
		T(test_lease_lost_gives_up_at_once),
		T(test_owned_but_not_allowed_is_not_advertised_active),
		T(test_takeback_immediate),
		T(test_takeback_whenidle_waits_for_the_last_connection),
		T(test_worse_of_two_owners_gives_up),
		T(test_better_of_two_owners_keeps_it),
		T(test_activation_distributes_and_reports_to_itself_from_the_loop),
		T(test_new_owner_repeats_its_announcement),
		T(test_out_of_the_sysplex_forgets_everything),
	};
#undef T

	/* Network changes fail without rtnetlink (fake.h) and say so: quiet. */
	lib_log_init("test", LIB_LOG_ERR);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
