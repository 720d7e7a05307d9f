/*
 * test_stack_wlm.c - proves the emulated WLM decisions of tcpip-stack/
 * (dist.c on the routing stack, tgt.c on a target, vary.c's command), on
 * the messages a stack gets and sends.  Stack SYSA owns DVIPA fd00:100::1
 * and distributes port 8080 to SYSA, SYSB and SYSC; the bus and the clock
 * are the fakes of tests/unit/fake.h.
 *  - BASEWLM: the targets' TGT_LISTEN reports (capacity, load) give the
 *    system weights (21/43/64 for capacities 100/200/300), the picks follow
 *    them exactly over a round, and a load reported later changes them;
 *    a target that has not reported gets weight 0 while others have one.
 *  - SERVERWLM: a listener's SEF scales its system weight; SEF 0 gets no
 *    new connections.
 *  - TSR: connections sent but never seen established (no client ACK
 *    through us, no target report) lower the target's TSR every second; a
 *    confirmed connection is counted once; one still in its handshake at a
 *    tick is judged at the next tick, not counted as a failure at once.
 *  - HOTSTANDBY: DESTIP PREFERRED / BACKUP rank reach the VDPT rows and the
 *    DIST_ADV (with NOAUTOSWITCHBACK / NOHEALTHSWITCH), and a backup that
 *    inherits the distribution keeps them; a PREFERRED target that failed
 *    or left and rejoins is PREFERRED again and gets the connections back.
 *  - A target's SEF: connections accepted at once keep 100; connections
 *    left waiting in the accept queue bring it to 0; accepting again brings
 *    it back up; no traffic keeps the last value.
 *  - V TCPIP,,WLM: the new capacity and load reach the owner in a TGT_LISTEN
 *    at once.
 *  - A target of two DVIPAs keeps Rdy on both: a full report of one DVIPA
 *    does not zero the other's rows (bench/README "Product bugs", 1).
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
static const uint8_t *const X[3] = { XA, XB, XC };

static int
setup(void **state)
{
	fake_bus_reset();
	fake_bus_member("SYSA", "TCPCS", XA, XCF_ACTIVE, 1);
	fake_bus_member("SYSB", "TCPCS", XB, XCF_ACTIVE, 1);
	fake_bus_member("SYSC", "TCPCS", XC, XCF_ACTIVE, 1);
	fake_stack_init(&st, uv_default_loop(), "SYSA", XA);
	*state = &st;
	return 0;
}

/* We own DV and distribute port 8080 with `method` to the three. */
static struct stack_dvipa *
own(enum vipa_distmethod method)
{
	struct stack_dvipa *d = stack_dvipa_get(&st, DV);
	int i;

	assert_non_null(d);
	d->defined = 1;
	d->owned = 1;
	d->has_dist = 1;
	memset(&d->dist, 0, sizeof(d->dist));
	d->dist.method = method;
	memcpy(d->dist.dvipa, DV, 16);
	d->dist.nports = 1;
	d->dist.ports[0] = 8080;
	d->dist.ndest = 3;
	d->dist.autoswitchback = 1;
	d->dist.healthswitch = 1;
	for (i = 0; i < 3; i++) {
		memcpy(d->dist.dest[i].xcf, X[i], 16);
		d->dist.dest[i].weight = 1;
	}
	return d;
}

static const struct xcf_member_info *
member(int i)
{
	assert_true(i < fake_bus.n);
	return &fake_bus.m[i];
}

/* Target i reports one listener on (DV, 8080). */
static void
report(int i, uint32_t capacity, uint8_t load, uint8_t sef)
{
	struct wire_xcf_tgt_listen m;
	uint8_t b[512];
	ssize_t n;

	memset(&m, 0, sizeof(m));
	m.flags = WIRE_XCF_F_FULL;
	m.capacity = capacity;
	m.load = load;
	m.n = 1;
	memcpy(m.l[0].dvipa, DV, 16);
	m.l[0].port = 8080;
	m.l[0].rdy = 1;
	m.l[0].weight = 1;
	m.l[0].sef = sef;
	n = wire_xcf_tgt_listen_encode(&m, b, sizeof(b));
	assert_true(n > 0);
	stack_dist_on_listen(&st, member(i), b, (size_t)n);
}

static struct vipa_vdpt_entry *
row(int i)
{
	struct vipa_vdpt_entry *e = vipa_vdpt_get(st.vdpt, DV, 8080, X[i], 0);

	assert_non_null(e);
	return e;
}

/* k picks; counts per target into got[3]. */
static void
picks(int k, int got[3])
{
	int i, j;

	memset(got, 0, 3 * sizeof(int));
	for (i = 0; i < k; i++) {
		struct vipa_vdpt_entry *e = vipa_vdpt_pick(st.vdpt, DV, 8080);

		assert_non_null(e);
		for (j = 0; j < 3; j++)
			if (memcmp(e->dest_xcf, X[j], 16) == 0)
				got[j]++;
	}
}

static void
test_basewlm_weights_from_reports(void **state)
{
	int got[3];

	(void)state;
	stack_dist_setup(&st, own(VIPA_DIST_BASEWLM));
	report(0, 100, 0, 100);
	report(1, 200, 0, 100);
	/* SYSC has not reported: weight 0 while the others have one. */
	assert_int_equal(row(0)->wlm, 32);
	assert_int_equal(row(1)->wlm, 64);
	assert_int_equal(row(2)->wlm, 0);
	row(2)->rdy = 1;
	picks(96, got);
	assert_int_equal(got[0], 32);
	assert_int_equal(got[1], 64);
	assert_int_equal(got[2], 0);
	report(2, 300, 0, 100);
	assert_int_equal(row(0)->wlm, 21);
	assert_int_equal(row(1)->wlm, 43);
	assert_int_equal(row(2)->wlm, 64);
	picks(128, got);
	assert_int_equal(got[0], 21);
	assert_int_equal(got[1], 43);
	assert_int_equal(got[2], 64);
	/* SYSC's load rises to 80%: spare 6000 against 10000 and 20000. */
	report(2, 300, 80, 100);
	assert_int_equal(row(0)->wlm, 32);
	assert_int_equal(row(1)->wlm, 64);
	assert_int_equal(row(2)->wlm, 19);
	assert_int_equal(row(2)->sys_wlm, 19);
	picks(115, got);
	assert_int_equal(got[0], 32);
	assert_int_equal(got[1], 64);
	assert_int_equal(got[2], 19);
}

static void
test_serverwlm_uses_sef(void **state)
{
	int got[3];

	(void)state;
	stack_dist_setup(&st, own(VIPA_DIST_SERVERWLM));
	report(0, 100, 0, 100);
	report(1, 100, 0, 100);
	report(2, 100, 0, 50);
	assert_int_equal(row(0)->wlm, 64);
	assert_int_equal(row(2)->wlm, 32);
	assert_int_equal(row(2)->sys_wlm, 64);
	report(2, 100, 0, 0);
	assert_int_equal(row(2)->wlm, 0);
	picks(60, got);
	assert_int_equal(got[0], 30);
	assert_int_equal(got[1], 30);
	assert_int_equal(got[2], 0);
}

/* A routed connection from client port cport, as dp.c makes it. */
static struct vipa_conn *
sent(uint16_t cport)
{
	struct vipa_vdpt_entry *e = vipa_vdpt_pick(st.vdpt, DV, 8080);
	struct vipa_conn_key k;
	struct vipa_conn *c;
	int created;

	assert_non_null(e);
	memset(&k, 0, sizeof(k));
	memcpy(k.dvipa, DV, 16);
	k.client[0] = 0xfd;
	k.client[15] = 0x99;
	k.dport = 8080;
	k.cport = cport;
	c = vipa_vcrt_insert(st.vcrt, &k, &created);
	assert_non_null(c);
	memcpy(c->dest_xcf, e->dest_xcf, 16);
	c->state = VIPA_CONN_SYN;
	return c;
}

static void
test_tsr_from_confirmations(void **state)
{
	struct stack_dvipa *d = own(VIPA_DIST_BASEWLM);
	int i, t;

	(void)state;
	d->dist.ndest = 1;	/* SYSA only: every connection to it */
	stack_dist_setup(&st, d);
	report(0, 100, 0, 100);
	assert_int_equal(row(0)->tsr, 100);
	/* Ten seconds of 10 connections a second, half of them established. */
	for (t = 0; t < 10; t++) {
		for (i = 0; i < 10; i++) {
			struct vipa_conn *c = sent((uint16_t)(1000 + t * 10 + i));

			if (i % 2 == 0) {
				stack_dist_confirm(&st, c);
				stack_dist_confirm(&st, c);	/* counted once */
			}
		}
		stack_dist_tsr_tick(&st);
	}
	assert_int_equal(row(0)->confirmed, 50);
	assert_in_range(row(0)->tsr, 48, 52);
	/* All established again: TSR climbs back. */
	for (t = 0; t < 20; t++) {
		for (i = 0; i < 10; i++)
			stack_dist_confirm(&st, sent((uint16_t)(2000 + t * 10 + i)));
		stack_dist_tsr_tick(&st);
	}
	assert_in_range(row(0)->tsr, 98, 100);
	/* A target's SEF lowers its TSR as well. */
	report(0, 100, 0, 40);
	for (t = 0; t < 20; t++) {
		for (i = 0; i < 10; i++)
			stack_dist_confirm(&st, sent((uint16_t)(3000 + t * 10 + i)));
		stack_dist_tsr_tick(&st);
	}
	assert_in_range(row(0)->tsr, 39, 40);
}

static void
test_hotstandby_from_destip(void **state)
{
	struct stack_dvipa *d = own(VIPA_DIST_HOTSTANDBY);
	struct wire_xcf_dist_adv m;
	struct vipa_vdpt_entry *e;
	char flg[8];

	(void)state;
	d->dist.dest[0].srvtype = VIPA_SRV_BACKUP;
	d->dist.dest[0].rank = 50;
	d->dist.dest[1].srvtype = VIPA_SRV_PREFERRED;
	d->dist.dest[2].srvtype = VIPA_SRV_BACKUP;
	d->dist.dest[2].rank = 100;
	d->dist.autoswitchback = 0;
	stack_dist_setup(&st, d);
	assert_int_equal(row(1)->hs_type, VIPA_SRV_PREFERRED);
	assert_int_equal(row(2)->hs_rank, 100);
	row(0)->rdy = row(1)->rdy = row(2)->rdy = 1;
	e = vipa_vdpt_pick(st.vdpt, DV, 8080);
	assert_memory_equal(e->dest_xcf, XB, 16);
	assert_string_equal(vipa_vdpt_flags(st.vdpt, row(1), flg, sizeof(flg)), "A");
	assert_string_equal(vipa_vdpt_flags(st.vdpt, row(2), flg, sizeof(flg)), "H");
	/* The preferred goes: the backup of rank 100; with NOAUTOSWITCHBACK it
	 * stays when the preferred comes back. */
	row(1)->rdy = 0;
	assert_memory_equal(vipa_vdpt_pick(st.vdpt, DV, 8080)->dest_xcf, XC, 16);
	row(1)->rdy = 1;
	assert_memory_equal(vipa_vdpt_pick(st.vdpt, DV, 8080)->dest_xcf, XC, 16);
	/* The DIST_ADV carries it, and a backup inheriting it keeps it. */
	stack_dist_build_adv(d, &m);
	assert_int_equal(m.dest[1].srvtype, VIPA_SRV_PREFERRED);
	assert_int_equal(m.dest[2].rank, 100);
	assert_true(m.flags & WIRE_VIPA_F_NOSWITCHBACK);
	assert_false(m.flags & WIRE_VIPA_F_NOHEALTHSW);
}

/* The PREFERRED target fails or leaves the group (its rows go, EZD1208I)
 * and comes back: the rows its new listener report makes are PREFERRED
 * again, so AUTOSWITCHBACK gives it the new connections (a rejoined
 * preferred target stayed a rank-0 backup before). */
/* A connection still in its handshake at a tick is not a failure: a
 * target with no history keeps TSR 100 when it is confirmed after the tick,
 * and falls only when it is still unconfirmed a tick later. */
static void
test_tsr_grace_for_handshakes(void **state)
{
	struct stack_dvipa *d = own(VIPA_DIST_BASEWLM);
	struct vipa_conn *c;

	(void)state;
	d->dist.ndest = 1;
	stack_dist_setup(&st, d);
	report(0, 100, 0, 100);
	c = sent(1000);
	stack_dist_tsr_tick(&st);	/* sent just before the tick */
	assert_int_equal(row(0)->tsr, 100);
	stack_dist_confirm(&st, c);
	stack_dist_tsr_tick(&st);
	assert_int_equal(row(0)->tsr, 100);
	/* One that is never confirmed counts at the second tick. */
	(void)sent(1001);
	stack_dist_tsr_tick(&st);
	assert_int_equal(row(0)->tsr, 100);
	stack_dist_tsr_tick(&st);
	assert_true(row(0)->tsr < 100);
	assert_int_equal(row(0)->tsr_grace, 0);
}

static void
test_hotstandby_preferred_rejoins(void **state)
{
	struct stack_dvipa *d = own(VIPA_DIST_HOTSTANDBY);
	int i;

	(void)state;
	d->dist.dest[0].srvtype = VIPA_SRV_BACKUP;
	d->dist.dest[0].rank = 50;
	d->dist.dest[1].srvtype = VIPA_SRV_PREFERRED;
	d->dist.dest[2].srvtype = VIPA_SRV_BACKUP;
	d->dist.dest[2].rank = 100;
	d->dist.dest[2].weight = 7;
	stack_dist_setup(&st, d);
	for (i = 0; i < 3; i++)
		report(i, 100, 0, 100);
	assert_memory_equal(vipa_vdpt_pick(st.vdpt, DV, 8080)->dest_xcf, XB, 16);
	stack_dist_target_left(&st, member(1));
	assert_null(vipa_vdpt_get(st.vdpt, DV, 8080, XB, 0));
	assert_memory_equal(vipa_vdpt_pick(st.vdpt, DV, 8080)->dest_xcf, XC, 16);
	report(1, 100, 0, 100);
	assert_int_equal(row(1)->hs_type, VIPA_SRV_PREFERRED);
	assert_memory_equal(vipa_vdpt_pick(st.vdpt, DV, 8080)->dest_xcf, XB, 16);
	/* The same for a backup's rank and a weight. */
	stack_dist_target_left(&st, member(2));
	report(2, 100, 0, 100);
	assert_int_equal(row(2)->hs_rank, 100);
	assert_int_equal(row(2)->weight, 7);
}

static void
test_sef_measure(void **state)
{
	struct stack_tgt_sef f;
	int t;

	(void)state;
	memset(&f, 0, sizeof(f));
	f.sef = 100;
	assert_int_equal(stack_tgt_sef_update(&f), 100);	/* no poll yet */
	f.polls = 10;
	assert_int_equal(stack_tgt_sef_update(&f), 100);
	/* A hung server: every poll finds a connection waiting. */
	f.polls = f.late = 10;
	assert_in_range(stack_tgt_sef_update(&f), 40, 45);
	for (t = 0; t < 9; t++) {
		f.polls = f.late = 10;
		stack_tgt_sef_update(&f);
	}
	assert_true(f.sef <= 2);
	for (t = 0; t < 20; t++) {
		f.polls = f.late = 10;
		stack_tgt_sef_update(&f);
	}
	assert_int_equal(f.sef, 0);
	/* It caught up (no traffic needed): back within seconds. */
	for (t = 0; t < 5; t++) {
		f.polls = 10;
		stack_tgt_sef_update(&f);
	}
	assert_in_range(f.sef, 70, 80);
	for (t = 0; t < 15; t++) {
		f.polls = 10;
		stack_tgt_sef_update(&f);
	}
	assert_true(f.sef >= 99);
	/* Slow: 3 polls of 10 find a connection waiting. */
	memset(&f, 0, sizeof(f));
	for (t = 0; t < 30; t++) {
		f.polls = 10;
		f.late = 3;
		stack_tgt_sef_update(&f);
	}
	assert_int_equal(f.sef, 70);
}

static void
test_wlm_command_reports_at_once(void **state)
{
	struct stack_dvipa *d = stack_dvipa_get(&st, DV);
	struct wire_xcf_tgt_listen m;
	const struct fake_msg *msg;
	const char *why = NULL;
	char text[256];

	(void)state;
	assert_non_null(d);
	d->target = 1;
	lib_strlcpy(d->owner, "SYSBTCPCS", sizeof(d->owner));
	d->adv.nports = 1;
	d->adv.ports[0] = 8080;
	fake_bus_clear_sent();
	assert_int_equal(stack_wlm_set(&st, 250, 35, text, sizeof(text)), 0);
	assert_string_equal(text, "EZD1270I WLM SYSTEM SYSA: CAPACITY 250 LOAD 35%");
	assert_int_equal(fake_bus_count(1, WIRE_XCF_TGT_LISTEN), 1);
	msg = fake_bus_last(1, WIRE_XCF_TGT_LISTEN);
	assert_string_equal(msg->member, "SYSBTCPCS");
	assert_int_equal(wire_xcf_tgt_listen_decode(&m, msg->body, msg->len, &why), 0);
	assert_int_equal(m.capacity, 250);
	assert_int_equal(m.load, 35);
	assert_int_equal(m.l[0].sef, 100);
	/* Only the load: the capacity stays. */
	assert_int_equal(stack_wlm_set(&st, -1, 90, text, sizeof(text)), 0);
	assert_int_equal(st.wlm_capacity, 250);
	assert_int_equal(st.wlm_load, 90);
}

static void
test_rdy_of_two_dvipas(void **state)
{
	static const uint8_t DV2[16] = { 0xfd, 0, 1, 0, [15] = 2 };
	struct stack_dvipa *d2;
	struct wire_xcf_tgt_listen m;
	uint8_t b[512];
	ssize_t n;

	(void)state;
	stack_dist_setup(&st, own(VIPA_DIST_ROUNDROBIN));
	d2 = stack_dvipa_get(&st, DV2);
	assert_non_null(d2);
	d2->defined = d2->owned = d2->has_dist = 1;
	d2->dist = stack_dvipa_find(&st, DV)->dist;
	memcpy(d2->dist.dvipa, DV2, 16);
	stack_dist_setup(&st, d2);
	report(2, 100, 0, 100);		/* SYSC: DV port 8080, Rdy 1 */
	memset(&m, 0, sizeof(m));
	m.flags = WIRE_XCF_F_FULL;
	m.capacity = 100;
	m.n = 1;
	memcpy(m.l[0].dvipa, DV2, 16);
	m.l[0].port = 8080;
	m.l[0].rdy = 2;
	m.l[0].weight = 1;
	m.l[0].sef = 100;
	n = wire_xcf_tgt_listen_encode(&m, b, sizeof(b));
	stack_dist_on_listen(&st, member(2), b, (size_t)n);
	assert_int_equal(row(2)->rdy, 1);
	assert_int_equal(vipa_vdpt_get(st.vdpt, DV2, 8080, XC, 0)->rdy, 2);
	report(2, 100, 0, 100);
	assert_int_equal(vipa_vdpt_get(st.vdpt, DV2, 8080, XC, 0)->rdy, 2);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_basewlm_weights_from_reports, setup,
						fake_stack_teardown),
		cmocka_unit_test_setup_teardown(test_serverwlm_uses_sef, setup, fake_stack_teardown),
		cmocka_unit_test_setup_teardown(test_tsr_from_confirmations, setup,
						fake_stack_teardown),
		cmocka_unit_test_setup_teardown(test_hotstandby_from_destip, setup,
						fake_stack_teardown),
		cmocka_unit_test_setup_teardown(test_tsr_grace_for_handshakes, setup,
						fake_stack_teardown),
		cmocka_unit_test_setup_teardown(test_hotstandby_preferred_rejoins, setup,
						fake_stack_teardown),
		cmocka_unit_test(test_sef_measure),
		cmocka_unit_test_setup_teardown(test_wlm_command_reports_at_once, setup,
						fake_stack_teardown),
		cmocka_unit_test_setup_teardown(test_rdy_of_two_dvipas, setup, fake_stack_teardown),
	};

	lib_log_init("test", LIB_LOG_WARN);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
